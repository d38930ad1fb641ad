/* float32 transformer ops as LiteRT's reference kernels compute them:
 * BATCH_MATMUL (reference_ops::BatchMatMul: float sums in k order, broadcast batch dims),
 * RSQRT (1.0f / sqrtf(x)), GELU (tanh approximation or the erf form, in float); and int8
 * BATCH_MATMUL (reference_ops::BatchMatMul<int8_t, int32_t>: int32 sums of offset products,
 * MultiplyByQuantizedMultiplier, clamp to int8) and int16 (<int16_t, int64_t>). */
#include <math.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

void hb_batch_matmul_f32(const hb_batch_matmul_params *p, const float *lhs, const float *rhs,
                         float *output)
{
    int32_t b0, b1, b2, i, j, kk, n = 0;
    for (b0 = 0; b0 < p->batch[0]; ++b0)
    for (b1 = 0; b1 < p->batch[1]; ++b1)
    for (b2 = 0; b2 < p->batch[2]; ++b2) {
        const float *a = lhs + b0 * p->lhs_stride[0] + b1 * p->lhs_stride[1] +
                         b2 * p->lhs_stride[2];
        const float *b = rhs + b0 * p->rhs_stride[0] + b1 * p->rhs_stride[1] +
                         b2 * p->rhs_stride[2];
        for (i = 0; i < p->m; ++i) {
            for (j = 0; j < p->n; ++j) {
                float total = 0.0f;
                for (kk = 0; kk < p->k; ++kk) {
                    total += a[i * p->lhs_row + kk * p->lhs_col] *
                             b[kk * p->rhs_row + j * p->rhs_col];
                }
                output[n++] = total;
            }
        }
    }
}

void hb_rsqrt_f32(int32_t size, const float *input, float *output)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        output[i] = 1.0f / sqrtf(input[i]);
    }
}

void hb_gelu_f32(int32_t size, int32_t approximate, const float *input, float *output)
{
    const float sqrt_2_over_pi = 0.7978845608028654f;
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float x = input[i];
        if (approximate) {
            output[i] = 0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * (x + 0.044715f * x * x * x)));
        } else {
            output[i] = 0.5f * x * (1.0f + erff(x * 0.7071067811865476f));
        }
    }
}

/* int8 (int32 sums, hb_mbqm) and int16 (int64 sums, hb_mbqm64): one loop, two instances. */
#define HB_BATCH_MATMUL_INT(SUFFIX, T, ACC, MBQM, LO, HI)                                      \
    void hb_batch_matmul_##SUFFIX(const hb_batch_matmul_s8_params *p, const T *lhs,          \
                                  const T *rhs, T *output)                                   \
    {                                                                                        \
        const hb_batch_matmul_params *g = &p->g;                                             \
        int32_t b0, b1, b2, i, j, kk, n = 0;                                                 \
        for (b0 = 0; b0 < g->batch[0]; ++b0)                                                 \
        for (b1 = 0; b1 < g->batch[1]; ++b1)                                                 \
        for (b2 = 0; b2 < g->batch[2]; ++b2) {                                               \
            const T *a = lhs + b0 * g->lhs_stride[0] + b1 * g->lhs_stride[1] +               \
                         b2 * g->lhs_stride[2];                                              \
            const T *b = rhs + b0 * g->rhs_stride[0] + b1 * g->rhs_stride[1] +               \
                         b2 * g->rhs_stride[2];                                              \
            for (i = 0; i < g->m; ++i) {                                                     \
                for (j = 0; j < g->n; ++j) {                                                 \
                    ACC total = 0;                                                           \
                    for (kk = 0; kk < g->k; ++kk) {                                          \
                        total += (ACC)(a[i * g->lhs_row + kk * g->lhs_col] + p->lhs_offset) * \
                                 (ACC)(b[kk * g->rhs_row + j * g->rhs_col] + p->rhs_offset);  \
                    }                                                                        \
                    output[n++] = (T)hb_clamp_i32(                                           \
                        MBQM(total, p->multiplier, p->shift) + p->output_offset, LO, HI);    \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }

HB_BATCH_MATMUL_INT(s8, int8_t, int32_t, hb_mbqm, -128, 127)
HB_BATCH_MATMUL_INT(s16, int16_t, int64_t, hb_mbqm64, -32768, 32767)
