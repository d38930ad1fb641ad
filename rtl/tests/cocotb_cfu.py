"""cocotb test of the nnx CFU adapter (rtl/vexriscv/cfu_nnx.v, module Cfu: hb_nnx behind the
CFU Playground port of VexRiscv) against the golden model rtl/model/nnx.py.

Commands are streamed as a pipelined core issues them: a new command may be offered in the
cycle the previous response is taken, with random gaps and random response back-pressure.
Responses are checked in order. The port has no rd operand (mac4 sees rd = 0) and no illegal
response (an unknown function id returns 0): the expected values follow that contract.
HB_GAPS=0 and HB_BACKPRESSURE=0 give the back-to-back case, where the adapter must take one
command per cycle for the single-cycle instructions."""
from __future__ import annotations

import os
import random
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from rtl.model import nnx
from rtl.tests.cocotb_nnx import rand_op


def expected(model: nnx.Nnx, function_id: int, in0: int, in1: int) -> int:
    """The adapter's contract: funct3 = id[2:0], funct7 = id[9:3], rd = 0, illegal -> 0."""
    try:
        return model.execute(function_id & 7, function_id >> 3, in0, in1, 0)
    except nnx.IllegalInstruction:
        return 0


@cocotb.test()
async def test_cfu_stream(dut):
    seed = int(os.environ.get("HB_SEED", "1"))
    count = int(os.environ.get("HB_COUNT", "2000"))
    gaps = float(os.environ.get("HB_GAPS", "0.3"))
    backpressure = float(os.environ.get("HB_BACKPRESSURE", "0.3"))
    rng = random.Random(seed)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.reset.value = 1
    dut.cmd_valid.value = 0
    dut.rsp_ready.value = 0
    for _ in range(2):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.reset.value = 0

    ops = []
    for _ in range(count):
        _custom1, f3, f7, rs1, rs2, _rd = rand_op(rng)
        ops.append(((f7 << 3) | f3, rs1, rs2))
    sent: deque = deque()
    got: list[int] = []
    issued = cycles = 0
    while len(got) < count:
        # drive (after the falling edge): command and rsp_ready for this cycle
        if issued < count and (dut.cmd_valid.value == 0) and rng.random() >= gaps:
            fid, in0, in1 = ops[issued]
            dut.cmd_valid.value = 1
            dut.cmd_payload_function_id.value = fid
            dut.cmd_payload_inputs_0.value = in0
            dut.cmd_payload_inputs_1.value = in1
        dut.rsp_ready.value = int(rng.random() >= backpressure)
        await ReadOnly()
        cmd_fire = bool(dut.cmd_valid.value) and bool(dut.cmd_ready.value)
        if dut.rsp_valid.value and dut.rsp_ready.value:
            got.append(int(dut.rsp_payload_outputs_0.value))
        await FallingEdge(dut.clk)
        cycles += 1
        if cmd_fire:
            sent.append(ops[issued])
            issued += 1
            dut.cmd_valid.value = 0
            dut.cmd_payload_inputs_0.value = rng.getrandbits(32)   # need not be held
        assert cycles < 20 * count + 100, f"stalled after {len(got)} responses"

    model = nnx.Nnx()
    for n, ((fid, in0, in1), value) in enumerate(zip(sent, got)):
        want = expected(model, fid, in0, in1)
        assert value == want, (f"op {n}: function_id={fid:#05x} in0={in0:#010x} "
                               f"in1={in1:#010x} -> {value:#010x}, model {want:#010x}")
    dut._log.info("checked %d CFU ops in %d cycles (seed %d)", count, cycles, seed)


@cocotb.test()
async def test_cfu_back_to_back_dot4(dut):
    """With no gaps and rsp_ready high, dot4 commands are taken one per cycle."""
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.reset.value = 1
    dut.cmd_valid.value = 0
    dut.rsp_ready.value = 1
    for _ in range(2):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.reset.value = 0
    rng = random.Random(7)
    n, taken, answers, cycles = 64, 0, [], 0
    words = [(rng.getrandbits(32), rng.getrandbits(32)) for _ in range(n)]
    while len(answers) < n:
        if taken < n:
            dut.cmd_valid.value = 1
            dut.cmd_payload_function_id.value = (1 << 3) | 0   # dot4
            dut.cmd_payload_inputs_0.value, dut.cmd_payload_inputs_1.value = words[taken]
        else:
            dut.cmd_valid.value = 0
        await ReadOnly()
        fire = bool(dut.cmd_valid.value) and bool(dut.cmd_ready.value)
        if dut.rsp_valid.value:
            answers.append(int(dut.rsp_payload_outputs_0.value))
        await FallingEdge(dut.clk)
        taken += int(fire)
        cycles += 1
    assert answers == [nnx.u32(nnx.dot4(a, b)) for a, b in words]
    assert cycles == n + 1, f"{n} back-to-back dot4 took {cycles} cycles (expected {n + 1})"
