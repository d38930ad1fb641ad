"""`iss_rv`: the generated C as an RV32 firmware in the functional ISS of hb_soc (fast, no timing).

    available()  unicorn and pyelftools import, the target's RISC-V compiler with the
                 picolibc headers and its size tool are there
    build()      firmware.build_firmware without inputs (the same firmware as the verilator
                 backend: targets/mcu-common + targets/rv32)
    run()        firmware.link_firmware with the inputs compiled in, then per image
                 rtl.model.iss.Iss (Unicorn RV32 + the nnx golden model) in this process:
                 the console is what the firmware stores to PUTCHAR

What is measured. The ISS has no timing, and Unicorn's own mcycle/minstret CSRs return host
time-stamp ticks. So this backend answers every read of a counter CSR (mcycle, minstret,
cycle, instret and their high halves) itself with the exact number of instructions executed
before the reading instruction (the ISS's per-block count, rtl.model.iss, corrected to the
instruction): the firmware's HB_INSTRET difference is the same number the RTL's minstret
gives for the same image and inputs, and its "cycle" differences (HB_RESULT, HB_LAYER) are
instructions too. instructions_per_inference (HB_INSTRET) and per-layer counts are reported
with provenance `instructions`; there is no cycles_per_inference, hence no energy.

With `iss_rv.timing: <core>` (hb_core, vexriscv, cv32e40x) the run is also priced by that
core's timing model (harness/rvtiming: per-class costs, hazards, branch outcomes, caches,
calibrated on the core's RTL): reads of mcycle/cycle are answered with the modelled cycles
before the reading instruction, so HB_RESULT and HB_LAYER are modelled cycles and
cycles_per_inference and the per-layer cycles carry provenance `iss-cycle-model`
(minstret reads stay exact instruction counts). Energy follows only if the target has an
energy model.

Budgets: iss_rv.max_instructions_per_inference per input (plus a console allowance) per image,
RunTimeoutError when exceeded. Errors: not a 32-bit RISC-V ELF -> RunError; an unhandled trap
(mtvec = 0: illegal instruction, ecall, ebreak) or an access outside RAM and the MMIO page ->
RunError with cause, pc and function. `repeats` has no effect.
"""
from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from ..artifacts import Artifact, RunResult
from ..errors import RunError, RunTimeoutError, TargetConfigError
from ..firmware import FirmwareReport, parse_console, symbol_at
from ..measure import Metric
from ..rvtiming import TimingCounter, core_timing, first_input_features, scan_code
from ..target_schema import IssRvSpec
from ..targets import Target
from .firmware_backend import FirmwareBackend
from .images import Batch, ImageRun, ImageSlice
from .rv32 import describe_trap, image_budget, import_rtl
from .rv_counters import QUIET_CSRS, CounterCsrs, counter_reads

__all__ = ["IssRvBackend", "IssRvOptions", "CounterCsrs", "counter_reads"]


@dataclass(frozen=True)
class IssRvOptions:
    """The `iss_rv:` section of a target.yaml."""

    nnx: bool
    ram_bytes: int
    max_instructions_per_inference: int
    timing: str | None = None       # the core whose timing model prices the run

    @classmethod
    def from_target(cls, target: Target) -> IssRvOptions:
        """The target's checked `iss_rv:` section (harness/target_schema.py: IssRvSpec)."""
        section = target.spec.iss_rv or IssRvSpec()
        if target.ram_bytes is None:
            raise TargetConfigError(f"{target.folder / 'target.yaml'}: memory.ram_bytes (the "
                                    "SoC's RAM) is needed")
        if section.timing is not None:
            core_timing(section.timing)
        return cls(bool(section.nnx), target.ram_bytes, section.max_instructions_per_inference,
                   section.timing)


@dataclass
class IssImageRun:
    report: FirmwareReport
    instructions: int
    seconds: float
    log: str
    # with a timing model: the first input's feature counts, whole inference and per layer
    features: dict[str, int] = field(default_factory=dict)
    layer_features: list[dict[str, int]] = field(default_factory=list)


class IssRvBackend(FirmwareBackend):
    name = "iss_rv"
    python_modules = (("unicorn", "unicorn>=2.1"), ("elftools", "pyelftools>=0.31"))
    layer_provenance = "instructions"

    @functools.cached_property
    def options(self) -> IssRvOptions:
        return IssRvOptions.from_target(self.target)

    def _options(self) -> IssRvOptions:
        return self.options

    # -- template hooks -----------------------------------------------------------------

    def tool_problem(self) -> str | None:
        try:
            import_rtl("model.iss")
        except ImportError as exc:
            return f"the ISS (rtl/model/iss.py next to harness/) cannot be imported: {exc}"
        return None

    def add_build_facts(self, artifact: Artifact) -> None:
        artifact.tool_versions["unicorn"] = version("unicorn")

    def run_image(self, piece: ImageSlice) -> ImageRun:
        model = piece.image.model
        budget = image_budget(self.options.max_instructions_per_inference, piece.count,
                              model.output_bytes, len(model.layer_names))
        ran = self.run_elf(piece.image.path, piece.count, model.output_bytes, budget,
                           piece.where, first=piece.first)
        stats: dict[str, Any] = {"executed": ran.instructions, "seconds": ran.seconds}
        if piece.first == 0 and ran.features:
            stats["timing_features"] = ran.features
            stats["timing_layer_features"] = ran.layer_features
        return ImageRun(ran.report, ran.log, stats=stats)

    def count_metrics(self, batch: Batch, n: int) -> dict[str, Metric]:
        metrics: dict[str, Metric] = {}
        timing = self.options.timing
        if timing is not None and batch.counts and len(batch.counts) == n:
            core = core_timing(timing)
            metrics["cycles_per_inference"] = Metric(
                float(np.mean(batch.counts)), "cycles", "iss-cycle-model",
                f"{core.description} (harness/rvtiming): modelled mcycle difference around "
                f"hb_model_invoke, mean of {n} inputs; includes the per-layer markers")
        counts = batch.instructions
        if not counts or len(counts) != n:
            return metrics
        return {**metrics, "instructions_per_inference": Metric(
            float(np.mean(counts)), "instr", "instructions",
            f"functional ISS (Unicorn RV32, nnx={int(self.options.nnx)}): exact instruction "
            f"count between the firmware's minstret reads around hb_model_invoke, mean of "
            f"{n} inputs; includes the markers and two mcycle reads")}

    def run_extra(self, batch: Batch, n: int) -> dict[str, Any]:
        executed = batch.stats.get("executed", 0)
        seconds = batch.stats.get("seconds", 0.0)
        return {
            "iss_instructions": executed,
            "iss_seconds": round(seconds, 6),
            "iss_instructions_per_second": round(executed / seconds) if seconds > 0 else None,
            "instructions_per_input": batch.instructions,
            **({"timing_core": self.options.timing,
                "timing_features": batch.stats.get("timing_features", {}),
                "timing_layer_features": batch.stats.get("timing_layer_features", [])}
               if self.options.timing else {}),
        }

    def run(self, artifact: Artifact, inputs: Sequence[np.ndarray], repeats: int = 1
            ) -> RunResult:
        result = super().run(artifact, inputs, repeats)
        if self.options.timing is not None:   # HB_LAYER counts are modelled cycles
            result.layers = [replace(layer, provenance="iss-cycle-model")
                             for layer in result.layers]
        return result

    # -- one image ----------------------------------------------------------------------

    def run_elf(self, elf: Path, n: int, output_bytes: int, max_instructions: int,
                where: str, first: int = 0) -> IssImageRun:
        """Run one image in a fresh ISS and check what it reports (input indices in messages
        count from `first`)."""
        iss_module = import_rtl("model.iss")
        options = self.options
        iss = iss_module.Iss(nnx=options.nnx, ram_bytes=options.ram_bytes,
                             quiet_csrs=QUIET_CSRS)
        try:
            iss.load_elf(elf)
            reads = counter_reads(elf)
        except (iss_module.ElfError, OSError) as exc:
            raise RunError(f"{where}: the ISS cannot load {elf}: {exc}") from None
        except Exception as exc:  # pyelftools' ELFError and friends: a malformed file
            raise RunError(f"{where}: the ISS cannot read {elf}: {exc}") from None
        timer = None
        if options.timing is not None:
            cycle_reads, divides = scan_code(elf)
            timer = TimingCounter(iss, core_timing(options.timing), divides, options.ram_bytes)
            CounterCsrs(iss, reads, timer.cycles_before, cycle_reads)
        else:
            CounterCsrs(iss, reads)
        began = time.monotonic()
        result = iss.run(max_instructions=max_instructions)
        seconds = time.monotonic() - began
        console = result.stdout.decode("utf-8", "replace")
        report = parse_console(console)
        during = (f"during input {first + len(report.results)}" if len(report.results) < n
                  else "after the last input")
        if result.status == "timeout":
            raise RunTimeoutError(
                f"{where}: firmware did not exit within {max_instructions:,} instructions "
                f"(stopped {during}; budget: iss_rv.max_instructions_per_inference in "
                f"{self.target.name}/target.yaml per input, plus an allowance for the console)")
        if result.status == "trap":
            if result.trap_cause is None:
                raise RunError(f"{where}: the ISS stopped {during}: {result.message}")
            pc = result.trap_pc
            symbol = symbol_at(self.target, elf, pc) if pc is not None else None
            trap = describe_trap(result.trap_cause, pc, result.trap_tval, symbol)
            raise RunError(f"{where}: unhandled {trap} {during}")
        if result.exit_code != 0:
            raise RunError(f"{where}: firmware exited with code {result.exit_code} {during}")
        report.check(n, output_bytes, where)
        ran = IssImageRun(report, int(result.instret), seconds, console)
        if timer is not None:
            ran.features, ran.layer_features = first_input_features(timer.snapshots,
                                                                     len(report.layers))
        return ran
