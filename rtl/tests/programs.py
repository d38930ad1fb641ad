"""Directed test programs for hb_core, one list per instruction class.

Each case is assembled at address 0 (see rtl.sw.build.assemble).  The
PROLOGUE clears x1..x31 and the EPILOGUE writes 0 to the EXIT register
(clobbering x31), so ``expect`` may name any register but x31.
Expected values are written out here, independently of the RTL and the ISS.
"""
from __future__ import annotations

from dataclasses import dataclass, field

M = 0xFFFFFFFF
INT_MIN = 0x80000000

PROLOGUE = "\n".join(f"    li x{i}, 0" for i in range(1, 32)) + "\n"
EPILOGUE = """
    li x31, 0x10000004
    sw x0, 0(x31)
1:  j 1b
"""
DATA = 0x1000   # scratch data area used by the load/store cases


@dataclass
class Case:
    name: str
    asm: str
    expect: dict = field(default_factory=dict)        # reg -> value (unsigned 32)
    status: str = "exit"                               # or "trap"
    trap_cause: int | None = None
    mem: dict = field(default_factory=dict)            # addr -> bytes expected

    def source(self) -> str:
        return PROLOGUE + self.asm + EPILOGUE


def u(x: int) -> int:
    return x & M


def s(x: int) -> int:
    x &= M
    return x - (1 << 32) if x >> 31 else x


A, B = 0x12345678, u(-5)

ALU = [
    Case("alu_rr", f"""
    li x1, {A:#x}
    li x2, -5
    add x3, x1, x2
    sub x4, x1, x2
    xor x5, x1, x2
    or  x6, x1, x2
    and x7, x1, x2
    slt x8, x2, x1
    sltu x9, x2, x1
    slt x10, x1, x2
    sltu x11, x1, x2
    add x0, x1, x1
    sub x12, x2, x1
""", {1: A, 2: B, 3: u(A + s(B)), 4: u(A - s(B)), 5: A ^ B, 6: A | B, 7: A & B,
          8: 1, 9: 0, 10: 0, 11: 1, 0: 0, 12: u(s(B) - A)}),
    Case("alu_imm", f"""
    li x1, {A:#x}
    li x2, -5
    addi x3, x1, -1
    addi x4, x1, 2047
    slti x5, x2, -4
    slti x6, x2, -5
    sltiu x7, x1, -1
    sltiu x8, x2, 5
    xori x9, x1, -1
    ori x10, x1, 0x0F0
    andi x11, x1, -256
    lui x12, 0xABCDE
    auipc x13, 0
    auipc x14, 1
    sub x15, x14, x13
    lui x16, 0x80000
    addi x16, x16, -1
""", {3: A - 1, 4: A + 2047, 5: 1, 6: 0, 7: 1, 8: 0, 9: A ^ M, 10: A | 0xF0, 11: A & u(-256),
          12: 0xABCDE000, 15: 0x1004, 16: 0x7FFFFFFF}),
]

SHIFTS = [
    Case("shifts", """
    li x1, 0x80000F01
    li x2, 33
    li x3, 31
    sll x4, x1, x2
    srl x5, x1, x2
    sra x6, x1, x2
    sll x7, x1, x3
    srl x8, x1, x3
    sra x9, x1, x3
    slli x10, x1, 4
    srli x11, x1, 4
    srai x12, x1, 4
    slli x13, x1, 0
    srai x14, x1, 31
    li x15, 0x7FFFFFFF
    srai x16, x15, 30
    sra x17, x15, x0
""", {4: 0x00001E02, 5: 0x40000780, 6: 0xC0000780, 7: 0x80000000, 8: 1, 9: M,
          10: 0x0000F010, 11: 0x080000F0, 12: 0xF80000F0, 13: 0x80000F01, 14: M,
          16: 1, 17: 0x7FFFFFFF}),
]

BRANCHES = [
    Case("branches", """
    li x1, -1
    li x2, 1
    li x5, 0
    beq x1, x1, 1f
    ori x5, x5, 1
1:  beq x1, x2, 2f
    ori x5, x5, 2
2:  bne x1, x2, 3f
    ori x5, x5, 4
3:  bne x2, x2, 4f
    ori x5, x5, 8
4:  blt x1, x2, 5f
    ori x5, x5, 16
5:  blt x2, x1, 6f
    ori x5, x5, 32
6:  bge x2, x1, 7f
    ori x5, x5, 64
7:  bge x1, x2, 8f
    ori x5, x5, 128
8:  bltu x2, x1, 9f
    ori x5, x5, 256
9:  bltu x1, x2, 10f
    ori x5, x5, 512
10: bgeu x1, x2, 11f
    ori x5, x5, 1024
11: bgeu x2, x1, 12f
    ori x8, x8, 1
12: bge x1, x1, 13f
    ori x8, x8, 2
13: li x6, 3
    li x7, 0
14: addi x7, x7, 10
    addi x6, x6, -1
    bnez x6, 14b
""", {5: 2 | 8 | 32 | 128 | 512, 8: 1, 6: 0, 7: 30}),
    Case("jumps", """
    auipc x7, 0
    jal x6, 1f
    li x11, 99
1:  sub x8, x6, x7
    auipc x9, 0
    jalr x10, 16(x9)
    li x12, 99
    li x13, 99
    sub x14, x10, x9
    auipc x15, 0
    addi x15, x15, 17
    jalr x16, 0(x15)
    li x17, 99
    sub x18, x16, x15
""", {8: 8, 11: 0, 12: 0, 13: 0, 14: 8, 17: 0, 18: u(12 - 17)}),
]

LOADSTORE = [
    Case("load_sign_ext", f"""
    li x1, {DATA:#x}
    li x2, 0x80FF7F01
    sw x2, 0(x1)
    lb x3, 0(x1)
    lb x4, 1(x1)
    lb x5, 2(x1)
    lb x6, 3(x1)
    lbu x7, 2(x1)
    lbu x8, 3(x1)
    lh x9, 0(x1)
    lh x10, 2(x1)
    lhu x11, 2(x1)
    lw x12, 0(x1)
    addi x13, x1, 4
    lw x14, -4(x13)
""", {3: 1, 4: 0x7F, 5: u(-1), 6: u(-128), 7: 0xFF, 8: 0x80, 9: 0x7F01, 10: 0xFFFF80FF,
          11: 0x80FF, 12: 0x80FF7F01, 14: 0x80FF7F01}),
    Case("store_sizes", f"""
    li x1, {DATA + 0x40:#x}
    li x2, 0x11223344
    sw x2, 0(x1)
    sw x2, 4(x1)
    sw x0, 8(x1)
    li x3, 0xAABBCCDD
    sb x3, 1(x1)
    sb x3, 3(x1)
    sh x3, 6(x1)
    lw x4, 0(x1)
    lw x5, 4(x1)
    sb x3, 8(x1)
    sh x3, 10(x1)
    lw x6, 8(x1)
""", {4: 0xDD22DD44, 5: 0xCCDD3344, 6: 0xCCDD00DD},
         mem={DATA + 0x40: bytes.fromhex("44dd22dd4433ddcc")}),
]


def _mulh(a, b):
    return u((s(a) * s(b)) >> 32)


def _mulhsu(a, b):
    return u((s(a) * b) >> 32)


def _mulhu(a, b):
    return u((a * b) >> 32)


def _div(a, b):
    if b == 0:
        return M
    if a == INT_MIN and b == M:
        return INT_MIN
    q = abs(s(a)) // abs(s(b))
    return u(q if (s(a) < 0) == (s(b) < 0) else -q)


def _rem(a, b):
    if b == 0:
        return a
    if a == INT_MIN and b == M:
        return 0
    r = abs(s(a)) % abs(s(b))
    return u(r if s(a) >= 0 else -r)


MA, MB = 0x87654321, 0x0FEDCBA9

MULDIV = [
    Case("mul", f"""
    li x1, {MA:#x}
    li x2, {MB:#x}
    li x3, -7
    mul x4, x1, x2
    mulh x5, x1, x2
    mulhsu x6, x1, x2
    mulhu x7, x1, x2
    mulh x8, x3, x3
    mulhsu x9, x3, x3
    mulhu x10, x3, x3
    mul x11, x3, x3
    li x12, 0x80000000
    mulh x13, x12, x12
    mulhsu x14, x12, x3
""", {4: u(MA * MB), 5: _mulh(MA, MB), 6: _mulhsu(MA, MB), 7: _mulhu(MA, MB),
          8: _mulh(u(-7), u(-7)), 9: _mulhsu(u(-7), u(-7)), 10: _mulhu(u(-7), u(-7)),
          11: 49, 13: _mulh(INT_MIN, INT_MIN), 14: _mulhsu(INT_MIN, u(-7))}),
    Case("div", f"""
    li x1, -20
    li x2, 6
    li x3, 0
    li x4, 0x80000000
    li x5, -1
    div x6, x1, x2
    rem x7, x1, x2
    divu x8, x1, x2
    remu x9, x1, x2
    div x10, x1, x3
    rem x11, x1, x3
    divu x12, x1, x3
    remu x13, x1, x3
    div x14, x4, x5
    rem x15, x4, x5
    divu x16, x4, x5
    remu x17, x4, x5
    li x18, 20
    div x19, x18, x5
    rem x20, x2, x1
    div x21, x2, x1
    li x22, {MA:#x}
    li x23, {MB:#x}
    divu x24, x22, x23
    remu x25, x22, x23
    div x26, x22, x23
    rem x27, x22, x23
""", {6: _div(u(-20), 6), 7: _rem(u(-20), 6), 8: u(-20) // 6, 9: u(-20) % 6,
          10: M, 11: u(-20), 12: M, 13: u(-20), 14: INT_MIN, 15: 0, 16: 0, 17: INT_MIN,
          19: u(-20), 20: _rem(6, u(-20)), 21: _div(6, u(-20)),
          24: MA // MB, 25: MA % MB, 26: _div(MA, MB), 27: _rem(MA, MB)}),
]

CSR = [
    Case("csr_counters", """
    csrr x1, minstret
    nop
    nop
    csrr x2, minstret
    sub x3, x2, x1
    csrr x4, mcycle
    nop
    nop
    csrr x5, mcycle
    sub x6, x5, x4
    csrr x7, mcycleh
    csrr x8, cycle
    csrr x9, instret
    sltu x10, x8, x9
    csrr x11, misa
    csrw minstret, x0
    csrr x12, minstret
    li x13, 1000
    csrw mcycle, x13
    csrr x14, mcycle
""", {3: 3, 6: 9, 7: 0, 10: 0, 12: 0, 14: 1002}),
    Case("csr_rw", """
    li x1, 0xF0F0
    csrw mscratch, x1
    csrr x2, mscratch
    li x3, 0x0F00
    csrrs x4, mscratch, x3
    csrr x5, mscratch
    csrrc x6, mscratch, x1
    csrr x7, mscratch
    csrrwi x8, mscratch, 21
    csrrsi x9, mscratch, 8
    csrrci x10, mscratch, 1
    csrr x11, mscratch
    csrr x12, mhartid
    csrr x13, mstatus
""", {2: 0xF0F0, 4: 0xF0F0, 5: 0xFFF0, 6: 0xFFF0, 7: 0x0F00, 8: 0x0F00, 9: 21, 10: 29,
          11: 28, 12: 0, 13: 0x1800}),
    Case("trap_handler", """
    la x1, handler
    csrw mtvec, x1
    li x20, 0
    auipc x21, 0
    .word 0x00000000
    addi x20, x20, 1
    auipc x22, 0
    ecall
    addi x20, x20, 1
    auipc x23, 0
    ebreak
    addi x20, x20, 1
    j done
handler:
    csrr x24, mcause
    csrr x25, mepc
    csrr x26, mtval
    add x27, x27, x24
    slli x27, x27, 4
    csrr x28, mepc
    addi x28, x28, 4
    csrw mepc, x28
    mret
done:
    sub x21, x25, x23
""", {20: 3, 27: ((((2 << 4) + 11) << 4) + 3) << 4, 24: 3, 21: 4}),
    Case("csr_readonly_write_traps", """
    csrw cycle, x0
""", status="trap", trap_cause=2),
]

TRAPS = [
    Case("illegal_instruction_halts", """
    li x5, 42
    .word 0xFFFFFFFF
    li x5, 43
""", {5: 42}, status="trap", trap_cause=2),
    Case("misaligned_load_halts", """
    li x1, 0x1001
    lw x2, 0(x1)
""", status="trap", trap_cause=4),
    Case("ecall_without_handler_halts", "ecall\n", status="trap", trap_cause=11),
]

CLASSES = {
    "alu": ALU, "shifts": SHIFTS, "branches": BRANCHES, "loadstore": LOADSTORE,
    "muldiv": MULDIV, "csr": CSR, "traps": TRAPS,
}

# Cycle counts per instruction class with MEM_LATENCY=1 (checked by test_cpi):
# measured as mcycle delta over `reps` copies of the instruction.
CPI_LAT1 = {
    "addi x5, x5, 1": 3,
    "mul x5, x6, x7": 3,
    "div x5, x6, x7": 35,
    "lw x5, 0(x8)": 5,
    "sw x5, 0(x8)": 5,
    "beq x0, x0, .+4": 3,          # taken
    "bne x0, x0, .+4": 3,          # not taken
    "jal x0, .+4": 3,
    "csrr x5, mscratch": 3,
}
