/* CONV_2D and DEPTHWISE_CONV_2D, int16x8 (reference_integer_ops::ConvPerChannel and
 * DepthwiseConvPerChannel with int16 input): int64 sums of filter * input (no input offset),
 * + the int64 bias, the int64 MultiplyByQuantizedMultiplier, the activation clamp. */
#include <stddef.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

static int64_t conv_sum(const hb_conv_geometry *g, const int16_t *input, const int8_t *filter,
                        int32_t b, int32_t oy, int32_t ox, int32_t oc)
{
    const int32_t in_y0 = oy * g->stride_h - g->pad_h;
    const int32_t in_x0 = ox * g->stride_w - g->pad_w;
    int64_t acc = 0;
    int32_t fy, fx, ic;
    for (fy = 0; fy < g->filter_h; ++fy) {
        const int32_t iy = in_y0 + g->dilation_h * fy;
        if (iy < 0 || iy >= g->in_h) {
            continue;
        }
        for (fx = 0; fx < g->filter_w; ++fx) {
            const int32_t ix = in_x0 + g->dilation_w * fx;
            const int16_t *in_px;
            const int8_t *w;
            if (ix < 0 || ix >= g->in_w) {
                continue;
            }
            in_px = input + ((b * g->in_h + iy) * g->in_w + ix) * g->in_c;
            w = filter + ((oc * g->filter_h + fy) * g->filter_w + fx) * g->in_c;
            for (ic = 0; ic < g->in_c; ++ic) {
                acc += (int32_t)w[ic] * (int32_t)in_px[ic];
            }
        }
    }
    return acc;
}

static int16_t finish(const hb_conv_s8_params *p, int64_t acc, const int64_t *bias, int32_t oc)
{
    if (bias != NULL) {
        acc += bias[oc];
    }
    return (int16_t)hb_clamp_i32(hb_mbqm64(acc, p->multiplier[oc], p->shift[oc]), p->act_min,
                                 p->act_max);
}

void hb_conv2d_s16(const hb_conv_s8_params *p, const int16_t *input, const int8_t *filter,
                   const int64_t *bias, int16_t *output)
{
    const hb_conv_geometry *g = &p->g;
    int32_t b, oy, ox, oc;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            for (ox = 0; ox < g->out_w; ++ox) {
                int16_t *out = output + ((b * g->out_h + oy) * g->out_w + ox) * g->out_c;
                for (oc = 0; oc < g->out_c; ++oc) {
                    out[oc] = finish(p, conv_sum(g, input, filter, b, oy, ox, oc), bias, oc);
                }
            }
        }
    }
}

void hb_depthwise_conv2d_s16(const hb_conv_s8_params *p, const int16_t *input,
                             const int8_t *filter, const int64_t *bias, int16_t *output)
{
    const hb_conv_geometry *g = &p->g;
    int32_t b, oy, ox, ic, m, fy, fx;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            const int32_t in_y0 = oy * g->stride_h - g->pad_h;
            for (ox = 0; ox < g->out_w; ++ox) {
                const int32_t in_x0 = ox * g->stride_w - g->pad_w;
                int16_t *out = output + ((b * g->out_h + oy) * g->out_w + ox) * g->out_c;
                for (ic = 0; ic < g->in_c; ++ic) {
                    for (m = 0; m < g->depth_multiplier; ++m) {
                        const int32_t oc = ic * g->depth_multiplier + m;
                        int64_t acc = 0;
                        for (fy = 0; fy < g->filter_h; ++fy) {
                            const int32_t iy = in_y0 + g->dilation_h * fy;
                            if (iy < 0 || iy >= g->in_h) {
                                continue;
                            }
                            for (fx = 0; fx < g->filter_w; ++fx) {
                                const int32_t ix = in_x0 + g->dilation_w * fx;
                                if (ix < 0 || ix >= g->in_w) {
                                    continue;
                                }
                                acc += (int32_t)filter[(fy * g->filter_w + fx) * g->out_c + oc] *
                                       (int32_t)input[((b * g->in_h + iy) * g->in_w + ix) *
                                                      g->in_c + ic];
                            }
                        }
                        out[oc] = finish(p, acc, bias, oc);
                    }
                }
            }
        }
    }
}
