"""The int16 LOGISTIC, TANH and SOFTMAX golden kernels (tables from harness.lower_int16).

LOGISTIC (reference_integer_ops::Logistic, int16), with m, s from Int16LutParams (m == 0:
m = 3 << s, s = 0):
    v = (x * m + round) >> s; a = |v|; h = a >> 9
    r = h >= 255 ? 0x7FFF << 10 : (T[h] << 9) + (a & 0x1FF) * (T[h + 1] - T[h])
    r = v >= 0 ? r + 2^9 : 2^25 - r + 2^9 - 1;  out = r >> 10
TANH (reference_integer_ops::Tanh, int16): the same input, h = a >> 8 and
    r = h >= 255 ? 0xFFFF << 8 : (T[h] << 8) + (a & 0xFF) * (T[h + 1] - T[h])
    r = v >= 0 ? r - 2^23 + 2^7 : -r + 2^23 + 2^7 - 1;  out = r >> 8
SOFTMAX (reference_ops::SoftmaxInt16), per row: e_c = LUT_exp(clamp(MBQM(x_c - max) + 32767)),
sum = sum of e_c; k = clz(sum); r = LUT_recip(clamp(((sum << (k-1)) + 2^13 >> 14) - 98304));
out_c = clamp((e_c * r + 2^(30-k)) >> (31 - k), 0, 32767). LUT(v): base lut[256 + (v >> 7)],
plus ((lut[i+1] - lut[i]) * (v & 0x7F) + 64) >> 7.
"""
from __future__ import annotations

import numpy as np

from .. import fixedpoint as fp
from ..ir import Graph, Op
from ..lower_int16 import sigmoid_table, softmax_exp_table, softmax_reciprocal_table
from ..op_params import Int16LutParams, OpParams, SoftmaxParams
from .common import KernelArgs

__all__ = ["logistic_s16", "tanh_s16", "softmax_s16", "lut_lookup_s16"]


def _rescaled(x: np.ndarray, params: Int16LutParams) -> np.ndarray:
    multiplier, shift = params.input_multiplier, params.input_left_shift
    if multiplier == 0:
        multiplier, shift = 3 << shift, 0
    rounding = 1 << (shift - 1) if shift > 0 else 0
    return (x.astype(np.int64) * multiplier + rounding) >> shift


def _interpolate(v: np.ndarray, bits: int) -> np.ndarray:
    """(T[h] << bits) + frac * (T[h + 1] - T[h]) for h = |v| >> bits (h < 255), else -1."""
    table = np.asarray(sigmoid_table() + (sigmoid_table()[-1],), dtype=np.int64)
    a = np.abs(v)
    h = np.minimum(a >> bits, 255)
    frac = a & ((1 << bits) - 1)
    value = (table[h] << bits) + frac * (table[h + 1] - table[h])
    return np.where(a >> bits >= 255, -1, value)


def logistic_s16(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """int16 LOGISTIC on a batch."""
    assert isinstance(params, Int16LutParams) and args[0] is not None
    v = _rescaled(args[0], params)
    r = _interpolate(v, 9)
    r = np.where(r < 0, 0x7FFF << 10, r)
    r = np.where(v >= 0, r + (1 << 9), (1 << 25) - r + (1 << 9) - 1)
    return (r >> 10).astype(np.int16)


def tanh_s16(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """int16 TANH on a batch."""
    assert isinstance(params, Int16LutParams) and args[0] is not None
    v = _rescaled(args[0], params)
    r = _interpolate(v, 8)
    r = np.where(r < 0, 0xFFFF << 8, r)
    r = np.where(v >= 0, r - (1 << 23) + (1 << 7), -r + (1 << 23) + (1 << 7) - 1)
    return (r >> 8).astype(np.int16)


def lut_lookup_s16(v: np.ndarray, lut: tuple[int, ...]) -> np.ndarray:
    """LiteRT's int16 LUT lookup (513 entries, linear interpolation over 128 steps)."""
    table = np.asarray(lut, dtype=np.int64)
    index = 256 + (v >> 7)
    base = table[index]
    slope = table[index + 1] - base
    return base + ((slope * (v & 0x7F) + 64) >> 7)


def softmax_s16(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """int16 SOFTMAX over the last axis of a batch."""
    assert isinstance(params, SoftmaxParams) and args[0] is not None
    x = args[0].astype(np.int64)
    diff = x - x.max(axis=-1, keepdims=True)
    scaled = fp.multiply_by_quantized_multiplier(diff, params.input_multiplier,
                                                 params.input_left_shift)
    e = lut_lookup_s16(np.clip(scaled + 32767, -32768, 32767), softmax_exp_table())
    e = e.astype(np.int16).astype(np.int64)
    total = e.sum(axis=-1, keepdims=True)
    clz = 32 - np.frexp(total.astype(np.float64))[1].astype(np.int64)   # exact below 2^53
    shifted = ((total << (clz - 1)) + (1 << 13)) >> 14
    recip = lut_lookup_s16(np.clip(shifted - ((1 << 15) + (1 << 16)), -32768, 32767),
                           softmax_reciprocal_table()).astype(np.int16).astype(np.int64)
    right = 31 - clz
    out = (e * recip + (np.int64(1) << (right - 1))) >> right
    return np.clip(out, 0, 32767).astype(np.int16)
