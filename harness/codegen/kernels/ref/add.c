/* ADD of two equally shaped tensors: int8 and int16 (reference_integer_ops::Add: inputs moved to a
 * common grid 2^left_shift finer, rescaled, summed, rescaled to the output) and float32. */
#include "hb_fixedpoint.h"
#include "hb_kernels.h"

void hb_add_s8(const hb_add_s8_params *p, const int8_t *input1, const int8_t *input2,
               int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t input1_val = p->input1_offset + input1[i];
        const int32_t input2_val = p->input2_offset + input2[i];
        const int32_t shifted_input1_val = input1_val * (1 << p->left_shift);
        const int32_t shifted_input2_val = input2_val * (1 << p->left_shift);
        const int32_t scaled_input1_val = hb_mbqm_smaller_than_one(
            shifted_input1_val, p->input1_multiplier, p->input1_shift);
        const int32_t scaled_input2_val = hb_mbqm_smaller_than_one(
            shifted_input2_val, p->input2_multiplier, p->input2_shift);
        const int32_t raw_sum = scaled_input1_val + scaled_input2_val;
        const int32_t raw_output =
            hb_mbqm_smaller_than_one(raw_sum, p->output_multiplier, p->output_shift) +
            p->output_offset;
        output[i] = (int8_t)hb_clamp_i32(raw_output, p->act_min, p->act_max);
    }
}

void hb_add_f32(const hb_add_f32_params *p, const float *input1, const float *input2,
                float *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = hb_clamp_f32(input1[i] + input2[i], p->act_min, p->act_max);
    }
}

/* int16 (16x8 models, add.cc general_scale_int16): left_shift 15, int16 clamps; SUB takes
 * it too, with input2_multiplier negated. */
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

/* int16 ADD and SUB with pot_scale_int16 (reference_ops::Add / Sub16 for int16): the input with
 * a negative shift rounded onto the output's power-of-two scale, a saturating int16 add or
 * subtract, the activation clamp. */
void hb_add_pot_s16(const hb_add_pot_s16_params *p, const int16_t *input1,
                    const int16_t *input2, int16_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t a = hb_rdbpot(input1[i], -p->input1_shift);
        const int32_t b = hb_rdbpot(input2[i], -p->input2_shift);
        const int32_t sum = hb_clamp_i32(p->subtract ? a - b : a + b, -32768, 32767);
        output[i] = (int16_t)hb_clamp_i32(sum, p->act_min, p->act_max);
    }
}
