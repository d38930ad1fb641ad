"""Vectorised TFLite / gemmlowp fixed-point primitives, bit-exact with the C originals.

Every function takes NumPy integer arrays (or Python ints) holding *int32 values* and returns
np.int64 arrays holding int32 values: the int64 dtype only gives room for the intermediate
products, the values themselves are always what the 32-bit C code produces, including its
two's-complement wrap-around where the C code wraps (`wrap_int32`). Exponent arguments may be
scalars or arrays broadcastable against the data (per-channel shifts, per-row exponents).

The docstrings are the specification the generated C kernels follow; the names are the
C names in snake case. Sources: gemmlowp fixedpoint/fixedpoint.h and TFLite
kernels/internal/common.{h,cc}. TFLite builds without TFLITE_SINGLE_ROUNDING (the default)
use the *double-rounding* `multiply_by_quantized_multiplier`; that is what LiteRT's
BUILTIN_REF kernels compute (ai-edge-litert 2.3.0: the int8 models of
tests/test_golden_vs_litert.py are bit-exact with it, while the single-rounding variant
changes 5-8% of the final kws/vww outputs). The single-rounding variant is provided for
targets (CMSIS-NN, TFLM built with the flag) that use it.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "INT32_MIN",
    "INT32_MAX",
    "wrap_int32",
    "saturating_rounding_doubling_high_mul",
    "rounding_divide_by_pot",
    "saturating_rounding_multiply_by_pot",
    "multiply_by_quantized_multiplier",
    "multiply_by_quantized_multiplier_single_rounding",
    "multiply_by_quantized_multiplier_int64",
    "multiply_by_quantized_multiplier_smaller_than_one_exp",
    "multiply_by_quantized_multiplier_greater_than_one",
    "rounding_half_sum",
    "rescale",
    "exp_on_interval_between_negative_one_quarter_and_0_excl",
    "exp_on_negative_values",
    "one_over_one_plus_x_for_x_in_0_1",
    "count_leading_zeros",
    "get_reciprocal",
]

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1

IntArray = np.ndarray | int


def _i64(x: IntArray) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def wrap_int32(x: IntArray) -> np.ndarray:
    """Two's-complement wrap to int32, as a C int32 addition/multiplication overflow does."""
    v = _i64(x)
    return ((v + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _trunc_div_pow2(x: np.ndarray, bits: int) -> np.ndarray:
    """C integer division by 2^bits (rounds toward zero), for int64 x."""
    return np.where(x >= 0, x >> bits, -((-x) >> bits))


def saturating_rounding_doubling_high_mul(a: IntArray, b: IntArray) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul(int32 a, int32 b) (ARM VQRDMULH).

    C: ab = (int64)a * b; nudge = ab >= 0 ? 2^30 : 1 - 2^30;
       result = (int32)((ab + nudge) / 2^31)   (C division, truncating toward zero);
       the only overflow, a == b == INT32_MIN, saturates to INT32_MAX.
    Net effect: round(a * b / 2^31) with ties toward +infinity (-0.5 -> 0, 0.5 -> 1), which
    equals (ab + 2^30) >> 31 with an arithmetic shift; that is how it is computed here.
    """
    a64, b64 = _i64(a), _i64(b)
    result = (a64 * b64 + (1 << 30)) >> 31
    overflow = (a64 == INT32_MIN) & (b64 == INT32_MIN)
    if np.any(overflow):
        result = np.where(overflow, np.int64(INT32_MAX), result)
    return result


def rounding_divide_by_pot(x: IntArray, exponent: IntArray) -> np.ndarray:
    """gemmlowp RoundingDivideByPOT(int32 x, int exponent), 0 <= exponent <= 31.

    C: mask = 2^exponent - 1; remainder = x & mask;
       threshold = (mask >> 1) + (x < 0 ? 1 : 0);
       result = (x >> exponent) + (remainder > threshold ? 1 : 0)   (arithmetic shift).
    Net effect: round(x / 2^exponent), ties away from zero (-2.5 -> -3, 2.5 -> 3); computed
    here as (x + 2^(exponent-1) - (x < 0)) >> exponent for exponent > 0. `exponent` may be an
    array broadcast against x.
    """
    x64 = _i64(x)
    e = _i64(exponent)
    if np.any((e < 0) | (e > 31)):
        raise ValueError(f"rounding_divide_by_pot: exponent must be in [0, 31], got {exponent}")
    positive = e > 0
    half = np.where(positive, np.int64(1) << np.maximum(e - 1, 0), np.int64(0))
    if np.all(positive):
        nudge = half - (x64 < 0)
    else:
        nudge = half - ((x64 < 0) & positive)
    return (x64 + nudge) >> e


def saturating_rounding_multiply_by_pot(x: IntArray, exponent: int) -> np.ndarray:
    """gemmlowp SaturatingRoundingMultiplyByPOT<exponent>(int32 x), exponent a scalar.

    exponent > 0: threshold = 2^(31 - exponent) - 1; x > threshold -> INT32_MAX,
    x < -threshold -> INT32_MIN, else x << exponent (saturating left shift).
    exponent < 0: rounding_divide_by_pot(x, -exponent). exponent == 0: x.
    """
    x64 = _i64(x)
    if exponent == 0:
        return x64
    if exponent < 0:
        return rounding_divide_by_pot(x64, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    shifted = x64 << exponent
    return np.where(x64 > threshold, np.int64(INT32_MAX),
                    np.where(x64 < -threshold, np.int64(INT32_MIN), shifted))


def multiply_by_quantized_multiplier(x: IntArray, multiplier: IntArray,
                                     shift: IntArray) -> np.ndarray:
    """TFLite MultiplyByQuantizedMultiplier(int32 x, int32 multiplier, int shift), double rounding.

    left = shift > 0 ? shift : 0; right = shift > 0 ? 0 : -shift;
    result = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x * 2^left, multiplier), right),
    where x * 2^left is a wrapping int32 multiplication. Approximates x * multiplier * 2^(shift-31)
    with two roundings (the first ties toward +infinity, the second ties away from zero).
    `multiplier`/`shift` may be per-channel arrays broadcast against x (e.g. shape [C] against
    NHWC data).
    """
    s = _i64(shift)
    left = np.maximum(s, 0)
    right = np.maximum(-s, 0)
    x64 = _i64(x)
    if np.any(left > 0):
        x64 = wrap_int32(x64 * (np.int64(1) << left))
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x64, multiplier), right)


def multiply_by_quantized_multiplier_single_rounding(x: IntArray, multiplier: IntArray,
                                                     shift: IntArray) -> np.ndarray:
    """TFLite MultiplyByQuantizedMultiplier when built with TFLITE_SINGLE_ROUNDING=1.

    total_shift = 31 - shift; round = 2^(total_shift - 1);
    result = (int32)((int64)x * multiplier + round) >> total_shift)   (arithmetic shift),
    i.e. one rounding, ties toward +infinity. Requires -31 <= shift <= 30. Not the variant
    LiteRT's pip wheels use; provided for targets that are built with it.
    """
    s = _i64(shift)
    if np.any((s < -31) | (s > 30)):
        raise ValueError(f"single-rounding multiplier needs -31 <= shift <= 30, got {shift}")
    total = 31 - s
    return (_i64(x) * _i64(multiplier) + (np.int64(1) << (total - 1))) >> total


def multiply_by_quantized_multiplier_int64(x: IntArray, multiplier: IntArray,
                                           shift: IntArray) -> np.ndarray:
    """TFLite MultiplyByQuantizedMultiplier(int64 x, int32 multiplier, int shift), the overload
    the int16x8 kernels call on their int64 accumulators (double-rounding builds).

    reduced = multiplier < 0x7FFF0000 ? (multiplier + 2^15) >> 16 : 0x7FFF   (15-bit multiplier)
    total_shift = 15 - shift; result = (int32_t)((x * reduced + 2^(total_shift-1)) >> total_shift)
    One rounding, ties toward +infinity. |x| < 2^47 and -31 <= shift < 8 keep every step inside
    int64 (LiteRT's DCHECKs).
    """
    m = _i64(multiplier)
    reduced = np.where(m < 0x7FFF0000, (m + (1 << 15)) >> 16, 0x7FFF)
    total = 15 - _i64(shift)
    return wrap_int32((_i64(x) * reduced + (np.int64(1) << (total - 1))) >> total)


def multiply_by_quantized_multiplier_smaller_than_one_exp(x: IntArray, multiplier: IntArray,
                                                          left_shift: IntArray) -> np.ndarray:
    """TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp (double rounding), left_shift <= 0.

    result = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x, multiplier), -left_shift).
    Used by the int8 ADD kernel.
    """
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier),
                                  -_i64(left_shift))


def multiply_by_quantized_multiplier_greater_than_one(x: IntArray, multiplier: IntArray,
                                                      left_shift: IntArray) -> np.ndarray:
    """TFLite MultiplyByQuantizedMultiplierGreaterThanOne (double rounding), left_shift >= 0.

    result = SaturatingRoundingDoublingHighMul(x * 2^left_shift, multiplier), the product
    x * 2^left_shift wrapping in int32. Used by the int8 SOFTMAX kernel.
    """
    scaled = wrap_int32(_i64(x) * (np.int64(1) << _i64(left_shift)))
    return saturating_rounding_doubling_high_mul(scaled, multiplier)


def rounding_half_sum(a: IntArray, b: IntArray) -> np.ndarray:
    """gemmlowp RoundingHalfSum(int32 a, int32 b): sum = (int64)a + b;
    result = (sum + (sum >= 0 ? 1 : -1)) / 2 with C division (truncation toward zero)."""
    total = _i64(a) + _i64(b)
    sign = np.where(total >= 0, np.int64(1), np.int64(-1))
    return _trunc_div_pow2(total + sign, 1)


def rescale(x: IntArray, src_integer_bits: int, dst_integer_bits: int) -> np.ndarray:
    """gemmlowp Rescale<dst>(FixedPoint<int32, src> x): the same real value with dst integer bits,
    raw = SaturatingRoundingMultiplyByPOT<src - dst>(x.raw)."""
    return saturating_rounding_multiply_by_pot(x, src_integer_bits - dst_integer_bits)


def _fp_mul(a: IntArray, b: IntArray) -> np.ndarray:
    """FixedPoint operator*: integer bits add up, raw = SaturatingRoundingDoublingHighMul."""
    return saturating_rounding_doubling_high_mul(a, b)


def _fp_add(a: IntArray, b: IntArray) -> np.ndarray:
    """FixedPoint<int32> operator+ (and AddSaturatingIf16Bit for int32): wrapping int32 add."""
    return wrap_int32(_i64(a) + _i64(b))


# gemmlowp constants (raw int32 values of FixedPoint<int32, 0> unless noted).
_EXP_MINUS_ONE_EIGHTH = 1895147668          # exp(-1/8)
_ONE_THIRD = 715827883                      # 1/3
_EXP_BARREL_MULTIPLIERS = (                 # (exponent, raw of exp(-2^exponent))
    (-2, 1672461947),
    (-1, 1302514674),
    (0, 790015084),
    (1, 290630308),
    (2, 39332535),
    (3, 720401),
    (4, 242),
)
_48_OVER_17 = 1515870810                    # FixedPoint<int32, 2>: 48/17
_NEG_32_OVER_17 = -1010580540               # FixedPoint<int32, 2>: -32/17


def exp_on_interval_between_negative_one_quarter_and_0_excl(a: IntArray) -> np.ndarray:
    """gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl(FixedPoint<int32, 0> a).

    Taylor expansion around -1/8 (all values FixedPoint<int32, 0>, * = SRDHM, + = wrapping add):
      x = a + 2^28 (1/8); x2 = x*x; x3 = x2*x; x4 = x2*x2;
      x4_over_4 = SaturatingRoundingMultiplyByPOT<-2>(x4);
      poly = SaturatingRoundingMultiplyByPOT<-1>(((x4_over_4 + x3) * 715827883) + x2);
      result = 1895147668 + 1895147668 * (x + poly).
    """
    x = _fp_add(a, 1 << 28)
    x2 = _fp_mul(x, x)
    x3 = _fp_mul(x2, x)
    x4 = _fp_mul(x2, x2)
    x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2)
    poly = saturating_rounding_multiply_by_pot(
        _fp_add(_fp_mul(_fp_add(x4_over_4, x3), _ONE_THIRD), x2), -1)
    return _fp_add(_EXP_MINUS_ONE_EIGHTH, _fp_mul(_EXP_MINUS_ONE_EIGHTH, _fp_add(x, poly)))


def exp_on_negative_values(a: IntArray, integer_bits: int = 5) -> np.ndarray:
    """gemmlowp exp_on_negative_values(FixedPoint<int32, integer_bits> a) -> FixedPoint<int32, 0>.

    For a <= 0 (softmax uses integer_bits = 5, i.e. Q5.26). With F = 31 - integer_bits fractional
    bits and one_quarter = 2^(F - 2):
      a_mod = (a & (one_quarter - 1)) - one_quarter;           (in [-1/4, 0))
      result = exp_on_interval_...(Rescale<0>(a_mod));
      remainder = a_mod - a;
      for (e, m) in (-2, 1672461947) (-1, 1302514674) (0, 790015084) (1, 290630308)
                    (2, 39332535) (3, 720401) (4, 242), only while integer_bits > e:
          if remainder & 2^(F + e): result = result * m        (SRDHM)
      if integer_bits > 5 and a < -2^(F + 5) (i.e. a < -32): result = 0
      if a == 0: result = INT32_MAX (FixedPoint<int32, 0>::One()).
    """
    a64 = _i64(a)
    frac = 31 - integer_bits
    one_quarter = 1 << (frac - 2)
    a_mod = wrap_int32((a64 & (one_quarter - 1)) - one_quarter)
    in_quarter = rescale(a_mod, integer_bits, 0)
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(in_quarter)
    remainder = wrap_int32(a_mod - a64)
    for exponent, multiplier in _EXP_BARREL_MULTIPLIERS:
        if integer_bits > exponent:
            bit = np.int64(1) << (frac + exponent)
            result = np.where((remainder & bit) != 0, _fp_mul(result, multiplier), result)
    if integer_bits > 5:
        clamp = -(1 << (36 - integer_bits))
        result = np.where(a64 < clamp, np.int64(0), result)
    return np.where(a64 == 0, np.int64(INT32_MAX), result)


def one_over_one_plus_x_for_x_in_0_1(a: IntArray) -> np.ndarray:
    """gemmlowp one_over_one_plus_x_for_x_in_0_1(FixedPoint<int32, 0> a) -> FixedPoint<int32, 0>.

    Newton-Raphson division:
      half_denominator = RoundingHalfSum(a, INT32_MAX);            (Q0.31, "one" = INT32_MAX)
      x = 1515870810 + half_denominator * -1010580540;             (Q2.29: 48/17 - 32/17 * hd)
      3 times: hd_x = half_denominator * x;                        (Q2.29)
               one_minus = 2^29 - hd_x;                            (F2::One() = 2^29)
               x = x + Rescale<2>(x * one_minus)                   (Q4.27 -> Q2.29, saturating <<2)
      result = Rescale<0>(ExactMulByPot<-1>(x)) = SaturatingRoundingMultiplyByPOT<1>(x).
    """
    half_denominator = rounding_half_sum(a, INT32_MAX)
    x = _fp_add(_48_OVER_17, _fp_mul(half_denominator, _NEG_32_OVER_17))
    for _ in range(3):
        hd_x = _fp_mul(half_denominator, x)
        one_minus = wrap_int32(np.int64(1 << 29) - hd_x)
        x = _fp_add(x, rescale(_fp_mul(x, one_minus), 4, 2))
    return saturating_rounding_multiply_by_pot(x, 1)


def count_leading_zeros(x: IntArray) -> np.ndarray:
    """TFLite CountLeadingZeros(uint32 x): leading zero bits of the 32-bit value; 32 for 0.
    Negative int32 inputs are taken as their uint32 bit pattern (0 leading zeros)."""
    u = _i64(x) & 0xFFFFFFFF
    # frexp is exact for integers below 2^53: u = m * 2^e with m in [0.5, 1), e = bit length.
    _, bit_length = np.frexp(u.astype(np.float64))
    return 32 - bit_length.astype(np.int64)


def get_reciprocal(x: IntArray, x_integer_digits: int) -> tuple[np.ndarray, np.ndarray]:
    """TFLite GetReciprocal(int32 x, int x_integer_digits, int* num_bits_over_unit), x > 0.

    headroom_plus_one = CountLeadingZeros((uint32)x);
    num_bits_over_unit = x_integer_digits - headroom_plus_one;
    shifted_sum_minus_one = (int32)(((uint32)x << headroom_plus_one) - 2^31)   (uint32 wrap);
    shifted_scale = one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one).
    Returns (shifted_scale raw, a FixedPoint<int32, 0>; num_bits_over_unit).
    """
    x64 = _i64(x)
    if np.any(x64 <= 0):
        raise ValueError("get_reciprocal needs x > 0")
    headroom_plus_one = count_leading_zeros(x64)
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    shifted = ((x64 << headroom_plus_one) - (1 << 31)) & 0xFFFFFFFF
    shifted_sum_minus_one = wrap_int32(shifted)
    return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit
