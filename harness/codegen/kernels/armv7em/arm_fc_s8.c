/* FULLY_CONNECTED int8 for ARMv7E-M: four output rows per step (hb_arm_mac_pairs on row pairs
 * packed as 256 b + a at build time, or hb_arm_mac_1x4 on rows interleaved word by word where
 * that packing is not exact), the input offset folded into the bias, and
 * LiteRT's double requantisation round((double)acc * scale) reproduced in integers
 * (hb_arm_fc_requantize), with the double computation kept for the cases it cannot decide. */
#include <math.h>
#include <string.h>

#include "hb_armv7em.h"

/* round((double)acc * scale) as LiteRT's reference FC, clamped to +-2^30 (the rare path). */
__attribute__((noinline)) static int32_t scaled_double(int32_t acc, double scale)
{
    double s = round((double)acc * scale);
    s = s > 1073741824.0 ? 1073741824.0 : s;
    s = s < -1073741824.0 ? -1073741824.0 : s;
    return (int32_t)s;
}

/* round((double)acc * scale), ties away from zero: |acc| * m + 2^31 in 64 bits, the high word
 * the rounded magnitude, unless the low word (the fraction) lies within 2^25 of a tie, where
 * the approximation error (< |acc| < 2^24 units of 2^-32, plus the double's own rounding,
 * < 8 units) could decide it: that case, |acc| >= 2^24 and scales of 1 or more (multiplier
 * 0) take the double computation. Written so that the common case is straight-line code. */
static inline __attribute__((always_inline)) int32_t hb_arm_fc_requantize(
    int32_t acc, uint32_t multiplier, const hb_arm_fc_params *p, int32_t oc)
{
    const uint32_t u = acc < 0 ? 0u - (uint32_t)acc : (uint32_t)acc;
    if (__builtin_expect(multiplier != 0u && u < (1u << 24), 1)) {
        const uint64_t v = (uint64_t)u * multiplier + 0x80000000u;
        if (__builtin_expect((uint32_t)v - (1u << 25) <= 0xFFFFFFFFu - (1u << 26), 1)) {
            const int32_t r = (int32_t)(v >> 32);
            return acc < 0 ? -r : r;
        }
    }
    return scaled_double(acc, p->scale[p->per_channel ? oc : 0]);
}

void hb_arm_fully_connected_s8(const hb_arm_fc_params *p, const int8_t *input,
                               const int8_t *weights, int8_t *scratch, int8_t *output)
{
    const int32_t words = p->words, out_depth = p->out_depth;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    int32_t b, oc, j;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *w = weights;
        const int8_t *x = input + b * p->accum_depth;
        const hb_arm_fc_channel *ch = p->channels;
        int8_t *out = output + b * out_depth;
        if (p->accum_depth & 3) {  /* pad the row to whole words */
            memcpy(scratch, x, (size_t)p->accum_depth);
            memset(scratch + p->accum_depth, 0, (size_t)(4 * words - p->accum_depth));
            x = scratch;
        }
        for (oc = 0; oc < out_depth; oc += 4, ch += 4, w += 16 * words) {
            int32_t acc[4];
            const int32_t n = out_depth - oc < 4 ? out_depth - oc : 4;
            if (p->pairs) {  /* rows 1 and 3 from (mix - lo) / 256 */
                acc[0] = acc[1] = ch[0].bias;
                acc[2] = acc[3] = ch[2].bias;
                hb_arm_mac_pairs(x, w, words, acc);
                acc[1] = ((int32_t)((uint32_t)acc[1] - (uint32_t)acc[0]) >> 8) + ch[1].bias;
                acc[3] = ((int32_t)((uint32_t)acc[3] - (uint32_t)acc[2]) >> 8) + ch[3].bias;
            } else {
                acc[0] = ch[0].bias;
                acc[1] = ch[1].bias;
                acc[2] = ch[2].bias;
                acc[3] = ch[3].bias;
                hb_arm_mac_1x4(x, w, words, acc);
            }
            for (j = 0; j < n; ++j) {
                const int32_t v = hb_arm_fc_requantize(acc[j], ch[j].multiplier, p, oc + j);
                out[oc + j] = hb_arm_clamp_s8(v + offset, lo, hi);
            }
        }
    }
}
