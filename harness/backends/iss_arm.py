"""`iss_arm`: the Cortex-M4 firmware (harness/firmware/) in hilbench's cycle-modelling
instruction-set simulator (harness/iss: Unicorn + Capstone + the Cortex-M4 TRM timing model).

    available()  unicorn and capstone importable, the target's compiler (with newlib) and
                 size tool there
    build()      firmware.build_firmware without inputs (the same runtime as the QEMU target,
                 with counter: dwt and budget: none)
    run()        firmware.link_firmware with the inputs compiled in, then harness.iss.simulate
                 in-process, one simulation per image; outputs and counts parsed from the UART
                 console (firmware.parse_console)

What is reported, and how:
- cycles_per_inference (iss-cycle-model): the firmware's own DWT_CYCCNT difference around
  hb_model_invoke (HB_RESULT), which the simulator answers with its modelled cycle count at
  the reading instruction; mean over the inputs. It includes the per-layer markers and the
  two hb_cycles() calls (a few cycles), as the same firmware would measure on silicon.
- per-layer cycles (iss-cycle-model): the firmware's HB_LAYER counts (first input).
- instructions_per_inference (instructions): exact, from a call probe on hb_model_invoke
  (its first instruction to the instruction after its return, per-layer markers included).
- latency_ms (iss-cycle-model): modelled cycles at the target's clock_hz.
- iss_instructions_per_second (wall-clock): simulated instructions per host second, for the
  whole run (start-up and console included).
Energy follows in bench from cycles and the target's energy model.

Budgets: iss.max_instructions_per_inference x inputs (plus start-up) instructions per
simulation, and timeout_s of host time (RunTimeoutError for either). `repeats` has no effect:
the counts are deterministic.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..build import Toolchain
from ..commands import Command, execute, which
from ..errors import RunError, RunTimeoutError, TargetConfigError
from ..firmware import FirmwareConfig, FirmwareReport, build_firmware, parse_console
from ..measure import Metric
from ..target_schema import IssArmSpec
from ..targets import Target
from .base import Artifact, Backend, RunResult
from .images import ImageRun, ImageSlice, relocate_fault, run_batch

__all__ = ["IssArmBackend", "IssOptions"]


_STARTUP_INSTRUCTIONS = 50_000_000     # boot, .data/.bss set-up and console per image
_INVOKE = "hb_model_invoke"


@dataclass(frozen=True)
class IssOptions:
    """The `iss:` section of a target.yaml."""

    refill: int
    max_instructions_per_inference: int
    memory_map: Any                    # harness.iss.MemoryMap (imported lazily)

    @classmethod
    def from_target(cls, target: Target) -> IssOptions:
        """The target's checked `iss:` section (harness/target_schema.py: IssArmSpec); the
        memory map is parsed by harness/iss/memory.py."""
        from ..iss import MPS2_AN386, MemoryMap

        section = target.spec.iss or IssArmSpec()
        mm = section.memory_map
        memory_map = MemoryMap.from_yaml(mm) if mm else MPS2_AN386
        return cls(section.branch_refill_cycles, section.max_instructions_per_inference,
                   memory_map)


class IssArmBackend(Backend):
    name = "iss_arm"

    def available(self) -> str | None:
        missing = [m for m in ("unicorn", "capstone") if not _importable(m)]
        if missing:
            return (f"Python package(s) {', '.join(missing)} missing: "
                    f"pip install {' '.join(missing)}")
        try:
            IssOptions.from_target(self.target)
            FirmwareConfig.from_target(self.target)
        except TargetConfigError as exc:
            return str(exc)
        tc = Toolchain.from_target(self.target)
        if which(tc.cc) is None:
            return (f"{tc.cc} not found: install it (Debian: apt-get install gcc-arm-none-eabi "
                    "libnewlib-arm-none-eabi)")
        if which(tc.size) is None:
            return f"{tc.size} not found: install binutils for the target (binutils-arm-none-eabi)"
        libc = execute(Command((tc.cc, *tc.cflags, "-print-file-name=libc_nano.a")),
                       check=False).stdout.strip()
        if not Path(libc).is_absolute():
            return (f"{tc.cc} finds no newlib-nano (libc_nano.a): install it (Debian: apt-get "
                    "install libnewlib-arm-none-eabi)")
        return None

    def build(self, model) -> Artifact:  # type: ignore[no-untyped-def]
        artifact = build_firmware(model, self.target)
        artifact.tool_versions["unicorn"] = metadata.version("unicorn")
        artifact.tool_versions["capstone"] = metadata.version("capstone")
        return artifact

    def run(self, artifact: Artifact, inputs: Sequence[np.ndarray], repeats: int = 1) -> RunResult:
        from ..iss import simulate

        n = int(inputs[0].shape[0])
        options = IssOptions.from_target(self.target)
        instructions: list[int] = []
        simulated = seconds = 0.0

        def run_image(piece: ImageSlice) -> ImageRun:
            nonlocal simulated, seconds
            budget = piece.count * options.max_instructions_per_inference + _STARTUP_INSTRUCTIONS
            try:
                sim = simulate(piece.image.path, options.memory_map, budget,
                               refill=options.refill, clock_hz=self.target.clock_hz,
                               timeout_s=self.target.timeout_s, calls=(_INVOKE,))
            except RunTimeoutError as exc:
                raise RunTimeoutError(
                    f"{piece.where}: {exc} (limits: iss.max_instructions_per_inference = "
                    f"{options.max_instructions_per_inference:,} per input and timeout_s = "
                    f"{self.target.timeout_s:g} s in {self.target.name}/target.yaml)") from None
            log = [sim.console, f"iss: {piece.image.path.name}: {sim.summary()}\n"]
            log += [f"iss: hot block 0x{b.address:08x} {b.function}: {b.executions} x "
                    f"{b.instructions} instructions, {b.cycles} cycles\n"
                    for b in sim.hot_blocks[:5]]
            report = parse_console(sim.console)
            self._check(report, sim, piece)
            instructions.extend(c.instructions for c in sim.calls)
            simulated += sim.instructions
            seconds += sim.seconds
            return ImageRun(report, "".join(log))

        batch = run_batch(artifact, inputs, run_image)
        counts = batch.counts
        metrics: dict[str, Metric] = {}
        refill = f"P = {options.refill}"
        if counts:
            cycles = float(np.mean(counts))
            metrics["cycles_per_inference"] = Metric(
                cycles, "cycles", "iss-cycle-model",
                f"Cortex-M4 TRM timing model (zero-wait-state memory, taken branch 1 + P with "
                f"{refill}, see harness/iss/README.md): the firmware's DWT_CYCCNT difference "
                f"around hb_model_invoke, mean of {n} inputs; includes the per-layer markers")
            if self.target.clock_hz:
                metrics["latency_ms"] = Metric(
                    cycles / self.target.clock_hz * 1e3, "ms", "iss-cycle-model",
                    f"modelled cycles at {self.target.clock_hz / 1e6:g} MHz (clock_hz)")
        if instructions and len(instructions) == n:
            metrics["instructions_per_inference"] = Metric(
                float(np.mean(instructions)), "instr", "instructions",
                f"exact count (Unicorn blocks, Capstone lengths) from the first instruction of "
                f"hb_model_invoke to its return, mean of {n} inputs; includes the per-layer "
                "markers")
        if seconds > 0:
            metrics["iss_instructions_per_second"] = Metric(
                simulated / seconds, "instr/s", "wall-clock",
                f"simulated instructions per host second with cycle modelling, {simulated:,.0f} "
                "instructions in all (start-up and console included)")
        return RunResult(batch.outputs, metrics, batch.layer_metrics("iss-cycle-model"),
                         batch.commands, batch.log)

    def _check(self, report: FirmwareReport, sim: Any, piece: ImageSlice) -> None:
        """Raise for anything but a clean run (input indices count from the whole batch)."""
        from ..iss import read_elf

        n, where, image = piece.count, piece.where, piece.image
        if report.fault is None and not report.ended:
            tail = " | ".join(sim.console.strip().splitlines()[-3:])
            raise RunError(f"{where}: firmware did not print HB_END (exit code "
                           f"{sim.exit_code}, {len(report.results)} of {n} results)"
                           + (f"; last console lines: {tail[-300:]}" if tail else ""))
        relocate_fault(report, piece.first)
        symbol = None
        if report.fault is not None:
            if report.fault.pc is not None:
                symbol = read_elf(image.path).function_at(report.fault.pc)
            if sim.fault is not None:
                where = f"{where}: {sim.fault.detail}"
        report.check(n, image.model.output_bytes, where, symbol)
        if sim.exit_code != 0:
            raise RunError(f"{where}: firmware exited with code {sim.exit_code} after HB_END")
        if len(sim.calls) != n:
            raise RunError(f"{where}: {len(sim.calls)} complete calls of {_INVOKE} observed "
                           f"for {n} inputs")


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True
