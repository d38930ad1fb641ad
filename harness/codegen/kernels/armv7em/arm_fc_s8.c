/* FULLY_CONNECTED int8 for ARMv7E-M: four output rows per step (hb_arm_mac_1x4 on rows
 * interleaved word by word at build time), the input offset folded into the bias, and
 * LiteRT's double requantisation round((double)acc * scale) reproduced in integers
 * (scaled()), with the double computation kept for the cases it cannot decide. */
#include <math.h>
#include <string.h>

#include "hb_armv7em.h"

/* round((double)acc * scale), ties away from zero, as LiteRT's reference FC: |acc| * m + 2^31
 * in 64 bits, the high word the rounded magnitude, unless the low word (the fraction) lies
 * within 2^25 of a tie, where the approximation error (< |acc| < 2^24 units of 2^-32, plus
 * the double's own rounding, < 8 units) could decide it: that case, |acc| >= 2^24 and
 * scales of 1 or more (multiplier 0) take the double computation. */
static int32_t scaled(int32_t acc, const hb_arm_fc_channel *ch, double scale)
{
    const uint32_t u = acc < 0 ? 0u - (uint32_t)acc : (uint32_t)acc;
    if (ch->multiplier != 0u && u < (1u << 24)) {
        const uint64_t v = (uint64_t)u * ch->multiplier + 0x80000000u;
        if ((uint32_t)v - (1u << 25) <= 0xFFFFFFFFu - (1u << 26)) {
            const int32_t r = (int32_t)(v >> 32);
            return acc < 0 ? -r : r;
        }
    }
    {
        double s = round((double)acc * scale);
        s = s > 1073741824.0 ? 1073741824.0 : s;
        s = s < -1073741824.0 ? -1073741824.0 : s;
        return (int32_t)s;
    }
}

void hb_arm_fully_connected_s8(const hb_arm_fc_params *p, const int8_t *input,
                               const int8_t *weights, int8_t *scratch, int8_t *output)
{
    const int32_t words = p->words;
    int32_t b, oc, j;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *w = weights;
        const int8_t *x = input + b * p->accum_depth;
        if (p->accum_depth & 3) {  /* pad the row to whole words */
            memcpy(scratch, x, (size_t)p->accum_depth);
            memset(scratch + p->accum_depth, 0, (size_t)(4 * words - p->accum_depth));
            x = scratch;
        }
        for (oc = 0; oc < p->out_depth; oc += 4) {
            int32_t acc[4];
            for (j = 0; j < 4; ++j) {
                acc[j] = oc + j < p->out_depth ? p->channels[oc + j].bias : 0;
            }
            hb_arm_mac_1x4(x, w, words, acc);
            w += 16 * words;
            for (j = 0; j < 4 && oc + j < p->out_depth; ++j) {
                const int32_t v = scaled(acc[j], &p->channels[oc + j], p->scale[p->per_channel ? oc + j : 0]) + p->output_offset;
                output[b * p->out_depth + oc + j] = hb_arm_clamp_s8(v, p->act_min, p->act_max);
            }
        }
    }
}
