/* DEPTHWISE_CONV_2D int8 for ARMv7E-M, depth multiplier 1: per output pixel, four channels per
 * step; each tap is one word of input (four channels of one pixel, NHWC) and one word of
 * weights, SXTB16 and SMLABB/SMLATT into four accumulators. Build-time layout
 * (armv7em.py): for each group of four channels the taps' weight words follow each other
 * (a channel count that is not a multiple of four is padded with zero weights), the input
 * offset is folded into the bias, and a padded tap reads a row of input zero points. */
#include <string.h>

#include "hb_armv7em.h"

#define HB_MAX_TAPS 25

static inline void requantise4(const hb_arm_channel *ch, const int32_t *acc, int32_t n,
                               int32_t offset, int32_t lo, int32_t hi, int8_t *out)
{
    int32_t j;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
    for (j = 0; j < n; ++j) {
        const int32_t v = hb_arm_requantize(acc[j], &ch[j]) + offset;
        out[j] = lo == -128 && hi == 127 ? hb_arm_sat_s8(v) : hb_arm_clamp_s8(v, lo, hi);
    }
}

/* Channels [c, c + 4) of one output pixel over ntaps taps at base + offsets[t]. */
static inline void four_channels(const int8_t *base, const int32_t *offsets, const int8_t *w,
                                 int32_t ntaps, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t t;
    for (t = 0; t < ntaps; ++t) {
        const int32_t xv = hb_read4(base + offsets[t]), wv = hb_read4(w + 4 * t);
        const int32_t xe = HB_SXTB16(xv), xo = hb_sxtb16_ror8(xv);
        const int32_t we = HB_SXTB16(wv), wo = hb_sxtb16_ror8(wv);
        a0 = HB_SMLABB(xe, we, a0);
        a2 = HB_SMLATT(xe, we, a2);
        a1 = HB_SMLABB(xo, wo, a1);
        a3 = HB_SMLATT(xo, wo, a3);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/* The 3x3 case of four_channels in assembly: per tap three loads (the next tap's offset is
 * loaded ahead so no load waits on the one before), four SXTB16, four SMLAxy. */
#define HB_TAP(t, o_use, o_next)                                                          \
    "ldr %[x], [%[base], %[" #o_use "]]\n\t"                                               \
    "ldr %[w], [%[wp], #" #t "*4]\n\t"                                                     \
    "ldr %[" #o_next "], [%[offs], #" #t "*4+4]\n\t"                                        \
    "sxtb16 %[xe], %[x]\n\t"                                                              \
    "sxtb16 %[x], %[x], ror #8\n\t"                                                       \
    "sxtb16 %[we], %[w]\n\t"                                                              \
    "sxtb16 %[w], %[w], ror #8\n\t"                                                       \
    "smlabb %[a0], %[xe], %[we], %[a0]\n\t"                                               \
    "smlatt %[a2], %[xe], %[we], %[a2]\n\t"                                               \
    "smlabb %[a1], %[x], %[w], %[a1]\n\t"                                                 \
    "smlatt %[a3], %[x], %[w], %[a3]\n\t"
/* The state group_3x3 reads: this group's channel records and outputs, the output stage. */
typedef struct {
    const hb_arm_channel *ch;      /*  0 */
    int8_t *out;                   /*  4 */
    int32_t offset, lo, hi;        /*  8, 12, 16 */
    int32_t saturate;              /* 20: the activation range is [-128, 127]: SSAT */
} group_state;

/* The rounding constant (hb_arm_requantize): HB_ARM_ONE_SHIFT adds its low word from the
 * shift word (xe) with carry, else 2^30 with an immediate. */
#if HB_ARM_ONE_SHIFT
#define HB_ROUND(a)                                                                     \
    "and %[o1], %[xe], #0xC0000000\n\t"                                                 \
    "adds %[x], %[x], %[o1]\n\t"                                                        \
    "adc %[base], %[we], %[" #a "], asr #31\n\t"
#else
#define HB_ROUND(a)                                                                     \
    "orr %[x], %[x], #0x40000000\n\t"                                                   \
    "add %[base], %[we], %[" #a "], asr #31\n\t"
#endif
#define HB_REQ(a, j)                                                                    \
    "ldr %[w], [%[o0], #4+16*" #j "]\n\t"                                               \
    "ldr %[we], [%[o0], #12+16*" #j "]\n\t"                                             \
    "ldr %[xe], [%[o0], #8+16*" #j "]\n\t"                                              \
    "and %[x], %[" #a "], #0x80000000\n\t"                                              \
    HB_ROUND(a)                                                                         \
    "smlal %[x], %[base], %[" #a "], %[w]\n\t"                                          \
    "asr %[" #a "], %[base], %[xe]\n\t"
#define HB_CLAMP(r, cond)                                                               \
    "cmp %[" #r "], %[x]\n\t"                                                           \
    "it " #cond "\n\t"                                                                  \
    "mov" #cond " %[" #r "], %[x]\n\t"

/* Four channels of one output pixel, 3x3 taps, bias to stored int8, in assembly. */
static inline __attribute__((always_inline)) void group_3x3(
    const int8_t *base, const int32_t *offsets, const int8_t *w, const group_state *st)
{
    int32_t a0, a1, a2, a3, x, xe, wv, we, o0, o1;
    __asm__ volatile("ldr %[o0], [%[st]]\n\t"
                     "ldr %[a0], [%[o0]]\n\t"
                     "ldr %[a1], [%[o0], #16]\n\t"
                     "ldr %[a2], [%[o0], #32]\n\t"
                     "ldr %[a3], [%[o0], #48]\n\t"
                     "ldr %[o0], [%[offs]]\n\t"
                     HB_TAP(0, o0, o1) HB_TAP(1, o1, o0) HB_TAP(2, o0, o1) HB_TAP(3, o1, o0)
                     HB_TAP(4, o0, o1) HB_TAP(5, o1, o0) HB_TAP(6, o0, o1) HB_TAP(7, o1, o0)
                     "ldr %[x], [%[base], %[o0]]\n\t"
                     "ldr %[w], [%[wp], #32]\n\t"
                     "sxtb16 %[xe], %[x]\n\t"
                     "sxtb16 %[x], %[x], ror #8\n\t"
                     "sxtb16 %[we], %[w]\n\t"
                     "sxtb16 %[w], %[w], ror #8\n\t"
                     "smlabb %[a0], %[xe], %[we], %[a0]\n\t"
                     "smlatt %[a2], %[xe], %[we], %[a2]\n\t"
                     "smlabb %[a1], %[x], %[w], %[a1]\n\t"
                     "smlatt %[a3], %[x], %[w], %[a3]\n\t"
                     "ldr %[o0], [%[st]]\n\t"
                     HB_REQ(a0, 0) HB_REQ(a1, 1) HB_REQ(a2, 2) HB_REQ(a3, 3)
                     "ldr %[x], [%[st], #8]\n\t"
                     "add %[a0], %[a0], %[x]\n\t"
                     "add %[a1], %[a1], %[x]\n\t"
                     "add %[a2], %[a2], %[x]\n\t"
                     "add %[a3], %[a3], %[x]\n\t"
                     "ldr %[x], [%[st], #20]\n\t"
                     "cmp %[x], #0\n\t"
                     "beq 1f\n\t"
                     "ssat %[a0], #8, %[a0]\n\t"
                     "ssat %[a1], #8, %[a1]\n\t"
                     "ssat %[a2], #8, %[a2]\n\t"
                     "ssat %[a3], #8, %[a3]\n\t"
                     "b 2f\n\t"
                     "1:\n\t"
                     "ldr %[x], [%[st], #12]\n\t"
                     HB_CLAMP(a0, lt) HB_CLAMP(a1, lt) HB_CLAMP(a2, lt) HB_CLAMP(a3, lt)
                     "ldr %[x], [%[st], #16]\n\t"
                     HB_CLAMP(a0, gt) HB_CLAMP(a1, gt) HB_CLAMP(a2, gt) HB_CLAMP(a3, gt)
                     "2:\n\t"
                     "ldr %[x], [%[st], #4]\n\t"
                     "strb %[a0], [%[x]]\n\t"
                     "strb %[a1], [%[x], #1]\n\t"
                     "strb %[a2], [%[x], #2]\n\t"
                     "strb %[a3], [%[x], #3]\n\t"
                     : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3),
                       [x] "=&r"(x), [xe] "=&r"(xe), [w] "=&r"(wv), [we] "=&r"(we),
                       [o0] "=&r"(o0), [o1] "=&r"(o1), [base] "+&r"(base), [wp] "+&r"(w),
                       [offs] "+&r"(offsets)
                     : [st] "r"(st)
                     : "memory", "cc");
}
#undef HB_REQ
#undef HB_ROUND
#undef HB_CLAMP
#undef HB_TAP
#endif

static inline void pixel(const hb_arm_dwconv_params *p, const int8_t *base,
                         const int32_t *offsets, const int8_t *filter, int32_t ntaps,
                         int8_t *out)
{
    const int32_t channels = p->g.out_c;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    const hb_arm_channel *ch = p->channels;
    int32_t c = 0;
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    if (ntaps == 9) {
        group_state st;
        st.offset = offset;
        st.lo = lo;
        st.hi = hi;
        st.saturate = lo == -128 && hi == 127;
        for (; c + 3 < channels; c += 4) {
            st.ch = ch;
            st.out = out + c;
            group_3x3(base + c, offsets, filter, &st);
            filter += 36;
            ch += 4;
        }
    }
#endif
    for (; c + 3 < channels; c += 4) {
        int32_t acc[4];
        acc[0] = ch[0].bias;
        acc[1] = ch[1].bias;
        acc[2] = ch[2].bias;
        acc[3] = ch[3].bias;
        four_channels(base + c, offsets, filter, ntaps, acc);
        requantise4(ch, acc, 4, offset, lo, hi, out + c);
        filter += 4 * ntaps;
        ch += 4;
    }
    if (c < channels) {  /* the last 1..3 channels, bytewise (no read past the input) */
        int32_t acc[4] = {0, 0, 0, 0};
        int32_t j, t;
        for (j = 0; j < channels - c; ++j) {
            acc[j] = ch[j].bias;
            for (t = 0; t < ntaps; ++t) {
                acc[j] += (int32_t)base[offsets[t] + c + j] * filter[4 * t + j];
            }
        }
        requantise4(ch, acc, channels - c, offset, lo, hi, out + c);
    }
}

/* Taps are addressed as base + offset, base the input pixel of the filter's top-left tap
 * (possibly outside the image); a padded tap's offset points at the zero-point row. */
void HB_ARM_DWCONV_FN(const hb_arm_dwconv_params *p, const int8_t *input,
                              const int8_t *filter, int8_t *scratch, int8_t *output)
{
    const hb_conv_geometry *g = &p->g;
    const int32_t c = g->in_c;
    const int32_t ntaps = g->filter_h * g->filter_w;
    const int32_t span_h = (g->filter_h - 1) * g->dilation_h;
    const int32_t span_w = (g->filter_w - 1) * g->dilation_w;
    int32_t inner[HB_MAX_TAPS], border[HB_MAX_TAPS];
    int32_t b, oy, ox, fy, fx, t;
    memset(scratch, (int8_t)p->input_zero_point, (size_t)c);
    for (fy = 0, t = 0; fy < g->filter_h; ++fy) {
        for (fx = 0; fx < g->filter_w; ++fx, ++t) {
            inner[t] = (fy * g->dilation_h * g->in_w + fx * g->dilation_w) * c;
        }
    }
    for (b = 0; b < g->batches; ++b) {
        const int8_t *image = input + b * g->in_h * g->in_w * c;
        for (oy = 0; oy < g->out_h; ++oy) {
            const int32_t y0 = oy * g->stride_h - g->pad_h;
            const int32_t rows_inside = y0 >= 0 && y0 + span_h < g->in_h;
            for (ox = 0; ox < g->out_w; ++ox) {
                const int32_t x0 = ox * g->stride_w - g->pad_w;
                const int8_t *base = image + (y0 * g->in_w + x0) * c;
                const int32_t *offsets = inner;
                if (!rows_inside || x0 < 0 || x0 + span_w >= g->in_w) {
                    const intptr_t zp_row = (intptr_t)scratch - (intptr_t)base;
                    for (fy = 0, t = 0; fy < g->filter_h; ++fy) {
                        const int32_t iy = y0 + fy * g->dilation_h;
                        for (fx = 0; fx < g->filter_w; ++fx, ++t) {
                            const int32_t ix = x0 + fx * g->dilation_w;
                            border[t] = (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w)
                                            ? (int32_t)zp_row : inner[t];
                        }
                    }
                    offsets = border;
                }
                pixel(p, base, offsets, filter, ntaps, output);
                output += c;
            }
        }
    }
}
