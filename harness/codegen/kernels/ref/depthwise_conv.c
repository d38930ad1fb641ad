/* DEPTHWISE_CONV_2D: int8 per-channel (reference_integer_ops::DepthwiseConvPerChannel) and
 * float32 (reference_ops::DepthwiseConv). Output channel oc = ic * depth_multiplier + m. */
#include <string.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

void hb_depthwise_conv2d_s8(const hb_conv_s8_params *p, const int8_t *input,
                            const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const hb_conv_geometry *g = &p->g;
    int32_t b, oy, ox, ic, m, fy, fx;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            const int32_t in_y0 = oy * g->stride_h - g->pad_h;
            for (ox = 0; ox < g->out_w; ++ox) {
                const int32_t in_x0 = ox * g->stride_w - g->pad_w;
                int8_t *out = output + ((b * g->out_h + oy) * g->out_w + ox) * g->out_c;
                for (ic = 0; ic < g->in_c; ++ic) {
                    for (m = 0; m < g->depth_multiplier; ++m) {
                        const int32_t oc = ic * g->depth_multiplier + m;
                        int32_t acc = 0;
                        for (fy = 0; fy < g->filter_h; ++fy) {
                            const int32_t iy = in_y0 + g->dilation_h * fy;
                            if (iy < 0 || iy >= g->in_h) {
                                continue;
                            }
                            for (fx = 0; fx < g->filter_w; ++fx) {
                                const int32_t ix = in_x0 + g->dilation_w * fx;
                                int32_t in_val, w_val;
                                if (ix < 0 || ix >= g->in_w) {
                                    continue;
                                }
                                in_val = input[((b * g->in_h + iy) * g->in_w + ix) * g->in_c + ic];
                                w_val = filter[(fy * g->filter_w + fx) * g->out_c + oc];
                                acc += w_val * (in_val + p->input_offset);
                            }
                        }
                        if (bias != NULL) {
                            acc += bias[oc];
                        }
                        acc = hb_mbqm(acc, p->multiplier[oc], p->shift[oc]);
                        acc += p->output_offset;
                        out[oc] = (int8_t)hb_clamp_i32(acc, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}

void hb_depthwise_conv2d_f32(const hb_conv_f32_params *p, const float *input,
                             const float *filter, const float *bias, float *output)
{
    const hb_conv_geometry *g = &p->g;
    int32_t b, oy, ox, ic, m, fy, fx;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            const int32_t in_y0 = oy * g->stride_h - g->pad_h;
            for (ox = 0; ox < g->out_w; ++ox) {
                const int32_t in_x0 = ox * g->stride_w - g->pad_w;
                float *out = output + ((b * g->out_h + oy) * g->out_w + ox) * g->out_c;
                for (ic = 0; ic < g->in_c; ++ic) {
                    for (m = 0; m < g->depth_multiplier; ++m) {
                        const int32_t oc = ic * g->depth_multiplier + m;
                        float total = 0.0f;
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
                                total += input[((b * g->in_h + iy) * g->in_w + ix) * g->in_c + ic] *
                                         filter[(fy * g->filter_w + fx) * g->out_c + oc];
                            }
                        }
                        total += bias != NULL ? bias[oc] : 0.0f;
                        out[oc] = hb_clamp_f32(total, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
