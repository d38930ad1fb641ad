/* SOFTMAX over the last dimension: int8 (TFLite reference_ops::Softmax with gemmlowp fixed
 * point) and float32 (reference_ops::Softmax). */
#include <math.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

enum {
    SCALED_DIFF_INTEGER_BITS = 5,   /* input differences in Q5.26 */
    ACCUMULATION_INTEGER_BITS = 12  /* sum of exponentials in Q12.19 */
};

void hb_softmax_s8(const hb_softmax_s8_params *p, const int8_t *input, int8_t *output)
{
    int32_t r, c;
    for (r = 0; r < p->rows; ++r) {
        const int8_t *in = input + r * p->depth;
        int8_t *out = output + r * p->depth;
        int32_t max_in_row = -128;
        int32_t sum_of_exps = 0;  /* Q12.19 */
        int32_t num_bits_over_unit, shifted_scale;
        for (c = 0; c < p->depth; ++c) {
            max_in_row = in[c] > max_in_row ? in[c] : max_in_row;
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t input_diff = (int32_t)in[c] - max_in_row;
            if (input_diff >= p->diff_min) {
                const int32_t scaled_diff = hb_mbqm_greater_than_one(
                    input_diff, p->input_multiplier, p->input_left_shift);
                /* Rescale<12>: Q0.31 -> Q12.19. */
                sum_of_exps += hb_rdbpot(hb_exp_on_negative_values(scaled_diff),
                                         ACCUMULATION_INTEGER_BITS);
            }
        }
        shifted_scale = hb_get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS,
                                          &num_bits_over_unit);
        for (c = 0; c < p->depth; ++c) {
            const int32_t input_diff = (int32_t)in[c] - max_in_row;
            if (input_diff >= p->diff_min) {
                const int32_t scaled_diff = hb_mbqm_greater_than_one(
                    input_diff, p->input_multiplier, p->input_left_shift);
                const int32_t exp_in_0 = hb_exp_on_negative_values(scaled_diff);
                const int32_t unsat_output =
                    hb_rdbpot(hb_srdhm(shifted_scale, exp_in_0), num_bits_over_unit + 31 - 8);
                out[c] = (int8_t)hb_clamp_i32(unsat_output - 128, -128, 127);
            } else {
                out[c] = -128;
            }
        }
    }
}

void hb_softmax_f32(const hb_softmax_f32_params *p, const float *input, float *output)
{
    int32_t r, c;
    for (r = 0; r < p->rows; ++r) {
        const float *in = input + r * p->depth;
        float *out = output + r * p->depth;
        float max = -3.40282347e+38f;
        float sum = 0.0f;
        for (c = 0; c < p->depth; ++c) {
            max = in[c] > max ? in[c] : max;
        }
        for (c = 0; c < p->depth; ++c) {
            out[c] = expf((in[c] - max) * p->beta);
            sum += out[c];
        }
        for (c = 0; c < p->depth; ++c) {
            out[c] = out[c] / sum;
        }
    }
}
