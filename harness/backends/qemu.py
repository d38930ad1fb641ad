"""`qemu`: the generated C as a bare-metal firmware (harness/firmware/) on a QEMU machine.

    available()  the target's compiler (with newlib), size tool and qemu-system-* are there,
                 and QEMU emulates the target's machine
    build()      firmware.build_firmware without inputs: model and runtime compiled once,
                 footprint, fit check (ModelTooLargeError)
    run()        firmware.link_firmware: the built objects relinked with the inputs compiled
                 in (several images when they do not all fit in flash), one QEMU process per
                 image:
                     qemu-system-arm -M <machine> -nographic -monitor none -serial stdio
                         -semihosting-config enable=on,target=native
                         -icount shift=<S>,align=off,sleep=off -no-reboot -kernel firmware.elf
                 outputs and counts parsed from the UART console (firmware.parse_console); the
                 firmware ends with semihosting SYS_EXIT_EXTENDED, so QEMU's exit status is
                 the firmware's (0 ok, 2 fault, 3 instruction budget).

How instructions are counted, and how exactly. With -icount, QEMU's virtual clock advances
exactly 2^S ns per guest instruction executed (S = qemu.icount_shift; align=off and sleep=off
keep it from following the host's clock). The firmware's counter is the CMSDK TIMER0, whose
clock (firmware.counter.clock_hz, 25 MHz on mps2) runs on that virtual clock, so one timer
tick is 1e9 / (clock_hz * 2^S) instructions: 40 on mps2-an386 with S = 0. The runner reads the
timer right before and after hb_model_invoke; instructions_per_inference is the mean of those
tick differences over the inputs times 40. It is deterministic (same image and inputs, same
number, on any host) and exact to one tick: each measured interval is within +-40
instructions of the true count. It includes the per-layer markers (two out-of-line calls and
two timer reads per layer, about 20 instructions). An "instruction" is one executed A32/T32
instruction as QEMU counts them (a condition-failed instruction counts; exception entry and
return do not). Per-layer counts (HB_LAYER, first input) are converted the same way and
reported as LayerMetric with provenance `instructions` (the field is named `cycles`).

QEMU models no pipeline, wait states or latencies: this backend reports no cycles (bench adds
no energy) and no latency. `repeats` has no effect: the counts are deterministic.

Budgets: per inference, qemu.max_instructions_per_inference, enforced inside the firmware by
CMSDK TIMER1 on the same virtual clock (HB_TIMEOUT line, RunTimeoutError); per QEMU process,
timeout_s of wall-clock time (QEMU killed, RunTimeoutError).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..artifacts import Artifact
from ..commands import Command, Completed, execute, tool_version, which
from ..errors import RunError, RunTimeoutError, TargetConfigError
from ..firmware import FirmwareReport, parse_console, symbol_at
from ..measure import Metric
from ..targets import Target
from .firmware_backend import FirmwareBackend
from .images import Batch, ImageRun, ImageSlice, relocate_fault

__all__ = ["QemuBackend", "QemuOptions", "qemu_command"]


@dataclass(frozen=True)
class QemuOptions:
    """The `qemu:` section of a target.yaml."""

    binary: str
    machine: str
    icount_shift: int
    max_instructions_per_inference: int
    extra_args: tuple[str, ...] = ()

    @classmethod
    def from_target(cls, target: Target) -> QemuOptions:
        """The target's checked `qemu:` section (harness/target_schema.py: QemuSpec)."""
        q = target.spec.qemu
        if q is None:
            raise TargetConfigError(f"{target.folder / 'target.yaml'}: the qemu backend needs "
                                    "'qemu: {machine: ...}'")
        return cls(q.binary, q.machine, q.icount_shift, q.max_instructions_per_inference,
                   tuple(q.extra_args))


def qemu_command(options: QemuOptions, elf: Path, timeout_s: float) -> Command:
    """The QEMU invocation for one firmware image (UART0 on stdout, no monitor, no stdin)."""
    return Command(
        (options.binary, "-M", options.machine, "-nographic", "-monitor", "none",
         "-serial", "stdio", "-semihosting-config", "enable=on,target=native",
         "-icount", f"shift={options.icount_shift},align=off,sleep=off", "-no-reboot",
         *options.extra_args, "-kernel", str(elf)),
        timeout_s=timeout_s,
        stdin=b"",
    )


class QemuBackend(FirmwareBackend):
    name = "qemu"
    layer_provenance = "instructions"

    @functools.cached_property
    def options(self) -> QemuOptions:
        return QemuOptions.from_target(self.target)

    def _options(self) -> QemuOptions:
        return self.options

    def _instructions_per_tick(self) -> float:
        """Instructions per counter tick: 1e9 / (clock_hz * 2^shift)."""
        hz = self.firmware.counter_hz(self.target.clock_hz)
        if hz is None:
            raise TargetConfigError(
                f"target {self.target.name}: the qemu backend needs a timer counter with a "
                "clock (firmware.counter: {kind: cmsdk-timer, clock_hz: ...}); QEMU does not "
                "model the DWT cycle counter")
        return 1e9 / (hz * 2 ** self.options.icount_shift)

    def _budget_ticks(self) -> int:
        ticks = math.ceil(self.options.max_instructions_per_inference
                          / self._instructions_per_tick())
        return min(max(ticks, 1), 0xFFFFFFFF)

    # -- template hooks -----------------------------------------------------------------

    def tool_problem(self) -> str | None:
        binary, machine = self.options.binary, self.options.machine
        if which(binary) is None:
            return f"{binary} not found: install it (Debian: apt-get install qemu-system-arm)"
        machines = execute(Command((binary, "-M", "help")), check=False).stdout
        if not any(line.split()[:1] == [machine] for line in machines.splitlines()):
            return (f"{binary} does not emulate machine {machine} "
                    f"({tool_version([binary, '--version'])}): install a QEMU that does")
        return None

    def budget_ticks(self) -> int | None:
        return self._budget_ticks()

    def add_build_facts(self, artifact: Artifact) -> None:
        artifact.tool_versions["qemu"] = tool_version([self.options.binary, "--version"])

    def run_image(self, piece: ImageSlice) -> ImageRun:
        cmd = qemu_command(self.options, piece.image.path, self.target.timeout_s)
        done = self._execute(cmd, piece.where)
        report = parse_console(done.stdout)
        self._check(report, done, piece, self.options)
        return ImageRun(report, done.stdout, [cmd])

    def layer_scale(self) -> float:
        return self._instructions_per_tick()

    def count_metrics(self, batch: Batch, n: int) -> dict[str, Metric]:
        if not batch.counts:
            return {}
        per_tick, shift = self._instructions_per_tick(), self.options.icount_shift
        return {"instructions_per_inference": Metric(
            float(np.mean(batch.counts)) * per_tick, "instr", "instructions",
            f"QEMU {self.options.machine} -icount shift={shift} (2^{shift} ns of virtual time "
            f"per instruction): timer ticks around hb_model_invoke x {per_tick:g} "
            f"instructions/tick, mean of {n} inputs, exact to +-{per_tick:g} per input; "
            "includes the per-layer markers")}

    # -- helpers ------------------------------------------------------------------------
    def _execute(self, cmd: Command, where: str) -> Completed:
        try:
            return execute(cmd, check=False, error=RunError)
        except RunTimeoutError as exc:
            raise RunTimeoutError(
                f"{where}: firmware did not print HB_END within {self.target.timeout_s:g} s of "
                f"wall-clock time (timeout_s in {self.target.name}/target.yaml); QEMU was "
                f"killed. {exc}") from None

    def _check(self, report: FirmwareReport, done: Completed, piece: ImageSlice,
               options: QemuOptions) -> None:
        """Raise for anything but a clean run; input indices in messages count from the
        whole batch."""
        first, n, where, image = piece.first, piece.count, piece.where, piece.image
        if report.budget is not None:
            raise RunTimeoutError(
                f"{where}: firmware did not print HB_END within its instruction budget: input "
                f"{first + report.budget.input} executed more than "
                f"{options.max_instructions_per_inference:,} instructions "
                f"(qemu.max_instructions_per_inference in {self.target.name}/target.yaml)")
        if report.fault is None and not report.ended:
            tail = " | ".join(done.stdout.strip().splitlines()[-3:])
            raise RunError(
                f"{where}: firmware did not print HB_END (QEMU exit status {done.returncode}, "
                f"{len(report.results)} of {n} results)"
                + (f"; QEMU: {done.stderr.strip()[-300:]}" if done.stderr.strip() else "")
                + (f"; last console lines: {tail[-300:]}" if tail else ""))
        relocate_fault(report, first)
        symbol = None
        if report.fault is not None and report.fault.pc is not None:
            symbol = symbol_at(self.target, image.path, report.fault.pc)
        report.check(n, image.model.output_bytes, where, symbol)
        if done.returncode != 0:
            raise RunError(f"{where}: QEMU exited with status {done.returncode} after HB_END: "
                           f"{done.stderr.strip()[-300:] or '(no message)'}")
