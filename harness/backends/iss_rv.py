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

Budgets: iss_rv.max_instructions_per_inference per input (plus a console allowance) per image,
RunTimeoutError when exceeded. Errors: not a 32-bit RISC-V ELF -> RunError; an unhandled trap
(mtvec = 0: illegal instruction, ecall, ebreak) or an access outside RAM and the MMIO page ->
RunError with cause, pc and function. `repeats` has no effect.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from ..artifacts import Artifact
from ..errors import RunError, RunTimeoutError, TargetConfigError
from ..firmware import FirmwareReport, parse_console, symbol_at
from ..measure import Metric
from ..target_schema import IssRvSpec
from ..targets import Target
from .firmware_backend import FirmwareBackend
from .images import Batch, ImageRun, ImageSlice
from .rv32 import describe_trap, image_budget, import_rtl

__all__ = ["IssRvBackend", "IssRvOptions", "CounterCsrs", "counter_reads"]


# Counter CSRs (low words; the high halves are these + 0x80): mcycle, minstret, cycle, instret.
_COUNTER_CSRS = (0xB00, 0xB02, 0xC00, 0xC02)
_SYSTEM = 0x73
_CSRRS = 2


def counter_reads(elf: Path) -> dict[int, tuple[int, bool]]:
    """Addresses of the counter reads (`csrrs rd, <counter>, x0`, i.e. csrr) in the ELF's
    executable sections: {address: (rd, high_half)}. RV32IM code has no compressed
    instructions, so every instruction is a 4-byte word at a 4-byte-aligned address."""
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile

    found: dict[int, tuple[int, bool]] = {}
    with open(elf, "rb") as handle:
        for section in ELFFile(handle).iter_sections():
            executable = section["sh_flags"] & SH_FLAGS.SHF_EXECINSTR
            if not executable or section["sh_type"] != "SHT_PROGBITS":
                continue
            data, base = section.data(), int(section["sh_addr"])
            for offset in range(0, len(data) - 3, 4):
                word = int.from_bytes(data[offset:offset + 4], "little")
                if word & 0x7F != _SYSTEM or (word >> 12) & 7 != _CSRRS or (word >> 15) & 31:
                    continue
                csr, rd = word >> 20, (word >> 7) & 31
                if rd and (csr in _COUNTER_CSRS or csr - 0x80 in _COUNTER_CSRS):
                    found[base + offset] = (rd, csr - 0x80 in _COUNTER_CSRS)
    return found


class CounterCsrs:
    """Answers the counter reads of a loaded rtl.model.iss.Iss with its exact instruction
    count: a code hook on each read notes the count before it, a hook on the next word
    overwrites rd with it (Unicorn has written its host-tick value by then)."""

    def __init__(self, iss: Any, reads: dict[int, tuple[int, bool]]) -> None:
        from unicorn import UC_HOOK_CODE

        self.iss = iss
        self.reads = reads
        self._pending: tuple[int, int, int] | None = None   # (address, rd, value)
        for address in reads:
            iss.uc.hook_add(UC_HOOK_CODE, self._on_read, begin=address, end=address)
            iss.uc.hook_add(UC_HOOK_CODE, self._on_next, begin=address + 4, end=address + 4)

    def instructions_before(self, pc: int) -> int:
        """Instructions executed before the one at `pc`: the ISS counts a block when it
        starts, so subtract the rest of the current block."""
        block, size = self.iss._last_block
        if not block <= pc < block + size:
            raise RunError(f"iss_rv: counter read at pc=0x{pc:08x} outside the current block "
                           f"[0x{block:08x}, 0x{block + size:08x})")
        return int(self.iss.instret) - size // 4 + (pc - block) // 4

    def _on_read(self, uc: Any, address: int, size: int, _data: Any) -> None:
        rd, high = self.reads[address]
        count = self.instructions_before(address)
        self._pending = (address, rd, (count >> 32 if high else count) & 0xFFFFFFFF)

    def _on_next(self, uc: Any, address: int, size: int, _data: Any) -> None:
        pending = self._pending
        if pending is not None and pending[0] + 4 == address:
            self.iss.set_reg(pending[1], pending[2])
        self._pending = None


@dataclass(frozen=True)
class IssRvOptions:
    """The `iss_rv:` section of a target.yaml."""

    nnx: bool
    ram_bytes: int
    max_instructions_per_inference: int

    @classmethod
    def from_target(cls, target: Target) -> IssRvOptions:
        """The target's checked `iss_rv:` section (harness/target_schema.py: IssRvSpec)."""
        section = target.spec.iss_rv or IssRvSpec()
        if target.ram_bytes is None:
            raise TargetConfigError(f"{target.folder / 'target.yaml'}: memory.ram_bytes (the "
                                    "SoC's RAM) is needed")
        return cls(bool(section.nnx), target.ram_bytes, section.max_instructions_per_inference)


@dataclass
class IssImageRun:
    report: FirmwareReport
    instructions: int
    seconds: float
    log: str


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
        return ImageRun(ran.report, ran.log,
                        stats={"executed": ran.instructions, "seconds": ran.seconds})

    def count_metrics(self, batch: Batch, n: int) -> dict[str, Metric]:
        counts = batch.instructions
        if not counts or len(counts) != n:
            return {}
        return {"instructions_per_inference": Metric(
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
        }

    # -- one image ----------------------------------------------------------------------

    def run_elf(self, elf: Path, n: int, output_bytes: int, max_instructions: int,
                where: str, first: int = 0) -> IssImageRun:
        """Run one image in a fresh ISS and check what it reports (input indices in messages
        count from `first`)."""
        iss_module = import_rtl("model.iss")
        options = self.options
        iss = iss_module.Iss(nnx=options.nnx, ram_bytes=options.ram_bytes)
        try:
            iss.load_elf(elf)
            reads = counter_reads(elf)
        except (iss_module.ElfError, OSError) as exc:
            raise RunError(f"{where}: the ISS cannot load {elf}: {exc}") from None
        except Exception as exc:  # pyelftools' ELFError and friends: a malformed file
            raise RunError(f"{where}: the ISS cannot read {elf}: {exc}") from None
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
        return IssImageRun(report, int(result.instret), seconds, console)
