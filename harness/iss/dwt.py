"""The Cortex-M private peripheral bus (0xE0000000-0xE00FFFFF) as the firmware sees it in
the simulator: DWT CYCCNT returns the *modelled* cycle count at the reading instruction,
writes to CYCCNT set it, writes to DWT_CTRL/DEMCR/CPACR and the rest of the SCS are stored
(read back) but change nothing: the counter always runs and the FPU is always on.

Every CYCCNT read is logged (`reads`) with the exact instruction count at that point.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

__all__ = ["PPB_BASE", "PPB_SIZE", "CYCCNT", "CounterRead", "PrivatePeripherals"]

PPB_BASE = 0xE0000000
PPB_SIZE = 0x00100000
DWT_CTRL = 0xE0001000
CYCCNT = 0xE0001004
CPUID = 0xE000ED00
_CPUID_CORTEX_M4_R0P1 = 0x410FC241
_DWT_CTRL_RESET = 0x40000000  # NUMCOMP = 4, cycle counter present (NOCYCCNT = 0)
_MASK32 = 0xFFFFFFFF


@dataclass(frozen=True)
class CounterRead:
    value: int          # what the firmware read (32 bits)
    cycles: int         # modelled cycles before the reading instruction
    instructions: int   # instructions executed before the reading instruction
    pc: int


# (address, is_store) -> (cycles, instructions, pc) just before the accessing instruction
Resolver = Callable[[int, bool], tuple[int, int, int]]


@dataclass
class PrivatePeripherals:
    resolve: Resolver
    reads: list[CounterRead] = field(default_factory=list)
    _stored: dict[int, int] = field(default_factory=dict)
    _offset: int = 0    # CYCCNT = (cycles + offset) mod 2^32, set by writes to CYCCNT

    def read(self, address: int, size: int) -> int:
        if address == CYCCNT:
            cycles, instructions, pc = self.resolve(address, False)
            value = (cycles + self._offset) & _MASK32
            self.reads.append(CounterRead(value, cycles, instructions, pc))
            return value
        if address == CPUID:
            return _CPUID_CORTEX_M4_R0P1
        if address == DWT_CTRL:
            return self._stored.get(address, 0) | _DWT_CTRL_RESET
        return self._stored.get(address, 0)

    def write(self, address: int, size: int, value: int) -> None:
        if address == CYCCNT:
            cycles, _instructions, _pc = self.resolve(address, True)
            self._offset = (value - cycles) & _MASK32
            return
        self._stored[address] = value & _MASK32

