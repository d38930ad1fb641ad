/* DEPTHWISE_CONV_2D int8 for ARMv7E-M, depth multiplier 1: per output pixel, four channels per
 * step, each tap one word of input and one of weights (TFLite's 1HWC filter layout keeps the
 * four channels of a tap together), SXTB16 and SMLABB/SMLATT into four accumulators. The
 * input offset is folded into the bias; a padded tap reads a row of input zero points. */
#include <string.h>

#include "hb_armv7em.h"

#define HB_MAX_TAPS 25

static inline void four_channels(const int8_t *const *taps, const int8_t *w, int32_t ntaps,
                                 int32_t stride, int32_t c, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t t;
    for (t = 0; t < ntaps; ++t) {
        const int32_t xv = hb_read4(taps[t] + c), wv = hb_read4(w + t * stride + c);
        const int32_t xe = HB_SXTB16(xv), xo = hb_sxtb16_ror8(xv);
        const int32_t we = HB_SXTB16(wv), wo = hb_sxtb16_ror8(wv);
        a0 = HB_SMLABB(xe, we, a0);
        a2 = HB_SMLATT(xe, we, a2);
        a1 = HB_SMLABB(xo, wo, a1);
        a3 = HB_SMLATT(xo, wo, a3);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

static inline void pixel(const hb_arm_dwconv_params *p, const int8_t *const *taps,
                         const int8_t *filter, int32_t ntaps, int8_t *out)
{
    const int32_t channels = p->g.out_c;
    int32_t c = 0;
    for (; c + 3 < channels; c += 4) {
        int32_t acc[4], j;
        for (j = 0; j < 4; ++j) {
            acc[j] = p->channels[c + j].bias;
        }
        four_channels(taps, filter, ntaps, channels, c, acc);
        for (j = 0; j < 4; ++j) {
            out[c + j] = hb_arm_clamp_s8(
                hb_arm_requantize(acc[j], &p->channels[c + j]) + p->output_offset,
                p->act_min, p->act_max);
        }
    }
    for (; c < channels; ++c) {
        int32_t acc = p->channels[c].bias, t;
        for (t = 0; t < ntaps; ++t) {
            acc += (int32_t)taps[t][c] * filter[t * channels + c];
        }
        out[c] = hb_arm_clamp_s8(hb_arm_requantize(acc, &p->channels[c]) + p->output_offset,
                                 p->act_min, p->act_max);
    }
}

void hb_arm_depthwise_conv_s8(const hb_arm_dwconv_params *p, const int8_t *input,
                              const int8_t *filter, int8_t *scratch, int8_t *output)
{
    const hb_conv_geometry *g = &p->g;
    const int32_t c = g->in_c;
    const int32_t ntaps = g->filter_h * g->filter_w;
    const int8_t *taps[HB_MAX_TAPS];
    int32_t b, oy, ox, fy, fx;
    memset(scratch, (int8_t)p->input_zero_point, (size_t)c);
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            const int32_t y0 = oy * g->stride_h - g->pad_h;
            for (ox = 0; ox < g->out_w; ++ox) {
                const int32_t x0 = ox * g->stride_w - g->pad_w;
                int32_t t = 0;
                for (fy = 0; fy < g->filter_h; ++fy) {
                    const int32_t iy = y0 + fy * g->dilation_h;
                    for (fx = 0; fx < g->filter_w; ++fx) {
                        const int32_t ix = x0 + fx * g->dilation_w;
                        taps[t++] = (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w)
                                        ? scratch
                                        : input + ((b * g->in_h + iy) * g->in_w + ix) * c;
                    }
                }
                if (ntaps == 9) {
                    pixel(p, taps, filter, 9, output);
                } else {
                    pixel(p, taps, filter, ntaps, output);
                }
                output += c;
            }
        }
    }
}
