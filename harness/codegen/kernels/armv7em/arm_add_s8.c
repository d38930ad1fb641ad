/* ADD int8 for ARMv7E-M, bit-exact with reference_integer_ops::Add: each input's rescaling
 * ((q + offset) << left_shift, then MultiplyByQuantizedMultiplierSmallerThanOneExp) depends on
 * its int8 value only, so the generator tabulates it (256 int32 per input, exact by
 * construction); per element two table loads, an add, and the output rescaling in one 64-bit
 * multiply-accumulate. */
#include "hb_armv7em.h"

/* RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(a, m), e) for e >= 0 and m = 0 or
 * m >= 2^30 (QuantizeMultiplierSmallerThanOneExp): the nested floors of hb_arm_requantize,
 * (a*m + 2^30 + 2^(30+e) - [a < 0] 2^31) >> (31 + e), and for e = 0 (a*m + 2^30) >> 31. */
static inline int32_t rescale(int32_t a, int32_t m, int32_t e)
{
    int64_t v = (int64_t)a * m + (1 << 30);
    if (e == 0) {
        return (int32_t)(v >> 31);
    }
    v += ((int64_t)1 << (30 + e)) - (a < 0 ? ((int64_t)1 << 31) : 0);
    return (int32_t)(v >> (31 + e));
}

void hb_arm_add_s8(const hb_arm_add_params *p, const int8_t *input1, const int8_t *input2,
                   int8_t *output)
{
    const int32_t *t1 = p->input1_table, *t2 = p->input2_table;
    const int32_t m = p->output_multiplier, e = p->output_right_shift;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t sum =
            (int32_t)((uint32_t)t1[(uint8_t)input1[i]] + (uint32_t)t2[(uint8_t)input2[i]]);
        output[i] = hb_arm_clamp_s8(rescale(sum, m, e) + offset, lo, hi);
    }
}
