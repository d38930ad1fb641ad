"""The RV32 counter CSRs in the functional ISS (rtl.model.iss.Iss) for the `iss_rv` backend:
where the firmware reads them, and the hooks that answer those reads with the ISS's exact
instruction count, or with modelled cycles when a timing model is attached (harness/rvtiming).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import RunError

__all__ = ["CounterCsrs", "counter_reads", "QUIET_CSRS"]


# Counter CSRs (low words; the high halves are these + 0x80): mcycle, minstret, cycle, instret.
_COUNTER_CSRS = (0xB00, 0xB02, 0xC00, 0xC02)
_SYSTEM = 0x73
# CSRs the start-up of other cores' targets writes that Unicorn lacks: VexRiscv's CFU enable
# (HB_CFU_ENABLE) and mcountinhibit (HB_COUNTERS_ENABLE, CV32E40X); the ISS skips them
QUIET_CSRS = frozenset({0xBC0, 0x320})
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

    def __init__(self, iss: Any, reads: dict[int, tuple[int, bool]],
                 cycles_before: Callable[[int], int] | None = None,
                 cycle_reads: Sequence[int] = ()) -> None:
        from unicorn import UC_HOOK_CODE

        self.iss = iss
        self.reads = reads
        self.cycles_before = cycles_before      # answers the reads at `cycle_reads`
        self.cycle_reads = frozenset(cycle_reads)
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
        if self.cycles_before is not None and address in self.cycle_reads:
            count = self.cycles_before(address)
        else:
            count = self.instructions_before(address)
        self._pending = (address, rd, (count >> 32 if high else count) & 0xFFFFFFFF)

    def _on_next(self, uc: Any, address: int, size: int, _data: Any) -> None:
        pending = self._pending
        if pending is not None and pending[0] + 4 == address:
            self.iss.set_reg(pending[1], pending[2])
        self._pending = None
