"""Golden model of the ``nnx`` int8 neural-network extension.

This module is the normative definition of every nnx instruction.  It knows
nothing about the RTL: the cocotb tests compare ``rtl/nnx/hb_nnx.v`` (through
the core) against it, and the ISS (``rtl.model.iss``) uses it to emulate the
custom instructions on top of Unicorn.

All instructions are R-type on the custom-0 opcode (0x0B)::

    .insn r CUSTOM_0, funct3, funct7, rd, rs1, rs2

Values are Python ints; registers are 32-bit and passed/returned as unsigned
(0 .. 2**32-1).  Helper functions take and return *signed* int32 where noted.

Fixed-point semantics follow TFLite / gemmlowp exactly:

* ``srdhm(a, b)`` -- SaturatingRoundingDoublingHighMul: if a == b == INT32_MIN
  the result is INT32_MAX; otherwise ``ab = a * b`` (64-bit),
  ``nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)`` and the result is
  ``(ab + nudge) / 2**31`` with C (truncating) division.
* ``rdbpot(x, e)`` -- RoundingDivideByPOT: ``mask = (1 << e) - 1``,
  ``remainder = x & mask``, ``threshold = (mask >> 1) + (x < 0)``, result
  ``(x >> e) + (remainder > threshold)`` (arithmetic shift).
* ``mbqm(x, mult, shift)`` -- MultiplyByQuantizedMultiplier: with
  ``left = max(shift, 0)`` and ``right = max(-shift, 0)`` (both capped at 31)
  the result is ``rdbpot(srdhm(wrap32(x << left), mult), right)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CUSTOM_0 = 0x0B
CUSTOM_1 = 0x2B
N_ACC = 8          # accumulators of macc / vmac / racc

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1
MASK32 = 0xFFFFFFFF


def s32(x: int) -> int:
    """Interpret the low 32 bits of ``x`` as a signed int32."""
    x &= MASK32
    return x - (1 << 32) if x & 0x80000000 else x


def u32(x: int) -> int:
    """Low 32 bits of ``x`` as an unsigned value."""
    return x & MASK32


def s8(x: int) -> int:
    x &= 0xFF
    return x - 256 if x & 0x80 else x


def bytes4(x: int) -> list[int]:
    """The four signed bytes of a 32-bit word, byte 0 (LSB) first."""
    return [s8(x >> (8 * i)) for i in range(4)]


def pack4(vals) -> int:
    """Pack four int8 values (byte 0 first) into an unsigned 32-bit word."""
    return sum((int(v) & 0xFF) << (8 * i) for i, v in enumerate(vals))


def dot4(a: int, b: int) -> int:
    """sum_i sext(a.b[i]) * sext(b.b[i]) as a signed int."""
    return sum(x * y for x, y in zip(bytes4(a), bytes4(b)))


def _cdiv(n: int, d: int) -> int:
    """C99 integer division (truncation toward zero), d > 0."""
    q = abs(n) // d
    return q if n >= 0 else -q


def srdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul on signed int32 inputs -> signed int32."""
    a, b = s32(a), s32(b)
    if a == INT32_MIN and b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return s32(_cdiv(ab + nudge, 1 << 31))


def rdbpot(x: int, e: int) -> int:
    """RoundingDivideByPOT on a signed int32, 0 <= e <= 31 -> signed int32."""
    x = s32(x)
    if not 0 <= e <= 31:
        raise ValueError("exponent must be in 0..31")
    mask = (1 << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return s32((x >> e) + (1 if remainder > threshold else 0))


def mbqm(x: int, mult: int, shift: int) -> int:
    """MultiplyByQuantizedMultiplier (TFLite) -> signed int32."""
    shift = s32(shift)
    left = min(shift, 31) if shift > 0 else 0
    right = min(-shift, 31) if shift < 0 else 0
    return rdbpot(srdhm(s32(x << left), mult), right)


def requantize(acc: int, bias: int, mult: int, shift: int, zp: int,
               act_min: int = -128, act_max: int = 127) -> int:
    """The full int8 output stage of a conv/FC: signed int32 result."""
    y = s32(mbqm(s32(acc + bias), mult, shift) + zp)
    return min(max(y, s32(act_min)), s32(act_max))


# ---------------------------------------------------------------------------
# NumPy helpers (vectorised, same semantics) for kernels and tests
# ---------------------------------------------------------------------------
def srdhm_np(a, b) -> np.ndarray:
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    q = np.where(s >= 0, s >> 31, -((-s) >> 31))
    q = np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, q)
    return q.astype(np.int32)


def rdbpot_np(x, e) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(e, dtype=np.int64)
    mask = (np.int64(1) << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return ((x >> e) + (remainder > threshold)).astype(np.int32)


# ---------------------------------------------------------------------------
# instruction table
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Insn:
    name: str
    funct3: int
    funct7: int
    reads_rd: bool
    latency: int          # cycles from command to response in hb_nnx.v
    summary: str


INSNS: tuple[Insn, ...] = (
    Insn("mac4", 0, 0, True, 1, "rd + sum_i sext(rs1.b[i])*sext(rs2.b[i])"),
    Insn("dot4", 0, 1, False, 1, "sum_i sext(rs1.b[i])*sext(rs2.b[i])"),
    Insn("srdhm", 1, 0, False, 3, "SaturatingRoundingDoublingHighMul(rs1, rs2)"),
    Insn("rdbpot", 2, 0, False, 2, "RoundingDivideByPOT(rs1, rs2 & 31)"),
    Insn("requant", 3, 0, False, 3,
         "clamp(MBQM(rs1 + rs2, MULT, SHIFT) + ZP, MIN, MAX)"),
    Insn("setq", 4, 0, False, 1, "MULT = rs1, SHIFT = rs2; rd = 0"),
    Insn("setout", 5, 0, False, 1,
         "ZP = rs1, MIN = sext(rs2[15:0]), MAX = sext(rs2[31:16]); rd = 0"),
    # the accumulator bank ACC[0..7] (internal state, reset 0): dot products that
    # accumulate in place, for ports without a third operand (CFU, CV-X-IF)
    *(Insn(f"macc{k}", 6, k, False, 1, f"ACC[{k}] += sum_i sext(rs1.b[i])*sext(rs2.b[i]); rd = 0")
      for k in range(N_ACC)),
    *(Insn(f"vmac{j}", 6, 8 + j, False, 1,
           f"ACC[{4 * j}+i] += sext(rs1.b[i])*sext(rs2.b[i]) for i < 4 (per lane); rd = 0")
      for j in range(N_ACC // 4)),
    *(Insn(f"racc{k}", 7, k, False, 1, f"rd = ACC[{k}]; ACC[{k}] = 0") for k in range(N_ACC)),
)
BY_NAME = {i.name: i for i in INSNS}
BY_CODE = {(i.funct3, i.funct7): i for i in INSNS}


def implemented(funct3: int, funct7: int, bank: bool = True) -> bool:
    """Whether a custom-0 (funct3, funct7) is an nnx instruction of a unit with / without
    the accumulator bank (macc / vmac / racc: funct3 6 and 7)."""
    return (funct3, funct7) in BY_CODE and (bank or funct3 < 6)


def encode(name: str, rd: int, rs1: int, rs2: int) -> int:
    """32-bit encoding of an nnx instruction."""
    i = BY_NAME[name]
    return (i.funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (i.funct3 << 12) | (rd << 7) | CUSTOM_0


class IllegalInstruction(Exception):
    """The extension does not implement this custom instruction."""


@dataclass
class Nnx:
    """Architectural state + execution of the nnx unit.

    ``execute`` returns the value written to rd (unsigned 32-bit) or raises
    :class:`IllegalInstruction`.
    """

    mult: int = 0x40000000      # reset values match hb_nnx.v
    shift: int = 0
    zp: int = 0
    act_min: int = -128
    act_max: int = 127
    bank: bool = True           # the accumulator bank is built (hb_nnx ACC_BANK)
    acc: list = field(default_factory=lambda: [0] * N_ACC)   # unsigned 32-bit each
    trace: list = field(default_factory=list, repr=False)

    def reset(self) -> None:
        self.mult, self.shift, self.zp, self.act_min, self.act_max = 0x40000000, 0, 0, -128, 127
        self.acc = [0] * N_ACC

    def execute(self, funct3: int, funct7: int, rs1: int, rs2: int, rd: int = 0,
                opcode: int = CUSTOM_0) -> int:
        if opcode != CUSTOM_0:
            raise IllegalInstruction(f"custom opcode {opcode:#x} not implemented")
        insn = BY_CODE.get((funct3, funct7))
        if insn is None or (funct3 >= 6 and not self.bank):
            raise IllegalInstruction(f"nnx funct3={funct3} funct7={funct7} not implemented")
        rs1, rs2, rd = u32(rs1), u32(rs2), u32(rd)
        name = insn.name
        if name == "mac4":
            return u32(rd + dot4(rs1, rs2))
        if name == "dot4":
            return u32(dot4(rs1, rs2))
        if name == "srdhm":
            return u32(srdhm(rs1, rs2))
        if name == "rdbpot":
            return u32(rdbpot(rs1, rs2 & 31))
        if name == "requant":
            return u32(requantize(rs1, rs2, self.mult, self.shift, self.zp,
                                  self.act_min, self.act_max))
        if name.startswith("macc"):
            self.acc[funct7] = u32(self.acc[funct7] + dot4(rs1, rs2))
            return 0
        if name.startswith("vmac"):
            base = 4 * (funct7 - 8)
            for i, (x, y) in enumerate(zip(bytes4(rs1), bytes4(rs2))):
                self.acc[base + i] = u32(self.acc[base + i] + x * y)
            return 0
        if name.startswith("racc"):
            value, self.acc[funct7] = self.acc[funct7], 0
            return value
        if name == "setq":
            self.mult, self.shift = s32(rs1), s32(rs2)
            return 0
        # setout
        self.zp = s32(rs1)
        self.act_min = _s16(rs2)
        self.act_max = _s16(rs2 >> 16)
        return 0

    def execute_word(self, insn_word: int, rs1: int, rs2: int, rd: int = 0) -> int:
        """Execute from a raw 32-bit instruction word (register values given)."""
        return self.execute((insn_word >> 12) & 7, (insn_word >> 25) & 0x7F,
                            rs1, rs2, rd, insn_word & 0x7F)


def _s16(x: int) -> int:
    x &= 0xFFFF
    return x - 0x10000 if x & 0x8000 else x
