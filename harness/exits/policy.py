"""The exit policy: leave at exit k when its calibrated max softmax probability reaches the
threshold T_k, computed identically in Python (here) and in the generated C.

int8 exits, integer only (q the exit's int8 logits, s their scale, t the exit's temperature):

    d_j  = max(q) - q_j                      in 0..255
    E[d] = round(2^16 * exp(-s * d / t))     a 256-entry uint32 table (E[0] = 65536)
    S    = sum_j E[d_j]                      (uint32: at most 65536 per class)
    exit iff S <= K,  K = floor(2^16 / T)

since max softmax = 1 / sum_j exp(-s d_j / t) ~ 2^16 / S. Exactly at the threshold
(S == K) the input exits. T = 0 always exits; T = 1 never does (the table can round a very
confident exit to S = 2^16 = K(1), so 1 is defined as "never", not computed). Thresholds
outside [0, 1] are errors.

float32 exits: exit iff sum_j expf((x_j - max x) * (1/t)) <= 1/T, summed in j order in float32
on both sides; Python's and C's exp may differ in the last bit, so a float decision is within
tolerance rather than bit-exact (an input within an ulp of the threshold may go either way).

The last exit is the full-depth classifier: it always "fires".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import HilbenchError

__all__ = ["ExitRule", "make_rule", "fires", "ALWAYS", "NEVER", "ONE"]

ONE = 1 << 16
ALWAYS = "always"
NEVER = "never"


@dataclass(frozen=True)
class ExitRule:
    """The constants of one exit's decision (what the C code is generated from)."""

    mode: str                          # "always", "never", "int8" or "float32"
    threshold: float
    temperature: float
    table: tuple[int, ...] = ()        # int8: E[0..255]
    bound: int = 0                     # int8: K
    inv_temperature: float = 1.0       # float32: 1/t, as float32
    float_bound: float = 0.0           # float32: 1/T, as float32


def check_threshold(threshold: float) -> float:
    t = float(threshold)
    if not 0.0 <= t <= 1.0 or math.isnan(t):
        raise HilbenchError(f"an exit threshold is a probability from 0 to 1, got {threshold!r}")
    return t


def make_rule(threshold: float, temperature: float, dtype: str, scale: float = 1.0) -> ExitRule:
    """The rule of an exit whose logits have `dtype` (int8: with `scale`)."""
    t = check_threshold(threshold)
    if not temperature > 0 or not math.isfinite(temperature):
        raise HilbenchError(f"an exit temperature must be a positive number, got {temperature!r}")
    if t == 0.0:
        return ExitRule(ALWAYS, t, temperature)
    if t == 1.0:
        return ExitRule(NEVER, t, temperature)
    if dtype == "int8":
        table = tuple(int(round(ONE * math.exp(-scale * d / temperature))) for d in range(256))
        return ExitRule("int8", t, temperature, table, int(math.floor(ONE / t)))
    if dtype == "float32":
        return ExitRule("float32", t, temperature,
                        inv_temperature=float(np.float32(1.0 / temperature)),
                        float_bound=float(np.float32(1.0 / t)))
    raise HilbenchError(f"exit logits of type {dtype} are not supported (int8 or float32)")


def confidence_sum(rule: ExitRule, logits: np.ndarray) -> np.ndarray:
    """Per sample, S (int8: int64 of the table sum) or the float32 sum of exps."""
    x = logits.reshape(len(logits), -1)
    if rule.mode == "int8":
        d = x.max(axis=1, keepdims=True).astype(np.int64) - x.astype(np.int64)
        return np.asarray(rule.table, dtype=np.int64)[d].sum(axis=1)
    m = x.max(axis=1, keepdims=True)
    e = np.exp((x - m) * np.float32(rule.inv_temperature)).astype(np.float32)
    total = np.zeros(len(x), np.float32)
    for j in range(x.shape[1]):              # the C loop's order, in float32
        total = (total + e[:, j]).astype(np.float32)
    return total


def fires(rule: ExitRule, logits: np.ndarray) -> np.ndarray:
    """Boolean per sample: does the exit fire on these logits (N, classes)?"""
    n = len(logits)
    if rule.mode == ALWAYS:
        return np.ones(n, bool)
    if rule.mode == NEVER:
        return np.zeros(n, bool)
    s = confidence_sum(rule, logits)
    if rule.mode == "int8":
        return np.asarray(s <= rule.bound)
    return np.asarray(s <= np.float32(rule.float_bound))
