"""Differential test: random programs on hb_soc (RTL) vs the Unicorn ISS.

Compares x1..x31, the 2 KiB data region and minstret after every program.
Environment: HB_SEED (int), HB_COUNT (programs), HB_LEN (instructions each).
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import cocotb

from rtl.model.iss import Iss
from rtl.sw.build import assemble
from rtl.tests import randprog
from rtl.tests.tb import Soc

WORK = Path(os.getcwd()) / "diff"


@cocotb.test()
async def test_random_programs_vs_iss(dut):
    seed = int(os.environ.get("HB_SEED", "1"))
    count = int(os.environ.get("HB_COUNT", "20"))
    length = int(os.environ.get("HB_LEN", "150"))
    soc = Soc(dut)
    rng = random.Random(seed)
    total_insns = 0
    for k in range(count):
        asm = randprog.generate(rng, n=length, nnx=bool(soc.nnx))
        elf = assemble(asm, WORK / f"p{seed}_{k}.elf", data_base=randprog.DATA_BASE)
        iss = Iss(nnx=bool(soc.nnx), ram_bytes=soc.ram_bytes)
        iss.load_elf(elf)
        ref = iss.run(max_instructions=100_000)
        assert ref.status == "exit", f"ISS did not exit: {ref.message} ({elf})"
        res = await soc.run_elf(elf, max_cycles=60 * length + 2000,
                                read_mem=[(randprog.DATA_BASE, randprog.DATA_BYTES)])
        assert res.status == "exit", f"RTL {res.status} cause={res.trap_cause} pc={res.trap_pc} ({elf})"
        ref_regs = iss.regs()
        diffs = [f"x{r}: rtl={res.regs[r]:#010x} iss={ref_regs[r]:#010x}"
                 for r in range(1, 32) if res.regs[r] != ref_regs[r]]
        assert not diffs, f"{elf}: " + "; ".join(diffs)
        ref_mem = iss.read_mem(randprog.DATA_BASE, randprog.DATA_BYTES)
        rtl_mem = res.mem[randprog.DATA_BASE]
        if rtl_mem != ref_mem:
            bad = [i for i in range(0, len(ref_mem), 4) if rtl_mem[i:i + 4] != ref_mem[i:i + 4]]
            raise AssertionError(f"{elf}: data differs at offsets {bad[:8]}")
        assert res.minstret == ref.instret, f"{elf}: minstret rtl={res.minstret} iss={ref.instret}"
        total_insns += res.minstret
    dut._log.info("%d random programs (seed %d, %d instructions each, %d retired) match the ISS",
                  count, seed, length, total_insns)
