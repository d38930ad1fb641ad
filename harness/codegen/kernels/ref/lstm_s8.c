/* hilbench reference kernel of the int8 UNIDIRECTIONAL_SEQUENCE_LSTM (TFLite's integer 8x8_16
 * LSTM), following LiteRT's lstm_eval.cc EvalInteger8x8_16 with the portable tensor_utils
 * kernels; the specification is harness/golden_ops/lstm_int8.py (and layer_norm16.py), the
 * constants come from harness/lower_lstm8.py. The 16-bit gemmlowp logistic/tanh are those of
 * harness/fixedpoint16.py.
 */
#include <string.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

static int32_t hb16_wrap(int32_t x) { return (int16_t)(uint16_t)(uint32_t)x; }

static int32_t hb16_srdhm(int32_t a, int32_t b)
{
    if (a == -32768 && b == -32768) return 32767;
    return (a * b + (1 << 14)) >> 15;
}

static int32_t hb16_srmpot(int32_t x, int exponent)
{
    if (exponent > 0) {
        const int32_t threshold = (1 << (15 - exponent)) - 1;
        if (x > threshold) return 32767;
        if (x < -threshold) return -32768;
        return hb16_wrap((int32_t)((uint32_t)x << exponent));
    }
    return exponent < 0 ? hb_rdbpot(x, -exponent) : x;
}

static int32_t hb16_const(int32_t value32) { return hb_rdbpot(value32, 16); }

static int32_t hb16_exp_quarter(int32_t a)
{
    const int32_t c = hb16_const(1895147668);
    const int32_t x = hb16_wrap(a + (1 << 12));
    const int32_t x2 = hb16_srdhm(x, x), x3 = hb16_srdhm(x2, x), x4 = hb16_srdhm(x2, x2);
    const int32_t x4_over_4 = hb16_srmpot(x4, -2);
    const int32_t poly = hb16_srmpot(
        hb16_wrap(hb16_srdhm(hb16_wrap(x4_over_4 + x3), hb16_const(715827883)) + x2), -1);
    return hb_clamp_i32(c + hb16_srdhm(c, hb16_wrap(x + poly)), -32768, 32767);
}

static const int32_t hb16_barrel[7][2] = {
    {-2, 1672461947}, {-1, 1302514674}, {0, 790015084}, {1, 290630308},
    {2, 39332535}, {3, 720401}, {4, 242}};

static int32_t hb16_exp_on_negative_values(int32_t a, int integer_bits)
{
    const int frac = 15 - integer_bits;
    const int32_t one_quarter = 1 << (frac - 2);
    const int32_t a_mod = hb16_wrap((a & (one_quarter - 1)) - one_quarter);
    int32_t result = hb16_exp_quarter(hb16_srmpot(a_mod, integer_bits));
    const int32_t remainder = hb16_wrap(a_mod - a);
    for (int k = 0; k < 7; k++) {
        const int exponent = (int)hb16_barrel[k][0];
        if (integer_bits > exponent && (remainder & (1 << (frac + exponent))))
            result = hb16_srdhm(result, hb16_const(hb16_barrel[k][1]));
    }
    if (integer_bits > 5 && a < hb16_const(-(1 << (36 - integer_bits)))) result = 0;
    return a == 0 ? 32767 : result;
}

/* The Newton-Raphson reciprocal of 1 + a (FixedPoint<int16, 2>). */
static int32_t hb16_newton(int32_t a)
{
    int32_t half_denominator = a + 32767 + (a + 32767 >= 0 ? 1 : -1);
    half_denominator = half_denominator / 2;
    int32_t x = hb16_wrap(hb16_const(1515870810) +
                          hb16_srdhm(half_denominator, hb16_const(-1010580540)));
    for (int i = 0; i < 3; i++) {
        const int32_t one_minus = hb16_wrap((1 << 13) - hb16_srdhm(half_denominator, x));
        x = hb16_wrap(x + hb16_srmpot(hb16_srdhm(x, one_minus), 2));
    }
    return x;
}

static int32_t hb16_logistic(int32_t a, int integer_bits)
{
    if (a == 0) return 16384;
    const int32_t magnitude = a > 0 ? a : hb16_wrap(-a);
    const int32_t e = hb16_exp_on_negative_values(hb16_wrap(-magnitude), integer_bits);
    const int32_t positive = hb16_srmpot(hb16_newton(e), 1);
    return a > 0 ? positive : hb16_wrap(32767 - positive);
}

static int32_t hb16_tanh(int32_t a, int integer_bits)
{
    if (a == 0) return 0;
    const int32_t n = a < 0 ? a : hb16_wrap(-a);
    const int32_t e = hb16_exp_on_negative_values(n, integer_bits + 1);
    const int32_t t = hb16_srmpot(hb16_wrap(hb16_newton(e) - (1 << 13)), 2);
    return a < 0 ? hb16_wrap(-t) : t;
}

/* MatrixBatchVectorMultiplyAccumulate for one vector: out[r] += requantized row r. */
static void hb_lstm_matvec(const int8_t *v, const int8_t *w, const int32_t *bias,
                           int32_t mult, int32_t shift, int32_t zp, int32_t rows, int32_t cols,
                           int32_t lo, int32_t hi, int16_t *out16, int8_t *out8)
{
    for (int32_t r = 0; r < rows; r++) {
        uint32_t acc = (uint32_t)bias[r];
        for (int32_t c = 0; c < cols; c++)
            acc += (uint32_t)((int32_t)v[c] * (int32_t)w[r * cols + c]);
        int32_t value = hb_mbqm((int32_t)acc, mult, shift) + zp;
        value += out16 ? out16[r] : out8[r];
        value = hb_clamp_i32(value, lo, hi);
        if (out16) out16[r] = (int16_t)value; else out8[r] = (int8_t)value;
    }
}

static int64_t hb_trunc_div64(int64_t a, int64_t b) { return a / b; }

/* GetInvSqrtQuantizedMultiplierExp(value, -1). */
static void hb_inv_sqrt(int32_t value, int32_t *multiplier, int32_t *shift)
{
    if (value <= 1) { *multiplier = INT32_MAX; *shift = 0; return; }
    int32_t s = 11;
    while (value >= (1 << 29)) { value /= 4; s++; }
    const int32_t pairs = (hb_clz32((uint32_t)value) - 1) / 2 - 1;
    s -= pairs;
    value <<= 2 * pairs;
    const int32_t half_input = hb_rdbpot(value >> 1, 1);
    const int32_t half_three = (1 << 28) + (1 << 27);
    int32_t x = 1 << 28;
    for (int i = 0; i < 5; i++) {
        const int32_t x3 = hb_saturating_shift_left(hb_srdhm(hb_srdhm(x, x), x), 6);
        const int32_t diff = (int32_t)((uint32_t)hb_srdhm(half_three, x) -
                                       (uint32_t)hb_srdhm(half_input, x3));
        x = hb_saturating_shift_left(diff, 3);
    }
    int32_t result = hb_srdhm(x, 1518500250);
    if (s < 0) { result = (int32_t)((uint32_t)result << -s); s = 0; }
    *multiplier = result;
    *shift = -s;
}

static void hb_lstm_layer_norm(int16_t *gate, const int16_t *w, const int32_t *bias,
                               int32_t mult, int32_t shift, int32_t guard, int32_t n)
{
    int64_t sum = 0, sum_sq = 0;
    for (int32_t j = 0; j < n; j++) { sum += gate[j]; sum_sq += (int32_t)gate[j] * gate[j]; }
    const int32_t mean = (int32_t)hb_trunc_div64(sum * 1024, n);
    const int64_t variance = sum_sq * ((1 << 20) / n) - (int64_t)mean * mean;
    int32_t var = (int32_t)hb_trunc_div64(variance, 1 << 20);
    if (var < 1) var = guard;
    int32_t inv_m, inv_s;
    hb_inv_sqrt(var, &inv_m, &inv_s);
    for (int32_t j = 0; j < n; j++) {
        const int32_t rescaled = hb_mbqm(1024 * gate[j] - mean, inv_m, inv_s);
        const int64_t val3 = (int32_t)((uint32_t)rescaled * (uint32_t)(int32_t)w[j] +
                                       (uint32_t)bias[j]);
        const int32_t val4 = (int32_t)hb_trunc_div64(val3 > 0 ? val3 + 512 : val3 - 512, 1024);
        gate[j] = (int16_t)hb_clamp_i32(hb_mbqm(val4, mult, shift + 12), -32768, 32767);
    }
}

static void hb_lstm_gate(const hb_lstm_s8_params *p, int k, const int8_t *x, const int8_t *h,
                         const int16_t *c, int16_t *gate)
{
    memset(gate, 0, (size_t)p->n_cell * sizeof(int16_t));
    hb_lstm_matvec(x, p->input_weights[k], p->input_bias[k], p->input_mult[k],
                   p->input_shift[k], 0, p->n_cell, p->n_input, -32768, 32767, gate, NULL);
    hb_lstm_matvec(h, p->recurrent_weights[k], p->recurrent_bias[k], p->recurrent_mult[k],
                   p->recurrent_shift[k], 0, p->n_cell, p->n_output, -32768, 32767, gate,
                   NULL);
    if (p->peephole[k]) {   /* LiteRT's vector length is n_output (<= n_cell, checked) */
        for (int32_t j = 0; j < p->n_output; j++) {
            const int32_t prod = hb_mbqm((int32_t)p->peephole[k][j] * c[j],
                                         p->peephole_mult[k], p->peephole_shift[k]);
            gate[j] = (int16_t)hb_clamp_i32(prod + gate[j], -32768, 32767);
        }
    }
    if (p->layer_norm[k])
        hb_lstm_layer_norm(gate, p->layer_norm[k], p->layer_norm_bias[k], p->ln_mult[k],
                           p->ln_shift[k], p->variance_guard[k], p->n_cell);
    for (int32_t j = 0; j < p->n_cell; j++)
        gate[j] = (int16_t)(k == 2 ? hb16_tanh(gate[j], 3) : hb16_logistic(gate[j], 3));
}

void hb_lstm_s8(const hb_lstm_s8_params *p, const int8_t *input, int8_t *output_state,
                int16_t *cell_state, void *scratch, int8_t *output)
{
    const int32_t n_cell = p->n_cell, n_output = p->n_output;
    int16_t *gates = (int16_t *)scratch;            /* 4 x n_cell, then tanh(c) */
    int16_t *tanh_c = gates + 4 * n_cell;
    int8_t *hidden = (int8_t *)(tanh_c + n_cell);
    for (int32_t b = 0; b < p->batches; b++) {
        int8_t *h = output_state + b * n_output;
        int16_t *c = cell_state + b * n_cell;
        for (int32_t t = 0; t < p->steps; t++) {
            const int8_t *x = input + ((int64_t)b * p->steps + t) * p->n_input;
            int16_t *ig = gates, *fg = gates + n_cell, *gg = gates + 2 * n_cell;
            int16_t *og = gates + 3 * n_cell;
            hb_lstm_gate(p, 1, x, h, c, fg);
            hb_lstm_gate(p, 2, x, h, c, gg);
            if (!p->cifg) hb_lstm_gate(p, 0, x, h, c, ig);
            for (int32_t j = 0; j < n_cell; j++) {
                int32_t cell = hb16_wrap(hb_rdbpot((int32_t)fg[j] * c[j], 15));
                const int32_t i = p->cifg ? 32767 - fg[j] : ig[j];
                cell += hb16_wrap(hb_rdbpot(i * gg[j], 30 + p->cell_scale));
                cell = hb_clamp_i32(cell, -32768, 32767);
                if (p->cell_clip > 0) cell = hb_clamp_i32(cell, -p->cell_clip, p->cell_clip);
                c[j] = (int16_t)cell;
            }
            hb_lstm_gate(p, 3, x, h, c, og);
            for (int32_t j = 0; j < n_cell; j++) {
                tanh_c[j] = (int16_t)hb16_tanh(c[j], 15 + p->cell_scale);
                const int32_t v = hb_mbqm((int32_t)og[j] * tanh_c[j], p->hidden_mult,
                                          p->hidden_shift) + p->hidden_zp;
                hidden[j] = (int8_t)hb_clamp_i32(v, -128, 127);
            }
            if (p->projection) {
                memset(h, 0, (size_t)n_output);
                hb_lstm_matvec(hidden, p->projection, p->projection_bias, p->proj_mult,
                               p->proj_shift, p->output_zp, n_output, n_cell, -128, 127,
                               NULL, h);
                if (p->proj_clip > 0)
                    for (int32_t j = 0; j < n_output; j++)
                        h[j] = (int8_t)hb_clamp_i32(h[j], -p->proj_clip, p->proj_clip);
            } else {
                memcpy(h, hidden, (size_t)n_output);
            }
            memcpy(output + ((int64_t)b * p->steps + t) * n_output, h, (size_t)n_output);
        }
    }
}
