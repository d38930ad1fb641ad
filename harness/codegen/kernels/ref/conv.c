/* CONV_2D: int8 per-channel (reference_integer_ops::ConvPerChannel), float32
 * (reference_ops::Conv) and hybrid float/int8 (TFLite EvalHybrid). */
#include <math.h>
#include <string.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

/* Offsets of an input pixel and of a filter tap (both followed by in_c channels). */
static int32_t input_index(const hb_conv_geometry *g, int32_t b, int32_t y, int32_t x)
{
    return ((b * g->in_h + y) * g->in_w + x) * g->in_c;
}

static int32_t filter_index(const hb_conv_geometry *g, int32_t oc, int32_t fy, int32_t fx)
{
    return ((oc * g->filter_h + fy) * g->filter_w + fx) * g->in_c;
}

static int32_t output_index(const hb_conv_geometry *g, int32_t b, int32_t y, int32_t x)
{
    return ((b * g->out_h + y) * g->out_w + x) * g->out_c;
}

/* Sum over the receptive field of filter * (input + input_offset); padding contributes 0. */
static int32_t accumulate_s8(const hb_conv_geometry *g, const int8_t *input, const int8_t *filter,
                             int32_t input_offset, int32_t b, int32_t oy, int32_t ox, int32_t oc)
{
    const int32_t in_y0 = oy * g->stride_h - g->pad_h;
    const int32_t in_x0 = ox * g->stride_w - g->pad_w;
    int32_t acc = 0;
    int32_t fy, fx, ic;
    for (fy = 0; fy < g->filter_h; ++fy) {
        const int32_t iy = in_y0 + g->dilation_h * fy;
        if (iy < 0 || iy >= g->in_h) {
            continue;
        }
        for (fx = 0; fx < g->filter_w; ++fx) {
            const int32_t ix = in_x0 + g->dilation_w * fx;
            const int8_t *in_px;
            const int8_t *w;
            if (ix < 0 || ix >= g->in_w) {
                continue;
            }
            in_px = input + input_index(g, b, iy, ix);
            w = filter + filter_index(g, oc, fy, fx);
            for (ic = 0; ic < g->in_c; ++ic) {
                acc += (int32_t)w[ic] * ((int32_t)in_px[ic] + input_offset);
            }
        }
    }
    return acc;
}

void hb_conv2d_s8(const hb_conv_s8_params *p, const int8_t *input, const int8_t *filter,
                  const int32_t *bias, int8_t *output)
{
    const hb_conv_geometry *g = &p->g;
    int32_t b, oy, ox, oc;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            for (ox = 0; ox < g->out_w; ++ox) {
                int8_t *out = output + output_index(g, b, oy, ox);
                for (oc = 0; oc < g->out_c; ++oc) {
                    int32_t acc = accumulate_s8(g, input, filter, p->input_offset, b, oy, ox, oc);
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

void hb_conv2d_f32(const hb_conv_f32_params *p, const float *input, const float *filter,
                   const float *bias, float *output)
{
    const hb_conv_geometry *g = &p->g;
    int32_t b, oy, ox, oc, fy, fx, ic;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            const int32_t in_y0 = oy * g->stride_h - g->pad_h;
            for (ox = 0; ox < g->out_w; ++ox) {
                const int32_t in_x0 = ox * g->stride_w - g->pad_w;
                float *out = output + output_index(g, b, oy, ox);
                for (oc = 0; oc < g->out_c; ++oc) {
                    float total = 0.0f;
                    for (fy = 0; fy < g->filter_h; ++fy) {
                        const int32_t iy = in_y0 + g->dilation_h * fy;
                        if (iy < 0 || iy >= g->in_h) {
                            continue;
                        }
                        for (fx = 0; fx < g->filter_w; ++fx) {
                            const int32_t ix = in_x0 + g->dilation_w * fx;
                            const float *in_px;
                            const float *w;
                            if (ix < 0 || ix >= g->in_w) {
                                continue;
                            }
                            in_px = input + input_index(g, b, iy, ix);
                            w = filter + filter_index(g, oc, fy, fx);
                            for (ic = 0; ic < g->in_c; ++ic) {
                                total += in_px[ic] * w[ic];
                            }
                        }
                    }
                    /* TFLite adds the bias after the sum, then clamps. */
                    total += bias != NULL ? bias[oc] : 0.0f;
                    out[oc] = hb_clamp_f32(total, p->act_min, p->act_max);
                }
            }
        }
    }
}

/* TFLite SymmetricQuantizeFloats: q = round(x * 127 / max|x|) in [-127, 127]; returns the
 * scale max|x| / 127 (1 when the input is all zeros). */
static float symmetric_quantize(const float *values, int32_t size, int8_t *quantized)
{
    float min_value = values[0], max_value = values[0], range, scale_inv;
    int32_t i;
    for (i = 1; i < size; ++i) {
        min_value = values[i] < min_value ? values[i] : min_value;
        max_value = values[i] > max_value ? values[i] : max_value;
    }
    range = fabsf(min_value) > fabsf(max_value) ? fabsf(min_value) : fabsf(max_value);
    if (range == 0.0f) {
        memset(quantized, 0, (size_t)size);
        return 1.0f;
    }
    scale_inv = 127.0f / range;
    for (i = 0; i < size; ++i) {
        float q = roundf(values[i] * scale_inv);
        q = q > 127.0f ? 127.0f : (q < -127.0f ? -127.0f : q);
        quantized[i] = (int8_t)q;
    }
    return range / 127.0f;
}

void hb_conv2d_hybrid(const hb_conv_hybrid_params *p, const float *input, const int8_t *filter,
                      const float *bias, int8_t *scratch, float *output)
{
    const hb_conv_geometry *g = &p->g;
    const int32_t batch_size = g->in_h * g->in_w * g->in_c;
    int32_t b, oy, ox, oc;
    for (b = 0; b < g->batches; ++b) {
        /* Per-batch input quantization; the product scale is taken in float as TFLite does. */
        const float scale =
            symmetric_quantize(input + b * batch_size, batch_size, scratch + b * batch_size) *
            p->weight_scale;
        for (oy = 0; oy < g->out_h; ++oy) {
            for (ox = 0; ox < g->out_w; ++ox) {
                float *out = output + output_index(g, b, oy, ox);
                for (oc = 0; oc < g->out_c; ++oc) {
                    /* Symmetric quantization: zero input offset, padding stays 0. */
                    const int32_t acc = accumulate_s8(g, scratch, filter, 0, b, oy, ox, oc);
                    float value = (float)acc * scale;
                    value += bias != NULL ? bias[oc] : 0.0f;
                    out[oc] = hb_clamp_f32(value, p->act_min, p->act_max);
                }
            }
        }
    }
}
