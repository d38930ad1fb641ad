"""The VexRiscv targets (rtl/vexriscv, backend verilator with `verilator.core: vexriscv`):
MLPerf Tiny int8 models bit-exact with the golden interpreter, cycles from the core's own
mcycle (rtl-cycle-exact). CI runs KWS on vexriscv-cfu and AD on vexriscv-base (~1 min with
the two Verilator builds); the other models (KWS on the scalar core alone is ~56 M cycles,
2-4 min here) are marked slow and run only with HB_VX_HEAVY=1 (~10 min; all pass), or
through benchmarks/cores.py."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from harness.backends.verilator import VerilatorBackend, VerilatorOptions
from harness.bench import bench_model
from harness.errors import TargetConfigError
from harness.targets import load_target

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hb_testutil import model_path  # noqa: E402


def _missing() -> str | None:
    return VerilatorBackend(load_target("vexriscv-cfu")).available()


needs_vx = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")

QUICK = [("vexriscv-cfu", "kws_ref_model"), ("vexriscv-base", "ad01_int8")]
HEAVY = [("vexriscv-base", "kws_ref_model"), ("vexriscv-cfu", "ad01_int8"),
         ("vexriscv-base", "vww_96_int8"), ("vexriscv-cfu", "vww_96_int8"),
         ("vexriscv-base", "pretrainedResnet_quant"), ("vexriscv-cfu", "pretrainedResnet_quant")]


def _check(target: str, stem: str) -> None:
    result = bench_model(model_path(stem), target, n_inputs=1)
    m = result.measurement
    assert m.bit_exact, f"{stem} on {target}: {m.mismatches} mismatches"
    cycles = m.metrics["cycles_per_inference"]
    assert cycles.provenance == "rtl-cycle-exact"
    assert "vx_soc (VexRiscv FullCfu)" in cycles.note
    assert m.metrics["instructions_per_inference"].value < cycles.value
    assert m.extra["soc"]["core"] == "vexriscv"
    assert m.extra["sim_cycles_per_second"] > 0
    assert len(m.layers) == len(result.artifact.model.layer_names)


@pytest.mark.sim
@needs_vx
@pytest.mark.parametrize("target,stem", QUICK, ids=[f"{t}-{s}" for t, s in QUICK])
def test_mlperf_tiny_int8_bit_exact_on_vexriscv(target: str, stem: str) -> None:
    _check(target, stem)


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("HB_VX_HEAVY") != "1",
                    reason="~10 min of VexRiscv simulation: set HB_VX_HEAVY=1")
@needs_vx
@pytest.mark.parametrize("target,stem", HEAVY, ids=[f"{t}-{s}" for t, s in HEAVY])
def test_mlperf_tiny_int8_bit_exact_on_vexriscv_heavy(target: str, stem: str) -> None:
    _check(target, stem)


def test_vexriscv_needs_a_registered_ack(tmp_path: Path) -> None:
    text = (Path(load_target("vexriscv-base").folder) / "target.yaml").read_text()
    (tmp_path / "vx0").mkdir()
    (tmp_path / "vx0" / "target.yaml").write_text(
        text.replace("mem_latency: 1 ", "mem_latency: 0 "))
    with pytest.raises(TargetConfigError, match="mem_latency must be >= 1 for core vexriscv"):
        VerilatorOptions.from_target(load_target(tmp_path / "vx0"))
