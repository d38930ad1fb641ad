/* QUANTIZE (float32 -> int8, int8 -> int8) and DEQUANTIZE (int8 -> float32), as TFLite's
 * reference_ops::AffineQuantize, Requantize and Dequantize. */
#include <math.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

void hb_quantize_f32_s8(const hb_affine_params *p, const float *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        /* Rounded half away from zero; clamped in float first so the conversion is defined. */
        float q = roundf(input[i] / p->scale);
        q = q > 255.0f ? 255.0f : (q < -256.0f ? -256.0f : q);
        output[i] = (int8_t)hb_clamp_i32((int32_t)q + p->zero_point, -128, 127);
    }
}

void hb_requantize_s8(const hb_requantize_params *p, const int8_t *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t value =
            hb_mbqm((int32_t)input[i] + p->input_offset, p->multiplier, p->shift) +
            p->output_offset;
        output[i] = (int8_t)hb_clamp_i32(value, -128, 127);
    }
}

void hb_dequantize_s8_f32(const hb_affine_params *p, const int8_t *input, float *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = p->scale * (float)((int32_t)input[i] - p->zero_point);
    }
}
