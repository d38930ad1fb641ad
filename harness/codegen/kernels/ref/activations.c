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

/* gemmlowp's int16 helpers, as reference_ops::HardSwish uses them. */
static int16_t hb_srdhm16(int16_t a, int16_t b)
{
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    if (a == b && a == INT16_MIN) {
        return INT16_MAX;
    }
    return (int16_t)((ab + nudge) / (1 << 15));
}

static int16_t hb_sdhm16(int16_t a, int16_t b)
{
    if (a == b && a == INT16_MIN) {
        return INT16_MAX;
    }
    return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

static int16_t hb_rdbpot16(int16_t x, int32_t exponent)
{
    const int32_t mask = (1 << exponent) - 1;
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

static int16_t hb_sat_left16(int16_t x, int32_t shift)
{
    const int32_t v = (int32_t)((uint32_t)(int32_t)x << shift);
    return (int16_t)(v > INT16_MAX ? INT16_MAX : (v < INT16_MIN ? INT16_MIN : v));
}

void hb_hard_swish_s8(const hb_hard_swish_s8_params *p, const int8_t *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int16_t value = (int16_t)(input[i] - p->input_zero_point);
        const int16_t hires = (int16_t)(value * (1 << 7));
        const int16_t preshift = hb_srdhm16(hires, p->output_multiplier);
        int16_t reluish = hires;
        int32_t out;
        if (p->reluish_exponent > 0) {
            reluish = hb_sat_left16(reluish, p->reluish_exponent - 1);
        }
        reluish = hb_srdhm16(reluish, p->reluish_multiplier);
        if (p->reluish_exponent > 0) {
            reluish = hb_sat_left16(reluish, 1);
        }
        if (p->reluish_exponent < 0) {
            reluish = hb_rdbpot16(reluish, -p->reluish_exponent);
        }
        reluish = (int16_t)((reluish + (1 << 15)) >> 1);
        out = (int16_t)(hb_rdbpot16(hb_sdhm16(reluish, preshift), -p->output_exponent) +
                        p->output_zero_point);
        output[i] = (int8_t)hb_clamp_i32(out, -128, 127);
    }
}

void hb_hard_swish_f32(int32_t size, const float *input, float *output)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float x = input[i];
        const float r = x + 3.0f < 0.0f ? 0.0f : x + 3.0f;
        output[i] = x * (r > 6.0f ? 6.0f : r) / 6.0f;
    }
}
