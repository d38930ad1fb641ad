"""cocotb test of the CV-X-IF nnx coprocessor (rtl/cv32e40x/cv_xif_nnx.sv, with hb_nnx) driven
alone through its issue / commit / result ports, against the golden model rtl/model/nnx.py.

The driver behaves as CV32E40X does with X_EXT = 1 (CV-X-IF 0.2 handshakes):
- issue: an instruction is offered (issue_valid) with its id, held with the same instr/id
  until issue_ready; rs1/rs2 are only meaningful once issue_rs_valid says so (they arrive
  late at random, with junk values before).  The offer mixes nnx ops (cocotb_nnx.rand_op,
  whose illegal encodings must be refused) and other instructions (CSR, ALU, load, custom-1,
  ...), which must be answered "not accepted" in the cycle they are offered;
- commit: every issued instruction (accepted or not) is committed in issue order, in its
  issue cycle or later, and a random share is KILLED: a killed instruction must give no
  result and change no nnx state (setq/setout);
- result: result_ready is randomly low (back-pressure); while result_valid waits, id / rd /
  data must stay stable.  Results must come in commit order with the instruction's id and rd
  and the model's value (mac4 sees rd = 0: the port has no third operand).
"""
from __future__ import annotations

import os
import random
from collections import deque
from dataclasses import dataclass

import cocotb
from cocotb.triggers import FallingEdge, ReadOnly, Timer

from rtl.model import nnx
from rtl.tests.cocotb_nnx import rand_op, start_and_reset

ID_W = 4
# instructions the coprocessor must refuse: (name, opcode, funct3, funct7)
OTHERS = [("csrrw", 0x73, 1, None), ("csrrs", 0x73, 2, None), ("add", 0x33, 0, 0),
          ("mul", 0x33, 0, 1), ("lw", 0x03, 2, None), ("custom1", 0x2B, 0, 0),
          ("custom2", 0x5B, 0, 0), ("custom0.f3=6", 0x0B, 6, 0), ("custom0.f3=7", 0x0B, 7, 0)]


@dataclass
class Insn:
    word: int
    name: str
    rs1: int
    rs2: int
    id: int = 0
    accept: bool = False
    kill: bool = False


def _word(opcode: int, f3: int, f7: int, rng: random.Random) -> int:
    rd, r1, r2 = rng.randint(0, 31), rng.randint(0, 31), rng.randint(0, 31)
    return (f7 << 25) | (r2 << 20) | (r1 << 15) | (f3 << 12) | (rd << 7) | opcode


def rand_insn(rng: random.Random) -> Insn:
    """An nnx op (sometimes an illegal encoding) or, 15 % of the time, another instruction."""
    if rng.random() < 0.15:
        name, opcode, f3, f7 = rng.choice(OTHERS)
        f7 = rng.getrandbits(7) if f7 is None else f7
        return Insn(_word(opcode, f3, f7, rng), name, rng.getrandbits(32), rng.getrandbits(32))
    c1, f3, f7, rs1, rs2, _rd = rand_op(rng)
    opcode = nnx.CUSTOM_1 if c1 else nnx.CUSTOM_0
    legal = opcode == nnx.CUSTOM_0 and nnx.implemented(f3, f7, bank=False)
    name = nnx.BY_CODE[(f3, f7)].name if legal else f"illegal({opcode:#x},{f3},{f7})"
    return Insn(_word(opcode, f3, f7, rng), name, rs1, rs2)


def decodes_as_nnx(word: int) -> bool:
    """The golden model's view: custom-0 with an implemented (funct3, funct7)."""
    return word & 0x7F == nnx.CUSTOM_0 and nnx.implemented((word >> 12) & 7, word >> 25,
                                                          bank=False)


@cocotb.test()
async def test_xif_stream(dut):
    seed = int(os.environ.get("HB_SEED", "1"))
    count = int(os.environ.get("HB_COUNT", "1500"))
    p_kill = float(os.environ.get("HB_KILL", "0.15"))
    backpressure = float(os.environ.get("HB_BACKPRESSURE", "0.3"))
    rng = random.Random(seed)
    await start_and_reset(dut, "rst", {"issue_valid": 0, "issue_rs_valid": 0,
                                       "commit_valid": 0, "result_ready": 0})

    model = nnx.Nnx(bank=False)     # cv_xif_nnx leaves the accumulator bank out
    offer: Insn | None = None          # the instruction on the issue port
    uncommitted: deque[Insn] = deque()  # issued, waiting for their commit (in order)
    expected: deque[tuple[int, int, int, str]] = deque()   # (id, rd, data, name) in order
    stats = {"results": 0, "refused": 0, "killed": 0, "killed_state": 0, "stalled": 0}
    next_id = issued = cycles = 0
    held: tuple[int, int, int] | None = None   # result waiting under back-pressure
    while issued < count or uncommitted or expected or offer is not None:
        # -- drive the issue port (after the falling edge)
        if offer is None and issued < count and rng.random() < 0.8:
            offer = rand_insn(rng)
            offer.id = next_id
            next_id = (next_id + 1) % (1 << ID_W)
            offer.accept = decodes_as_nnx(offer.word)
            offer.kill = rng.random() < p_kill
            dut.issue_valid.value = 1
            dut.issue_instr.value = offer.word
            dut.issue_id.value = offer.id
        if offer is not None:
            rs_valid = 3 if rng.random() < 0.7 else rng.randint(0, 2)
            dut.issue_rs_valid.value = rs_valid
            dut.issue_rs1.value = offer.rs1 if rs_valid & 1 else rng.getrandbits(32)
            dut.issue_rs2.value = offer.rs2 if rs_valid & 2 else rng.getrandbits(32)
        dut.result_ready.value = int(rng.random() >= backpressure)
        await Timer(1, unit="ns")       # let the adapter's issue_ready / accept settle
        fire = offer is not None and bool(dut.issue_ready.value)
        if offer is not None and not offer.accept:
            assert fire, f"{offer.name} ({offer.word:#010x}) not answered at once"
        if fire:   # issue_resp is only defined in the issue handshake
            assert offer is not None and bool(dut.issue_accept.value) == offer.accept, (
                f"{offer.name} ({offer.word:#010x}): accept={dut.issue_accept.value}")
        # -- drive the commit port: the oldest issued instruction (or the one issuing now)
        head = uncommitted[0] if uncommitted else (offer if fire else None)
        commit = head is not None and rng.random() < 0.6
        dut.commit_valid.value = int(commit)
        if commit:
            dut.commit_id.value = head.id
            dut.commit_kill.value = int(head.kill)
        else:
            dut.commit_id.value = rng.getrandbits(ID_W)
            dut.commit_kill.value = rng.getrandbits(1)
        await ReadOnly()
        assert held is None or dut.result_valid.value, f"result {held} withdrawn before taken"
        if dut.result_valid.value:
            now = (int(dut.result_id.value), int(dut.result_rd.value),
                   int(dut.result_data.value))
            assert held is None or now == held, f"result changed under back-pressure {held} -> {now}"
            assert expected, f"result {now} with no committed instruction waiting (a killed one?)"
            want = expected[0]
            assert now == want[:3], (f"result (id, rd, data) = {now}, model {want[:3]} "
                                     f"for {want[3]}")
            if dut.result_ready.value:
                expected.popleft()
                stats["results"] += 1
                held = None
            else:
                held = now
                stats["stalled"] += 1
        await FallingEdge(dut.clk)
        cycles += 1
        if fire:
            assert offer is not None
            uncommitted.append(offer)
            issued += 1
            stats["refused"] += int(not offer.accept)
            offer = None
            dut.issue_valid.value = 0
            dut.issue_instr.value = rng.getrandbits(32)   # need not be held after the issue
        if commit:
            insn = uncommitted.popleft()
            assert insn is head
            if insn.kill:
                stats["killed"] += 1
                stats["killed_state"] += int(insn.accept and insn.name in ("setq", "setout"))
            elif insn.accept:
                data = model.execute((insn.word >> 12) & 7, insn.word >> 25, insn.rs1, insn.rs2, 0)
                expected.append((insn.id, (insn.word >> 7) & 31, data, insn.name))
        assert cycles < 40 * count + 100, f"stalled after {stats['results']} results"
    assert stats["refused"] > 0, stats
    assert stats["killed_state"] > 0 or p_kill == 0, stats
    assert stats["stalled"] > 0 or backpressure == 0, stats
    dut._log.info("issued %d instructions in %d cycles (seed %d): %s",
                  issued, cycles, seed, stats)
