"""RV32IM + Zicsr + nnx instruction words sorted into the classes the timing model prices.

`decode(word)` -> Insn: the class (a feature name of `features.py`), the destination and
source registers (for the hazards), and for a branch whether it jumps backwards (VexRiscv's
static prediction). Only what timing needs is decoded; an unknown word is class `other`.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Insn", "decode", "NNX_CLASSES", "COUNTER_CSRS"]

# custom-0 (0x0B) R-type: (funct3, funct7) -> class, as rtl/model/nnx.py's INSNS
NNX_CLASSES = {(0, 0): "nnx_mac4", (0, 1): "nnx_dot4", (1, 0): "nnx_srdhm",
               (2, 0): "nnx_rdbpot", (3, 0): "nnx_requant", (4, 0): "nnx_setq",
               (5, 0): "nnx_setout",
               **{(6, k): "nnx_macc" for k in range(8)}, (6, 8): "nnx_vmac", (6, 9): "nnx_vmac",
               **{(7, k): "nnx_racc" for k in range(8)}}
# mcycle, minstret, cycle, instret, time and their high halves: the "counter" CSRs that
# CV32E40X reads in 4 cycles (its user manual, "Cycle counts per instruction type")
COUNTER_CSRS = frozenset({0xB00, 0xB02, 0xB80, 0xB82, 0xC00, 0xC01, 0xC02,
                          0xC80, 0xC81, 0xC82})


@dataclass(frozen=True)
class Insn:
    cls: str
    rd: int = 0                     # 0: writes no register
    sources: tuple[int, ...] = ()   # registers read (x0 left out)
    backward: bool = False          # a conditional branch with a negative offset


def _srcs(*regs: int) -> tuple[int, ...]:
    return tuple(r for r in regs if r)


def decode(word: int) -> Insn:
    """The timing class of one 32-bit instruction word."""
    opcode = word & 0x7F
    rd, funct3 = (word >> 7) & 31, (word >> 12) & 7
    rs1, rs2, funct7 = (word >> 15) & 31, (word >> 20) & 31, word >> 25
    if opcode in (0x37, 0x17):                              # LUI, AUIPC
        return Insn("alu", rd)
    if opcode == 0x13:                                      # OP-IMM
        return Insn("shift" if funct3 in (1, 5) else "alu", rd, _srcs(rs1))
    if opcode == 0x33:                                      # OP
        if funct7 == 1:
            cls = "mul" if funct3 == 0 else "mulh" if funct3 < 4 else "div"
        else:
            cls = "shift" if funct3 in (1, 5) else "alu"
        return Insn(cls, rd, _srcs(rs1, rs2))
    if opcode == 0x03:
        return Insn("load", rd, _srcs(rs1))
    if opcode == 0x23:
        return Insn("store", 0, _srcs(rs1, rs2))
    if opcode == 0x63:
        return Insn("branch", 0, _srcs(rs1, rs2), backward=bool(word >> 31))
    if opcode == 0x6F:
        return Insn("jal", rd)
    if opcode == 0x67:
        return Insn("jalr", rd, _srcs(rs1))
    if opcode == 0x73 and funct3:                           # Zicsr
        cls = "csr_counter" if (word >> 20) in COUNTER_CSRS else "csr"
        return Insn(cls, rd, _srcs(rs1) if funct3 < 4 else ())
    if opcode == 0x0B and (funct3, funct7) in NNX_CLASSES:
        cls = NNX_CLASSES[(funct3, funct7)]
        return Insn(cls, rd, _srcs(rs1, rs2, rd if cls == "nnx_mac4" else 0))
    return Insn("other", 0)                                 # fence, ecall, mret, unknown
