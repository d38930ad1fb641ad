/* CONV_2D int8 for ARMv7E-M: two output pixels x two output channels per step
 * (hb_arm_mac_2x2: SXTB16 splits even and odd bytes of both operands the same way, so the
 * weights keep TFLite's OHWI order inside each row). Build-time layout (armv7em.py): rows
 * padded with zero weights to whole words, the rows of channels 2j and 2j+1 interleaved word
 * by word, an odd last channel paired with a zero row; the input offset folded into the bias.
 * At run time the rows of two output pixels are interleaved the same way into the scratch
 * buffer (im2col for a general conv, a plain copy for 1x1 stride 1), padded taps holding the
 * input zero point, so the inner loop multiplies raw int8 values. */
#include <string.h>

#include "hb_armv7em.h"

static inline void write4(int8_t *p, int32_t v)
{
    memcpy(p, &v, 4);
}

/* The im2col row of output pixel n: filter_h * filter_w * in_c bytes. */
static void im2col_row(const hb_arm_conv_params *p, const int8_t *input, int32_t n, int8_t *dst)
{
    const hb_conv_geometry *g = &p->g;
    const int32_t c = g->in_c;
    const int32_t per_image = g->out_h * g->out_w;
    const int32_t b = n / per_image, oy = (n % per_image) / g->out_w, ox = n % g->out_w;
    const int32_t y0 = oy * g->stride_h - g->pad_h;
    const int32_t x0 = ox * g->stride_w - g->pad_w;
    const int8_t zp = (int8_t)p->input_zero_point;
    int32_t fy, fx;
    for (fy = 0; fy < g->filter_h; ++fy) {
        const int32_t iy = y0 + fy * g->dilation_h;
        const int8_t *row = input + ((b * g->in_h + iy) * g->in_w) * c;
        if (iy < 0 || iy >= g->in_h) {
            memset(dst, zp, (size_t)(g->filter_w * c));
            dst += g->filter_w * c;
            continue;
        }
        if (g->dilation_w == 1) {
            int32_t lo = x0 < 0 ? -x0 : 0;
            int32_t hi = g->in_w - x0 < g->filter_w ? g->in_w - x0 : g->filter_w;
            if (lo > g->filter_w) {
                lo = g->filter_w;
            }
            if (hi < lo) {
                hi = lo;
            }
            if (lo > 0) {
                memset(dst, zp, (size_t)(lo * c));
            }
            if (hi > lo) {
                memcpy(dst + lo * c, row + (x0 + lo) * c, (size_t)((hi - lo) * c));
            }
            if (hi < g->filter_w) {
                memset(dst + hi * c, zp, (size_t)((g->filter_w - hi) * c));
            }
            dst += g->filter_w * c;
            continue;
        }
        for (fx = 0; fx < g->filter_w; ++fx) {
            const int32_t ix = x0 + fx * g->dilation_w;
            if (ix < 0 || ix >= g->in_w) {
                memset(dst, zp, (size_t)c);
            } else {
                memcpy(dst, row + ix * c, (size_t)c);
            }
            dst += c;
        }
    }
}

/* The im2col row of output pixel n straight into lane `lane` (0: A, 1: B) of the interleaved
 * pair, for in_c a multiple of 4: every tap is whole words. */
static void im2col_words(const hb_arm_conv_params *p, const int8_t *input, int32_t n,
                         int32_t lane, int8_t *dst)
{
    const hb_conv_geometry *g = &p->g;
    const int32_t c = g->in_c, per_tap = c >> 2;
    const int32_t per_image = g->out_h * g->out_w;
    const int32_t b = n / per_image, oy = (n % per_image) / g->out_w, ox = n % g->out_w;
    const int32_t y0 = oy * g->stride_h - g->pad_h;
    const int32_t x0 = ox * g->stride_w - g->pad_w;
    const uint32_t zp = (uint32_t)(uint8_t)p->input_zero_point * 0x01010101u;
    int32_t fy, fx, j;
    dst += 4 * lane;
    for (fy = 0; fy < g->filter_h; ++fy) {
        const int32_t iy = y0 + fy * g->dilation_h;
        const int8_t *row = input + ((b * g->in_h + iy) * g->in_w) * c;
        for (fx = 0; fx < g->filter_w; ++fx) {
            const int32_t ix = x0 + fx * g->dilation_w;
            if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w) {
                for (j = 0; j < per_tap; ++j) {
                    write4(dst, (int32_t)zp);
                    dst += 8;
                }
            } else {
                const int8_t *src = row + ix * c;
                for (j = 0; j < per_tap; ++j) {
                    write4(dst, hb_read4(src));
                    src += 4;
                    dst += 8;
                }
            }
        }
    }
}

/* Rows a and b (depth bytes each) word-interleaved into dst (8 * words bytes). */
static void interleave(const int8_t *a, const int8_t *b, int32_t depth, int32_t words,
                       int8_t *dst)
{
    const int32_t full = depth >> 2;
    int32_t k;
    for (k = 0; k < full; ++k) {
        write4(dst, hb_read4(a));
        write4(dst + 4, hb_read4(b));
        a += 4;
        b += 4;
        dst += 8;
    }
    if (full < words) {
        const int32_t rest = depth & 3;
        memset(dst, 0, 8);
        memcpy(dst, a, (size_t)rest);
        memcpy(dst + 4, b, (size_t)rest);
    }
}

/* Requantise the accumulators of one channel for two pixels. */
static inline void store_channel(const hb_arm_channel *ch, int32_t acc0, int32_t acc1,
                                 int32_t offset, int32_t lo, int32_t hi, int8_t *out0,
                                 int8_t *out1)
{
    const int32_t v0 = hb_arm_requantize(acc0, ch) + offset;
    const int32_t v1 = hb_arm_requantize(acc1, ch) + offset;
    if (lo == -128 && hi == 127) {
        *out0 = hb_arm_sat_s8(v0);
        *out1 = hb_arm_sat_s8(v1);
    } else {
        *out0 = hb_arm_clamp_s8(v0, lo, hi);
        *out1 = hb_arm_clamp_s8(v1, lo, hi);
    }
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/* The channel pairs of two_pixels in one assembly loop: bias, MAC loop, requantisation and
 * stores without leaving registers to the compiler (the MAC loop needs all fourteen). Its
 * state lives in memory; the offsets below are the struct's. */
typedef struct {
    const int8_t *rows;            /*  0 */
    const int8_t *end;             /*  4: rows + 8 * words */
    const hb_arm_channel *ch;      /*  8: channel 2j's record, +32 per pair */
    int8_t *out0, *out1;           /* 12, 16: +2 per pair */
    int32_t offset, lo, hi;        /* 20, 24, 28 */
    int32_t pairs;                 /* 32: counts down */
    int32_t two;                   /* 36: words & 2 (two steps before the loop of four) */
    int32_t saturate;              /* 40: the activation range is [-128, 127]: SSAT */
} pair_state;

/* hb_arm_requantize of a into d: t1 multiplier, t2 round_hi, t3 shift (HB_ARM_ONE_SHIFT: x
 * the rounding constant's low word, HB_LOW) */
#if HB_ARM_ONE_SHIFT
#define HB_LOW "and %[x], %[t3], #0xC0000000\n\t"
#define HB_REQ(a, d)                                                                    \
    "and %[t4], %[" #a "], #0x80000000\n\t"                                             \
    "adds %[t4], %[t4], %[x]\n\t"                                                       \
    "adc %[" #d "], %[t2], %[" #a "], asr #31\n\t"                                      \
    "smlal %[t4], %[" #d "], %[" #a "], %[t1]\n\t"                                      \
    "asr %[" #d "], %[" #d "], %[t3]\n\t"
#else
#define HB_LOW
#define HB_REQ(a, d)                                                                    \
    "and %[t4], %[" #a "], #0x80000000\n\t"                                             \
    "orr %[t4], %[t4], #0x40000000\n\t"                                                 \
    "add %[" #d "], %[t2], %[" #a "], asr #31\n\t"                                      \
    "smlal %[t4], %[" #d "], %[" #a "], %[t1]\n\t"                                      \
    "asr %[" #d "], %[" #d "], %[t3]\n\t"
#endif
#define HB_CLAMP(r, cond)                                                               \
    "cmp %[" #r "], %[t4]\n\t"                                                          \
    "it " #cond "\n\t"                                                                  \
    "mov" #cond " %[" #r "], %[t4]\n\t"

static void pairs_asm(pair_state *st, const int8_t *w)
{
    int32_t a00, a01, a10, a11, x, t0, t1, t2, t3, t4, t5, t6;
    __asm__ volatile(
        "0:\n\t"
        "ldr %[t0], [%[st], #8]\n\t"
        "ldr %[a00], [%[t0]]\n\t"
        "ldr %[a10], [%[t0], #16]\n\t"
        "mov %[a01], %[a00]\n\t"
        "mov %[a11], %[a10]\n\t"
        "ldr %[x], [%[st]]\n\t"
        "ldr %[t0], [%[st], #36]\n\t"
        "cmp %[t0], #0\n\t"
        "beq 1f\n\t"
        HB_ARM_MAC_2X2_STEP HB_ARM_MAC_2X2_STEP
        "1:\n\t"
        "ldr %[t0], [%[st], #4]\n\t"
        "cmp %[x], %[t0]\n\t"
        "beq 2f\n\t"
        "5:\n\t"
        HB_ARM_MAC_2X2_STEP HB_ARM_MAC_2X2_STEP HB_ARM_MAC_2X2_STEP HB_ARM_MAC_2X2_STEP
        "ldr %[t0], [%[st], #4]\n\t"
        "cmp %[x], %[t0]\n\t"
        "bne 5b\n\t"
        "2:\n\t"
        "ldr %[t0], [%[st], #8]\n\t"
        "ldr %[t1], [%[t0], #4]\n\t"
        "ldr %[t2], [%[t0], #12]\n\t"
        "ldr %[t3], [%[t0], #8]\n\t"
        HB_LOW
        HB_REQ(a00, t5) HB_REQ(a01, t6)
        "ldr %[t1], [%[t0], #20]\n\t"
        "ldr %[t2], [%[t0], #28]\n\t"
        "ldr %[t3], [%[t0], #24]\n\t"
        HB_LOW
        HB_REQ(a10, a00) HB_REQ(a11, a01)
        "add %[t0], %[t0], #32\n\t"
        "str %[t0], [%[st], #8]\n\t"
        "ldr %[t4], [%[st], #20]\n\t"
        "add %[t5], %[t5], %[t4]\n\t"
        "add %[t6], %[t6], %[t4]\n\t"
        "add %[a00], %[a00], %[t4]\n\t"
        "add %[a01], %[a01], %[t4]\n\t"
        "ldr %[t4], [%[st], #40]\n\t"
        "cmp %[t4], #0\n\t"
        "beq 3f\n\t"
        "ssat %[t5], #8, %[t5]\n\t"
        "ssat %[t6], #8, %[t6]\n\t"
        "ssat %[a00], #8, %[a00]\n\t"
        "ssat %[a01], #8, %[a01]\n\t"
        "b 4f\n\t"
        "3:\n\t"
        "ldr %[t4], [%[st], #24]\n\t"
        HB_CLAMP(t5, lt) HB_CLAMP(t6, lt) HB_CLAMP(a00, lt) HB_CLAMP(a01, lt)
        "ldr %[t4], [%[st], #28]\n\t"
        HB_CLAMP(t5, gt) HB_CLAMP(t6, gt) HB_CLAMP(a00, gt) HB_CLAMP(a01, gt)
        "4:\n\t"
        "ldr %[t4], [%[st], #12]\n\t"
        "strb %[t5], [%[t4]]\n\t"
        "strb %[a00], [%[t4], #1]\n\t"
        "add %[t4], %[t4], #2\n\t"
        "str %[t4], [%[st], #12]\n\t"
        "ldr %[t4], [%[st], #16]\n\t"
        "strb %[t6], [%[t4]]\n\t"
        "strb %[a01], [%[t4], #1]\n\t"
        "add %[t4], %[t4], #2\n\t"
        "str %[t4], [%[st], #16]\n\t"
        "ldr %[t4], [%[st], #32]\n\t"
        "subs %[t4], %[t4], #1\n\t"
        "str %[t4], [%[st], #32]\n\t"
        "bne 0b\n\t"
        : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11),
          [x] "=&r"(x), [w] "+r"(w), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),
          [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5), [t6] "=&r"(t6)
        : [st] "r"(st)
        : "memory", "cc");
}
#undef HB_REQ
#undef HB_LOW
#undef HB_CLAMP
#endif

/* All output channels of two pixels from their interleaved rows (out1 == out0: one pixel,
 * whose row was interleaved with itself). */
static void two_pixels(const hb_arm_conv_params *p, const int8_t *rows, const int8_t *filter,
                       int8_t *out0, int8_t *out1)
{
    const int32_t words = p->words;
    const int32_t out_c = p->g.out_c;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    const hb_arm_channel *ch = p->channels;
    int32_t oc = 0;
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    if (out_c >= 2) {  /* words is even (armv7em.py) */
        pair_state st;
        st.rows = rows;
        st.end = rows + 8 * words;
        st.ch = ch;
        st.out0 = out0;
        st.out1 = out1;
        st.offset = offset;
        st.lo = lo;
        st.hi = hi;
        st.pairs = out_c >> 1;
        st.two = words & 2;
        st.saturate = lo == -128 && hi == 127;
        pairs_asm(&st, filter);
        oc = out_c & ~1;
        filter += 8 * words * (out_c >> 1);
    }
#else
    for (; oc + 1 < out_c; oc += 2) {
        int32_t acc[4];
        acc[0] = acc[1] = ch[oc].bias;
        acc[2] = acc[3] = ch[oc + 1].bias;
        hb_arm_mac_2x2(rows, filter, words, acc);
        filter += 8 * words;
        store_channel(&ch[oc], acc[0], acc[1], offset, lo, hi, out0 + oc, out1 + oc);
        store_channel(&ch[oc + 1], acc[2], acc[3], offset, lo, hi, out0 + oc + 1,
                      out1 + oc + 1);
    }
#endif
    if (oc < out_c) {  /* an odd last channel, paired with a zero row */
        int32_t acc[4];
        acc[0] = acc[1] = ch[oc].bias;
        acc[2] = acc[3] = 0;
        hb_arm_mac_2x2(rows, filter, words, acc);
        store_channel(&ch[oc], acc[0], acc[1], offset, lo, hi, out0 + oc, out1 + oc);
    }
}

void HB_ARM_CONV_FN(const hb_arm_conv_params *p, const int8_t *input, const int8_t *filter,
                      int8_t *scratch, int8_t *output)
{
    const hb_conv_geometry *g = &p->g;
    const int32_t pixels = g->batches * g->out_h * g->out_w;
    const int32_t depth = p->depth;
    int8_t *rows = scratch;                   /* 8 * words: the interleaved pair */
    int8_t *cols = scratch + 8 * p->words;    /* 2 * depth: im2col rows (general conv) */
    int32_t n;
    for (n = 0; n < pixels; n += 2) {
        const int32_t m = n + 1 < pixels ? n + 1 : n;
        if (p->pointwise) {
            interleave(input + n * depth, input + m * depth, depth, p->words, rows);
        } else if ((g->in_c & 3) == 0) {
            im2col_words(p, input, n, 0, rows);
            im2col_words(p, input, m, 1, rows);
        } else {
            im2col_row(p, input, n, cols);
            if (m != n) {
                im2col_row(p, input, m, cols + depth);
            }
            interleave(cols, cols + (m != n ? depth : 0), depth, p->words, rows);
        }
        two_pixels(p, rows, filter, output + n * g->out_c, output + m * g->out_c);
    }
}
