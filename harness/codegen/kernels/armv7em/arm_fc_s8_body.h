/* FULLY_CONNECTED int8 for ARMv7E-M: four output rows per step (hb_arm_mac_pairs on row pairs
 * packed as 256 b + a at build time, or hb_arm_mac_1x4 on rows interleaved word by word where
 * that packing is not exact), the input offset folded into the bias, and LiteRT's double
 * requantisation round((double)acc * scale) reproduced in integers (hb_arm_fc_requantize),
 * the double computation kept for the cases it cannot decide.
 *
 * model.c defines one function per distinct layer shape that calls hb_arm_fc_s8_body with a
 * constant hb_arm_fc_shape: loop bounds, the row-group tail, the clamp, the layout and the
 * flags are compile-time constants, so the unneeded branches and the j loop disappear. */
#ifndef ARM_FC_S8_BODY_H
#define ARM_FC_S8_BODY_H

#include <string.h>

#include "hb_armv7em.h"

/* round((double)acc * scale), ties away from zero: |acc| * m + 2^31 in 64 bits, the high word
 * the rounded magnitude, unless the low word (the fraction) lies within 2^25 of a tie, where
 * the approximation error (< |acc| < 2^24 units of 2^-32, plus the double's own rounding,
 * < 8 units) could decide it: that case, |acc| >= 2^24 and scales of 1 or more (multiplier
 * 0) take the double computation. The sign is taken off and put back without branches. */
static inline __attribute__((always_inline)) int32_t hb_arm_fc_requantize(
    int32_t acc, uint32_t multiplier, int32_t all_scaled, const double *scale)
{
    const uint32_t s = (uint32_t)(acc >> 31);
    const uint32_t u = ((uint32_t)acc ^ s) - s;
    if (__builtin_expect(u < (1u << 24) && (all_scaled || multiplier != 0u), 1)) {
        const uint64_t v = (uint64_t)u * multiplier + 0x80000000u;
        if (__builtin_expect((uint32_t)v - (1u << 25) <= 0xFFFFFFFFu - (1u << 26), 1)) {
            return (int32_t)(((uint32_t)(v >> 32) ^ s) - s);
        }
    }
    return hb_arm_fc_round_double(acc, *scale);
}

/* Rows oc .. oc + n - 1 (n <= 4, a constant) of one input row. */
static inline __attribute__((always_inline)) void hb_arm_fc_group(
    const hb_arm_fc_shape s, const hb_arm_fc_params *p, const int8_t *x, const int8_t *w,
    const hb_arm_fc_channel *ch, int32_t oc, int32_t n, int8_t *out)
{
    int32_t acc[4], j;
    if (s.pairs) {  /* rows 1 and 3 from (mix - lo) / 256 */
        acc[0] = acc[1] = ch[0].bias;
        acc[2] = acc[3] = ch[2].bias;
        hb_arm_mac_pairs(x, w, s.words, acc);
        acc[1] = ((int32_t)((uint32_t)acc[1] - (uint32_t)acc[0]) >> 8) + ch[1].bias;
        acc[3] = ((int32_t)((uint32_t)acc[3] - (uint32_t)acc[2]) >> 8) + ch[3].bias;
    } else {
        acc[0] = ch[0].bias;
        acc[1] = ch[1].bias;
        acc[2] = ch[2].bias;
        acc[3] = ch[3].bias;
        hb_arm_mac_1x4(x, w, s.words, acc);
    }
#pragma GCC unroll 4
    for (j = 0; j < n; ++j) {
        const double *scale = p->scale + (s.per_channel ? oc + j : 0);
        const int32_t v = hb_arm_fc_requantize(acc[j], ch[j].multiplier, s.all_scaled, scale)
                          + p->output_offset;
        out[oc + j] = s.act_min == -128 && s.act_max == 127
                          ? hb_arm_sat_s8(v) : hb_arm_clamp_s8(v, s.act_min, s.act_max);
    }
}

static inline __attribute__((always_inline)) void hb_arm_fc_s8_body(
    const hb_arm_fc_shape s, const hb_arm_fc_params *p, const int8_t *input,
    const int8_t *weights, int8_t *scratch, int8_t *output)
{
    const int32_t full = s.out_depth & ~3;
    int32_t b, oc;
    for (b = 0; b < s.batches; ++b) {
        const int8_t *w = weights;
        const int8_t *x = input + b * s.accum_depth;
        const hb_arm_fc_channel *ch = p->channels;
        int8_t *out = output + b * s.out_depth;
        if (s.accum_depth & 3) {  /* pad the row to whole words */
            memcpy(scratch, x, (size_t)s.accum_depth);
            memset(scratch + s.accum_depth, 0, (size_t)(4 * s.words - s.accum_depth));
            x = scratch;
        }
        for (oc = 0; oc < full; oc += 4, ch += 4, w += 16 * s.words) {
            hb_arm_fc_group(s, p, x, w, ch, oc, 4, out);
        }
        if (s.out_depth & 3) {
            hb_arm_fc_group(s, p, x, w, ch, oc, s.out_depth & 3, out);
        }
    }
}

#endif /* ARM_FC_S8_BODY_H */
