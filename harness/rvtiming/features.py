"""What the timing model counts: events ("features") whose weighted sum is the cycle count.

Every executed instruction adds one to its class (`decode.py`); a conditional branch adds one
to `branch_{fwd,bwd}_{taken,nt}` instead (its outcome is seen at run time: the next block
starts elsewhere); the hazards are found inside a basic block from the registers; three
features are counted at run time: `div_clz` (leading zeros of each divisor), `icache_miss`
and `dcache_miss` (when the core has caches, `cache.py`).

A core (`cores.py`) is one weight per feature: cycles = sum(weight[f] * count[f]). The model
is linear in its weights, so calibrating it on RTL counts is a least-squares fit
(`calibrate.py`).

Hazards (distance d = how many instructions later the result is read):
    load_use_1 / load_use_2   a load's rd read at d = 1 / at d = 2 (and not at d = 1)
    mul_use_1 / mul_use_2     the same for mul / mulh / div results
    shift_use_1               a shift's rd read at d = 1
    nnx_use_1                 an nnx instruction's rd read at d = 1
    jalr_dep                  jalr's rs1 written by the instruction right before it
Hazards across a block boundary are not counted (blocks end at branches and jumps).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .decode import NNX_CLASSES, Insn

__all__ = ["FEATURES", "INDEX", "CLASSES", "BRANCH_OUTCOMES", "HAZARDS", "DYNAMIC",
           "BlockFeatures", "block_features"]

CLASSES = ("alu", "shift", "load", "store", "mul", "mulh", "div", "jal", "jalr", "csr",
           "csr_counter", "other", *dict.fromkeys(NNX_CLASSES.values()))
BRANCH_OUTCOMES = ("branch_fwd_nt", "branch_fwd_taken", "branch_bwd_nt", "branch_bwd_taken")
HAZARDS = ("load_use_1", "load_use_2", "mul_use_1", "mul_use_2", "shift_use_1", "nnx_use_1",
           "jalr_dep")
DYNAMIC = ("div_clz", "icache_miss", "dcache_miss")
FEATURES: tuple[str, ...] = (*CLASSES, *BRANCH_OUTCOMES, *HAZARDS, *DYNAMIC)
INDEX = {name: i for i, name in enumerate(FEATURES)}

_MUL = ("mul", "mulh", "div")


class BlockFeatures:
    """Counts of one basic block: `prefix[k]` the features of its first k instructions,
    `taken` / `fallthrough` the extra counts when the next block starts elsewhere / right
    after it (the outcome of a final conditional branch)."""

    def __init__(self, prefix: np.ndarray, taken: np.ndarray, fallthrough: np.ndarray,
                 loads: int) -> None:
        self.prefix = prefix
        self.static = prefix[-1]
        self.taken = taken
        self.fallthrough = fallthrough
        self.loads = loads


def _reads(insn: Insn | None, reg: int) -> bool:
    return insn is not None and reg in insn.sources


def _hazards(insns: Sequence[Insn], k: int) -> list[str]:
    """The hazards charged to instruction k (the consumer)."""
    found = []
    cur = insns[k]
    prev = insns[k - 1] if k >= 1 else None
    prev2 = insns[k - 2] if k >= 2 else None
    if prev is not None and prev.rd and _reads(cur, prev.rd):
        if prev.cls == "load":
            found.append("load_use_1")
        elif prev.cls in _MUL:
            found.append("mul_use_1")
        elif prev.cls == "shift":
            found.append("shift_use_1")
        elif prev.cls.startswith("nnx_"):
            found.append("nnx_use_1")
    if (prev2 is not None and prev2.rd and prev2.cls in ("load", *_MUL)
            and _reads(cur, prev2.rd) and prev is not None and not _reads(prev, prev2.rd)
            and prev.rd != prev2.rd):
        found.append("load_use_2" if prev2.cls == "load" else "mul_use_2")
    if cur.cls == "jalr" and prev is not None and prev.rd and _reads(cur, prev.rd):
        found.append("jalr_dep")
    return found


def block_features(insns: Sequence[Insn]) -> BlockFeatures:
    """The feature counts of a block of decoded instructions, in order."""
    n = len(FEATURES)
    prefix = np.zeros((len(insns) + 1, n), dtype=np.int64)
    taken = np.zeros(n, dtype=np.int64)
    fallthrough = np.zeros(n, dtype=np.int64)
    for k, insn in enumerate(insns):
        row = prefix[k + 1]
        row[:] = prefix[k]
        if insn.cls == "branch":
            if k == len(insns) - 1:
                side = "bwd" if insn.backward else "fwd"
                taken[INDEX[f"branch_{side}_taken"]] = 1
                fallthrough[INDEX[f"branch_{side}_nt"]] = 1
            else:   # cannot happen for Unicorn's blocks; priced as not taken
                row[INDEX["branch_bwd_nt" if insn.backward else "branch_fwd_nt"]] += 1
        else:
            row[INDEX[insn.cls]] += 1
        for hazard in _hazards(insns, k):
            row[INDEX[hazard]] += 1
    loads = sum(1 for insn in insns if insn.cls == "load")
    return BlockFeatures(prefix, taken, fallthrough, loads)
