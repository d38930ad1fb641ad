/* QUANTIZE (float32 -> int8/int16, int8/int16 -> int8/int16) and DEQUANTIZE (int8/int16 -> float32),
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

/* int16 (16x8 models): the same reference functions with int16 clamps. */
void hb_quantize_f32_s16(const hb_affine_params *p, const float *input, int16_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        float q = roundf(input[i] / p->scale);
        q = q > 65535.0f ? 65535.0f : (q < -65536.0f ? -65536.0f : q);
        output[i] = (int16_t)hb_clamp_i32((int32_t)q + p->zero_point, -32768, 32767);
    }
}

void hb_dequantize_s16_f32(const hb_affine_params *p, const int16_t *input, float *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = p->scale * (float)((int32_t)input[i] - p->zero_point);
    }
}

static int32_t requantize(const hb_requantize_params *p, int32_t x, int32_t lo, int32_t hi)
{
    return hb_clamp_i32(hb_mbqm(x + p->input_offset, p->multiplier, p->shift) + p->output_offset,
                        lo, hi);
}

void hb_requantize_s8_s16(const hb_requantize_params *p, const int8_t *input, int16_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = (int16_t)requantize(p, input[i], -32768, 32767);
    }
}

void hb_requantize_s16_s8(const hb_requantize_params *p, const int16_t *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = (int8_t)requantize(p, input[i], -128, 127);
    }
}

void hb_requantize_s16_s16(const hb_requantize_params *p, const int16_t *input,
                           int16_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = (int16_t)requantize(p, input[i], -32768, 32767);
    }
}
