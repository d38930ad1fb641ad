"""Basic blocks as the simulator first sees them: decoded once with Capstone into their
instruction count (exact, from the Thumb-2 encoding lengths), their static cycles per
instruction (`timing.py`), and the few facts needed later at run time: which instructions
divide (their cost is data dependent) and how each load/store forms its address (to tell
which instruction of a block read the cycle counter).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import accumulate

import capstone
from capstone import arm_const as A
from unicorn import arm_const as U

from .timing import DEFAULT_REFILL, block_cycles, is_divide, is_load_or_store

__all__ = ["Access", "Divide", "BlockInfo", "BlockDecoder", "thumb_lengths", "uc_register"]


def uc_register(cs: capstone.Cs, reg: int) -> int:
    """The Unicorn register id of a Capstone ARM register id (r9 is 'sb', r12 'ip', ...)."""
    return int(getattr(U, "UC_ARM_REG_" + cs.reg_name(reg).upper()))


def thumb_lengths(code: bytes) -> list[int]:
    """Byte length of each Thumb instruction in `code` (32-bit when the first halfword's
    top five bits are 0b11101, 0b11110 or 0b11111)."""
    out = []
    i = 0
    while i + 1 < len(code):
        top = code[i + 1] >> 3
        n = 4 if top in (0b11101, 0b11110, 0b11111) else 2
        out.append(n)
        i += n
    return out


@dataclass(frozen=True)
class Access:
    """How one load/store of a block computes its address: base + (index << shift) + disp."""

    index: int          # position of the instruction in its block
    base: int           # Unicorn register ids (0: none)
    offset_reg: int
    shift: int
    subtract: bool
    disp: int
    is_store: bool


@dataclass(frozen=True)
class Divide:
    address: int
    signed: bool
    dividend: int       # Unicorn register ids
    divisor: int


@dataclass
class BlockInfo:
    address: int
    size: int
    addresses: list[int]              # of each instruction
    cycles: list[int]                 # static cycles of each instruction
    mnemonics: list[str]
    accesses: list[Access] = field(default_factory=list)
    divides: list[Divide] = field(default_factory=list)
    undecoded: int = 0                # instructions Capstone could not decode (costed 1)

    @property
    def instructions(self) -> int:
        return len(self.addresses)

    @property
    def total_cycles(self) -> int:
        return sum(self.cycles)

    def cycles_before(self, index: int) -> int:
        """Static cycles of the instructions before position `index`."""
        return sum(self.cycles[:index])

    def prefix(self) -> list[int]:
        return [0, *accumulate(self.cycles)]


def _ends_flow(insn: capstone.CsInsn) -> bool:
    """Whether `insn` may transfer control (a branch, call, return or write of the PC): the
    block after it is then not a plain continuation."""
    if any(insn.group(g) for g in (capstone.CS_GRP_JUMP, capstone.CS_GRP_CALL,
                                   capstone.CS_GRP_RET, capstone.CS_GRP_INT,
                                   capstone.CS_GRP_BRANCH_RELATIVE)):
        return True
    _read, written = insn.regs_access()
    return A.ARM_REG_PC in written


class BlockDecoder:
    """Capstone (Thumb, M-class, with details) plus the timing model.

    The translator also cuts blocks where no branch is (at a page boundary, after 512
    instructions). The core's pipeline does not see those cuts: a block that starts where a
    decoded block ended without a branch is priced as the continuation of that block (its
    first load pipelines behind a load at the end of the other, say), so a loop's cycles do
    not depend on where the linker put it. Blocks are priced when first decoded: a cut block
    first entered by a branch, before the block it continues was ever decoded, is priced as
    a branch target."""

    def __init__(self, refill: int = DEFAULT_REFILL) -> None:
        self.refill = refill
        self.cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
        self.cs.detail = True
        self._tails: dict[int, capstone.CsInsn] = {}   # end address -> last instruction

    def decode(self, address: int, code: bytes) -> BlockInfo:
        lengths = thumb_lengths(code)
        insns = list(self.cs.disasm(code, address))
        decoded_bytes = sum(i.size for i in insns)
        cycles = block_cycles(insns, self.refill, self._tails.get(address))
        if insns and decoded_bytes == len(code) and not _ends_flow(insns[-1]):
            self._tails[address + len(code)] = insns[-1]
        addresses = [i.address for i in insns]
        mnemonics = [f"{i.mnemonic} {i.op_str}".strip() for i in insns]
        undecoded = 0
        if decoded_bytes < len(code):  # e.g. UDF or an encoding Capstone does not know
            at = decoded_bytes
            for n in thumb_lengths(code[decoded_bytes:]):
                addresses.append(address + at)
                cycles.append(1)
                mnemonics.append(f".inst {code[at:at + n].hex()}")
                at += n
                undecoded += 1
        if len(addresses) != len(lengths):  # Capstone and the length rule disagree
            addresses = [address + sum(lengths[:k]) for k in range(len(lengths))]
            cycles = (cycles + [1] * len(lengths))[:len(lengths)]
            mnemonics = (mnemonics + ["?"] * len(lengths))[:len(lengths)]
        info = BlockInfo(address, len(code), addresses, cycles, mnemonics, undecoded=undecoded)
        for k, insn in enumerate(insns):
            if is_divide(insn) and len(insn.operands) == 3:
                info.divides.append(Divide(insn.address, insn.id == A.ARM_INS_SDIV,
                                           uc_register(self.cs, insn.operands[1].reg),
                                           uc_register(self.cs, insn.operands[2].reg)))
            elif is_load_or_store(insn):
                info.accesses.extend(self._accesses(k, insn))
        return info

    def _accesses(self, index: int, insn: capstone.CsInsn) -> list[Access]:
        out = []
        store = insn.mnemonic.startswith(("str", "vstr", "stm", "push", "vpush"))
        for op in insn.operands:
            if op.type != A.ARM_OP_MEM or op.mem.base in (0, A.ARM_REG_PC):
                continue
            out.append(Access(
                index, uc_register(self.cs, op.mem.base),
                uc_register(self.cs, op.mem.index) if op.mem.index else 0,
                op.mem.lshift, bool(op.subtracted), op.mem.disp, store))
        return out

    def divide_addresses(self, address: int, code: bytes) -> list[int]:
        """Addresses of SDIV/UDIV in a range of Thumb code (linear sweep, for pre-hooking);
        an undecodable halfword is skipped and decoding resumes after it."""
        out = []
        offset = 0
        while offset < len(code):
            for addr, size, mnemonic, _ops in self.cs.disasm_lite(code[offset:], address + offset):
                if mnemonic.startswith(("sdiv", "udiv")):
                    out.append(addr)
                offset = addr + size - address
            if offset < len(code):
                offset += 2
        return out
