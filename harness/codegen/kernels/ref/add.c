/* ADD of two equally shaped tensors: int8 and int16 (reference_integer_ops::Add: inputs moved
 * to a common grid 2^left_shift finer, rescaled, summed, rescaled to the output) and float32. */
#include "hb_fixedpoint.h"
#include "hb_kernels.h"

/* int8 and int16 (16x8 models, add.cc general_scale_int16: left_shift 15; SUB takes the int16
 * one too, with input2_multiplier negated). */
#define HB_INTEGER_ADD(T, SUFFIX)                                                             \
    void hb_add_##SUFFIX(const hb_add_s8_params *p, const T *input1, const T *input2,        \
                         T *output)                                                          \
    {                                                                                        \
        int32_t i;                                                                           \
        for (i = 0; i < p->size; ++i) {                                                      \
            const int32_t shifted1 = (p->input1_offset + input1[i]) * (1 << p->left_shift);  \
            const int32_t shifted2 = (p->input2_offset + input2[i]) * (1 << p->left_shift);  \
            const int32_t raw_sum =                                                          \
                hb_mbqm_smaller_than_one(shifted1, p->input1_multiplier, p->input1_shift) +  \
                hb_mbqm_smaller_than_one(shifted2, p->input2_multiplier, p->input2_shift);   \
            const int32_t raw_output =                                                       \
                hb_mbqm_smaller_than_one(raw_sum, p->output_multiplier, p->output_shift) +   \
                p->output_offset;                                                            \
            output[i] = (T)hb_clamp_i32(raw_output, p->act_min, p->act_max);                 \
        }                                                                                    \
    }

HB_INTEGER_ADD(int8_t, s8)
HB_INTEGER_ADD(int16_t, s16)

void hb_add_f32(const hb_add_f32_params *p, const float *input1, const float *input2,
                float *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = hb_clamp_f32(input1[i] + input2[i], p->act_min, p->act_max);
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
