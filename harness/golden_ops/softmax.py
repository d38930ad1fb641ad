"""SOFTMAX over the last axis, int8 (gemmlowp fixed point) and float32.

int8 follows reference_ops::Softmax<int8, int8> (output scale 1/256, zero point -128), per row:
    diff = x - max(row)                                   (int32, <= 0)
    if diff >= diff_min:                                  (else the output is -128)
        d = MultiplyByQuantizedMultiplierGreaterThanOne(diff, input_multiplier, input_left_shift)
        e = exp_on_negative_values(d as Q5.26)            (Q0.31)
    sum = wrapping int32 sum of Rescale<12>(e) = RoundingDivideByPOT(e, 12) over the row (Q12.19)
    (scale, bits) = GetReciprocal(sum, 12)                (1/sum = scale * 2^-bits)
    out = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(scale, e), bits + 31 - 8) - 128
    out = clamp(out, -128, 127)
float32 follows reference_ops::Softmax<float>, per row, in float32:
    m = max(row); e_c = exp((x_c - m) * beta); sum = e_0 + e_1 + ... (in order); y_c = e_c / sum
exp is evaluated in float64 and rounded once to float32, which is what a correctly rounded
expf (glibc's, within 1 ulp of every libm) returns.
"""
from __future__ import annotations

import numpy as np

from .. import fixedpoint as fp
from ..ir import Graph, Op
from ..lower import SOFTMAX_SCALED_DIFF_INTEGER_BITS, OpParams, SoftmaxParams
from .common import KernelArgs

__all__ = ["softmax"]

_ACCUMULATION_INTEGER_BITS = 12


def softmax(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """SOFTMAX on a batch, along the last axis."""
    assert isinstance(params, SoftmaxParams)
    x = args[0]
    assert x is not None
    if x.dtype == np.int8:
        return _softmax_int8(x, params)
    return _softmax_float(x, params.beta)


def _softmax_int8(x: np.ndarray, params: SoftmaxParams) -> np.ndarray:
    values = x.astype(np.int64)
    diff = values - values.max(axis=-1, keepdims=True)
    live = diff >= params.diff_min
    rescaled = fp.multiply_by_quantized_multiplier_greater_than_one(
        diff, params.input_multiplier, params.input_left_shift)
    exp = fp.exp_on_negative_values(rescaled, SOFTMAX_SCALED_DIFF_INTEGER_BITS)
    terms = fp.rescale(exp, 0, _ACCUMULATION_INTEGER_BITS)
    sum_of_exps = fp.wrap_int32(np.where(live, terms, 0).sum(axis=-1, keepdims=True))
    scale, bits = fp.get_reciprocal(sum_of_exps, _ACCUMULATION_INTEGER_BITS)
    exponent = bits + 31 - 8
    if np.any((exponent < 0) | (exponent > 31)):
        raise ValueError("softmax: reciprocal exponent out of [0, 31]")
    unsat = fp.rounding_divide_by_pot(fp.saturating_rounding_doubling_high_mul(scale, exp),
                                      exponent)
    out = np.clip(unsat - 128, -128, 127)
    return np.where(live, out, -128).astype(np.int8)


def _softmax_float(x: np.ndarray, beta: float) -> np.ndarray:
    row_max = x.max(axis=-1, keepdims=True)
    scaled = ((x - row_max) * np.float32(beta)).astype(np.float32)
    exp = np.exp(scaled.astype(np.float64)).astype(np.float32)
    total = np.zeros(x.shape[:-1] + (1,), dtype=np.float32)
    for c in range(x.shape[-1]):
        total += exp[..., c:c + 1]
    return (exp / total).astype(np.float32)
