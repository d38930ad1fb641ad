"""The Cortex-M4 timing model: cycles of each instruction from the Cortex-M4 Technical
Reference Manual (ARM DDI 0439, section 3.3 "Instruction set summary" and its load/store
timing notes; chapter 7 "FPU instruction set"), for zero-wait-state memory.

`instruction_cycles(insn, prev)` is the static cost of a Capstone-decoded instruction that
follows `prev` in the same basic block (None at a block start). Two costs are dynamic and
added by the simulator, not here: the pipeline refill P of a taken branch (the simulator sees
that the next block does not start where this one ended) and the data-dependent part of
SDIV/UDIV (`divide_cycles`, from the operands at run time).

    class                                   cycles     TRM entry / note
    ALU, MOV, shifts, CMP, logic, bitfield,    1       "1"
      extend, REV/RBIT/CLZ, SSAT/USAT, QADD,
      parallel add/sub, SEL, USAD8, IT, NOP
    MUL, MLA, MLS, SMULL, UMULL, SMLAL,        1       M4: all multiplies are single-cycle
      UMLAL, UMAAL, SMLAxy, SMLAD, SMLALD,
      SMUAD, SMMLA, SMULWy, ...
    SDIV, UDIV                               2..12     "2 to 12", early termination
                                                       (static 2 + dynamic, see divide_cycles)
    LDR/LDRB/LDRH/LDRSB/LDRSH/LDREX            2       1 when pipelined after a single LDR
                                                       whose result is not its address
    STR/STRB/STRH with immediate offset        1       "STR Rx,[Ry,#imm] is always one cycle"
    STR with register offset, STREX            2       1 when pipelined after a single LDR
    LDRD, STRD                                 3       "not pipelined ... three cycles"
    LDM, STM, PUSH, POP                       1+N      N registers (PC included)
    B, BL, BX, BLX, CBZ/CBNZ, MOV/ADD to PC    1       +P when taken (dynamic)
    LDR PC, POP {..,PC}                    2 / 1+N     +P (dynamic)
    TBB, TBH                                   2       +P (dynamic)
    ISB                                       1+P      refill always (does not branch)
    DMB, DSB                                   1       B = 0 (no outstanding transfers)
    MRS, MSR, CPSID/CPSIE, SVC, BKPT, WFI      1       WFI/WFE wait W = 0
    VADD/VSUB/VMUL/VNMUL/VABS/VNEG/VCMP/       1       FPU table
      VCVT/VMOV (FP reg or immediate)/VMRS/VMSR
    VMOV between core and FP registers         2       "one float to/from one core register"
                                                       (1 for one half of a double)
    VMLA/VMLS/VNMLA/VNMLS/VFMA/VFMS/VFNMA/     3
      VFNMS
    VDIV, VSQRT                               14
    VLDR/VSTR single, double                 2, 3
    VLDM/VSTM/VPUSH/VPOP                      1+N      N words (a double register counts 2)

Intra-block dependencies (from the TRM's load/store timing notes):
- pipelining: a single LDR followed by a single LDR or a register-offset STR saves that
  second instruction one cycle, unless the second one's address uses the loaded register;
  back-to-back independent loads therefore cost N+1 for N.
- address dependency: "any load or store that generates an address dependent on the result
  of a preceding data processing operation stalls the pipeline for an additional cycle"
  (+1 when the previous instruction is a data-processing one that wrote the base or index).

Not modelled (documented approximations): wait states and bus contention (zero-wait-state
memory), the extra cycle of PC-relative loads contending with fetch, unaligned accesses
(+1/+2), IT folding, conditional instructions that fail their condition (costed as executed;
conditional branches are exact because taken/not-taken is observed), FPU result-latency
stalls between dependent VFP instructions, and hazards across a block boundary that is not
a branch (Unicorn only cuts blocks there at its translation limits).
"""
from __future__ import annotations

from capstone import CsInsn
from capstone import arm_const as A

__all__ = [
    "DEFAULT_REFILL",
    "instruction_cycles",
    "block_cycles",
    "divide_cycles",
    "is_divide",
    "is_load_or_store",
]

DEFAULT_REFILL = 2  # P for zero-wait-state memory: a taken branch costs 1 + 2 = 3 cycles

_LOAD_SINGLE = frozenset({
    A.ARM_INS_LDR, A.ARM_INS_LDRB, A.ARM_INS_LDRH, A.ARM_INS_LDRSB, A.ARM_INS_LDRSH,
    A.ARM_INS_LDRT, A.ARM_INS_LDRBT, A.ARM_INS_LDRHT, A.ARM_INS_LDRSBT, A.ARM_INS_LDRSHT,
    A.ARM_INS_LDREX, A.ARM_INS_LDREXB, A.ARM_INS_LDREXH,
})
_STORE_SINGLE = frozenset({
    A.ARM_INS_STR, A.ARM_INS_STRB, A.ARM_INS_STRH, A.ARM_INS_STRT, A.ARM_INS_STRBT,
    A.ARM_INS_STRHT,
})
_STORE_EXCLUSIVE = frozenset({A.ARM_INS_STREX, A.ARM_INS_STREXB, A.ARM_INS_STREXH})
_DUAL = frozenset({A.ARM_INS_LDRD, A.ARM_INS_STRD, A.ARM_INS_LDREXD, A.ARM_INS_STREXD})
_MULTIPLE = frozenset({
    A.ARM_INS_LDM, A.ARM_INS_LDMDB, A.ARM_INS_LDMDA, A.ARM_INS_LDMIB, A.ARM_INS_POP,
    A.ARM_INS_STM, A.ARM_INS_STMDB, A.ARM_INS_STMDA, A.ARM_INS_STMIB, A.ARM_INS_PUSH,
})
_FP_MULTIPLE = frozenset({A.ARM_INS_VLDMIA, A.ARM_INS_VLDMDB, A.ARM_INS_VSTMIA,
                          A.ARM_INS_VSTMDB, A.ARM_INS_VPUSH, A.ARM_INS_VPOP})
_FP_SINGLE = frozenset({A.ARM_INS_VLDR, A.ARM_INS_VSTR})
_FP_MAC = frozenset({A.ARM_INS_VMLA, A.ARM_INS_VMLS, A.ARM_INS_VNMLA, A.ARM_INS_VNMLS,
                     A.ARM_INS_VFMA, A.ARM_INS_VFMS, A.ARM_INS_VFNMA, A.ARM_INS_VFNMS})
_FP_LONG = frozenset({A.ARM_INS_VDIV, A.ARM_INS_VSQRT})
_DIVIDE = frozenset({A.ARM_INS_SDIV, A.ARM_INS_UDIV})
_TABLE_BRANCH = frozenset({A.ARM_INS_TBB, A.ARM_INS_TBH})
_NOT_DATA_PROCESSING = (_LOAD_SINGLE | _STORE_SINGLE | _STORE_EXCLUSIVE | _DUAL | _MULTIPLE
                        | _FP_MULTIPLE | _FP_SINGLE | _TABLE_BRANCH)

_CORE_REGS = frozenset({
    A.ARM_REG_R0, A.ARM_REG_R1, A.ARM_REG_R2, A.ARM_REG_R3, A.ARM_REG_R4, A.ARM_REG_R5,
    A.ARM_REG_R6, A.ARM_REG_R7, A.ARM_REG_R8, A.ARM_REG_R9, A.ARM_REG_R10, A.ARM_REG_R11,
    A.ARM_REG_R12, A.ARM_REG_SP, A.ARM_REG_LR,
})
_DOUBLE_REGS = frozenset(range(A.ARM_REG_D0, A.ARM_REG_D31 + 1))


def is_divide(insn: CsInsn) -> bool:
    return insn.id in _DIVIDE


def is_load_or_store(insn: CsInsn) -> bool:
    return insn.id in _NOT_DATA_PROCESSING and insn.id not in _TABLE_BRANCH


def _address_regs(insn: CsInsn) -> set[int]:
    """Registers an access's address is computed from (base, index; SP for PUSH/POP)."""
    if insn.id in (A.ARM_INS_PUSH, A.ARM_INS_POP, A.ARM_INS_VPUSH, A.ARM_INS_VPOP):
        return {A.ARM_REG_SP}
    regs: set[int] = set()
    for op in insn.operands:
        if op.type == A.ARM_OP_MEM:
            regs.update(r for r in (op.mem.base, op.mem.index) if r)
    if not regs and (insn.id in _MULTIPLE or insn.id in _FP_MULTIPLE) and insn.operands:
        regs.add(insn.operands[0].reg)  # LDM Rn!, {...}: the first operand is the base
    return regs


def _loaded_reg(insn: CsInsn) -> int:
    """Destination of a single load (its first operand)."""
    return insn.operands[0].reg if insn.operands else 0


def _has_register_offset(insn: CsInsn) -> bool:
    return any(op.type == A.ARM_OP_MEM and op.mem.index for op in insn.operands)


def _writes_core_register(insn: CsInsn) -> set[int]:
    return {r for r in insn.regs_access()[1] if r in _CORE_REGS}


def _list_words(insn: CsInsn, skip_base: bool) -> int:
    """Registers moved by LDM/STM/PUSH/POP (or words by VLDM/VSTM: a D register is 2)."""
    ops = list(insn.operands)
    if skip_base and insn.id not in (A.ARM_INS_PUSH, A.ARM_INS_POP, A.ARM_INS_VPUSH,
                                     A.ARM_INS_VPOP):
        ops = ops[1:]
    return sum(2 if op.reg in _DOUBLE_REGS else 1 for op in ops if op.type == A.ARM_OP_REG)


def _vmov_cycles(insn: CsInsn) -> int:
    core = [op for op in insn.operands if op.type == A.ARM_OP_REG and op.reg in _CORE_REGS]
    if not core:
        return 1  # FP register to FP register, or immediate
    if len(core) == 1 and any(op.type == A.ARM_OP_REG and op.reg in _DOUBLE_REGS
                              for op in insn.operands):
        return 1  # one half of a double to/from a core register
    return 2


def _base_cycles(insn: CsInsn, refill: int) -> int:
    i = insn.id
    if i in _LOAD_SINGLE:
        return 2
    if i in _STORE_SINGLE:
        return 2 if _has_register_offset(insn) else 1
    if i in _STORE_EXCLUSIVE:
        return 2
    if i in _DUAL:
        return 3
    if i in _MULTIPLE:
        return 1 + _list_words(insn, skip_base=True)
    if i in _FP_MULTIPLE:
        return 1 + _list_words(insn, skip_base=True)
    if i in _FP_SINGLE:
        return 3 if insn.operands and insn.operands[0].reg in _DOUBLE_REGS else 2
    if i in _FP_MAC:
        return 3
    if i in _FP_LONG:
        return 14
    if i == A.ARM_INS_VMOV:
        return _vmov_cycles(insn)
    if i in _DIVIDE:
        return 2  # the minimum; the simulator adds the data-dependent rest
    if i in _TABLE_BRANCH:
        return 2
    if i == A.ARM_INS_ISB:
        return 1 + refill
    return 1


def instruction_cycles(insn: CsInsn, prev: CsInsn | None, refill: int = DEFAULT_REFILL) -> int:
    """Static cycles of `insn` right after `prev` in the same block (None: block start);
    `refill` is P, used here only by ISB (taken branches get P from the simulator)."""
    cycles = _base_cycles(insn, refill)
    if prev is None or not is_load_or_store(insn):
        return cycles
    address = _address_regs(insn)
    if prev.id in _LOAD_SINGLE:
        pipelines = (insn.id in _LOAD_SINGLE or insn.id in _STORE_EXCLUSIVE
                     or (insn.id in _STORE_SINGLE and cycles == 2))
        if pipelines and _loaded_reg(prev) not in address and _loaded_reg(prev) != A.ARM_REG_PC:
            cycles -= 1
    elif prev.id not in _NOT_DATA_PROCESSING and address & _writes_core_register(prev):
        cycles += 1
    return cycles


def block_cycles(insns: list[CsInsn], refill: int = DEFAULT_REFILL,
                 before: CsInsn | None = None) -> list[int]:
    """Static cycles of each instruction of a block, in order; `before` is the instruction
    that falls through into the block's first one (None: the block is entered by a branch)."""
    out = []
    prev = before
    for insn in insns:
        out.append(instruction_cycles(insn, prev, refill))
        prev = insn
    return out


def divide_cycles(dividend: int, divisor: int, signed: bool) -> int:
    """SDIV/UDIV cycles. The TRM gives 2 to 12 with early termination "depending on the
    number of leading ones and zeros in the input operands" but not the rule; we model it
    as linear in the number of significant quotient bits q (0..32): 2 + ceil(10 q / 32),
    so a zero quotient (or a divide by zero) costs 2 and a full 32-bit quotient 12."""
    if signed:
        dividend = abs(dividend - (1 << 32) if dividend & 0x80000000 else dividend)
        divisor = abs(divisor - (1 << 32) if divisor & 0x80000000 else divisor)
    if divisor == 0 or dividend < divisor:
        return 2
    q = dividend.bit_length() - divisor.bit_length() + 1
    return 2 + -(-10 * q // 32)
