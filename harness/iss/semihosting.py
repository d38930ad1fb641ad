"""ARM semihosting (`BKPT 0xAB`, operation in r0, argument in r1, result in r0), with the
semantics QEMU gives it, so one firmware behaves the same under QEMU and this simulator.

Console operations append to the console text; `SYS_EXIT` ends the run with exit code 0 when
r1 is ADP_Stopped_ApplicationExit (0x20026) and 1 otherwise, like QEMU for 32-bit ARM;
`SYS_EXIT_EXTENDED` takes (reason, code) from the block r1 points to. The operations newlib's
rdimon start-up and stdio use (open/close/write/read/istty/seek/flen/heapinfo/cmdline/clock/
time/errno) are answered so a `--specs=rdimon.specs` build also runs; files other than the
console (":tt") cannot be opened.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Callable

from unicorn import Uc
from unicorn import arm_const as U

__all__ = ["Semihosting", "BKPT_SEMIHOSTING", "ADP_STOPPED_APPLICATION_EXIT"]

BKPT_SEMIHOSTING = 0xAB
ADP_STOPPED_APPLICATION_EXIT = 0x20026

SYS_OPEN, SYS_CLOSE, SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_READ = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
SYS_READC, SYS_ISERROR, SYS_ISTTY, SYS_SEEK, SYS_FLEN = 0x07, 0x08, 0x09, 0x0A, 0x0C
SYS_CLOCK, SYS_TIME, SYS_ERRNO, SYS_GET_CMDLINE, SYS_HEAPINFO = 0x10, 0x11, 0x13, 0x15, 0x16
SYS_EXIT, SYS_EXIT_EXTENDED, SYS_ELAPSED, SYS_TICKFREQ = 0x18, 0x20, 0x30, 0x31

_CONSOLE_HANDLES = (1, 2, 3)  # stdin, stdout, stderr as opened by newlib (":tt")
_ERROR = 0xFFFFFFFF


@dataclass
class Semihosting:
    """Serves semihosting calls for one run; `cycles()` gives the modelled cycle count."""

    cycles: Callable[[], int]
    clock_hz: int | None = None
    output: bytearray = field(default_factory=bytearray)
    exit_code: int | None = None
    calls: int = 0

    def call(self, uc: Uc) -> bool:
        """Serve the call at a BKPT 0xAB; True when the program asked to exit."""
        self.calls += 1
        op = uc.reg_read(U.UC_ARM_REG_R0)
        arg = uc.reg_read(U.UC_ARM_REG_R1)
        result = self._serve(uc, op, arg)
        if self.exit_code is not None:
            return True
        uc.reg_write(U.UC_ARM_REG_R0, result & 0xFFFFFFFF)
        return False

    def _words(self, uc: Uc, address: int, n: int) -> tuple[int, ...]:
        return struct.unpack(f"<{n}I", bytes(uc.mem_read(address, 4 * n)))

    def _string(self, uc: Uc, address: int, limit: int = 1 << 16) -> bytes:
        out = bytearray()
        while len(out) < limit:
            chunk = bytes(uc.mem_read(address + len(out), 64))
            end = chunk.find(b"\0")
            if end >= 0:
                return bytes(out + chunk[:end])
            out += chunk
        return bytes(out)

    def _serve(self, uc: Uc, op: int, arg: int) -> int:
        if op == SYS_EXIT:
            self.exit_code = 0 if arg == ADP_STOPPED_APPLICATION_EXIT else 1
            return 0
        if op == SYS_EXIT_EXTENDED:
            reason, code = self._words(uc, arg, 2)
            self.exit_code = code if reason == ADP_STOPPED_APPLICATION_EXIT else 1
            return 0
        if op == SYS_WRITEC:
            self.output += bytes(uc.mem_read(arg, 1))
            return 0
        if op == SYS_WRITE0:
            self.output += self._string(uc, arg)
            return 0
        if op == SYS_WRITE:
            handle, buf, length = self._words(uc, arg, 3)
            if handle not in _CONSOLE_HANDLES:
                return length  # nothing written
            self.output += bytes(uc.mem_read(buf, length))
            return 0
        if op == SYS_OPEN:
            name_ptr, mode, length = self._words(uc, arg, 3)
            if bytes(uc.mem_read(name_ptr, length)) != b":tt":
                return _ERROR
            return 1 if mode < 4 else (2 if mode < 8 else 3)
        if op == SYS_READ:
            _handle, _buf, length = self._words(uc, arg, 3)
            return length  # end of file: no byte read
        if op == SYS_READC:
            return _ERROR
        if op == SYS_ISTTY:
            return 1 if self._words(uc, arg, 1)[0] in _CONSOLE_HANDLES else 0
        if op in (SYS_CLOSE, SYS_SEEK, SYS_FLEN, SYS_ISERROR, SYS_ERRNO, SYS_TIME):
            return 0
        if op == SYS_CLOCK:  # centiseconds of modelled time
            return self.cycles() * 100 // self.clock_hz if self.clock_hz else 0
        if op == SYS_HEAPINFO:  # zeros: let the C library use the linker's symbols
            block = self._words(uc, arg, 1)[0]
            uc.mem_write(block, bytes(16))
            return 0
        if op == SYS_GET_CMDLINE:
            buf, _size = self._words(uc, arg, 2)
            uc.mem_write(buf, b"\0")
            uc.mem_write(arg + 4, struct.pack("<I", 0))
            return 0
        if op == SYS_ELAPSED:
            uc.mem_write(arg, struct.pack("<Q", self.cycles()))
            return 0
        if op == SYS_TICKFREQ:
            return self.clock_hz or _ERROR
        return _ERROR
