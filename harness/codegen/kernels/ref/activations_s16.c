/* int16 LOGISTIC and TANH (reference_integer_ops::Logistic / Tanh: the input rescaled to units
 * of 1/(3 * 4096), LiteRT's 256-entry sigmoid table read with linear interpolation) and int16
 * SOFTMAX (reference_ops::SoftmaxInt16: exp and 1/(1 + x) through 513-entry int16 tables).
 * The tables are constants of the generated model (harness/lower_int16.py). */
#include "hb_fixedpoint.h"
#include "hb_kernels.h"

/* The input rescaling of both: v = (x * multiplier + round) >> left_shift; a zero multiplier
 * means a power-of-two input scale: multiplier 3 << left_shift, no shift. */
typedef struct {
    int32_t multiplier, shift, round;
} input_scaling;

static input_scaling scaling_of(const hb_lut_s16_params *p)
{
    input_scaling s;
    s.multiplier = p->input_multiplier == 0 ? 3 << p->input_left_shift : p->input_multiplier;
    s.shift = p->input_multiplier == 0 ? 0 : p->input_left_shift;
    s.round = s.shift > 0 ? 1 << (s.shift - 1) : 0;
    return s;
}

/* The table read at |v| (v: x rescaled) with `bits` fraction bits, interpolated; `top` past
 * its end; *negative: v < 0. */
static uint32_t interpolate(const uint16_t *table, const input_scaling *s, int16_t x,
                            uint32_t bits, uint32_t top, int32_t *negative)
{
    const int32_t v = (x * s->multiplier + s->round) >> s->shift;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t h = a >> bits;
    uint32_t ua, ub;
    *negative = v < 0;
    if (h >= 255u) {
        return top;
    }
    ua = table[h];
    ub = table[h + 1u];
    return (ua << bits) + (a & ((1u << bits) - 1u)) * (ub - ua);
}

void hb_logistic_s16(const hb_lut_s16_params *p, const uint16_t *table, const int16_t *input,
                     int16_t *output)
{
    const input_scaling s = scaling_of(p);
    int32_t i, negative;
    for (i = 0; i < p->size; ++i) {
        uint32_t r = interpolate(table, &s, input[i], 9u, 0x7FFFu << 10, &negative);
        r = negative ? (1u << 25) - r + (1u << 9) - 1u : r + (1u << 9);
        output[i] = (int16_t)(r >> 10);
    }
}

void hb_tanh_s16(const hb_lut_s16_params *p, const uint16_t *table, const int16_t *input,
                 int16_t *output)
{
    const input_scaling s = scaling_of(p);
    int32_t i, negative;
    for (i = 0; i < p->size; ++i) {
        int32_t r = (int32_t)interpolate(table, &s, input[i], 8u, 0xFFFFu << 8, &negative);
        r = negative ? -r + (1 << 23) + (1 << 7) - 1 : r - (1 << 23) + (1 << 7);
        output[i] = (int16_t)(r >> 8);
    }
}

/* LiteRT's int16 table lookup: 512 intervals of 128 input steps, interpolated. */
static int16_t lut_lookup(const int16_t *lut, int32_t v)
{
    const int32_t index = 256 + (v >> 7);
    const int32_t base = lut[index];
    const int32_t slope = lut[index + 1] - base;
    return (int16_t)(base + ((slope * (v & 0x7F) + 64) >> 7));
}

void hb_softmax_s16(const hb_softmax_s16_params *p, const int16_t *exp_lut,
                    const int16_t *recip_lut, const int16_t *input, int16_t *output)
{
    int32_t row, c;
    for (row = 0; row < p->rows; ++row) {
        const int16_t *in = input + row * p->depth;
        int16_t *out = output + row * p->depth;   /* holds exp() until the last loop */
        int32_t max = -32768, sum = 0, clz, shifted, right;
        int16_t recip;
        int64_t round;
        for (c = 0; c < p->depth; ++c) {
            max = in[c] > max ? in[c] : max;
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t scaled = hb_mbqm(in[c] - max, p->input_multiplier, p->input_shift);
            out[c] = lut_lookup(exp_lut, hb_clamp_i32(scaled + 32767, -32768, 32767));
            sum += out[c];
        }
        clz = hb_clz32((uint32_t)sum);
        shifted = (int32_t)((((int64_t)sum << (clz - 1)) + (1 << 13)) >> 14);
        recip = lut_lookup(recip_lut, hb_clamp_i32(shifted - ((1 << 15) + (1 << 16)), -32768,
                                                   32767));
        right = 31 - clz;
        round = (int64_t)1 << (right - 1);
        for (c = 0; c < p->depth; ++c) {
            const int32_t result = (int32_t)(((int64_t)out[c] * recip + round) >> right);
            out[c] = (int16_t)hb_clamp_i32(result, 0, 32767);
        }
    }
}

/* RSQRT int16: LiteRT's LUTLookup over its 513-entry table, int16 arithmetic wrapping as the
 * reference kernel's int16_t temporaries do (the input is >= 0: golden refuses the rest). */
void hb_rsqrt_s16(int32_t size, const int16_t *table, const int16_t *input, int16_t *output)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const int32_t v = input[i];
        const int32_t index = 256 + (v >> 7);
        const int16_t base = table[index];
        const int16_t slope = (int16_t)(table[index + 1] - base);
        const int16_t delta = (int16_t)((slope * (v & 0x7F) + 64) >> 7);
        output[i] = (int16_t)(base + delta);
    }
}
