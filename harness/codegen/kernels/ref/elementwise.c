/* Broadcasting binary elementwise ops (shapes padded to 5D, stride 0 on broadcast axes):
 * ADD int8 and int16 (reference_integer_ops::BroadcastAdd6DSlow), SUB int8 and int16 (the same
 * arithmetic with input2_multiplier negated, sub.cc) and float32, MUL int8 and int16
 * (reference_integer_ops::Mul) and float32, MAXIMUM / MINIMUM on raw values, SQUARED_DIFFERENCE
 * int8 (squared_difference.cc: inputs on a 2^-7 grid, the difference squared, rescaled). */
#include "hb_fixedpoint.h"
#include "hb_kernels.h"

#define HB_BROADCAST_LOOP(g, body)                                                           \
    do {                                                                                     \
        int32_t i0, i1, i2, i3, i4, n = 0;                                                   \
        for (i0 = 0; i0 < (g)->dims[0]; ++i0)                                                \
        for (i1 = 0; i1 < (g)->dims[1]; ++i1)                                                \
        for (i2 = 0; i2 < (g)->dims[2]; ++i2)                                                \
        for (i3 = 0; i3 < (g)->dims[3]; ++i3)                                                \
        for (i4 = 0; i4 < (g)->dims[4]; ++i4) {                                              \
            const int32_t ia = i0 * (g)->a_stride[0] + i1 * (g)->a_stride[1] +               \
                               i2 * (g)->a_stride[2] + i3 * (g)->a_stride[3] +               \
                               i4 * (g)->a_stride[4];                                        \
            const int32_t ib = i0 * (g)->b_stride[0] + i1 * (g)->b_stride[1] +               \
                               i2 * (g)->b_stride[2] + i3 * (g)->b_stride[3] +               \
                               i4 * (g)->b_stride[4];                                        \
            body;                                                                            \
            ++n;                                                                             \
        }                                                                                    \
    } while (0)

/* ADD, SUB and MUL on integers, int8 and int16 (16x8 models: the ADD / SUB left_shift is 15
 * there). SUB is ADD with input2_multiplier negated. */
#define HB_INTEGER_ADD_SUB_MUL(T, SUFFIX)                                                     \
    void hb_add_bcast_##SUFFIX(const hb_add_s8_params *p, const hb_broadcast5 *g,           \
                               const T *input1, const T *input2, T *output)                  \
    {                                                                                        \
        HB_BROADCAST_LOOP(g, {                                                               \
            const int32_t v1 = (p->input1_offset + input1[ia]) * (1 << p->left_shift);       \
            const int32_t v2 = (p->input2_offset + input2[ib]) * (1 << p->left_shift);       \
            const int32_t s1 =                                                               \
                hb_mbqm_smaller_than_one(v1, p->input1_multiplier, p->input1_shift);         \
            const int32_t s2 =                                                               \
                hb_mbqm_smaller_than_one(v2, p->input2_multiplier, p->input2_shift);         \
            const int32_t raw = hb_mbqm_smaller_than_one(s1 + s2, p->output_multiplier,      \
                                                         p->output_shift) + p->output_offset; \
            output[n] = (T)hb_clamp_i32(raw, p->act_min, p->act_max);                        \
        });                                                                                  \
    }                                                                                        \
                                                                                             \
    void hb_sub_##SUFFIX(const hb_add_s8_params *p, const hb_broadcast5 *g, const T *input1,  \
                         const T *input2, T *output)                                          \
    {                                                                                        \
        hb_add_bcast_##SUFFIX(p, g, input1, input2, output); /* input2_multiplier negated */  \
    }                                                                                        \
                                                                                             \
    void hb_mul_##SUFFIX(const hb_mul_s8_params *p, const hb_broadcast5 *g, const T *input1,  \
                         const T *input2, T *output)                                          \
    {                                                                                        \
        HB_BROADCAST_LOOP(g, {                                                               \
            const int32_t product =                                                          \
                (p->input1_offset + input1[ia]) * (p->input2_offset + input2[ib]);           \
            const int32_t raw = p->output_offset +                                           \
                                hb_mbqm(product, p->output_multiplier, p->output_shift);     \
            output[n] = (T)hb_clamp_i32(raw, p->act_min, p->act_max);                        \
        });                                                                                  \
    }

HB_INTEGER_ADD_SUB_MUL(int8_t, s8)
HB_INTEGER_ADD_SUB_MUL(int16_t, s16)

void hb_sub_f32(const hb_binary_f32_params *p, const hb_broadcast5 *g, const float *input1,
                const float *input2, float *output)
{
    HB_BROADCAST_LOOP(g, output[n] = hb_clamp_f32(input1[ia] - input2[ib], p->act_min,
                                                  p->act_max));
}

void hb_mul_f32(const hb_binary_f32_params *p, const hb_broadcast5 *g, const float *input1,
                const float *input2, float *output)
{
    HB_BROADCAST_LOOP(g, output[n] = hb_clamp_f32(input1[ia] * input2[ib], p->act_min,
                                                  p->act_max));
}

void hb_maximum_s8(const hb_broadcast5 *g, const int8_t *input1, const int8_t *input2,
                   int8_t *output)
{
    HB_BROADCAST_LOOP(g, output[n] = input1[ia] > input2[ib] ? input1[ia] : input2[ib]);
}

void hb_minimum_s8(const hb_broadcast5 *g, const int8_t *input1, const int8_t *input2,
                   int8_t *output)
{
    HB_BROADCAST_LOOP(g, output[n] = input1[ia] < input2[ib] ? input1[ia] : input2[ib]);
}

void hb_maximum_f32(const hb_broadcast5 *g, const float *input1, const float *input2,
                    float *output)
{
    HB_BROADCAST_LOOP(g, output[n] = input1[ia] > input2[ib] ? input1[ia] : input2[ib]);
}

void hb_minimum_f32(const hb_broadcast5 *g, const float *input1, const float *input2,
                    float *output)
{
    HB_BROADCAST_LOOP(g, output[n] = input1[ia] < input2[ib] ? input1[ia] : input2[ib]);
}

void hb_add_bcast_f32(const hb_binary_f32_params *p, const hb_broadcast5 *g, const float *input1,
                      const float *input2, float *output)
{
    HB_BROADCAST_LOOP(g, output[n] = hb_clamp_f32(input1[ia] + input2[ib], p->act_min,
                                                  p->act_max));
}

void hb_squared_difference_f32(const hb_broadcast5 *g, const float *input1, const float *input2,
                               float *output)
{
    HB_BROADCAST_LOOP(g, {
        const float d = input1[ia] - input2[ib];
        output[n] = d * d;
    });
}

void hb_squared_difference_s8(const hb_add_s8_params *p, const hb_broadcast5 *g,
                              const int8_t *input1, const int8_t *input2, int8_t *output)
{
    HB_BROADCAST_LOOP(g, {
        const int32_t a = (input1[ia] + p->input1_offset) * (1 << p->left_shift);
        const int32_t b = (input2[ib] + p->input2_offset) * (1 << p->left_shift);
        const int32_t d = hb_mbqm_smaller_than_one(a, p->input1_multiplier, p->input1_shift) -
                          hb_mbqm_smaller_than_one(b, p->input2_multiplier, p->input2_shift);
        const int32_t raw = hb_mbqm_smaller_than_one(d * d, p->output_multiplier,
                                                     p->output_shift);
        output[n] = (int8_t)hb_clamp_i32(raw + p->output_offset, p->act_min, p->act_max);
    });
}
