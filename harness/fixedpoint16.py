"""gemmlowp's 16-bit fixed point (FixedPoint<int16_t, IntegerBits>): the logistic and tanh that
LiteRT's integer LSTM applies to its int16 gates (portable_tensor_utils ApplySigmoid/ApplyTanh).

Values are NumPy int64 arrays holding int16 values, with the C code's int16 wrap-around where
it wraps (operator+, operator-, negation) and its saturation where it saturates. The generic
gemmlowp templates (fixedpoint.h) with tRawType = int16_t:
  * a*b is SaturatingRoundingDoublingHighMul: round(a*b / 2^15), ties toward +inf, and
    -32768 * -32768 saturates to 32767;
  * a 32-bit gemmlowp constant c becomes the int16 raw RoundingDivideByPOT(c, 16);
  * One() of FixedPoint<int16, 0> is 32767, of FixedPoint<int16, k> 2^(15 - k).
The C twins are in codegen/kernels/ref/hb_fixedpoint16.h.
"""
from __future__ import annotations

import numpy as np

from .fixedpoint import rounding_divide_by_pot

__all__ = ["wrap_int16", "srdhm16", "srmpot16", "logistic16", "tanh16", "const16"]

IntArray = np.ndarray | int


def _i64(x: IntArray) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def wrap_int16(x: IntArray) -> np.ndarray:
    """Two's-complement wrap to int16 (a C conversion of an int to int16_t)."""
    return ((_i64(x) + (1 << 15)) & 0xFFFF) - (1 << 15)


def const16(value32: int) -> int:
    """The int16 raw of a gemmlowp 32-bit constant (RescaleConstantInitializer<int16_t>)."""
    return int(rounding_divide_by_pot(value32, 16))


def srdhm16(a: IntArray, b: IntArray) -> np.ndarray:
    """SaturatingRoundingDoublingHighMul(int16 a, int16 b): (a*b + 2^14) >> 15 (the C
    division's truncation with the sign-dependent nudge is the same), -32768^2 -> 32767."""
    a64, b64 = _i64(a), _i64(b)
    result = (a64 * b64 + (1 << 14)) >> 15
    return np.where((a64 == -32768) & (b64 == -32768), np.int64(32767), result)


def srmpot16(x: IntArray, exponent: int) -> np.ndarray:
    """SaturatingRoundingMultiplyByPOT<exponent>(int16 x): a saturating left shift for
    exponent > 0 (threshold 2^(15 - exponent) - 1), RoundingDivideByPOT for exponent < 0."""
    x64 = _i64(x)
    if exponent == 0:
        return x64
    if exponent < 0:
        return rounding_divide_by_pot(x64, -exponent)
    threshold = (1 << (15 - exponent)) - 1
    return np.where(x64 > threshold, np.int64(32767),
                    np.where(x64 < -threshold, np.int64(-32768), wrap_int16(x64 << exponent)))


def _add(a: IntArray, b: IntArray) -> np.ndarray:
    return wrap_int16(_i64(a) + _i64(b))


def _sub(a: IntArray, b: IntArray) -> np.ndarray:
    return wrap_int16(_i64(a) - _i64(b))


def _rounding_half_sum(a: IntArray, b: IntArray) -> np.ndarray:
    """RoundingHalfSum(int16): (a + b + sign) / 2 in int32, C division (toward zero)."""
    total = _i64(a) + _i64(b)
    total = total + np.where(total >= 0, 1, -1)
    return np.where(total >= 0, total >> 1, -((-total) >> 1))


def _exp_on_interval_between_negative_one_quarter_and_0_excl(a: np.ndarray) -> np.ndarray:
    """The Taylor expansion around -1/8 (FixedPoint<int16, 0>); the last add saturates
    (AddSaturatingIf16Bit)."""
    x = _add(a, 1 << 12)
    x2 = srdhm16(x, x)
    x3 = srdhm16(x2, x)
    x4 = srdhm16(x2, x2)
    x4_over_4 = srmpot16(x4, -2)
    poly = srmpot16(_add(srdhm16(_add(x4_over_4, x3), const16(715827883)), x2), -1)
    c = const16(1895147668)
    return np.clip(c + srdhm16(c, _add(x, poly)), -32768, 32767)


_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
           (2, 39332535), (3, 720401), (4, 242))


def _exp_on_negative_values(a: np.ndarray, integer_bits: int) -> np.ndarray:
    """exp(a) for a <= 0 in FixedPoint<int16, integer_bits> -> FixedPoint<int16, 0>."""
    frac = 15 - integer_bits
    one_quarter = 1 << (frac - 2)
    a_mod = _sub(a & (one_quarter - 1), one_quarter)
    result = _exp_on_interval_between_negative_one_quarter_and_0_excl(srmpot16(a_mod, integer_bits))
    remainder = _sub(a_mod, a)
    for exponent, multiplier in _BARREL:
        if integer_bits > exponent:
            hit = (remainder & (1 << (frac + exponent))) != 0
            result = np.where(hit, srdhm16(result, const16(multiplier)), result)
    if integer_bits > 5:
        result = np.where(a < const16(-(1 << (36 - integer_bits))), 0, result)
    return np.where(a == 0, np.int64(32767), result)


def _newton_reciprocal(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Newton-Raphson loop shared by 1/(1+a) and (1-a)/(1+a): (x ~ 1/half_denominator in
    FixedPoint<int16, 2>, half_denominator)."""
    half_denominator = _rounding_half_sum(a, 32767)
    x = _add(const16(1515870810), srdhm16(half_denominator, const16(-1010580540)))
    for _ in range(3):
        one_minus = _sub(1 << 13, srdhm16(half_denominator, x))
        x = _add(x, srmpot16(srdhm16(x, one_minus), 2))
    return x, half_denominator


def logistic16(a: IntArray, integer_bits: int) -> np.ndarray:
    """gemmlowp::logistic(FixedPoint<int16, integer_bits>) -> FixedPoint<int16, 0> raw."""
    a64 = _i64(a)
    positive = a64 > 0
    magnitude = np.where(positive, a64, wrap_int16(-a64))
    x, _ = _newton_reciprocal(_exp_on_negative_values(wrap_int16(-magnitude), integer_bits))
    if_positive = srmpot16(x, 1)        # Rescale<0>(ExactMulByPot<-1>(x))
    if_negative = _sub(32767, if_positive)
    return np.where(a64 == 0, np.int64(16384), np.where(positive, if_positive, if_negative))


def tanh16(a: IntArray, integer_bits: int) -> np.ndarray:
    """gemmlowp::tanh(FixedPoint<int16, integer_bits>) -> FixedPoint<int16, 0> raw."""
    a64 = _i64(a)
    negative = a64 < 0
    n = np.where(negative, a64, wrap_int16(-a64))
    x, _ = _newton_reciprocal(_exp_on_negative_values(n, integer_bits + 1))
    t = srmpot16(_sub(x, 1 << 13), 2)   # Rescale<0>(x - F2::One())
    return np.where(a64 == 0, np.int64(0), np.where(negative, wrap_int16(-t), t))
