"""harness.fixedpoint against hand-computed values and a literal scalar transcription of the
C code (gemmlowp fixedpoint.h, TFLite common.cc), including saturation and the rounding of
negative ties."""
from __future__ import annotations

import math

import numpy as np
import pytest

from harness import fixedpoint as fp

I32_MIN, I32_MAX = fp.INT32_MIN, fp.INT32_MAX


# -- literal scalar transcriptions of the C code (Python ints, C semantics spelled out) --------

def c_div(a: int, b: int) -> int:
    """C integer division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def c_wrap32(v: int) -> int:
    return ((v + (1 << 31)) % (1 << 32)) - (1 << 31)


def c_srdhm(a: int, b: int) -> int:
    overflow = a == b == I32_MIN
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    result = c_div(ab + nudge, 1 << 31)
    return I32_MAX if overflow else result


def c_rdbpot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def c_mbqm(x: int, multiplier: int, shift: int) -> int:
    left = shift if shift > 0 else 0
    right = 0 if shift > 0 else -shift
    return c_rdbpot(c_srdhm(c_wrap32(x * (1 << left)), multiplier), right)


def c_srmbpot(x: int, exponent: int) -> int:
    if exponent > 0:
        threshold = (1 << (31 - exponent)) - 1
        if x > threshold:
            return I32_MAX
        if x < -threshold:
            return I32_MIN
        return x << exponent
    return c_rdbpot(x, -exponent) if exponent < 0 else x


def c_exp_quarter(a: int) -> int:
    x = c_wrap32(a + (1 << 28))
    x2 = c_srdhm(x, x)
    x3 = c_srdhm(x2, x)
    x4 = c_srdhm(x2, x2)
    x4_over_4 = c_srmbpot(x4, -2)
    poly = c_srmbpot(c_wrap32(c_srdhm(c_wrap32(x4_over_4 + x3), 715827883) + x2), -1)
    return c_wrap32(1895147668 + c_srdhm(1895147668, c_wrap32(x + poly)))


def c_exp_negative(a: int, integer_bits: int = 5) -> int:
    frac = 31 - integer_bits
    quarter = 1 << (frac - 2)
    a_mod = c_wrap32((a & (quarter - 1)) - quarter)
    result = c_exp_quarter(c_srmbpot(a_mod, integer_bits))
    remainder = c_wrap32(a_mod - a)
    for exponent, multiplier in ((-2, 1672461947), (-1, 1302514674), (0, 790015084),
                                 (1, 290630308), (2, 39332535), (3, 720401), (4, 242)):
        if integer_bits > exponent and remainder & (1 << (frac + exponent)):
            result = c_srdhm(result, multiplier)
    if integer_bits > 5 and a < -(1 << (36 - integer_bits)):
        result = 0
    return I32_MAX if a == 0 else result


def c_one_over_one_plus_x(a: int) -> int:
    total = a + I32_MAX
    half_denominator = c_div(total + (1 if total >= 0 else -1), 2)
    x = c_wrap32(1515870810 + c_srdhm(half_denominator, -1010580540))
    for _ in range(3):
        one_minus = c_wrap32((1 << 29) - c_srdhm(half_denominator, x))
        x = c_wrap32(x + c_srmbpot(c_srdhm(x, one_minus), 2))
    return c_srmbpot(x, 1)


EDGES = [I32_MIN, I32_MIN + 1, -(1 << 30) - 1, -(1 << 30), -3, -2, -1, 0, 1, 2, 3,
         (1 << 30), (1 << 30) + 1, I32_MAX - 1, I32_MAX]


def random_int32(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    wide = rng.integers(I32_MIN, I32_MAX, size=n, endpoint=True)
    small = rng.integers(-5000, 5000, size=n)
    return np.concatenate([wide, small, np.array(EDGES)])


# -- SaturatingRoundingDoublingHighMul ---------------------------------------------------------

@pytest.mark.parametrize("a, b, expected", [
    (I32_MIN, I32_MIN, I32_MAX),            # the one overflow saturates
    (I32_MIN, I32_MAX, -I32_MAX),           # -1 * (1 - 2^-31)
    (I32_MAX, I32_MAX, I32_MAX - 1),        # (1 - 2^-31)^2 rounds to 1 - 2^-30
    (1 << 30, 1 << 30, 1 << 29),            # 0.5 * 0.5 = 0.25
    (1 << 30, 1, 1),                        # +0.5 ulp: tie rounds up
    (-(1 << 30), 1, 0),                     # -0.5 ulp: tie rounds toward +inf, to 0
    (-(1 << 30) - 1, 1, -1),                # just below -0.5 ulp
    (3 << 29, 1, 1),                        # 0.75 ulp
    (-(3 << 29), 1, -1),                    # -0.75 ulp
])
def test_srdhm_hand_cases(a: int, b: int, expected: int) -> None:
    assert int(fp.saturating_rounding_doubling_high_mul(a, b)) == expected
    assert c_srdhm(a, b) == expected


def test_srdhm_matches_c_transcription() -> None:
    a = random_int32(3000, 1)
    b = np.roll(random_int32(3000, 2), 7)
    got = fp.saturating_rounding_doubling_high_mul(a, b)
    assert got.tolist() == [c_srdhm(int(x), int(y)) for x, y in zip(a, b)]


# -- RoundingDivideByPOT -----------------------------------------------------------------------

@pytest.mark.parametrize("x, exponent, expected", [
    (5, 1, 3), (-5, 1, -3),                 # ties away from zero
    (4, 1, 2), (-4, 1, -2),
    (7, 2, 2), (-7, 2, -2),                 # 1.75
    (6, 2, 2), (-6, 2, -2),                 # 1.5 ties away
    (5, 2, 1), (-5, 2, -1),                 # 1.25
    (-1, 1, -1), (-1, 2, 0), (1, 1, 1),
    (12345, 0, 12345), (-12345, 0, -12345),
    (I32_MAX, 31, 1), (I32_MIN, 31, -1), (I32_MIN, 1, -(1 << 30)),
])
def test_rdbpot_hand_cases(x: int, exponent: int, expected: int) -> None:
    assert int(fp.rounding_divide_by_pot(x, exponent)) == expected
    assert c_rdbpot(x, exponent) == expected


def test_rdbpot_per_element_exponents_match_c() -> None:
    x = random_int32(2000, 3)
    e = np.random.default_rng(4).integers(0, 32, size=x.size)
    got = fp.rounding_divide_by_pot(x, e)
    assert got.tolist() == [c_rdbpot(int(v), int(k)) for v, k in zip(x, e)]


def test_rdbpot_rejects_bad_exponent() -> None:
    with pytest.raises(ValueError, match="exponent"):
        fp.rounding_divide_by_pot(1, 32)
    with pytest.raises(ValueError, match="exponent"):
        fp.rounding_divide_by_pot(1, -1)


# -- SaturatingRoundingMultiplyByPOT / Rescale ---------------------------------------------------

@pytest.mark.parametrize("x, exponent, expected", [
    ((1 << 29) - 1, 2, (1 << 31) - 4),
    (1 << 29, 2, I32_MAX),                  # saturates high
    (-(1 << 29), 2, I32_MIN),               # saturates low
    (-(1 << 29) + 1, 2, -(1 << 31) + 4),
    (I32_MAX, 1, I32_MAX), (I32_MIN, 1, I32_MIN),
    (7, -1, 4), (-7, -1, -4), (7, 0, 7),
])
def test_srmbpot_hand_cases(x: int, exponent: int, expected: int) -> None:
    assert int(fp.saturating_rounding_multiply_by_pot(x, exponent)) == expected
    assert c_srmbpot(x, exponent) == expected


def test_rescale_changes_integer_bits() -> None:
    one_q5 = 1 << 26                        # 1.0 in Q5.26
    assert int(fp.rescale(one_q5, 5, 12)) == 1 << 19  # 1.0 in Q12.19
    assert int(fp.rescale(1 << 19, 12, 5)) == one_q5
    assert int(fp.rescale(1 << 30, 0, 12)) == 1 << 18  # 0.5 in Q12.19
    assert int(fp.rescale(1 << 30, 2, 0)) == I32_MAX  # 2.0 does not fit Q0.31


# -- MultiplyByQuantizedMultiplier and its variants ---------------------------------------------

@pytest.mark.parametrize("x, multiplier, shift, expected", [
    (100, 1 << 30, 0, 50),                  # x * 0.5
    (3, 1 << 30, 2, 6),                     # left shift 2: 3 * 4 * 0.5
    (1, 3 << 29, -1, 1),                    # 0.375: 0.75 -> 1, then 0.5 -> 1 (double rounding)
    (-1, 3 << 29, -1, -1),                  # -0.375: -0.75 -> -1, then -0.5 -> -1
    (-32, 1717986918, -4, -2),              # -32 * 0.8 / 16 = -1.6 -> -2
    (1 << 30, 1 << 30, 2, 0),               # x * 4 wraps to 0 in int32
    (0, 1 << 30, -31, 0),
])
def test_mbqm_hand_cases(x: int, multiplier: int, shift: int, expected: int) -> None:
    assert int(fp.multiply_by_quantized_multiplier(x, multiplier, shift)) == expected
    assert c_mbqm(x, multiplier, shift) == expected


def test_single_rounding_differs_where_expected() -> None:
    # 0.375 rounds once to 0; the double-rounding default gives 1 (above).
    assert int(fp.multiply_by_quantized_multiplier_single_rounding(1, 3 << 29, -1)) == 0
    assert int(fp.multiply_by_quantized_multiplier_single_rounding(-1, 3 << 29, -1)) == 0
    assert int(fp.multiply_by_quantized_multiplier_single_rounding(100, 1 << 30, 0)) == 50
    # ties go toward +infinity: 1.5 -> 2, -1.5 -> -1
    assert int(fp.multiply_by_quantized_multiplier_single_rounding(3, 1 << 30, 0)) == 2
    assert int(fp.multiply_by_quantized_multiplier_single_rounding(-3, 1 << 30, 0)) == -1
    with pytest.raises(ValueError):
        fp.multiply_by_quantized_multiplier_single_rounding(1, 1 << 30, 31)


def test_mbqm_per_channel_matches_c() -> None:
    rng = np.random.default_rng(5)
    acc = rng.integers(-(1 << 24), 1 << 24, size=(40, 6))
    multipliers = rng.integers(1 << 30, 1 << 31, size=6)
    shifts = np.array([-31, -12, -7, -1, 0, 3])
    got = fp.multiply_by_quantized_multiplier(acc, multipliers, shifts)
    want = [[c_mbqm(int(v), int(m), int(s)) for v, m, s in zip(row, multipliers, shifts)]
            for row in acc]
    assert got.tolist() == want


def test_mbqm_random_matches_c() -> None:
    x = random_int32(1500, 6)
    rng = np.random.default_rng(7)
    multipliers = rng.integers(1 << 30, 1 << 31, size=x.size)
    shifts = rng.integers(-20, 3, size=x.size)
    got = fp.multiply_by_quantized_multiplier(x, multipliers, shifts)
    assert got.tolist() == [c_mbqm(int(v), int(m), int(s))
                            for v, m, s in zip(x, multipliers, shifts)]


def test_smaller_than_one_and_greater_than_one() -> None:
    # SmallerThanOneExp: SRDHM then a rounding right shift of -left_shift.
    assert int(fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        3 << 20, 1 << 30, -2)) == c_rdbpot(c_srdhm(3 << 20, 1 << 30), 2) == 3 << 17
    assert int(fp.multiply_by_quantized_multiplier_smaller_than_one_exp(-5, 1 << 30, -1)) == -1
    # GreaterThanOne: wrapping left shift then SRDHM.
    assert int(fp.multiply_by_quantized_multiplier_greater_than_one(-3, 1 << 30, 4)) == -24
    assert int(fp.multiply_by_quantized_multiplier_greater_than_one(1 << 28, 1 << 30, 4)) == \
        c_srdhm(c_wrap32((1 << 28) * 16), 1 << 30)


def test_wrap_int32() -> None:
    assert fp.wrap_int32(np.array([I32_MAX + 1, I32_MIN - 1, 1 << 32, -5])).tolist() == \
        [I32_MIN, I32_MAX, 0, -5]


def test_rounding_half_sum() -> None:
    cases = [(1, 2, 2), (-1, -2, -2), (0, 1, 1), (0, -1, -1), (I32_MAX, I32_MAX, I32_MAX),
             (I32_MIN, I32_MIN, I32_MIN), (5, 6, 6), (-5, -6, -6)]
    for a, b, expected in cases:
        assert int(fp.rounding_half_sum(a, b)) == expected, (a, b)


# -- exp, 1/(1+x), reciprocal ------------------------------------------------------------------

def test_exp_on_negative_values_special_points() -> None:
    assert int(fp.exp_on_negative_values(0)) == I32_MAX           # exp(0) = One()
    q = 1 << 26                                                   # 1.0 in Q5.26
    for k in range(1, 16):
        got = int(fp.exp_on_negative_values(-k * q)) / 2.0 ** 31
        assert got == pytest.approx(math.exp(-k), abs=3e-7), k  # 4th-order Taylor
    assert int(fp.exp_on_negative_values(I32_MIN)) == 0            # exp(-32) underflows


def test_exp_on_negative_values_matches_c_and_math() -> None:
    rng = np.random.default_rng(8)
    a = -rng.integers(0, 1 << 31, size=800)
    a = np.concatenate([a, [-1, -(1 << 24), -(1 << 26) + 1, -(31 << 26)]])
    got = fp.exp_on_negative_values(a)
    assert got.tolist() == [c_exp_negative(int(v)) for v in a]
    real = np.exp(a / 2.0 ** 26)
    assert np.max(np.abs(got / 2.0 ** 31 - real)) < 3e-7   # Taylor error ~ (1/8)^5 / 120


def test_exp_clamp_with_more_integer_bits() -> None:
    # FixedPoint<int32, 6>: below -32 the result is forced to 0.
    assert int(fp.exp_on_negative_values(-(33 << 25), integer_bits=6)) == 0
    assert c_exp_negative(-(31 << 25), 6) == int(fp.exp_on_negative_values(-(31 << 25), 6))


def test_exp_on_quarter_interval() -> None:
    a = -np.arange(1, 1 << 29, 1 << 18)        # (-1/4, 0) in Q0.31
    got = fp.exp_on_interval_between_negative_one_quarter_and_0_excl(a)
    assert got.tolist() == [c_exp_quarter(int(v)) for v in a]
    assert np.max(np.abs(got / 2.0 ** 31 - np.exp(a / 2.0 ** 31))) < 3e-7


def test_one_over_one_plus_x() -> None:
    x = np.concatenate([np.arange(0, I32_MAX, 1 << 22), [I32_MAX]])
    got = fp.one_over_one_plus_x_for_x_in_0_1(x)
    assert got.tolist() == [c_one_over_one_plus_x(int(v)) for v in x]
    assert np.max(np.abs(got / 2.0 ** 31 - 1.0 / (1.0 + x / 2.0 ** 31))) < 1e-8
    assert int(fp.one_over_one_plus_x_for_x_in_0_1(0)) == I32_MAX      # 1/1 saturates


def test_count_leading_zeros() -> None:
    values = [0, 1, 2, 3, 1 << 19, (1 << 31) - 1, -1, I32_MIN]
    assert fp.count_leading_zeros(np.array(values)).tolist() == [32, 31, 30, 30, 12, 1, 0, 0]


def test_get_reciprocal() -> None:
    one = 1 << 19                                       # 1.0 in Q12.19
    scale, bits = fp.get_reciprocal(np.array([one, 3 * one, 12345678]), 12)
    assert bits.tolist() == [0, 1, 4]
    assert int(scale[0]) == I32_MAX                     # 1/1
    for s, b, x in zip(scale, bits, [one, 3 * one, 12345678]):
        assert s / 2.0 ** 31 / 2.0 ** b == pytest.approx(one / x, rel=1e-8)
    with pytest.raises(ValueError):
        fp.get_reciprocal(0, 12)
