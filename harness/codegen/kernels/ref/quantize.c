/* QUANTIZE (float32 -> int8/int16, int8/int16 -> int8/int16) and DEQUANTIZE (int8/int16 ->
 * float32), as TFLite's reference_ops::AffineQuantize, Requantize and Dequantize; the int16
 * forms (16x8 models) are the int8 ones with int16 clamps. */
#include <math.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

/* Rounded half away from zero; clamped in float first (to twice the type's range) so the
 * conversion to int32 is defined. */
#define HB_QUANTIZE_FROM_F32(T, SUFFIX, LO, HI)                                               \
    void hb_quantize_f32_##SUFFIX(const hb_affine_params *p, const float *input, T *output)  \
    {                                                                                        \
        int32_t i;                                                                           \
        for (i = 0; i < p->size; ++i) {                                                      \
            float q = roundf(input[i] / p->scale);                                           \
            q = q > 2.0f * (HI) + 1.0f ? 2.0f * (HI) + 1.0f                                  \
                                       : (q < 2.0f * (LO) ? 2.0f * (LO) : q);                \
            output[i] = (T)hb_clamp_i32((int32_t)q + p->zero_point, (LO), (HI));             \
        }                                                                                    \
    }

#define HB_DEQUANTIZE_TO_F32(T, SUFFIX)                                                       \
    void hb_dequantize_##SUFFIX##_f32(const hb_affine_params *p, const T *input,             \
                                      float *output)                                         \
    {                                                                                        \
        int32_t i;                                                                           \
        for (i = 0; i < p->size; ++i) {                                                      \
            output[i] = p->scale * (float)((int32_t)input[i] - p->zero_point);               \
        }                                                                                    \
    }

#define HB_REQUANTIZE(NAME, TIN, TOUT, LO, HI)                                                \
    void NAME(const hb_requantize_params *p, const TIN *input, TOUT *output)                 \
    {                                                                                        \
        int32_t i;                                                                           \
        for (i = 0; i < p->size; ++i) {                                                      \
            const int32_t value =                                                            \
                hb_mbqm((int32_t)input[i] + p->input_offset, p->multiplier, p->shift) +      \
                p->output_offset;                                                            \
            output[i] = (TOUT)hb_clamp_i32(value, (LO), (HI));                               \
        }                                                                                    \
    }

HB_QUANTIZE_FROM_F32(int8_t, s8, -128, 127)
HB_QUANTIZE_FROM_F32(int16_t, s16, -32768, 32767)
HB_DEQUANTIZE_TO_F32(int8_t, s8)
HB_DEQUANTIZE_TO_F32(int16_t, s16)
HB_REQUANTIZE(hb_requantize_s8, int8_t, int8_t, -128, 127)
HB_REQUANTIZE(hb_requantize_s8_s16, int8_t, int16_t, -32768, 32767)
HB_REQUANTIZE(hb_requantize_s16_s8, int16_t, int8_t, -128, 127)
HB_REQUANTIZE(hb_requantize_s16_s16, int16_t, int16_t, -32768, 32767)
