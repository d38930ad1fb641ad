"""The `renode` backend against a REAL Renode 1.15 (`renode` on PATH or HILBENCH_RENODE).

Skipped, with the reason, where none is found: Renode is neither in Debian nor on PyPI, and
this project's CI machine has none (tests/test_renode_fake.py covers the harness's logic there
with a fake). What only a real Renode can show:
- the platform (mps2-an386.repl) loads and the C# CMSDK timer (cmsdk_timer.cs) compiles;
- the four MLPerf Tiny int8 models run bit-exact with golden from the same ELF as mps2-an386;
- Renode's instruction counts against QEMU's and the ISS's for that ELF. Renode (PerformanceInMips
  25, TIMER0 at 25 MHz) counts one tick per instruction between the two timer reads around
  hb_model_invoke; QEMU counts 40 per tick over the same window (floor-rounded either way:
  within 40); the ISS counts exactly from the call's first instruction to its return, so the
  window adds the tail of one hb_cycles(), the call and the head of the next (< 16), as in
  tests/test_iss_arm.py. A few instructions of slack each way (4) allow for where Renode
  syncs virtual time on the VALUE read; the bounds are the QEMU-vs-ISS ones otherwise;
- a firmware that never ends is stopped by its TIMER1 budget (the C# timer's interrupt).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hb_testutil import INT8_MODELS, model_path
from mcu_fixture import write_model

from harness.backends.qemu import QemuBackend
from harness.backends.renode import RenodeBackend
from harness.errors import RunTimeoutError
from harness.targets import load_target


@lru_cache(maxsize=1)
def _unavailable() -> str | None:
    return RenodeBackend(load_target("renode-mps2-an386")).available()


needs_renode = pytest.mark.skipif(_unavailable() is not None,
                                  reason=f"no real Renode: {_unavailable()}")


@pytest.mark.sim
@pytest.mark.slow
@needs_renode
@pytest.mark.parametrize("stem", INT8_MODELS)
def test_int8_bit_exact_and_counts_against_qemu_and_the_iss(stem: str, tmp_path: Path) -> None:
    from harness.backends.base import pack_samples
    from harness.codegen import generate
    from harness.compare import compare
    from harness.firmware import link_firmware, parse_console
    from harness.golden import run_golden
    from harness.importers import load_model
    from harness.inputs import random_inputs
    from harness.iss import simulate

    renode = RenodeBackend(load_target("renode-mps2-an386"))
    qemu = QemuBackend(load_target("mps2-an386"))
    graph = load_model(model_path(stem))
    inputs = random_inputs(graph, 2, 0)
    generated = generate(graph, tmp_path / "gen", kernels=renode.target.kernels)
    artifact = renode.build(generated)
    assert artifact.path.read_bytes() == qemu.build(generated).path.read_bytes()
    on_renode = renode.run(artifact, inputs)
    assert compare(on_renode.outputs, run_golden(graph, inputs)).bit_exact
    assert on_renode.metrics["instructions_per_inference"].provenance == "instructions"
    exact = [int(t) for t in parse_console(on_renode.log).counts()]   # 1 instruction per tick
    ticks = parse_console(qemu.run(artifact, inputs).log).counts()    # 40 instructions per tick
    image = link_firmware(artifact, pack_samples(inputs), 2)
    iss = [c.instructions for c in simulate(image.path, calls=("hb_model_invoke",)).calls]
    assert len(exact) == len(ticks) == len(iss) == 2
    for r, t, i in zip(exact, ticks, iss):
        assert -40 - 4 < r - 40 * t < 40 + 4, (stem, r, 40 * t)
        assert -4 <= r - i < 16 + 4, (stem, r, i)


@pytest.mark.sim
@needs_renode
def test_budget_stops_a_firmware_that_never_ends(tmp_path: Path) -> None:
    backend = RenodeBackend(load_target("renode-mps2-an386"))
    artifact = backend.build(write_model(tmp_path / "model", "forever"))
    with pytest.raises(RunTimeoutError, match="within its instruction budget"):
        backend.run(artifact, [np.zeros((1, 32), dtype=np.uint8)])
