/* AVERAGE_POOL_2D int8 over the whole image (the global pooling of the MLPerf Tiny models) for
 * ARMv7E-M: four channels per word, SXTB16 and SADD16 into two registers of 16-bit sums
 * (exact: at most 255 pixels of |x| <= 128), then TFLite's rounded division per channel. */
#include "hb_armv7em.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define HB_SADD16(a, b) ((int32_t)__sadd16((uint32_t)(a), (uint32_t)(b)))
#else
static inline int32_t hb_sadd16_c(int32_t a, int32_t b)
{
    const uint32_t lo = ((uint32_t)a + (uint32_t)b) & 0xFFFFu;
    const uint32_t hi = (((uint32_t)a >> 16) + ((uint32_t)b >> 16)) & 0xFFFFu;
    return (int32_t)(lo | (hi << 16));
}
#define HB_SADD16(a, b) hb_sadd16_c((a), (b))
#endif

static inline int8_t average(int32_t sum, int32_t count, int32_t lo, int32_t hi)
{
    const int32_t v = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
    return hb_arm_clamp_s8(v, lo, hi);
}

void hb_arm_global_average_pool_s8(const hb_arm_pool_params *p, const int8_t *input,
                                   int8_t *output)
{
    const int32_t channels = p->channels, count = p->count;
    int32_t b, c, n;
    for (b = 0; b < p->batches; ++b) {
        for (c = 0; c < channels; c += 4) {
            const int8_t *x = input + c;
            int32_t even = 0, odd = 0;
            for (n = 0; n < count; ++n) {
                const int32_t v = hb_read4(x);
                even = HB_SADD16(even, HB_SXTB16(v));
                odd = HB_SADD16(odd, hb_sxtb16_ror8(v));
                x += channels;
            }
            output[c] = average((int16_t)(even & 0xFFFF), count, p->act_min, p->act_max);
            output[c + 1] = average((int16_t)(odd & 0xFFFF), count, p->act_min, p->act_max);
            output[c + 2] = average((int16_t)((uint32_t)even >> 16), count, p->act_min,
                                    p->act_max);
            output[c + 3] = average((int16_t)((uint32_t)odd >> 16), count, p->act_min,
                                    p->act_max);
        }
        input += count * channels;
        output += channels;
    }
}
