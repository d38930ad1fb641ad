/* TRANSPOSE_CONV as LiteRT's reference kernels scatter it (reference_ops::TransposeConv,
 * reference_integer_ops::TransposeConv): every input pixel, channel by channel, adds
 * input * filter into its output window; then bias, (int8) per-channel requantization, the
 * activation clamp. The float sums follow the reference's (in_y, in_x, in_c) order. */
#include <string.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

#define HB_TCONV_SCATTER(g, out, value_expr)                                                 \
    do {                                                                                     \
        int32_t b, iy, ix, ic, fy, fx, oc;                                                   \
        for (b = 0; b < (g)->batches; ++b)                                                   \
        for (iy = 0; iy < (g)->in_h; ++iy)                                                   \
        for (ix = 0; ix < (g)->in_w; ++ix)                                                   \
        for (ic = 0; ic < (g)->in_c; ++ic) {                                                 \
            const int32_t in_index = ((b * (g)->in_h + iy) * (g)->in_w + ix) * (g)->in_c + ic; \
            for (fy = 0; fy < (g)->filter_h; ++fy) {                                         \
                const int32_t oy = iy * (g)->stride_h - (g)->pad_h + fy;                     \
                if (oy < 0 || oy >= (g)->out_h) {                                            \
                    continue;                                                                \
                }                                                                            \
                for (fx = 0; fx < (g)->filter_w; ++fx) {                                     \
                    const int32_t ox = ix * (g)->stride_w - (g)->pad_w + fx;                 \
                    const int32_t out_base = ((b * (g)->out_h + oy) * (g)->out_w + ox) *     \
                                             (g)->out_c;                                     \
                    if (ox < 0 || ox >= (g)->out_w) {                                        \
                        continue;                                                            \
                    }                                                                        \
                    for (oc = 0; oc < (g)->out_c; ++oc) {                                    \
                        const int32_t w_index =                                              \
                            ((oc * (g)->filter_h + fy) * (g)->filter_w + fx) * (g)->in_c + ic; \
                        (out)[out_base + oc] += value_expr;                                  \
                    }                                                                        \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    } while (0)

static int32_t output_size(const hb_tconv_geometry *g)
{
    return g->batches * g->out_h * g->out_w * g->out_c;
}

void hb_transpose_conv_f32(const hb_tconv_f32_params *p, const float *input, const float *filter,
                           const float *bias, float *output)
{
    const hb_tconv_geometry *g = &p->g;
    const int32_t size = output_size(g);
    int32_t i;
    for (i = 0; i < size; ++i) {
        output[i] = 0.0f;
    }
    HB_TCONV_SCATTER(g, output, input[in_index] * filter[w_index]);
    for (i = 0; i < size; ++i) {
        float value = output[i];
        if (bias != NULL) {
            value += bias[i % g->out_c];
        }
        output[i] = hb_clamp_f32(value, p->act_min, p->act_max);
    }
}

void hb_transpose_conv_s8(const hb_tconv_s8_params *p, const int8_t *input, const int8_t *filter,
                          const int32_t *bias, int32_t *scratch, int8_t *output)
{
    const hb_tconv_geometry *g = &p->g;
    const int32_t size = output_size(g);
    int32_t i;
    memset(scratch, 0, (size_t)size * sizeof(int32_t));
    HB_TCONV_SCATTER(g, scratch, (input[in_index] + p->input_offset) * filter[w_index]);
    for (i = 0; i < size; ++i) {
        const int32_t oc = i % g->out_c;
        int32_t acc = scratch[i];
        if (bias != NULL) {
            acc += bias[oc];
        }
        acc = hb_mbqm(acc, p->multiplier[oc], p->shift[oc]) + p->output_offset;
        output[i] = (int8_t)hb_clamp_i32(acc, p->act_min, p->act_max);
    }
}
