/* Fixed-point arithmetic of TFLite's int8 reference kernels (gemmlowp semantics).
 *
 * Every function here reproduces one gemmlowp / TFLite helper bit for bit:
 *   hb_srdhm                  SaturatingRoundingDoublingHighMul
 *   hb_rdbpot                 RoundingDivideByPOT
 *   hb_mbqm                   MultiplyByQuantizedMultiplier (double rounding)
 *   hb_mbqm_smaller_than_one  MultiplyByQuantizedMultiplierSmallerThanOneExp
 *   hb_mbqm_greater_than_one  MultiplyByQuantizedMultiplierGreaterThanOne
 *   hb_mbqm64                 MultiplyByQuantizedMultiplier(int64 x) of the int16x8 kernels
 *   hb_exp_on_negative_values exp_on_negative_values for FixedPoint<int32, 5>
 *   hb_get_reciprocal         GetReciprocal (one_over_one_plus_x_for_x_in_0_1)
 *
 * Assumptions, true of gcc/clang on every target hilbench builds for: signed right shifts are
 * arithmetic, and unsigned -> signed conversions wrap (two's complement). Left shifts of
 * signed values go through uint32_t so no shift is undefined behaviour.
 * int64_t appears only in hb_srdhm, hb_mbqm64 and hb_rounding_half_sum.
 */
#ifndef HB_FIXEDPOINT_H
#define HB_FIXEDPOINT_H

#include <stdint.h>

/* (a * b * 2) >> 32, rounded to nearest, saturating the single overflow case. */
static inline int32_t hb_srdhm(int32_t a, int32_t b)
{
    int64_t ab;
    int32_t nudge;
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    /* C division truncates toward zero, as gemmlowp relies on. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero; 0 <= exponent <= 31. */
static inline int32_t hb_rdbpot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)(((uint32_t)1 << exponent) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * 2^exponent (exponent >= 0) without undefined behaviour; wraps like the hardware. */
static inline int32_t hb_shift_left(int32_t x, int32_t exponent)
{
    return (int32_t)((uint32_t)x << exponent);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT for a positive exponent (1..30). */
static inline int32_t hb_saturating_shift_left(int32_t x, int32_t exponent)
{
    const int32_t threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return hb_shift_left(x, exponent);
}

/* x * multiplier * 2^(shift - 31), TFLite's default (double-rounding) version. */
static inline int32_t hb_mbqm(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left_shift = shift > 0 ? shift : 0;
    const int32_t right_shift = shift > 0 ? 0 : -shift;
    return hb_rdbpot(hb_srdhm(hb_shift_left(x, left_shift), multiplier), right_shift);
}

/* The ADD kernel's rescale: shift <= 0. */
static inline int32_t hb_mbqm_smaller_than_one(int32_t x, int32_t multiplier, int32_t shift)
{
    return hb_rdbpot(hb_srdhm(x, multiplier), -shift);
}

/* The SOFTMAX input rescale: left_shift >= 0. */
static inline int32_t hb_mbqm_greater_than_one(int32_t x, int32_t multiplier, int32_t left_shift)
{
    return hb_srdhm(hb_shift_left(x, left_shift), multiplier);
}

/* MultiplyByQuantizedMultiplier(int64 x, ...), the overload of the int16x8 kernels: the
 * multiplier reduced to 15 bits, one rounding (ties toward +infinity); |x| < 2^47. */
static inline int32_t hb_mbqm64(int64_t x, int32_t multiplier, int32_t shift)
{
    const int64_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    const int32_t total_shift = 15 - shift;
    return (int32_t)((x * reduced + ((int64_t)1 << (total_shift - 1))) >> total_shift);
}

static inline int32_t hb_clamp_i32(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

static inline float hb_clamp_f32(float x, float lo, float hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* gemmlowp RoundingHalfSum for int32: (a + b) / 2 rounded away from zero. */
static inline int32_t hb_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    const int64_t sign = sum >= 0 ? 1 : -1;
    return (int32_t)((sum + sign) / 2);
}

/* exp(x) for x in [-1/4, 0), x and the result in Q0.31 (FixedPoint<int32, 0>). */
static inline int32_t hb_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a)
{
    const int32_t constant_term = 1895147668;     /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;  /* 1/3 */
    /* Taylor expansion around -1/8: x = a + 1/8. */
    const int32_t x = a + (1 << 28);
    const int32_t x2 = hb_srdhm(x, x);
    const int32_t x3 = hb_srdhm(x2, x);
    const int32_t x4 = hb_srdhm(x2, x2);
    const int32_t x4_over_4 = hb_rdbpot(x4, 2);
    const int32_t x4_over_24_plus_x3_over_6_plus_x2_over_2 =
        hb_rdbpot(hb_srdhm(x4_over_4 + x3, constant_1_over_3) + x2, 1);
    return constant_term + hb_srdhm(constant_term, x + x4_over_24_plus_x3_over_6_plus_x2_over_2);
}

/* exp(a) for a <= 0; a in Q5.26 (FixedPoint<int32, 5>), the result in Q0.31. */
static inline int32_t hb_exp_on_negative_values(int32_t a)
{
    const int32_t one_quarter = 1 << 24;  /* 2^-2 in Q5.26 */
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
    /* Rescale<0>: Q5.26 -> Q0.31 is a saturating left shift by 5. */
    int32_t result = hb_exp_on_interval_between_negative_one_quarter_and_0_excl(
        hb_saturating_shift_left(a_mod_quarter_minus_one_quarter, 5));
    const int32_t remainder = a_mod_quarter_minus_one_quarter - a;

    /* Barrel shifter: multiply by exp(-2^k) for every bit k of the remainder. */
    if (remainder & (1 << 24)) result = hb_srdhm(result, 1672461947);  /* exp(-1/4) */
    if (remainder & (1 << 25)) result = hb_srdhm(result, 1302514674);  /* exp(-1/2) */
    if (remainder & (1 << 26)) result = hb_srdhm(result, 790015084);   /* exp(-1) */
    if (remainder & (1 << 27)) result = hb_srdhm(result, 290630308);   /* exp(-2) */
    if (remainder & (1 << 28)) result = hb_srdhm(result, 39332535);    /* exp(-4) */
    if (remainder & (1 << 29)) result = hb_srdhm(result, 720401);      /* exp(-8) */
    if (remainder & (1 << 30)) result = hb_srdhm(result, 242);         /* exp(-16) */

    if (a == 0) {
        result = INT32_MAX;  /* FixedPoint<int32, 0>::One() */
    }
    return result;
}

/* 1 / (1 + a) for a in [0, 1); a in Q0.31, the result in Q0.31 (Newton-Raphson). */
static inline int32_t hb_one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    const int32_t half_denominator = hb_rounding_half_sum(a, INT32_MAX);  /* Q0.31 */
    const int32_t constant_48_over_17 = 1515870810;                        /* Q2.29 */
    const int32_t constant_neg_32_over_17 = -1010580540;                   /* Q2.29 */
    const int32_t one_q2 = 1 << 29;                                        /* 1.0 in Q2.29 */
    int32_t x = constant_48_over_17 + hb_srdhm(half_denominator, constant_neg_32_over_17);
    int32_t i;
    for (i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x = hb_srdhm(half_denominator, x);  /* Q2.29 */
        const int32_t one_minus_half_denominator_times_x = one_q2 - half_denominator_times_x;
        /* The product is Q4.27; Rescale<2> brings it back to Q2.29. */
        x = x + hb_saturating_shift_left(hb_srdhm(x, one_minus_half_denominator_times_x), 2);
    }
    /* ExactMulByPot<-1> reinterprets Q2.29 as Q1.30; Rescale<0> shifts left by one. */
    return hb_saturating_shift_left(x, 1);
}

/* Count of leading zero bits; 32 for zero. */
static inline int32_t hb_clz32(uint32_t x)
{
    int32_t n = 0;
    if (x == 0u) {
        return 32;
    }
    while ((x & 0x80000000u) == 0u) {
        x <<= 1;
        ++n;
    }
    return n;
}

/* TFLite GetReciprocal: 1/x for x in Q(x_integer_digits); the result is Q0.31 scaled by
 * 2^-num_bits_over_unit. */
static inline int32_t hb_get_reciprocal(int32_t x, int32_t x_integer_digits,
                                        int32_t *num_bits_over_unit)
{
    const int32_t headroom_plus_one = hb_clz32((uint32_t)x);
    const int32_t shifted_sum_minus_one =
        (int32_t)(((uint32_t)x << headroom_plus_one) - ((uint32_t)1 << 31));
    *num_bits_over_unit = x_integer_digits - headroom_plus_one;
    return hb_one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
}

#endif /* HB_FIXEDPOINT_H */
