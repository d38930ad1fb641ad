/* ADD, SUB and MUL of equally shaped int16 tensors (16x8 models): the int8 reference formulas
 * (reference_integer_ops::Add with a 2^15 grid, SUB as ADD with input2_multiplier negated,
 * reference_integer_ops::Mul) with int16 clamps. */
#include "hb_fixedpoint.h"
#include "hb_kernels.h"

void hb_add_s16(const hb_add_s8_params *p, const int16_t *input1, const int16_t *input2,
                int16_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t shifted1 = (p->input1_offset + input1[i]) * (1 << p->left_shift);
        const int32_t shifted2 = (p->input2_offset + input2[i]) * (1 << p->left_shift);
        const int32_t raw_sum =
            hb_mbqm_smaller_than_one(shifted1, p->input1_multiplier, p->input1_shift) +
            hb_mbqm_smaller_than_one(shifted2, p->input2_multiplier, p->input2_shift);
        const int32_t raw_output =
            hb_mbqm_smaller_than_one(raw_sum, p->output_multiplier, p->output_shift) +
            p->output_offset;
        output[i] = (int16_t)hb_clamp_i32(raw_output, p->act_min, p->act_max);
    }
}

void hb_mul_s16(const hb_mul_s8_params *p, int32_t size, const int16_t *input1,
                const int16_t *input2, int16_t *output)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const int32_t product = (p->input1_offset + input1[i]) * (p->input2_offset + input2[i]);
        const int32_t raw = hb_mbqm(product, p->output_multiplier, p->output_shift) +
                            p->output_offset;
        output[i] = (int16_t)hb_clamp_i32(raw, p->act_min, p->act_max);
    }
}
