"""A Cortex-M4 in Unicorn (UC_ARCH_ARM, Thumb + M-class, CPU model cortex-m4, whose FPU is
usable from reset) on a board memory map, with the devices the hilbench firmware uses and
cycle modelling.

- memory: the map's RAM regions (aliases share one host buffer), loaded from the ELF's
  segments at their physical addresses; reset takes SP and PC from the vector table at 0
  like the hardware (the ELF entry point when address 0 holds no vector table).
- console: CMSDK APB UART data writes; its STATE register always reads 0 (ready). Ranges
  listed as unimplemented read as zero and ignore writes.
- private peripheral bus: `dwt.PrivatePeripherals` (modelled DWT CYCCNT).
- semihosting: `BKPT 0xAB` (`semihosting.Semihosting`); exit stops the run.
- cycles and instructions: `native.BlockCounter` per block, with static costs from
  `blocks.BlockDecoder`; SDIV/UDIV get a code hook at their addresses (found by a sweep of
  the ELF's Thumb code at load time) that adds their data-dependent cycles.
- call probes (`probes.CallProbes`): exact counts around calls of chosen functions.
- faults: an invalid memory access, an undefined instruction, any other exception or a BKPT
  other than 0xAB stop the run with a `faults.Fault`.
- budget: past `budget` instructions the run stops (`RunOutcome.stopped == "budget"`).
"""
from __future__ import annotations

import ctypes
import mmap
import struct
import time
from dataclasses import dataclass

import unicorn
from unicorn import arm_const as U

from .blocks import BlockDecoder, BlockInfo
from .dwt import PPB_BASE, PPB_SIZE, PrivatePeripherals
from .elf import ElfImage
from .faults import Fault, breakpoint_fault, error_fault, exception_fault, memory_fault
from .memory import MemoryMap
from .native import STOP_BUDGET, STOP_TABLE_FULL, BlockCounter
from .probes import CallProbes
from .semihosting import BKPT_SEMIHOSTING, Semihosting
from .timing import DEFAULT_REFILL, divide_cycles

__all__ = ["CortexM4", "RunOutcome"]

# Where the run is sent to stop: Unicorn ends emulation when it reaches emu_start's `until`
# address, before fetching there. It must be unmapped and below 0xE0000000 (higher addresses
# are eXecute-Never or EXC_RETURN values on M-profile, which fault first).
_STOP_CANDIDATES = (0x1FFFF000, 0x3FFFF000, 0x5FFFF000, 0x7FFFF000, 0x9FFFF000, 0xBFFFF000)
_UART_SPAN = 0x1000
_UART_DATA = 0x000
_EXCP_BKPT = 7


@dataclass
class RunOutcome:
    stopped: str            # "exit", "fault", "budget", "timeout"
    exit_code: int | None
    fault: Fault | None
    pc: int
    seconds: float


class CortexM4:
    def __init__(self, memory_map: MemoryMap, *, refill: int = DEFAULT_REFILL,
                 clock_hz: int | None = None) -> None:
        self.memory_map = memory_map
        self.refill = refill
        self.uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB | unicorn.UC_MODE_MCLASS)
        self.uc.ctl_set_cpu_model(U.UC_CPU_ARM_CORTEX_M4)
        self.decoder = BlockDecoder(refill)
        self.blocks: dict[int, BlockInfo] = {}          # counter slot -> decoded block
        self.console = bytearray()
        self.semihosting = Semihosting(self.cycles, clock_hz, output=self.console)
        self.ppb = PrivatePeripherals(self._resolve)
        self.probes = CallProbes(self.uc, self.position)
        self.counter: BlockCounter | None = None
        self.image: ElfImage | None = None
        self.divide_hooks: set[int] = set()
        self.late_divides: list[int] = []               # found only when first executed
        self.imprecise_reads = 0
        self.fault: Fault | None = None
        self._buffers: dict[str, mmap.mmap] = {}
        self._error: BaseException | None = None
        self._exit = False
        self._bad_access: tuple[int, int, int] | None = None
        self._last_access = (-1, -1)                    # (block instance, index) resolved
        self._map_memory()
        self.stop_address = self._unmapped_page()
        self.uc.hook_add(unicorn.UC_HOOK_INTR, self._on_interrupt)
        self.uc.hook_add(unicorn.UC_HOOK_MEM_INVALID, self._on_invalid_memory)

    # -- memory and devices ---------------------------------------------------------------

    def _map_memory(self) -> None:
        for region in self.memory_map.regions:
            if region.alias is None:
                self._buffers[region.name] = mmap.mmap(-1, region.size)
        for region in self.memory_map.regions:
            buf = self._buffers[region.alias or region.name]
            if region.size > len(buf):
                raise ValueError(f"alias {region.name} is larger than {region.alias}")
            host = ctypes.addressof(ctypes.c_char.from_buffer(buf))
            self.uc.mem_map_ptr(region.base, region.size, unicorn.UC_PROT_ALL, host)
        uart = self.memory_map.uart_base
        spans = list(self.memory_map.unimplemented)
        if not any(base <= uart < base + size for base, size in spans):
            spans.append((uart, _UART_SPAN))
        for base, size in spans:
            self.uc.mmio_map(base, size, self._peripheral_read, base, self._peripheral_write, base)
        self.uc.mmio_map(PPB_BASE, PPB_SIZE, self._ppb_read, None, self._ppb_write, None)

    def _unmapped_page(self) -> int:
        mapped = [(start, end) for start, end, _perms in self.uc.mem_regions()]
        for page in _STOP_CANDIDATES:
            if not any(start <= page <= end for start, end in mapped):
                return page
        raise ValueError("the memory map leaves no unmapped page to stop the simulation at")

    def _peripheral_read(self, uc: unicorn.Uc, offset: int, size: int, base: int) -> int:
        # UART STATE reads 0: transmit buffer never full; everything else reads as zero.
        return 0

    def _peripheral_write(self, uc: unicorn.Uc, offset: int, size: int, value: int,
                          base: int) -> None:
        if base + offset == self.memory_map.uart_base + _UART_DATA:
            self.console.append(value & 0xFF)

    def _ppb_read(self, uc: unicorn.Uc, offset: int, size: int, _data: object) -> int:
        return self.ppb.read(PPB_BASE + offset, size)

    def _ppb_write(self, uc: unicorn.Uc, offset: int, size: int, value: int,
                   _data: object) -> None:
        self.ppb.write(PPB_BASE + offset, size, value)

    # -- loading --------------------------------------------------------------------------

    def load(self, image: ElfImage) -> None:
        """Copy the ELF's segments into memory and hook its divide instructions."""
        for seg in image.segments:
            try:
                self.uc.mem_write(seg.address, seg.data)
                zero_at, zero_bytes = seg.zero_fill
                if zero_bytes:
                    self.uc.mem_write(zero_at, bytes(zero_bytes))
            except unicorn.UcError:
                raise ValueError(f"segment at 0x{seg.address:08x} ({seg.memsz} bytes) is "
                                 "outside the memory map") from None
        for start, end in image.thumb_ranges():
            try:
                code = self.read(start, end - start)
            except unicorn.UcError:
                continue
            for address in self.decoder.divide_addresses(start, code):
                self._hook_divide(address)
        self.image = image

    def write(self, address: int, data: bytes) -> None:
        self.uc.mem_write(address, data)

    def read(self, address: int, size: int) -> bytes:
        return bytes(self.uc.mem_read(address, size))

    def reset_vector(self, image: ElfImage) -> tuple[int, int]:
        """(SP, PC) from the vector table at address 0 like the hardware; when that is not a
        vector table (PC without the Thumb bit or outside the ELF's code), the ELF entry and
        the top of the last memory region."""
        sp, pc = struct.unpack("<II", self.read(0, 8))
        in_code = any(seg.executable and seg.address <= (pc & ~1) < seg.address + seg.memsz
                      for seg in image.segments)
        if pc & 1 and in_code:
            return sp, pc
        last = self.memory_map.regions[-1]
        return last.base + last.size, image.entry | 1

    def _hook_divide(self, address: int) -> None:
        if address not in self.divide_hooks:
            self.divide_hooks.add(address)
            self.uc.hook_add(unicorn.UC_HOOK_CODE, self._on_divide, None, address, address)

    # -- cycle counting -------------------------------------------------------------------

    def cycles(self) -> int:
        return int(self.counter.state.cycles) if self.counter else 0

    def instructions(self) -> int:
        return int(self.counter.state.instructions) if self.counter else 0

    def position(self, address: int) -> tuple[int, int]:
        """(cycles, instructions) just before the instruction at `address` of the block
        executing now (from a code hook or a device access made by that block)."""
        assert self.counter is not None
        s = self.counter.state
        info = self.blocks.get(s.current)
        if info is None or address not in info.addresses:
            return int(s.cycles), int(s.instructions)
        return self._before(info, info.addresses.index(address))

    def _before(self, info: BlockInfo, index: int) -> tuple[int, int]:
        assert self.counter is not None
        s = self.counter.state
        # The block's static cycles and instructions were added when it was entered; the
        # dynamic extras of divides before `index` were added as they executed.
        return (int(s.cycles) - info.total_cycles + info.cycles_before(index),
                int(s.instructions) - info.instructions + index)

    def _on_new_block(self, address: int, size: int, slot: int) -> None:
        try:
            info = self.decoder.decode(address, self.read(address, size))
            self.blocks[slot] = info
            assert self.counter is not None
            self.counter.block_insns[slot] = info.instructions
            self.counter.block_cycles[slot] = info.total_cycles
            for div in info.divides:
                if div.address not in self.divide_hooks:
                    # Not seen by the load-time sweep: hook it for later translations; this
                    # execution is charged the 2-cycle minimum.
                    self.late_divides.append(div.address)
                    self._hook_divide(div.address)
                    self.uc.ctl_remove_cache(address, address + size)
        except BaseException as exc:  # never let an exception cross the C callback
            self._error = exc
            self.uc.emu_stop()

    def _on_stop(self, reason: int) -> None:
        self.uc.emu_stop()

    def _on_divide(self, uc: unicorn.Uc, address: int, size: int, _data: object) -> None:
        assert self.counter is not None
        info = self.blocks.get(self.counter.state.current)
        div = next((d for d in info.divides if d.address == address), None) if info else None
        if div is None:
            return
        extra = divide_cycles(uc.reg_read(div.dividend), uc.reg_read(div.divisor), div.signed) - 2
        self.counter.state.cycles += extra

    def _resolve(self, address: int, is_store: bool) -> tuple[int, int, int]:
        """(cycles, instructions, pc) just before the instruction of the current block that
        accesses `address`: found by recomputing each load/store's address from the registers
        (up to date at a device access, unlike the PC), the k-th match for the k-th access
        in one execution of the block."""
        assert self.counter is not None
        s = self.counter.state
        info = self.blocks.get(s.current)
        if info is None:
            return int(s.cycles), int(s.instructions), 0
        instance = int(s.blocks)
        after = self._last_access[1] if self._last_access[0] == instance else -1
        index = None
        for acc in info.accesses:
            if acc.index <= after or acc.is_store != is_store:
                continue
            ea = self.uc.reg_read(acc.base)
            offset = (self.uc.reg_read(acc.offset_reg) << acc.shift) if acc.offset_reg else 0
            ea = (ea - offset if acc.subtract else ea + offset) + acc.disp
            if ea & 0xFFFFFFFF == address:
                index = acc.index
                break
        if index is None:
            self.imprecise_reads += 1
            index = min(after + 1, info.instructions - 1)
        self._last_access = (instance, index)
        cycles, instructions = self._before(info, index)
        return cycles, instructions, info.addresses[index]

    # -- events ---------------------------------------------------------------------------

    def _stop_here(self) -> None:
        self.uc.reg_write(U.UC_ARM_REG_PC, self.stop_address | 1)

    def _on_interrupt(self, uc: unicorn.Uc, intno: int, _data: object) -> None:
        pc = uc.reg_read(U.UC_ARM_REG_PC)
        try:
            if intno == _EXCP_BKPT:
                imm = self.read(pc, 2)
                if imm[1] == 0xBE and imm[0] == BKPT_SEMIHOSTING:
                    if not self.semihosting.call(uc):
                        uc.reg_write(U.UC_ARM_REG_PC, (pc + 2) | 1)
                        return
                    self._exit = True
                else:
                    self.fault = breakpoint_fault(imm[0], pc)
            else:
                self.fault = exception_fault(intno, pc)
        except BaseException as exc:
            self._error = exc
        self._stop_here()

    def _on_invalid_memory(self, uc: unicorn.Uc, access: int, address: int, size: int,
                           value: int, _data: object) -> bool:
        # The PC is not up to date inside this hook; Unicorn restores it to the faulting
        # instruction before emu_start returns the error, where the fault is completed.
        self._bad_access = (access, address, size)
        return False

    # -- running --------------------------------------------------------------------------

    def run(self, budget: int, timeout_s: float | None = None) -> RunOutcome:
        """Reset and run until semihosting exit, a fault, the budget or the timeout."""
        if self.image is None:
            raise ValueError("load an ELF image before running")
        sp, pc = self.reset_vector(self.image)
        self.uc.reg_write(U.UC_ARM_REG_SP, sp)
        self.uc.reg_write(U.UC_ARM_REG_MSP, sp)
        self.counter = BlockCounter(self.image.code_bytes(), self.refill, budget,
                                    self._on_new_block, self._on_stop)
        self.counter.start_at(pc)
        self.counter.attach(self.uc)
        timeout_us = int(timeout_s * 1e6) if timeout_s else 0
        start = time.perf_counter()
        try:
            self.uc.emu_start(pc | 1, self.stop_address, timeout=timeout_us)
        except unicorn.UcError as exc:
            where = self.uc.reg_read(U.UC_ARM_REG_PC)
            if self._bad_access is not None:
                self.fault = memory_fault(*self._bad_access, where)
            elif self.fault is None:
                self.fault = error_fault(exc.errno, str(exc), where)
        seconds = time.perf_counter() - start
        if self._error is not None:
            raise self._error
        state = self.counter.state
        end_pc = self.fault.pc if self.fault else self.uc.reg_read(U.UC_ARM_REG_PC)
        if self._exit:
            stopped = "exit"
        elif self.fault is not None:
            stopped = "fault"
        elif state.stopped == STOP_BUDGET:
            stopped = "budget"
        elif state.stopped == STOP_TABLE_FULL:
            raise RuntimeError(f"block table full ({self.counter.capacity} slots)")
        elif timeout_s and seconds >= timeout_s * 0.99:
            stopped = "timeout"
        else:
            stopped = "fault"
            self.fault = Fault("HardFault", end_pc, 0, 1 << 30,
                               f"emulation stopped unexpectedly at pc=0x{end_pc:08x}")
        return RunOutcome(stopped, self.semihosting.exit_code, self.fault, end_pc, seconds)
