"""Random RV32IM(+nnx) programs that always terminate, for differential testing.

Constraints that make every program terminate and behave identically on the
RTL and on Unicorn:

* only forward control flow (branches and jal go 1..6 instructions ahead);
* loads/stores use x3 (never written by the body) as the base of a 2 KiB
  data region, with naturally aligned offsets;
* no instructions whose results differ by design (counter CSRs, ecall,
  misaligned accesses); mscratch is the only CSR used;
* the epilogue ``lui x3, 0x10000; sw x0, 4(x3)`` writes the EXIT register.
"""
from __future__ import annotations

import random

DATA_BASE = 0x8000
DATA_BYTES = 2048

EDGE = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF,
        0xFFFFFFFE, 0x01010101, 0x80808080, 0x7F7F7F7F, 0x40000000]

R_ALU = ["add", "sub", "xor", "or", "and", "slt", "sltu", "sll", "srl", "sra"]
I_ALU = ["addi", "slti", "sltiu", "xori", "ori", "andi"]
SHIFT_I = ["slli", "srli", "srai"]
MULDIV = ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"]
LOADS = {"lb": 1, "lh": 2, "lw": 4, "lbu": 1, "lhu": 2}
STORES = {"sb": 1, "sh": 2, "sw": 4}
BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]
NNX = [("mac4", 0, 0), ("dot4", 0, 1), ("srdhm", 1, 0), ("rdbpot", 2, 0),
       ("requant", 3, 0), ("setq", 4, 0), ("setout", 5, 0),
       # the accumulator bank (internal state: the ISS's golden model must follow it)
       ("macc0", 6, 0), ("macc5", 6, 5), ("vmac0", 6, 8), ("vmac1", 6, 9), ("racc0", 7, 0),
       ("racc2", 7, 2), ("racc5", 7, 5), ("racc7", 7, 7)]


def _val(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.3:
        return rng.choice(EDGE)
    if r < 0.5:
        return rng.randint(-1000, 1000) & 0xFFFFFFFF
    return rng.getrandbits(32)


def generate(rng: random.Random, n: int = 150, nnx: bool = True) -> str:
    """Assembly source of one random program (entry ``_start`` at 0)."""
    def reg():
        return rng.choice([r for r in range(32) if r != 3])

    def src():
        return rng.randrange(32)

    weights = [("r", 18), ("i", 14), ("sh", 6), ("u", 4), ("md", 12), ("ld", 12), ("st", 10),
               ("br", 8), ("jal", 3), ("csr", 2)] + ([("nnx", 14)] if nnx else [])
    kinds = [k for k, w in weights for _ in range(w)]
    body: list[str] = []
    labels: dict[int, list[str]] = {}
    nlab = 0

    def fwd_label(i: int) -> str:
        nonlocal nlab
        tgt = min(i + rng.randint(1, 6), n)
        name = f"L{nlab}"
        nlab += 1
        labels.setdefault(tgt, []).append(name)
        return name

    for i in range(n):
        k = rng.choice(kinds)
        if k == "r":
            body.append(f"{rng.choice(R_ALU)} x{reg()}, x{src()}, x{src()}")
        elif k == "i":
            body.append(f"{rng.choice(I_ALU)} x{reg()}, x{src()}, {rng.randint(-2048, 2047)}")
        elif k == "sh":
            body.append(f"{rng.choice(SHIFT_I)} x{reg()}, x{src()}, {rng.randint(0, 31)}")
        elif k == "u":
            body.append(f"{rng.choice(['lui', 'auipc'])} x{reg()}, {rng.getrandbits(20)}")
        elif k == "md":
            body.append(f"{rng.choice(MULDIV)} x{reg()}, x{src()}, x{src()}")
        elif k == "ld":
            op = rng.choice(list(LOADS))
            off = rng.randrange(0, DATA_BYTES, LOADS[op])
            body.append(f"{op} x{reg()}, {off}(x3)")
        elif k == "st":
            op = rng.choice(list(STORES))
            off = rng.randrange(0, DATA_BYTES, STORES[op])
            body.append(f"{op} x{src()}, {off}(x3)")
        elif k == "br":
            body.append(f"{rng.choice(BRANCHES)} x{src()}, x{src()}, {fwd_label(i)}")
        elif k == "jal":
            body.append(f"jal x{reg()}, {fwd_label(i)}")
        elif k == "csr":
            op = rng.choice(["csrrw", "csrrs", "csrrc"])
            body.append(f"{op} x{reg()}, mscratch, x{src()}")
        else:
            name, f3, f7 = rng.choice(NNX)
            rd = 0 if name in ("setq", "setout") and rng.random() < 0.5 else reg()
            body.append(f".insn r CUSTOM_0, {f3}, {f7}, x{rd}, x{src()}, x{src()}  # nnx.{name}")

    lines = [f"    li x3, {DATA_BASE:#x}"]
    lines += [f"    li x{r}, {_val(rng):#x}" for r in range(1, 32) if r != 3]
    for i, ins in enumerate(body):
        for lab in labels.get(i, []):
            lines.append(f"{lab}:")
        lines.append(f"    {ins}")
    for lab in labels.get(n, []):
        lines.append(f"{lab}:")
    lines += ["    lui x3, 0x10000", "    sw x0, 4(x3)", "1:  j 1b", "",
              "    .section .data", "    .balign 4"]
    data = [rng.getrandbits(32) for _ in range(DATA_BYTES // 4)]
    for j in range(0, len(data), 8):
        lines.append("    .word " + ", ".join(f"{w:#x}" for w in data[j:j + 8]))
    return "\n".join(lines) + "\n"
