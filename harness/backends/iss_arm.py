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

import functools
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np

from ..artifacts import Artifact
from ..errors import RunError, RunTimeoutError
from ..firmware import FirmwareReport, parse_console
from ..measure import Metric
from ..target_schema import IssArmSpec
from ..targets import Target
from .firmware_backend import FirmwareBackend
from .images import Batch, ImageRun, ImageSlice, relocate_fault

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


class IssArmBackend(FirmwareBackend):
    name = "iss_arm"
    python_modules = (("unicorn", "unicorn>=2.1"), ("capstone", "capstone>=5.0"))
    layer_provenance = "iss-cycle-model"

    @functools.cached_property
    def options(self) -> IssOptions:
        return IssOptions.from_target(self.target)

    def add_build_facts(self, artifact: Artifact) -> None:
        artifact.tool_versions["unicorn"] = metadata.version("unicorn")
        artifact.tool_versions["capstone"] = metadata.version("capstone")

    def run_image(self, piece: ImageSlice) -> ImageRun:
        from ..iss import simulate

        options = self.options
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
        stats = {"calls": [c.instructions for c in sim.calls], "simulated": sim.instructions,
                 "seconds": sim.seconds}
        return ImageRun(report, "".join(log), stats=stats)

    def count_metrics(self, batch: Batch, n: int) -> dict[str, Metric]:
        counts, clock_hz = batch.counts, self.target.clock_hz
        instructions = batch.stats.get("calls", [])
        simulated, seconds = batch.stats.get("simulated", 0), batch.stats.get("seconds", 0.0)
        metrics: dict[str, Metric] = {}
        if counts:
            cycles = float(np.mean(counts))
            metrics["cycles_per_inference"] = Metric(
                cycles, "cycles", "iss-cycle-model",
                f"Cortex-M4 TRM timing model (zero-wait-state memory, taken branch 1 + P with "
                f"P = {self.options.refill}, see harness/iss/README.md): the firmware's "
                f"DWT_CYCCNT difference around hb_model_invoke, mean of {n} inputs; includes "
                "the per-layer markers")
            if clock_hz:
                metrics["latency_ms"] = Metric(
                    cycles / clock_hz * 1e3, "ms", "iss-cycle-model",
                    f"modelled cycles at {clock_hz / 1e6:g} MHz (clock_hz)")
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
        return metrics

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

