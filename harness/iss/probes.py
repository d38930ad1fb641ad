"""Call probes: exact instruction and cycle counts around calls of chosen functions (e.g.
`hb_model_invoke`, `hb_layer_begin`), from code hooks at the function's entry and at each
return address seen. Only those few addresses are hooked, so the cost is per call, not per
instruction. A call is the interval from the function's first instruction to the first
instruction after it returns (the counts are taken before those instructions execute).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import unicorn
from unicorn import arm_const as U

__all__ = ["Call", "CallProbes"]

# address -> (cycles, instructions) just before the instruction at `address` executes
Position = Callable[[int], tuple[int, int]]


@dataclass(frozen=True)
class Call:
    function: str
    arg0: int               # r0 at entry (e.g. the layer index of hb_layer_begin)
    entry_instructions: int
    entry_cycles: int
    exit_instructions: int
    exit_cycles: int

    @property
    def instructions(self) -> int:
        return self.exit_instructions - self.entry_instructions

    @property
    def cycles(self) -> int:
        return self.exit_cycles - self.entry_cycles


@dataclass
class _Pending:
    function: str
    arg0: int
    return_address: int
    sp: int
    instructions: int
    cycles: int


@dataclass
class CallProbes:
    uc: unicorn.Uc
    position: Position
    calls: list[Call] = field(default_factory=list)
    _entries: dict[int, str] = field(default_factory=dict)
    _returns: set[int] = field(default_factory=set)
    _pending: list[_Pending] = field(default_factory=list)

    def watch(self, function: str, address: int) -> None:
        """Record every call of the function starting at `address` (Thumb bit ignored)."""
        address &= ~1
        if address not in self._entries:
            self._entries[address] = function
            self.uc.hook_add(unicorn.UC_HOOK_CODE, self._on_entry, None, address, address)

    def of(self, function: str) -> list[Call]:
        return [c for c in self.calls if c.function == function]

    def _on_entry(self, uc: unicorn.Uc, address: int, size: int, _data: object) -> None:
        cycles, instructions = self.position(address)
        ret = uc.reg_read(U.UC_ARM_REG_LR) & ~1
        self._pending.append(_Pending(self._entries[address], uc.reg_read(U.UC_ARM_REG_R0),
                                      ret, uc.reg_read(U.UC_ARM_REG_SP), instructions, cycles))
        if ret not in self._returns:
            # The block at the return address starts there (it follows a call) and is not
            # translated before the call returns, so a hook added now is seen by it; remove
            # any stale translation anyway.
            self._returns.add(ret)
            uc.hook_add(unicorn.UC_HOOK_CODE, self._on_return, None, ret, ret)
            uc.ctl_remove_cache(ret, ret + 2)

    def _on_return(self, uc: unicorn.Uc, address: int, size: int, _data: object) -> None:
        sp = uc.reg_read(U.UC_ARM_REG_SP)
        for k in range(len(self._pending) - 1, -1, -1):
            p = self._pending[k]
            if p.return_address == address and p.sp == sp:
                cycles, instructions = self.position(address)
                self.calls.append(Call(p.function, p.arg0, p.instructions, p.cycles,
                                       instructions, cycles))
                del self._pending[k:]
                return
