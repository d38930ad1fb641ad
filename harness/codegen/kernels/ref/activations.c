/* RELU / RELU6 / LEAKY_RELU as ops: int8 requantizes (activations.cc QuantizedReluX,
 * reference_ops::QuantizeLeakyRelu), float32 clamps / scales (reference_ops::Relu, Relu6,
 * LeakyRelu). */
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
