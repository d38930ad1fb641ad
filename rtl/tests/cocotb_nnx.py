"""Randomised cocotb test of hb_nnx (the extension unit alone) against the
golden model rtl/model/nnx.py, with random response back-pressure."""
from __future__ import annotations

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from rtl.model import nnx

EDGE = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF,
        0x40000000, 0xC0000000, 0x01010101, 0x80808080, 0x7F7F7F7F]


def rand_word(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.25:
        return rng.choice(EDGE)
    if r < 0.4:
        return rng.randint(-300, 300) & 0xFFFFFFFF
    return rng.getrandbits(32)


def rand_op(rng: random.Random):
    """(custom1, funct3, funct7, rs1, rs2, rd)"""
    r = rng.random()
    if r < 0.05:   # illegal encodings
        return (rng.random() < 0.5, rng.randint(0, 7), rng.randint(2, 127), rand_word(rng),
                rand_word(rng), rand_word(rng))
    # the accumulator bank's 18 encodings (macc/vmac/racc) get 40 %, the 7 others 60 %
    bank = rng.random() < 0.4
    insn = rng.choice([i for i in nnx.INSNS if (i.funct3 >= 6) == bank])
    rs1, rs2, rd = rand_word(rng), rand_word(rng), rand_word(rng)
    if insn.name == "setq":
        rs1 = rng.choice([rand_word(rng), rng.randint(1 << 30, (1 << 31) - 1)])
        rs2 = rng.choice([rng.randint(-33, 33) & 0xFFFFFFFF, rand_word(rng)])
    elif insn.name == "setout":
        lo, hi = sorted(rng.randint(-200, 200) for _ in range(2))
        rs1 = rng.randint(-128, 127) & 0xFFFFFFFF
        rs2 = rng.choice([((hi & 0xFFFF) << 16) | (lo & 0xFFFF), rand_word(rng)])
    elif insn.name == "requant":
        rs1 = rng.choice([rand_word(rng), rng.randint(-(1 << 20), 1 << 20) & 0xFFFFFFFF])
        rs2 = rng.randint(-(1 << 16), 1 << 16) & 0xFFFFFFFF
    return (False, insn.funct3, insn.funct7, rs1, rs2, rd)


@cocotb.test()
async def test_nnx_random(dut):
    seed = int(os.environ.get("HB_SEED", "1"))
    count = int(os.environ.get("HB_COUNT", "2000"))
    rng = random.Random(seed)
    model = nnx.Nnx()
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.cmd_valid.value = 0
    dut.rsp_ready.value = 0
    for _ in range(2):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    counts = {}
    for n in range(count):
        c1, f3, f7, rs1, rs2, rd = rand_op(rng)
        await FallingEdge(dut.clk)
        dut.cmd_valid.value = 1
        dut.cmd_custom1.value = int(c1)
        dut.cmd_funct3.value = f3
        dut.cmd_funct7.value = f7
        dut.cmd_rs1.value = rs1
        dut.cmd_rs2.value = rs2
        dut.cmd_rd.value = rd
        while True:
            await ReadOnly()
            if dut.cmd_ready.value:
                break
            await FallingEdge(dut.clk)
        await RisingEdge(dut.clk)
        await FallingEdge(dut.clk)
        dut.cmd_valid.value = 0
        dut.cmd_rs1.value = rng.getrandbits(32)   # operands need not be held
        while True:
            dut.rsp_ready.value = int(rng.random() < 0.7)
            await ReadOnly()
            if dut.rsp_valid.value and dut.rsp_ready.value:
                got, illegal = int(dut.rsp_data.value), bool(dut.rsp_illegal.value)
                break
            await FallingEdge(dut.clk)
        await RisingEdge(dut.clk)
        try:
            exp, exp_illegal = model.execute(f3, f7, rs1, rs2, rd,
                                             nnx.CUSTOM_1 if c1 else nnx.CUSTOM_0), False
        except nnx.IllegalInstruction:
            exp, exp_illegal = None, True
        name = nnx.BY_CODE[(f3, f7)].name if not exp_illegal else "illegal"
        counts[name] = counts.get(name, 0) + 1
        assert illegal == exp_illegal, f"op {n}: {name} illegal={illegal}"
        if not exp_illegal:
            assert got == exp, (f"op {n}: {name} rs1={rs1:#010x} rs2={rs2:#010x} rd={rd:#010x} "
                                f"state={model} -> {got:#010x}, model {exp:#010x}")
    dut._log.info("checked %d ops (seed %d): %s", count, seed, counts)


async def start_and_reset(dut, reset: str, idle: dict[str, int]) -> None:
    """Start a 10 ns clock on dut.clk, drive the ``idle`` inputs, hold ``reset`` high for two
    cycles and release it just after a falling edge (the drive point of the cycle loops)."""
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    getattr(dut, reset).value = 1
    for name, value in idle.items():
        getattr(dut, name).value = value
    for _ in range(2):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    getattr(dut, reset).value = 0
