"""Faults as the Cortex-M4 would report them. Unicorn does not deliver exceptions, so the
firmware's own HardFault handler never runs; the simulator stops instead and writes the line
that handler would have printed (targets/cortex-m4/startup.c):

    HB_FAULT HardFault pc=0x........ cfsr=0x........ hfsr=0x........ input=<i>

with the fault status bits the hardware sets (BusFault/UsageFault are not enabled by the
firmware, so they escalate to HardFault: HFSR.FORCED), plus a plain `iss:` line saying what
the simulator saw.
"""
from __future__ import annotations

from dataclasses import dataclass

import unicorn

__all__ = ["Fault", "memory_fault", "exception_fault", "breakpoint_fault", "error_fault"]

_IBUSERR, _PRECISERR, _BFARVALID = 1 << 8, 1 << 9, 1 << 15
_UNDEFINSTR, _INVSTATE, _NOCP, _UNALIGNED = 1 << 16, 1 << 17, 1 << 19, 1 << 24
_FORCED, _DEBUGEVT = 1 << 30, 1 << 31
_NO_INPUT = 0xFFFFFFFF


@dataclass(frozen=True)
class Fault:
    name: str
    pc: int
    cfsr: int
    hfsr: int
    detail: str

    def console_lines(self, current_input: int | None) -> str:
        where = _NO_INPUT if current_input is None else current_input
        return (f"\niss: {self.detail}\n"
                f"HB_FAULT {self.name} pc=0x{self.pc:08x} cfsr=0x{self.cfsr:08x} "
                f"hfsr=0x{self.hfsr:08x} input={where}\n")


_ACCESS = {
    unicorn.UC_MEM_READ_UNMAPPED: ("read from unmapped address", _PRECISERR | _BFARVALID),
    unicorn.UC_MEM_WRITE_UNMAPPED: ("write to unmapped address", _PRECISERR | _BFARVALID),
    unicorn.UC_MEM_FETCH_UNMAPPED: ("instruction fetch from unmapped address", _IBUSERR),
    unicorn.UC_MEM_READ_PROT: ("read from protected address", _PRECISERR | _BFARVALID),
    unicorn.UC_MEM_WRITE_PROT: ("write to read-only address", _PRECISERR | _BFARVALID),
    unicorn.UC_MEM_FETCH_PROT: ("instruction fetch from non-executable address", _IBUSERR),
}

# QEMU's internal exception numbers (target/arm/cpu.h) as Unicorn's interrupt hook sees them.
_EXCEPTIONS = {
    1: ("undefined instruction", _UNDEFINSTR),
    2: ("SVC without a handler", 0),
    3: ("prefetch abort", _IBUSERR),
    4: ("data abort", _PRECISERR),
    17: ("coprocessor (FPU) access while disabled", _NOCP),
    18: ("invalid state (Thumb bit clear)", _INVSTATE),
    22: ("unaligned access", _UNALIGNED),
}


def memory_fault(access: int, address: int, size: int, pc: int) -> Fault:
    what, cfsr = _ACCESS.get(access, (f"invalid memory access (type {access})", _PRECISERR))
    return Fault("HardFault", pc, cfsr, _FORCED,
                 f"{what} 0x{address:08x} ({size} bytes) at pc=0x{pc:08x}")


def exception_fault(intno: int, pc: int) -> Fault:
    what, cfsr = _EXCEPTIONS.get(intno, (f"CPU exception {intno}", 0))
    return Fault("HardFault", pc, cfsr, _FORCED, f"{what} at pc=0x{pc:08x}")


def breakpoint_fault(imm: int, pc: int) -> Fault:
    return Fault("HardFault", pc, 0, _DEBUGEVT,
                 f"BKPT #{imm} at pc=0x{pc:08x} (no debugger attached)")


def error_fault(errno: int, message: str, pc: int) -> Fault:
    """A fault Unicorn reported as emu_start's error rather than through a hook."""
    if errno == unicorn.UC_ERR_INSN_INVALID:
        return Fault("HardFault", pc, _UNDEFINSTR, _FORCED,
                     f"undefined instruction at pc=0x{pc:08x}")
    return Fault("HardFault", pc, 0, _FORCED, f"{message} at pc=0x{pc:08x}")
