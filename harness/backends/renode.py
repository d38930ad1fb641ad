"""`renode`: the Cortex-M firmware (harness/firmware/) in Renode 1.15.x, Antmicro's simulation
framework, on a platform description hilbench ships (targets/renode-mps2-an386/).

    available()  the target's compiler (with newlib); Renode found (`HILBENCH_RENODE`: the
                 command, or Renode.exe run under `mono`; else renode.binary on PATH) and its
                 `--version` in renode.versions (1.15: the series the platform, the C# timer
                 and the monitor commands below were written against)
    build()      firmware.build_firmware without inputs: the same image as targets/mps2-an386
                 (same `firmware:` section and budget ticks), Renode's version recorded
    run()        one Renode process per image (backends/renode_session.py), driven over its
                 standard input and output with a generated script, absolute paths:
                     renode --disable-xwt --console --plain <run.resc>
                     run.resc: using sysbus; include @<cmsdk_timer.cs>; mach create;
                       machine LoadPlatformDescription @<mps2-an386.repl>;
                       cpu PerformanceInMips 25; emulation SetGlobalQuantum "0.01";
                       emulation SetAdvanceImmediately true; sysbus LoadELF @<image>;
                       uart0 CreateFileBackend @<uart.txt> true;
                       cpu AddHook <hb_exit> "<write r0 to exit.txt>"; start
                 Renode 1.15 ignores semihosting SYS_EXIT_EXTENDED, so the hook on hb_exit
                 (its address from the ELF) reports the exit code and the run ends there.

How instructions are counted, and how exactly. Renode's virtual time advances exactly
1 / (PerformanceInMips x 1e6) s per executed instruction. The firmware's counter is TIMER0
(cmsdk_timer.cs, renode.counter_timer_hz, 25 MHz): at PerformanceInMips 25 one tick is one
instruction, and reading VALUE first calls cpu.SyncTime(), which brings virtual time to the
reading instruction. instructions_per_inference is the mean tick difference around
hb_model_invoke x (PerformanceInMips x 1e6 / counter_timer_hz) instructions per tick: exact to
one tick per input, and like mps2-an386's it includes the per-layer markers. It is the
firmware's counter, not `cpu ExecutedInstructions`, because the counter brackets the call
exactly as on QEMU and silicon, per input and per layer, in the same image. Renode models no
pipeline: no cycles (DWT_CYCCNT would follow the same virtual time: instructions, not cycles).

Budgets: per inference, renode.max_instructions_per_inference, enforced in the firmware by
TIMER1 (renode.budget_timer_hz, 625 kHz: 40 instructions per tick, as QEMU's TIMER1 under
-icount shift=0, so the ticks compiled in are mps2-an386's): HB_TIMEOUT, RunTimeoutError. Per
Renode process, timeout_s of wall-clock time: RunTimeoutError. Either way Renode's whole
process group is killed and no row is stored.
"""
from __future__ import annotations

import functools
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..artifacts import Artifact
from ..commands import Command, execute, which
from ..errors import (
    HilbenchError,
    RunError,
    RunTimeoutError,
    TargetConfigError,
    TargetUnavailableError,
)
from ..firmware import FirmwareReport, parse_console, symbol_at
from ..measure import Metric
from ..targets import Target
from .firmware_backend import FirmwareBackend
from .images import Batch, ImageRun, ImageSlice, relocate_fault
from .renode_session import SessionFiles, SessionOutcome, run_renode

__all__ = ["RenodeBackend", "RenodeOptions", "renode_command", "renode_script", "ENV"]

ENV = "HILBENCH_RENODE"
_VERSION = re.compile(r"(?<![\d.])(\d+)\.(\d+)\.(\d+)(?:\.\d+)?")
_INSTALL = ("install Renode 1.15 (Antmicro's portable package or a source build: README, "
            "'Renode') and put `renode` on PATH, or set HILBENCH_RENODE to the renode command "
            "or to Renode.exe")


@dataclass(frozen=True)
class RenodeOptions:
    """The `renode:` section of a target.yaml, with HILBENCH_RENODE applied."""

    launcher: tuple[str, ...]      # ("renode",) or ("mono", ".../Renode.exe")
    source: str                    # where the launcher came from, for messages
    versions: tuple[str, ...]
    platform: Path
    peripherals: tuple[Path, ...]
    mips: int
    counter_timer_hz: int
    budget_timer_hz: int
    quantum_s: float
    max_instructions_per_inference: int

    @classmethod
    def from_target(cls, target: Target, env: str | None = None) -> RenodeOptions:
        r = target.spec.renode
        if r is None:
            raise TargetConfigError(f"{target.folder / 'target.yaml'}: the renode backend "
                                    "needs 'renode: {platform: ..., ...}'")
        env = os.environ.get(ENV) if env is None else env
        name, source = (env, ENV) if env else (r.binary, "renode.binary in target.yaml")
        launcher = ("mono", name) if name.lower().endswith(".exe") else (name,)
        files = [target.folder / f for f in (r.platform, *r.peripherals)]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise TargetConfigError(f"target {target.name}: {missing[0]} not found "
                                    "(renode.platform / renode.peripherals)")
        return cls(launcher, source, tuple(r.versions), files[0].resolve(),
                   tuple(f.resolve() for f in files[1:]), r.performance_in_mips,
                   r.counter_timer_hz, r.budget_timer_hz, r.quantum_s,
                   r.max_instructions_per_inference)

    def per_tick(self, timer_hz: int) -> float:
        """Executed instructions per tick of a timer clocked at timer_hz Hz of virtual time."""
        return self.mips * 1e6 / timer_hz


def renode_command(options: RenodeOptions, script: Path, timeout_s: float) -> Command:
    """Renode headless, its monitor on standard input and output, running `script`."""
    return Command((*options.launcher, "--disable-xwt", "--console", "--plain", str(script)),
                   cwd=script.parent, timeout_s=timeout_s)


def renode_script(options: RenodeOptions, elf: Path, files: SessionFiles,
                  hb_exit: int) -> str:
    """The .resc for one image. Paths are absolute (Renode resolves relative ones against its
    own folder) and written unquoted, so they may hold no spaces or quotes."""
    paths = [options.platform, *options.peripherals, elf, files.uart, files.exit]
    bad = [str(p) for p in paths if not p.is_absolute() or re.search(r"[\s'\"`]", str(p))]
    if bad:
        raise RunError(f"Renode needs absolute paths without spaces or quotes: {bad[0]}")
    hook = (f"f = open('{files.exit}', 'w'); f.write('hb_exit r0=' + "
            "str(self.GetRegisterUnsafe(0).RawValue) + ' end'); f.close()")
    return "\n".join([
        "# hilbench: one firmware image (generated; harness/backends/renode.py)",
        "using sysbus",
        *[f"include @{p}" for p in options.peripherals],
        'mach create "hilbench"',
        f"machine LoadPlatformDescription @{options.platform}",
        f"cpu PerformanceInMips {options.mips}",
        f'emulation SetGlobalQuantum "{options.quantum_s:g}"',
        "emulation SetAdvanceImmediately true",
        f"sysbus LoadELF @{elf}",
        f"uart0 CreateFileBackend @{files.uart} true",
        f'cpu AddHook 0x{hb_exit:08x} "{hook}"',
        "start", ""])


class RenodeBackend(FirmwareBackend):
    name = "renode"
    layer_provenance = "instructions"

    @functools.cached_property
    def options(self) -> RenodeOptions:
        return RenodeOptions.from_target(self.target)

    @functools.cached_property
    def version(self) -> str:
        """The line of `renode --version` naming the version (TargetUnavailableError if it
        is none of renode.versions)."""
        argv = (*self.options.launcher, "--version")
        done = execute(Command(argv, timeout_s=120), check=False, error=TargetUnavailableError)
        text = (done.stdout + "\n" + done.stderr).strip()
        found = _VERSION.search(text)
        if found is None:
            raise TargetUnavailableError(
                f"{' '.join(argv)} printed no version (exit status {done.returncode}: "
                f"{text[-200:] or 'no output'}): is it Renode 1.15? {_INSTALL}")
        line = next(ln.strip() for ln in text.splitlines() if found.group(0) in ln)
        series = f"{found.group(1)}.{found.group(2)}"
        if series not in self.options.versions:
            raise TargetUnavailableError(
                f"{self.options.launcher[-1]} is Renode {found.group(0)} ({line}); target "
                f"{self.target.name} supports Renode {', '.join(self.options.versions)}.x "
                f"(renode.versions): {_INSTALL}")
        return line

    # -- template hooks -----------------------------------------------------------------

    def tool_problem(self) -> str | None:
        launcher, via = self.options.launcher, self.options.source
        if self.firmware.counter["kind"] != "cmsdk-timer":
            return (f"target {self.target.name}: the renode backend reads the firmware's "
                    "CMSDK timer (firmware.counter: {kind: cmsdk-timer, ...})")
        if launcher[0] == "mono":
            if not Path(launcher[1]).is_file():
                return f"{launcher[1]} ({via}) not found: {_INSTALL}"
            if which("mono") is None:
                return (f"{launcher[1]} ({via}) runs under Mono, and mono was not found: "
                        "install it (Debian: apt-get install mono-complete)")
        elif which(launcher[0]) is None:
            return f"{launcher[0]} ({via}) not found: {_INSTALL}"
        try:
            _ = self.version
        except HilbenchError as exc:
            return str(exc)
        return None

    def budget_ticks(self) -> int | None:
        if self.firmware.budget["kind"] != "cmsdk-timer":
            return None
        per_tick = self.options.per_tick(self.options.budget_timer_hz)
        ticks = math.ceil(self.options.max_instructions_per_inference / per_tick)
        return min(max(ticks, 1), 0xFFFFFFFF)

    def add_build_facts(self, artifact: Artifact) -> None:
        artifact.tool_versions["renode"] = self.version

    def run_image(self, piece: ImageSlice) -> ImageRun:
        files = SessionFiles(Path(tempfile.mkdtemp(prefix="hilbench-renode-")))
        try:
            hb_exit = _symbol_address(self.target, piece.image.path, "hb_exit")
            files.script.write_text(renode_script(self.options, piece.image.path.resolve(),
                                                  files, hb_exit))
            cmd = renode_command(self.options, files.script, self.target.timeout_s)
            outcome = run_renode(cmd, files, piece.where)
            report = parse_console(outcome.uart)
            self._check(report, outcome, piece)
        except HilbenchError as exc:
            raise type(exc)(f"{exc} (Renode's files kept in {files.folder})") from None
        shutil.rmtree(files.folder, ignore_errors=True)
        log = (f"{outcome.uart}renode: {piece.image.path.name}: hb_exit({outcome.exit_code}) "
               f"after {outcome.seconds:.1f} s ({self.version})\n")
        return ImageRun(report, log, [cmd], stats={"renode_seconds": outcome.seconds})

    def layer_scale(self) -> float:
        return self.options.per_tick(self.options.counter_timer_hz)

    def count_metrics(self, batch: Batch, n: int) -> dict[str, Metric]:
        if not batch.counts:
            return {}
        o = self.options
        per_tick = o.per_tick(o.counter_timer_hz)
        return {"instructions_per_inference": Metric(
            float(np.mean(batch.counts)) * per_tick, "instr", "instructions",
            f"Renode ({self.version}) at PerformanceInMips {o.mips}: the firmware's CMSDK "
            f"TIMER0 ({o.counter_timer_hz / 1e6:g} MHz of virtual time, read after "
            f"cpu.SyncTime()) around hb_model_invoke x {per_tick:g} instruction(s)/tick, mean "
            f"of {n} inputs, exact to +-{per_tick:g} per input; includes the per-layer "
            "markers")}

    def run_extra(self, batch: Batch, n: int) -> dict[str, object]:
        return {"renode_version": self.version,
                "renode_seconds": batch.stats.get("renode_seconds", 0.0)}

    # -- helpers ------------------------------------------------------------------------

    def _check(self, report: FirmwareReport, outcome: SessionOutcome,
               piece: ImageSlice) -> None:
        """Raise for anything but a clean run (input indices count from the whole batch)."""
        where, n = piece.where, piece.count
        if report.budget is not None:
            raise RunTimeoutError(
                f"{where}: firmware did not print HB_END within its instruction budget: input "
                f"{piece.first + report.budget.input} executed more than "
                f"{self.options.max_instructions_per_inference:,} instructions "
                f"(renode.max_instructions_per_inference in {self.target.name}/target.yaml); "
                "Renode was stopped")
        if report.fault is None and not report.ended:
            tail = " | ".join(outcome.uart.strip().splitlines()[-3:])
            raise RunError(f"{where}: firmware called hb_exit({outcome.exit_code}) without "
                           f"printing HB_END ({len(report.results)} of {n} results)"
                           + (f"; last console lines: {tail[-300:]}" if tail else ""))
        relocate_fault(report, piece.first)
        symbol = None
        if report.fault is not None and report.fault.pc is not None:
            symbol = symbol_at(self.target, piece.image.path, report.fault.pc)
        report.check(n, piece.image.model.output_bytes, where, symbol)
        if outcome.exit_code not in (None, 0):
            raise RunError(f"{where}: firmware printed HB_END, then hb_exit({outcome.exit_code})")


def _symbol_address(target: Target, elf: Path, name: str) -> int:
    """The address of function `name` in `elf` (Thumb bit cleared), from the target's nm."""
    cc = target.spec.toolchain.cc if target.spec.toolchain else "nm"
    nm = cc[: -len("gcc")] + "nm" if cc.endswith("gcc") else "nm"
    done = execute(Command((nm, "--defined-only", str(elf))), error=RunError)
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16) & ~1
    raise RunError(f"{elf}: no symbol {name} (the firmware's exit, where Renode's hook sits)")
