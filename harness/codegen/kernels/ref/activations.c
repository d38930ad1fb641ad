/* RELU / RELU6 / LEAKY_RELU as ops: int8 requantizes (activations.cc QuantizedReluX,
 * reference_ops::QuantizeLeakyRelu), float32 clamps / scales (reference_ops::Relu, Relu6,
 * LeakyRelu). LOGISTIC / TANH: int8 through the generator's 256-entry table (LiteRT's int8
 * reference path), float32 with expf / tanhf (reference_ops::Logistic, Tanh). */
#include <math.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

void hb_relu_s8(const hb_relu_s8_params *p, const int8_t *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t v = p->output_offset +
                          hb_mbqm(input[i] - p->input_zero_point, p->multiplier, p->shift);
        output[i] = (int8_t)hb_clamp_i32(v, p->act_min, p->act_max);
    }
}

void hb_relu_f32(const hb_relu_f32_params *p, const float *input, float *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const float v = input[i] < 0.0f ? 0.0f : input[i];
        output[i] = (p->relu6 && v > 6.0f) ? 6.0f : v;
    }
}

void hb_leaky_relu_s8(const hb_leaky_relu_s8_params *p, const int8_t *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t v = input[i] - p->input_zero_point;
        const int32_t scaled = v >= 0
            ? hb_mbqm(v, p->identity_multiplier, p->identity_shift)
            : hb_mbqm(v, p->alpha_multiplier, p->alpha_shift);
        output[i] = (int8_t)hb_clamp_i32(p->output_offset + scaled, -128, 127);
    }
}

void hb_leaky_relu_f32(const hb_leaky_relu_f32_params *p, const float *input, float *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = input[i] > 0.0f ? input[i] : input[i] * p->alpha;
    }
}

void hb_lut_s8(const hb_lut_s8_params *p, const int8_t *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = p->table[input[i] + 128];
    }
}

void hb_logistic_f32(int32_t size, const float *input, float *output)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float v = input[i];
        if (v > 16.619047164916992188f) {
            output[i] = 1.0f;
        } else if (v < -9.0f) {
            output[i] = expf(v);
        } else {
            output[i] = 1.0f / (1.0f + expf(-v));
        }
    }
}

void hb_tanh_f32(int32_t size, const float *input, float *output)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        output[i] = tanhf(input[i]);
    }
}
