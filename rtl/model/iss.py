"""Functional instruction-set simulator of hb_soc: Unicorn RV32 + the nnx golden model.

Fast functional backend (no timing): the same memory map and exit protocol as
the RTL SoC, the custom-0/1 instructions emulated with :mod:`rtl.model.nnx`.

    from rtl.model.iss import run_elf
    r = run_elf("prog.elf", nnx=True)
    r.status      # "exit" | "trap" | "timeout"
    r.exit_code   # int (value written to the EXIT register), None otherwise
    r.stdout      # bytes written to PUTCHAR
    r.instret     # retired instructions (see below)

Lower level::

    iss = Iss(nnx=True, ram_bytes=4 << 20)
    iss.load_elf("prog.elf")          # or iss.load(addr, bytes)
    r = iss.run(max_instructions=10**9)
    iss.regs()                        # [x0 .. x31], unsigned
    iss.read_mem(addr, n)

Semantics and limits

* Memory: RAM at 0 .. ram_bytes-1, PUTCHAR at 0x1000_0000, EXIT at
  0x1000_0004 (a store there ends the run).  Other addresses are unmapped:
  an access ends the run with status "trap" (the RTL SoC reads 0 instead).
* Custom instructions (nnx=True): emulated from the golden model, including
  the extension's internal state (setq/setout).  With nnx=False, or for a
  funct3/funct7 the extension does not define, they are illegal instructions.
* Traps (illegal instruction, ecall, ebreak): if the program has set mtvec,
  the trap is delivered there (mepc/mcause/mtval set), otherwise the run ends
  with status "trap" and ``trap_cause`` (2 = illegal instruction), like the
  RTL core.
* ``instret`` is counted per executed translation block, corrected for the
  instructions of the final block after the exit store; it equals the RTL's
  minstret (exit store included) for programs whose path does not depend on
  mcycle.  ``max_instructions`` is checked at block granularity.
* CSR mcycle/minstret reads return Unicorn's values (not cycle-exact, not
  comparable with the RTL).
* ``quiet_csrs``: CSRs Unicorn does not have whose accesses are skipped
  (rd = 0) instead of trapping, e.g. VexRiscv's CFU enable 0xBC0 or
  mcountinhibit 0x320 that other cores' start-up code writes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from unicorn import (
    UC_ARCH_RISCV,
    UC_HOOK_BLOCK,
    UC_HOOK_INTR,
    UC_HOOK_MEM_INVALID,
    UC_HOOK_MEM_WRITE,
    UC_MODE_RISCV32,
    Uc,
    UcError,
)
from unicorn import riscv_const as R

from . import nnx as nnx_model

MMIO_BASE = 0x1000_0000
PUTCHAR_ADDR = 0x1000_0000
EXIT_ADDR = 0x1000_0004
DEFAULT_RAM_BYTES = 4 * 1024 * 1024
EM_RISCV = 243

_XREGS = [getattr(R, f"UC_RISCV_REG_X{i}") for i in range(32)]


class ElfError(ValueError):
    """The file is not a loadable 32-bit RISC-V ELF."""


@dataclass
class IssResult:
    status: str                     # "exit" | "trap" | "timeout"
    exit_code: int | None
    stdout: bytes
    instret: int
    trap_cause: int | None = None
    trap_pc: int | None = None
    trap_tval: int | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "exit" and self.exit_code == 0


def read_elf_segments(path) -> tuple[int, list[tuple[int, bytes, int]]]:
    """(entry, [(paddr, file_bytes, memsz)]) of a 32-bit little-endian RISC-V ELF."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF":
        raise ElfError(f"{path}: not an ELF file")
    if data[4] != 1 or data[5] != 1:
        raise ElfError(f"{path}: not a 32-bit little-endian ELF (class={data[4]}, data={data[5]})")
    machine = int.from_bytes(data[18:20], "little")
    if machine != EM_RISCV:
        raise ElfError(f"{path}: e_machine={machine}, need EM_RISCV ({EM_RISCV})")
    import io
    try:
        elf = ELFFile(io.BytesIO(data))
        segs = [(s["p_paddr"], s.data(), s["p_memsz"]) for s in elf.iter_segments()
                if s["p_type"] == "PT_LOAD" and s["p_memsz"] > 0]
        return elf["e_entry"], segs
    except ELFError as e:
        raise ElfError(f"{path}: {e}") from e


def _sext(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


class Iss:
    def __init__(self, *, nnx: bool = True, ram_bytes: int = DEFAULT_RAM_BYTES,
                 quiet_csrs: frozenset[int] = frozenset()):
        self.nnx_enabled = nnx
        self.quiet_csrs = quiet_csrs
        self.ram_bytes = ram_bytes
        self.nnx = nnx_model.Nnx()
        self.uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
        self.uc.mem_map(0, ram_bytes)
        self.uc.mem_map(MMIO_BASE, 0x1000)
        self.uc.hook_add(UC_HOOK_INTR, self._on_intr)
        self.uc.hook_add(UC_HOOK_MEM_WRITE, self._on_mmio_write, begin=MMIO_BASE,
                         end=MMIO_BASE + 0xFFF)
        self.uc.hook_add(UC_HOOK_BLOCK, self._on_block)
        self.uc.hook_add(UC_HOOK_MEM_INVALID, self._on_invalid_mem)
        self.entry = 0
        self._reset_run_state()

    # -- loading ------------------------------------------------------------
    def load(self, addr: int, data: bytes) -> None:
        if addr < 0 or addr + len(data) > self.ram_bytes:
            raise ElfError(f"segment [{addr:#x}, {addr + len(data):#x}) outside the RAM")
        self.uc.mem_write(addr, bytes(data))

    def load_elf(self, path) -> int:
        entry, segs = read_elf_segments(path)
        for paddr, data, memsz in segs:
            if paddr + memsz > self.ram_bytes:
                raise ElfError(f"{path}: segment [{paddr:#x}, {paddr + memsz:#x}) "
                               f"does not fit the {self.ram_bytes}-byte RAM")
            self.load(paddr, data + bytes(memsz - len(data)))
        self.entry = entry
        return entry

    # -- state access ---------------------------------------------------------
    def regs(self) -> list[int]:
        return [0] + [self.uc.reg_read(r) & 0xFFFFFFFF for r in _XREGS[1:]]

    def reg(self, i: int) -> int:
        return 0 if i == 0 else self.uc.reg_read(_XREGS[i]) & 0xFFFFFFFF

    def set_reg(self, i: int, v: int) -> None:
        if i:
            self.uc.reg_write(_XREGS[i], v & 0xFFFFFFFF)

    def read_mem(self, addr: int, n: int) -> bytes:
        return bytes(self.uc.mem_read(addr, n))

    # -- run ------------------------------------------------------------------
    def _reset_run_state(self) -> None:
        self.stdout = bytearray()
        self.instret = 0
        self.status = "timeout"
        self.exit_code = None
        self.trap = (None, None, None)
        self.message = ""
        self._last_block = (0, 0)
        self._limit = None

    def run(self, max_instructions: int | None = None, start: int | None = None) -> IssResult:
        self._reset_run_state()
        self._limit = max_instructions
        pc = self.entry if start is None else start
        try:
            self.uc.emu_start(pc, 0xFFFF_FFFF)
        except UcError as e:
            if self.status == "timeout" and not self.message:
                self.status = "trap"
                self.message = f"unicorn: {e} at pc={self.uc.reg_read(R.UC_RISCV_REG_PC):#010x}"
        if self.status == "exit":
            self._correct_final_block()
        return IssResult(self.status, self.exit_code, bytes(self.stdout), self.instret,
                         *self.trap, message=self.message)

    # -- hooks ----------------------------------------------------------------
    def _on_block(self, uc, addr, size, _ud) -> None:
        self.instret += size // 4
        self._last_block = (addr, size)
        if self._limit is not None and self.instret > self._limit:
            self.status = "timeout"
            self.message = f"instruction budget of {self._limit} exceeded"
            uc.emu_stop()

    def _on_mmio_write(self, uc, _access, addr, size, value, _ud) -> None:
        if addr == PUTCHAR_ADDR:
            self.stdout.append(value & 0xFF)
        elif addr == EXIT_ADDR and self.status != "exit":
            self.status = "exit"
            self.exit_code = _sext(value, 32) if size == 4 else value
            uc.emu_stop()

    def _on_invalid_mem(self, uc, access, addr, size, value, _ud) -> bool:
        self.status = "trap"
        self.message = f"access to unmapped address {addr:#010x}"
        self.trap = (None, None, addr)
        return False

    def _on_intr(self, uc, intno, _ud) -> None:
        # Unicorn reports the PC of the instruction *after* the faulting one
        # and resumes there if the PC is left unchanged.
        next_pc = uc.reg_read(R.UC_RISCV_REG_PC)
        pc = next_pc - 4
        word = int.from_bytes(uc.mem_read(pc, 4), "little")
        opcode = word & 0x7F
        if intno == 2 and self.nnx_enabled and opcode in (nnx_model.CUSTOM_0, nnx_model.CUSTOM_1):
            rd, rs1, rs2 = (word >> 7) & 31, (word >> 15) & 31, (word >> 20) & 31
            try:
                val = self.nnx.execute_word(word, self.reg(rs1), self.reg(rs2), self.reg(rd))
            except nnx_model.IllegalInstruction:
                pass
            else:
                self.set_reg(rd, val)
                uc.reg_write(R.UC_RISCV_REG_PC, next_pc)
                return
        if intno == 2 and opcode == 0x73 and (word >> 12) & 3 and (word >> 20) in self.quiet_csrs:
            self.set_reg((word >> 7) & 31, 0)
            uc.reg_write(R.UC_RISCV_REG_PC, next_pc)
            return
        cause = intno
        tval = word if intno == 2 else (pc if intno == 3 else 0)
        self.instret -= 1      # the trapping instruction does not retire
        mtvec = uc.reg_read(R.UC_RISCV_REG_MTVEC) & ~3
        if mtvec:
            uc.reg_write(R.UC_RISCV_REG_MEPC, pc)
            uc.reg_write(R.UC_RISCV_REG_MCAUSE, cause)
            uc.reg_write(R.UC_RISCV_REG_MTVAL, tval)
            uc.reg_write(R.UC_RISCV_REG_PC, mtvec)
            return
        self.status = "trap"
        self.trap = (cause, pc, tval)
        names = {2: "illegal instruction", 3: "ebreak", 11: "ecall", 8: "ecall"}
        self.message = f"unhandled trap: {names.get(cause, 'exception')} (mcause={cause}) at pc={pc:#010x}"
        uc.emu_stop()

    def _correct_final_block(self) -> None:
        """Do not count the final block's instructions after the exit store."""
        addr, size = self._last_block
        regs = self.regs()
        for off in range(0, size, 4):
            w = int.from_bytes(self.read_mem(addr + off, 4), "little")
            if w & 0x7F == 0x23:  # STORE
                imm = _sext(((w >> 25) << 5) | ((w >> 7) & 31), 12)
                ea = (regs[(w >> 15) & 31] + imm) & 0xFFFFFFFF
                if ea & ~3 == EXIT_ADDR:
                    self.instret -= (size - off) // 4 - 1
                    return


def run_elf(path, *, nnx: bool = True, ram_bytes: int = DEFAULT_RAM_BYTES,
            max_instructions: int | None = None) -> IssResult:
    """Load ``path`` and run it to the EXIT register (see module doc)."""
    iss = Iss(nnx=nnx, ram_bytes=ram_bytes)
    iss.load_elf(path)
    return iss.run(max_instructions=max_instructions)


def main(argv=None) -> int:
    import argparse
    import sys
    ap = argparse.ArgumentParser(description="run an hb_soc ELF on the Unicorn-based ISS")
    ap.add_argument("elf")
    ap.add_argument("--nnx", type=int, choices=(0, 1), default=1)
    ap.add_argument("--max-instructions", type=int, default=None)
    a = ap.parse_args(argv)
    try:
        r = run_elf(a.elf, nnx=bool(a.nnx), max_instructions=a.max_instructions)
    except ElfError as e:
        print(f"hb_iss: error: {e}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(r.stdout)
    if r.stdout and not r.stdout.endswith(b"\n"):
        sys.stdout.write("\n")
    print(f"HB_RESULT status={r.status} exit_code={r.exit_code if r.exit_code is not None else -1} "
          f"minstret={r.instret}")
    if r.message:
        print(f"hb_iss: {r.message}", file=sys.stderr)
    return {"exit": 0 if r.exit_code == 0 else 1, "timeout": 3, "trap": 4}[r.status]


if __name__ == "__main__":
    raise SystemExit(main())
