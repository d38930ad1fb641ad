"""The `qemu` backend: commands as data, and firmware run on QEMU's mps2-an386 (fixture models
with known outputs and behaviours, then the MLPerf Tiny int8 models bit-exact)."""
from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hb_testutil import FLOAT_MODELS, INT8_MODELS, model_path
from mcu_fixture import SPIN_ITERATIONS, expected_outputs, variant_target, write_model

from harness.backends import backend_for
from harness.backends.qemu import QemuBackend, QemuOptions, qemu_command
from harness.errors import RunError, RunTimeoutError, TargetConfigError
from harness.targets import Target, load_target


@lru_cache(maxsize=1)
def _unavailable() -> str | None:
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            return f"{tool} not found (Debian: apt-get install gcc-arm-none-eabi " \
                   "libnewlib-arm-none-eabi qemu-system-arm)"
    return QemuBackend(load_target("mps2-an386")).available()


needs_qemu = pytest.mark.skipif(_unavailable() is not None, reason=_unavailable() or "")


@pytest.fixture(scope="module")
def an386() -> Target:
    return load_target("mps2-an386")


def _inputs(n: int, size: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, size), dtype=np.uint8)


# ---- configuration and commands (no tools) ---------------------------------------------


def test_registered_and_configured(an386: Target) -> None:
    backend = backend_for(an386)
    assert isinstance(backend, QemuBackend)
    assert backend._instructions_per_tick() == 40.0      # 25 MHz timer, 1 ns per instruction
    assert backend._budget_ticks() == 4_000_000_000 // 40
    options = QemuOptions.from_target(an386)
    assert (options.machine, options.icount_shift) == ("mps2-an386", 0)


def test_qemu_command_is_data(an386: Target) -> None:
    options = QemuOptions.from_target(an386)
    cmd = qemu_command(options, Path("/x/firmware.elf"), 12.5)
    assert cmd.argv == (
        "qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none",
        "-serial", "stdio", "-semihosting-config", "enable=on,target=native",
        "-icount", "shift=0,align=off,sleep=off", "-no-reboot", "-kernel", "/x/firmware.elf")
    assert cmd.timeout_s == 12.5 and cmd.stdin == b""


def test_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(TargetConfigError,
                       match="qemu: missing .the qemu backend needs a 'qemu:' section"):
        variant_target(tmp_path, "noqemu", {}, drop=("qemu",))
    with pytest.raises(TargetConfigError, match="qemu.icount_shift: expected an integer <= 10"):
        variant_target(tmp_path, "shift", {"qemu": {"icount_shift": 11}})
    dwt = variant_target(tmp_path, "dwt", {"firmware": {"counter": {"kind": "dwt"}}})
    with pytest.raises(TargetConfigError, match="does not model the DWT cycle counter"):
        QemuBackend(dwt)._instructions_per_tick()


def test_available_names_the_missing_tool(tmp_path: Path) -> None:
    target = variant_target(tmp_path, "missing", {"qemu": {"binary": "qemu-system-nope"},
                                                  "toolchain": {"cc": "nope-none-eabi-gcc"}})
    reason = QemuBackend(target).available()
    assert reason is not None and "nope-none-eabi-gcc not found" in reason
    if shutil.which("arm-none-eabi-gcc") and shutil.which("arm-none-eabi-size"):
        target = variant_target(tmp_path, "missing-qemu",
                                {"qemu": {"binary": "qemu-system-nope"}})
        assert QemuBackend(target).available() == (
            "qemu-system-nope not found: install it (Debian: apt-get install qemu-system-arm)")


# ---- fixture firmware on QEMU ----------------------------------------------------------


@pytest.mark.sim
@needs_qemu
def test_fixture_outputs_match_numpy(tmp_path: Path, an386: Target) -> None:
    backend = QemuBackend(an386)
    artifact = backend.build(write_model(tmp_path / "model"))
    assert artifact.tool_versions["qemu"].startswith("QEMU emulator version")
    x = _inputs(7)
    result = backend.run(artifact, [x])
    np.testing.assert_array_equal(result.outputs[0], expected_outputs(x))
    assert "cycles_per_inference" not in result.metrics and "latency_ms" not in result.metrics
    instr = result.metrics["instructions_per_inference"]
    assert instr.provenance == "instructions" and instr.unit == "instr" and instr.value > 0
    assert "-icount shift=0" in instr.note
    assert [(lay.index, lay.name, lay.provenance) for lay in result.layers] == [
        (0, "layer0", "instructions"), (1, "layer1", "instructions")]
    assert result.log.count("HB_RESULT") == 7 and "HB_END" in result.log
    assert result.commands[-1].argv[0] == "qemu-system-arm"
    empty = backend.run(artifact, [x[:0]])
    assert empty.outputs[0].shape == (0, 32) and empty.metrics == {}


@pytest.mark.sim
@needs_qemu
def test_instruction_counts_are_exact_to_a_tick(tmp_path: Path, an386: Target) -> None:
    backend = QemuBackend(an386)
    artifact = backend.build(write_model(tmp_path / "model", "spin"))
    first = backend.run(artifact, [_inputs(3)])
    second = backend.run(artifact, [_inputs(3, seed=1)])
    spin = first.layers[2].cycles
    # the loop is 2 instructions per iteration; the window adds the marker calls (< 20)
    assert abs(spin - 2 * SPIN_ITERATIONS) <= 40 + 20
    total = first.metrics["instructions_per_inference"].value
    assert sum(lay.cycles for lay in first.layers) <= total <= spin + 2000
    assert total == second.metrics["instructions_per_inference"].value  # deterministic


@pytest.mark.sim
@needs_qemu
def test_inputs_split_over_several_images(tmp_path: Path) -> None:
    small = variant_target(tmp_path, "small-flash", {"memory": {"flash_bytes": 16 * 1024}})
    backend = QemuBackend(small)
    artifact = backend.build(write_model(tmp_path / "model", input_bytes=4096))
    x = _inputs(7, 4096)
    result = backend.run(artifact, [x])
    np.testing.assert_array_equal(result.outputs[0], expected_outputs(x))
    runs = [c for c in result.commands if c.argv[0] == "qemu-system-arm"]
    assert len(runs) == 3  # 3 + 3 + 1 inputs
    assert result.log.count("HB_END") == 3


@pytest.mark.sim
@needs_qemu
def test_instruction_budget_stops_a_firmware_that_never_ends(tmp_path: Path) -> None:
    target = variant_target(tmp_path, "budget",
                            {"qemu": {"max_instructions_per_inference": 1_000_000}})
    backend = QemuBackend(target)
    artifact = backend.build(write_model(tmp_path / "model", "forever"))
    with pytest.raises(RunTimeoutError,
                       match=r"firmware did not print HB_END within its instruction budget: "
                             r"input 0 executed more than 1,000,000 instructions "
                             r"\(qemu.max_instructions_per_inference in budget/target.yaml\)"):
        backend.run(artifact, [_inputs(2)])


@pytest.mark.sim
@needs_qemu
def test_wall_clock_budget_kills_qemu(tmp_path: Path) -> None:
    target = variant_target(tmp_path, "wall", {"timeout_s": 2,
                                               "firmware": {"budget": {"kind": "none"}}})
    backend = QemuBackend(target)
    artifact = backend.build(write_model(tmp_path / "model", "forever"))
    with pytest.raises(RunTimeoutError,
                       match=r"firmware did not print HB_END within 2 s of wall-clock time "
                             r"\(timeout_s in wall/target.yaml\); QEMU was killed"):
        backend.run(artifact, [_inputs(1)])


@pytest.mark.sim
@needs_qemu
@pytest.mark.parametrize("behaviour, status", [("undefined-instruction", "UNDEFINSTR, FORCED"),
                                               ("bad-read", "PRECISERR, BFARVALID, FORCED")])
def test_hardfault_is_reported(tmp_path: Path, an386: Target, behaviour: str,
                               status: str) -> None:
    backend = QemuBackend(an386)
    artifact = backend.build(write_model(tmp_path / "model", behaviour))
    with pytest.raises(RunError) as err:
        backend.run(artifact, [_inputs(2)])
    message = str(err.value)
    assert not isinstance(err.value, RunTimeoutError)
    assert "firmware stopped with HardFault at pc=0x" in message
    assert "in hb_model_invoke" in message and status in message
    assert message.endswith("during input 0")


# ---- the MLPerf Tiny int8 models, bit-exact --------------------------------------------


@pytest.mark.sim
@needs_qemu
@pytest.mark.parametrize("stem", INT8_MODELS)
def test_mlperf_tiny_int8_bit_exact(stem: str) -> None:
    pytest.importorskip("harness.golden")
    from harness.bench import bench_model

    result = bench_model(model_path(stem), "mps2-an386", n_inputs=10)
    m = result.measurement
    assert m.bit_exact, f"{stem}: {m.mismatches} mismatches, max diff {m.max_abs_diff}"
    assert m.metrics["instructions_per_inference"].provenance == "instructions"
    assert "cycles_per_inference" not in m.metrics
    assert "energy_uj_per_inference" not in m.metrics
    assert len(m.layers) == len(result.artifact.model.layer_names)
    assert all(lay.provenance == "instructions" for lay in m.layers)
    assert sum(lay.cycles for lay in m.layers) <= m.metrics["instructions_per_inference"].value
    assert m.tool_versions["qemu"].startswith("QEMU emulator version")


@pytest.mark.sim
@needs_qemu
@pytest.mark.parametrize("stem", FLOAT_MODELS)
def test_mlperf_tiny_fp32_within_tolerance(stem: str) -> None:
    """The fp32 models on the FPU (they all fit the 4 MiB memory map)."""
    pytest.importorskip("harness.golden")
    from harness.bench import bench_model

    result = bench_model(model_path(stem), "mps2-an386", n_inputs=3)
    c = result.comparison
    assert c.ok, f"{stem}: max |diff| {c.max_abs_diff:g}, top-1 agreement {c.top1_agreement:.0%}"
    assert result.measurement.metrics["instructions_per_inference"].provenance == "instructions"
