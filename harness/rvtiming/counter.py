"""The timing model at run time: Unicorn hooks on an rtl.model.iss.Iss that count features.

Per executed block (UC_HOOK_BLOCK, Python): its id (decoded and priced once, features.py),
+1 execution, and the outcome of the previous block's last branch (taken when this block does
not start where that one ended). At divide addresses (a code hook each) the divisor's leading
zeros; with caches (cores.py) the instruction-cache lines of each block and, per load
(UC_HOOK_MEM_READ on the RAM), the data-cache tags. Everything else is summed only when asked:
`features_before(pc)` is the count vector of all instructions executed before the one at pc
(the current block is counted when it starts, so its instructions from pc on are taken off),
`cycles_before(pc)` its weighted sum (CoreTiming).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .cache import DirectMappedCache
from .cores import CoreTiming
from .decode import decode
from .features import FEATURES, INDEX, BlockFeatures, block_features

__all__ = ["TimingCounter", "scan_code", "first_input_features"]


def scan_code(elf: Path) -> tuple[list[int], dict[int, int]]:
    """(addresses of mcycle/cycle reads, {divide address: divisor register}) in the ELF's
    executable sections (RV32IM: 4-byte instructions at 4-byte-aligned addresses)."""
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile

    cycle_reads: list[int] = []
    divides: dict[int, int] = {}
    with open(elf, "rb") as handle:
        for section in ELFFile(handle).iter_sections():
            if not section["sh_flags"] & SH_FLAGS.SHF_EXECINSTR:
                continue
            if section["sh_type"] != "SHT_PROGBITS":
                continue
            data, base = section.data(), int(section["sh_addr"])
            for offset in range(0, len(data) - 3, 4):
                word = int.from_bytes(data[offset:offset + 4], "little")
                if word & 0x7F == 0x73 and (word >> 12) & 7 == 2 and (word >> 7) & 31 \
                        and (word >> 20) in (0xB00, 0xB80, 0xC00, 0xC80):
                    cycle_reads.append(base + offset)
                elif word & 0x7F == 0x33 and word >> 25 == 1 and (word >> 12) & 7 >= 4:
                    divides[base + offset] = (word >> 20) & 31
    return cycle_reads, divides


class TimingCounter:
    """Counts the features of a run of `iss` for the core `core` (see the module doc)."""

    def __init__(self, iss: Any, core: CoreTiming, divides: dict[int, int] | None = None,
                 ram_bytes: int | None = None) -> None:
        from unicorn import UC_HOOK_BLOCK, UC_HOOK_CODE, UC_HOOK_MEM_READ

        self.iss = iss
        self.core = core
        self.ids: dict[tuple[int, int], int] = {}
        self.blocks: list[BlockFeatures] = []
        self.starts: list[int] = []
        self.lines: list[list[int]] = []
        self.execs: list[int] = []
        self.taken: list[int] = []
        self.fallthrough: list[int] = []
        self.dynamic = np.zeros(len(FEATURES), dtype=np.int64)
        self._prev = -1
        self._prev_end = -1
        self.divides = divides or {}
        self.icache = DirectMappedCache(core.icache) if core.icache else None
        self.dcache = DirectMappedCache(core.dcache) if core.dcache else None
        self.snapshots: list[np.ndarray] = []
        iss.uc.hook_add(UC_HOOK_BLOCK, self._on_block)
        for address in self.divides:
            iss.uc.hook_add(UC_HOOK_CODE, self._on_divide, begin=address, end=address)
        if self.dcache is not None:
            top = (ram_bytes or iss.ram_bytes) - 1
            iss.uc.hook_add(UC_HOOK_MEM_READ, self._on_load, begin=0, end=top)

    # -- hooks ---------------------------------------------------------------------------

    def _new_block(self, address: int, size: int) -> int:
        code = bytes(self.iss.uc.mem_read(address, size))
        insns = [decode(int.from_bytes(code[k:k + 4], "little")) for k in range(0, size, 4)]
        self.ids[(address, size)] = len(self.blocks)
        self.blocks.append(block_features(insns))
        self.starts.append(address)
        shift = self.icache.shift if self.icache else 5
        self.lines.append(list(range(address >> shift, ((address + size - 1) >> shift) + 1)))
        self.execs.append(0)
        self.taken.append(0)
        self.fallthrough.append(0)
        return len(self.blocks) - 1

    def _on_block(self, uc: Any, address: int, size: int, _data: Any) -> None:
        block = self.ids.get((address, size))
        if block is None:
            block = self._new_block(address, size)
        prev = self._prev
        if prev >= 0:
            if address == self._prev_end:
                self.fallthrough[prev] += 1
            else:
                self.taken[prev] += 1
        self.execs[block] += 1
        self._prev = block
        self._prev_end = address + size
        icache = self.icache
        if icache is not None:
            for line in self.lines[block]:
                index = line & icache.mask
                if icache.tags[index] != line:
                    icache.tags[index] = line
                    icache.misses += 1

    def _on_divide(self, uc: Any, address: int, size: int, _data: Any) -> None:
        divisor = self.iss.reg(self.divides[address])
        self.dynamic[INDEX["div_clz"]] += 32 - divisor.bit_length()

    def _on_load(self, uc: Any, _access: int, address: int, size: int, _value: int,
                 _data: Any) -> None:
        assert self.dcache is not None
        self.dcache.access(address)

    # -- sums ----------------------------------------------------------------------------

    def features(self) -> np.ndarray:
        """The counts of every instruction executed so far (the current block whole)."""
        total = self.dynamic.copy()
        if self.blocks:
            total += np.asarray(self.execs) @ np.array([b.static for b in self.blocks])
            total += np.asarray(self.taken) @ np.array([b.taken for b in self.blocks])
            total += np.asarray(self.fallthrough) @ np.array([b.fallthrough
                                                              for b in self.blocks])
        if self.icache is not None:
            total[INDEX["icache_miss"]] += self.icache.misses
        if self.dcache is not None:
            total[INDEX["dcache_miss"]] += self.dcache.misses
        return total

    def features_before(self, pc: int) -> np.ndarray:
        """The counts of the instructions executed before the one at `pc` (in the current
        block)."""
        total = self.features()
        block = self._prev
        if block >= 0:
            info = self.blocks[block]
            k = (pc - self.starts[block]) // 4
            if 0 <= k < len(info.prefix):
                total -= info.static - info.prefix[k]
        return total

    def cycles_before(self, pc: int) -> int:
        counts = self.features_before(pc)
        self.snapshots.append(counts)
        return int(round(self.core.cycles(counts)))


def _named(counts: np.ndarray) -> dict[str, int]:
    return {name: int(c) for name, c in zip(FEATURES, counts) if c}


def first_input_features(snapshots: list[np.ndarray], layers: int
                          ) -> tuple[dict[str, int], list[dict[str, int]]]:
    """The first input's counts from the mcycle reads in firmware order: before
    hb_model_invoke, begin and end of each layer, after it (targets/mcu-common/runner.c,
    markers.c); nothing if the reads do not have that shape."""
    if len(snapshots) < 2 * layers + 2:
        return {}, []
    whole = _named(snapshots[2 * layers + 1] - snapshots[0])
    per_layer = [_named(snapshots[2 + 2 * i] - snapshots[1 + 2 * i]) for i in range(layers)]
    return whole, per_layer
