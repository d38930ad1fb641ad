/* MEAN over any set of axes (shapes padded to 5D; out_stride 0 on reduced axes): sums in
 * input order into a scratch accumulator, then int8: MBQM(sum - count * zp) + out_zp with the
 * count folded into the multiplier (LiteRT's reference), float32: sum / count. */
#include "hb_fixedpoint.h"
#include "hb_kernels.h"

#define HB_REDUCE_LOOP(p, body)                                                              \
    do {                                                                                     \
        int32_t i0, i1, i2, i3, i4, n = 0;                                                   \
        for (i0 = 0; i0 < (p)->in_dims[0]; ++i0)                                             \
        for (i1 = 0; i1 < (p)->in_dims[1]; ++i1)                                             \
        for (i2 = 0; i2 < (p)->in_dims[2]; ++i2)                                             \
        for (i3 = 0; i3 < (p)->in_dims[3]; ++i3)                                             \
        for (i4 = 0; i4 < (p)->in_dims[4]; ++i4) {                                           \
            const int32_t o = i0 * (p)->out_stride[0] + i1 * (p)->out_stride[1] +            \
                              i2 * (p)->out_stride[2] + i3 * (p)->out_stride[3] +            \
                              i4 * (p)->out_stride[4];                                       \
            body;                                                                            \
            ++n;                                                                             \
        }                                                                                    \
    } while (0)

void hb_mean_s8(const hb_mean_params *p, const int8_t *input, int32_t *acc, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->out_size; ++i) {
        acc[i] = 0;
    }
    HB_REDUCE_LOOP(p, acc[o] += input[n]);
    for (i = 0; i < p->out_size; ++i) {
        const int32_t raw = hb_mbqm(acc[i] - p->count * p->input_zero_point, p->multiplier,
                                    p->shift) + p->output_zero_point;
        output[i] = (int8_t)hb_clamp_i32(raw, -128, 127);
    }
}

void hb_mean_f32(const hb_mean_params *p, const float *input, float *acc, float *output)
{
    int32_t i;
    for (i = 0; i < p->out_size; ++i) {
        acc[i] = 0.0f;
    }
    HB_REDUCE_LOOP(p, acc[o] += input[n]);
    for (i = 0; i < p->out_size; ++i) {
        output[i] = acc[i] / (float)p->count;
    }
}
