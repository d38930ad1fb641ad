"""LiteRT's integer layer norm of the int16 LSTM gates (portable_tensor_utils ApplyLayerNorm)
and the inverse square root it needs (kernels/internal/common.h
GetInvSqrtQuantizedMultiplierExp, reverse_shift -1).

Per row of n values v (int16):
  mean = trunc(sum(v) * 1024 / n); variance = sum(v^2) * trunc(2^20 / n) - mean^2 (int64);
  var = trunc(variance / 2^20), replaced by the variance guard when < 1;
  (a, b) = inverse square root multiplier of var;
  out = clamp16(MBQM(round_half_away((int32)(MBQM(1024 v - mean, a, b) * w) + bias) / 1024),
                     scale_a, scale_b + 12))
where the product with the int16 coefficient w and the bias add wrap in int32 as in C.
"""
from __future__ import annotations

import numpy as np

from .. import fixedpoint as fp

__all__ = ["apply_layer_norm", "inv_sqrt_multiplier"]


def _trunc_div(a: np.ndarray, b: int) -> np.ndarray:
    return np.where(a >= 0, a // b, -((-a) // b))


def inv_sqrt_multiplier(value: int) -> tuple[int, int]:
    """GetInvSqrtQuantizedMultiplierExp(value, reverse_shift=-1): (multiplier, shift) with
    1/sqrt(value) ~ multiplier * 2^(shift - 31), from 5 Newton-Raphson steps in Q3.28."""
    if value <= 1:
        return (1 << 31) - 1, 0
    shift = 11
    while value >= (1 << 29):
        value //= 4
        shift += 1
    max_left_shift_bits = int(fp.count_leading_zeros(value)) - 1
    pairs = max_left_shift_bits // 2 - 1
    shift -= pairs
    value <<= 2 * pairs
    half_input = int(fp.saturating_rounding_multiply_by_pot(value >> 1, -1))
    half_three = (1 << 28) + (1 << 27)
    x = 1 << 28                                  # F3::One()
    for _ in range(5):
        x3 = fp.saturating_rounding_multiply_by_pot(
            fp.saturating_rounding_doubling_high_mul(fp.saturating_rounding_doubling_high_mul(x, x), x), 6)
        diff = fp.wrap_int32(fp.saturating_rounding_doubling_high_mul(half_three, x)
                             - fp.saturating_rounding_doubling_high_mul(half_input, x3))
        x = int(fp.saturating_rounding_multiply_by_pot(diff, 3))
    result = int(fp.saturating_rounding_doubling_high_mul(x, 1518500250))
    if shift < 0:
        result = int(fp.wrap_int32(result << -shift))
        shift = 0
    return result, -shift


def apply_layer_norm(gate: np.ndarray, weights: np.ndarray, bias: np.ndarray,
                     scale: tuple[int, int], variance_guard: int) -> np.ndarray:
    """ApplyLayerNorm over the last axis of int16 values [N, n] -> int16 values [N, n]."""
    v = gate.astype(np.int64)
    n = v.shape[-1]
    total = v.sum(axis=-1)
    sum_sq = (v * v).sum(axis=-1)
    mean = _trunc_div(total * 1024, n)
    variance = sum_sq * ((1 << 20) // n) - mean * mean
    var = _trunc_div(variance, 1 << 20)
    var = np.where(var < 1, variance_guard, var)
    out = np.empty_like(v)
    for row in range(v.shape[0]):
        a, b = inv_sqrt_multiplier(int(var[row]))
        shifted = fp.wrap_int32(1024 * v[row] - mean[row])
        rescaled = fp.multiply_by_quantized_multiplier(shifted, a, b)
        val3 = fp.wrap_int32(rescaled * weights.astype(np.int64) + bias.astype(np.int64))
        val4 = _trunc_div(np.where(val3 > 0, val3 + 512, val3 - 512), 1024)
        val5 = fp.multiply_by_quantized_multiplier(val4, scale[0], scale[1] + 12)
        out[row] = np.clip(val5, -32768, 32767)
    return out
