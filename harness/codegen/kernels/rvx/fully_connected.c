/* FULLY_CONNECTED for the rv32-nnx target (kernel set "rvx"): the int8 kernel accumulates
 * with the nnx extension (hb_nnx.h); the float32 kernel is the portable one.
 *
 * int8 keeps LiteRT's reference output stage exactly: round((double)acc * effective_scale)
 * (half away from zero) + output_offset, clamped.  Only the accumulation changes:
 *   acc = sum (w + fo)(x + io) = sum w x + io sum w + fo sum x + depth fo io  (mod 2^32)
 * with sum w x and sum w from nnx.mac4 (four rows at a time, each input word loaded once
 * per four rows), sum x once per batch row.  Rows whose length is not a multiple of 4 or
 * unaligned data take a scalar loop with the same results.  The rounding needs no libm.
 */
#include <string.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"
#include "hb_nnx.h"

/* LiteRT: (int32)round((double)acc * scale), bounded to +-2^30 before adding the offset;
 * clamping v first is the same (2^30 is an integer) and makes the conversions exact. */
static int32_t fc_scale(int32_t acc, double scale)
{
    double v = (double)acc * scale;
    double frac;
    int32_t t;
    v = v > 1073741824.0 ? 1073741824.0 : v;
    v = v < -1073741824.0 ? -1073741824.0 : v;
    t = (int32_t)v;                 /* truncates toward zero */
    frac = v - (double)t;           /* exact */
    if (frac >= 0.5) {
        ++t;
    } else if (frac <= -0.5) {
        --t;
    }
    return t;
}

static int8_t fc_output(const hb_fc_s8_params *p, int32_t oc, int32_t acc)
{
    const double scale = p->effective_scale[p->per_channel ? oc : 0];
    const int32_t y = fc_scale(acc, scale) + p->output_offset;
    return (int8_t)hb_clamp_i32(y, p->act_min, p->act_max);
}

void hb_fully_connected_s8(const hb_fc_s8_params *p, const int8_t *input, const int8_t *weights,
                           const int32_t *bias, int8_t *output)
{
    const int32_t depth = p->accum_depth, n = p->out_depth;
    const int32_t kw = depth >> 2;
    const int32_t io = p->input_offset, fo = p->filter_offset;
    const int fast = (depth & 3) == 0 && ((uintptr_t)input & 3u) == 0 &&
                     ((uintptr_t)weights & 3u) == 0;
    int32_t b, oc, d;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in = input + b * depth;
        int8_t *out = output + b * n;
        if (!fast) {
            for (oc = 0; oc < n; ++oc) {
                const int8_t *w = weights + oc * depth;
                int32_t acc = 0;
                for (d = 0; d < depth; ++d) {
                    acc += ((int32_t)w[d] + fo) * ((int32_t)in[d] + io);
                }
                out[oc] = fc_output(p, oc, acc + (bias != NULL ? bias[oc] : 0));
            }
            continue;
        }
        {
            const uint32_t *x = (const uint32_t *)(const void *)in;
            const uint32_t ones = 0x01010101u;
            /* the terms that do not depend on the row: fo * sum x + depth * fo * io */
            uint32_t row_const = 0;
            if (fo != 0) {
                int32_t sx = 0;
                for (d = 0; d < kw; ++d) {
                    sx = nnx_mac4(sx, x[d], ones);
                }
                row_const = (uint32_t)fo * (uint32_t)sx + (uint32_t)depth * (uint32_t)fo * (uint32_t)io;
            }
            for (oc = 0; oc < n; oc += 4) {
                const uint32_t *w0 = (const uint32_t *)(const void *)(weights + oc * depth);
                const uint32_t *w1 = oc + 1 < n ? w0 + kw : w0;
                const uint32_t *w2 = oc + 2 < n ? w1 + kw : w0;
                const uint32_t *w3 = oc + 3 < n ? w2 + kw : w0;
                const uint32_t *xp = x, *end = x + kw;
                int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int32_t acc[4], sum[4];
                int32_t j;
                while (xp != end) {
                    const uint32_t xv = *xp++;
                    const uint32_t u0 = *w0++, u1 = *w1++, u2 = *w2++, u3 = *w3++;
                    a0 = nnx_mac4(a0, xv, u0);
                    s0 = nnx_mac4(s0, ones, u0);
                    a1 = nnx_mac4(a1, xv, u1);
                    s1 = nnx_mac4(s1, ones, u1);
                    a2 = nnx_mac4(a2, xv, u2);
                    s2 = nnx_mac4(s2, ones, u2);
                    a3 = nnx_mac4(a3, xv, u3);
                    s3 = nnx_mac4(s3, ones, u3);
                }
                acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
                sum[0] = s0; sum[1] = s1; sum[2] = s2; sum[3] = s3;
                for (j = 0; j < 4 && oc + j < n; ++j) {
                    uint32_t t = (uint32_t)acc[j] + (uint32_t)io * (uint32_t)sum[j] + row_const;
                    if (bias != NULL) {
                        t += (uint32_t)bias[oc + j];
                    }
                    out[oc + j] = fc_output(p, oc + j, (int32_t)t);
                }
            }
        }
    }
}

void hb_fully_connected_f32(const hb_fc_f32_params *p, const float *input, const float *weights,
                            const float *bias, float *output)
{
    int32_t b, oc, d;
    for (b = 0; b < p->batches; ++b) {
        const float *in = input + b * p->accum_depth;
        for (oc = 0; oc < p->out_depth; ++oc) {
            const float *w = weights + oc * p->accum_depth;
            float total = 0.0f;
            for (d = 0; d < p->accum_depth; ++d) {
                total += in[d] * w[d];
            }
            total += bias != NULL ? bias[oc] : 0.0f;
            output[b * p->out_depth + oc] = hb_clamp_f32(total, p->act_min, p->act_max);
        }
    }
}
