/* hilbench armv7em kernel set: int8 kernels for ARMv7E-M (Cortex-M4/M7) using the DSP
 * extension (SXTB16, SMLAD, SMLABB/SMLATT), bit-exact with the ref kernels.
 *
 * The generator (harness/codegen/armv7em.py) specialises each layer at build time:
 *   - the input offset is folded into the bias: bias'[o] = bias[o] + input_offset * sum(w[o]),
 *     so the inner loops multiply raw int8 values; padded taps read the input zero point
 *     (x + input_offset == 0), written into the im2col buffer;
 *   - the kernel variant (1x1 without im2col, im2col conv, 3x3 depthwise, FC) and whether the
 *     short requantisation is exact for the layer's accumulator bound;
 *   - FC requantisation constants that reproduce round((double)acc * scale) in integers.
 * Without __ARM_FEATURE_DSP (a host build) the intrinsics are plain C of the same meaning, so
 * the same kernels run and are tested on the host.
 */
#ifndef HB_ARMV7EM_H
#define HB_ARMV7EM_H

#include <stdint.h>
#include <string.h>

#include "hb_kernels.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define HB_SXTB16(x) ((int32_t)__sxtb16((uint32_t)(x)))
/* SXTB16 Rd, Rm, ROR #8: the odd bytes. */
static inline int32_t hb_sxtb16_ror8(int32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
#define HB_SMLAD(a, b, acc) ((int32_t)__smlad((uint32_t)(a), (uint32_t)(b), (uint32_t)(acc)))
#define HB_SMLABB(a, b, acc) ((int32_t)__smlabb((int32_t)(a), (int32_t)(b), (int32_t)(acc)))
#define HB_SMLATT(a, b, acc) ((int32_t)__smlatt((int32_t)(a), (int32_t)(b), (int32_t)(acc)))
#else
static inline int32_t hb_lo16(int32_t x) { return (int32_t)(int16_t)(uint16_t)((uint32_t)x & 0xFFFFu); }
static inline int32_t hb_hi16(int32_t x) { return (int32_t)(int16_t)(uint16_t)((uint32_t)x >> 16); }
static inline int32_t hb_sxtb16_c(int32_t x)
{
    const uint32_t lo = (uint32_t)(int32_t)(int8_t)(uint8_t)((uint32_t)x & 0xFFu) & 0xFFFFu;
    const uint32_t hi = (uint32_t)(int32_t)(int8_t)(uint8_t)(((uint32_t)x >> 16) & 0xFFu);
    return (int32_t)(lo | (hi << 16));
}
#define HB_SXTB16(x) hb_sxtb16_c((int32_t)(x))
static inline int32_t hb_sxtb16_ror8(int32_t x)
{
    return hb_sxtb16_c((int32_t)(((uint32_t)x >> 8) | ((uint32_t)x << 24)));
}
#define HB_SMLAD(a, b, acc) \
    ((acc) + hb_lo16(a) * hb_lo16(b) + hb_hi16(a) * hb_hi16(b))
#define HB_SMLABB(a, b, acc) ((acc) + hb_lo16(a) * hb_lo16(b))
#define HB_SMLATT(a, b, acc) ((acc) + hb_hi16(a) * hb_hi16(b))
#endif

/* A 32-bit load of 4 int8 values at any alignment (LDR: unaligned access is allowed). */
static inline int32_t hb_read4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Two pixels x two channels over `words` 4-byte steps of pair-interleaved data:
 * x = [pixel A bytes 0..3][pixel B bytes 0..3][A 4..7][B 4..7]..., w the same for channels
 * 0 and 1. acc[0] += A.w0, acc[1] += B.w0, acc[2] += A.w1, acc[3] += B.w1. Per step: four
 * loads, eight SXTB16, eight SMLAD (16 MACs); the loop runs four steps per branch. */
static inline __attribute__((always_inline)) void hb_arm_mac_2x2(const int8_t *x, const int8_t *w, int32_t words, int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    const int8_t *end = x + 8 * words;
#define HB_ARM_MAC_2X2_STEP                                                             \
    "ldr %[t1], [%[x], #4]\n\t"                                                         \
    "ldr %[t0], [%[x]], #8\n\t"                                                         \
    "ldr %[t3], [%[w], #4]\n\t"                                                         \
    "ldr %[t2], [%[w]], #8\n\t"                                                         \
    "sxtb16 %[t4], %[t0]\n\t"                                                           \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                   \
    "sxtb16 %[t5], %[t2]\n\t"                                                           \
    "sxtb16 %[t2], %[t2], ror #8\n\t"                                                   \
    "smlad %[a00], %[t4], %[t5], %[a00]\n\t"                                            \
    "smlad %[a00], %[t0], %[t2], %[a00]\n\t"                                            \
    "sxtb16 %[t6], %[t1]\n\t"                                                           \
    "sxtb16 %[t1], %[t1], ror #8\n\t"                                                   \
    "smlad %[a01], %[t6], %[t5], %[a01]\n\t"                                            \
    "smlad %[a01], %[t1], %[t2], %[a01]\n\t"                                            \
    "sxtb16 %[t5], %[t3]\n\t"                                                           \
    "sxtb16 %[t3], %[t3], ror #8\n\t"                                                   \
    "smlad %[a10], %[t4], %[t5], %[a10]\n\t"                                            \
    "smlad %[a10], %[t0], %[t3], %[a10]\n\t"                                            \
    "smlad %[a11], %[t6], %[t5], %[a11]\n\t"                                            \
    "smlad %[a11], %[t1], %[t3], %[a11]\n\t"
#define HB_MAC_2X2_STEP HB_ARM_MAC_2X2_STEP
    int32_t t0, t1, t2, t3, t4, t5, t6;
    if (words & 1) {
        __asm__ volatile(HB_MAC_2X2_STEP
                         : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
                           [x] "+r"(x), [w] "+r"(w), [t0] "=&r"(t0), [t1] "=&r"(t1),
                           [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5),
                           [t6] "=&r"(t6)
                         :
                         : "memory");
    }
    if (words & 2) {
        __asm__ volatile(HB_MAC_2X2_STEP HB_MAC_2X2_STEP
                         : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
                           [x] "+r"(x), [w] "+r"(w), [t0] "=&r"(t0), [t1] "=&r"(t1),
                           [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5),
                           [t6] "=&r"(t6)
                         :
                         : "memory");
    }
    if (words > 3) {
        __asm__ volatile("1:\n\t" HB_MAC_2X2_STEP HB_MAC_2X2_STEP HB_MAC_2X2_STEP
                         HB_MAC_2X2_STEP
                         "cmp %[x], %[end]\n\t"
                         "bne 1b\n\t"
                         : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
                           [x] "+r"(x), [w] "+r"(w), [t0] "=&r"(t0), [t1] "=&r"(t1),
                           [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5),
                           [t6] "=&r"(t6)
                         : [end] "r"(end)
                         : "memory", "cc");
    }
#undef HB_MAC_2X2_STEP
#else
    int32_t i, j;
    for (i = 0; i < words; ++i) {
        for (j = 0; j < 4; ++j) {
            const int32_t xa = x[8 * i + j], xb = x[8 * i + 4 + j];
            const int32_t wa = w[8 * i + j], wb = w[8 * i + 4 + j];
            a00 += xa * wa;
            a01 += xb * wa;
            a10 += xa * wb;
            a11 += xb * wb;
        }
    }
#endif
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* One input row x four channels over `words` 4-byte steps: x plain, w the rows of four
 * channels interleaved word by word. acc[j] += x.w_j. Per step: five loads, ten SXTB16,
 * eight SMLAD (16 MACs). */
static inline __attribute__((always_inline)) void hb_arm_mac_1x4(const int8_t *x, const int8_t *w, int32_t words, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    const int8_t *end = x + 4 * words;
    int32_t t0, t1, t2, t3, t4, t5, t6;
#define HB_MAC_1X4_STEP                                                                 \
    "ldr %[t0], [%[x]], #4\n\t"                                                         \
    "ldr %[t2], [%[w], #4]\n\t"                                                         \
    "ldr %[t3], [%[w], #8]\n\t"                                                         \
    "ldr %[t4], [%[w], #12]\n\t"                                                        \
    "ldr %[t5], [%[w]], #16\n\t"                                                        \
    "sxtb16 %[t1], %[t0]\n\t"                                                           \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                   \
    "sxtb16 %[t6], %[t5]\n\t"                                                           \
    "sxtb16 %[t5], %[t5], ror #8\n\t"                                                   \
    "smlad %[a0], %[t1], %[t6], %[a0]\n\t"                                              \
    "smlad %[a0], %[t0], %[t5], %[a0]\n\t"                                              \
    "sxtb16 %[t6], %[t2]\n\t"                                                           \
    "sxtb16 %[t2], %[t2], ror #8\n\t"                                                   \
    "smlad %[a1], %[t1], %[t6], %[a1]\n\t"                                              \
    "smlad %[a1], %[t0], %[t2], %[a1]\n\t"                                              \
    "sxtb16 %[t6], %[t3]\n\t"                                                           \
    "sxtb16 %[t3], %[t3], ror #8\n\t"                                                   \
    "smlad %[a2], %[t1], %[t6], %[a2]\n\t"                                              \
    "smlad %[a2], %[t0], %[t3], %[a2]\n\t"                                              \
    "sxtb16 %[t6], %[t4]\n\t"                                                           \
    "sxtb16 %[t4], %[t4], ror #8\n\t"                                                   \
    "smlad %[a3], %[t1], %[t6], %[a3]\n\t"                                              \
    "smlad %[a3], %[t0], %[t4], %[a3]\n\t"
    if (words & 1) {
        __asm__ volatile(HB_MAC_1X4_STEP
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
                           [x] "+r"(x), [w] "+r"(w), [t0] "=&r"(t0), [t1] "=&r"(t1),
                           [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5),
                           [t6] "=&r"(t6)
                         :
                         : "memory");
    }
    if (words > 1) {
        __asm__ volatile("1:\n\t" HB_MAC_1X4_STEP HB_MAC_1X4_STEP
                         "cmp %[x], %[end]\n\t"
                         "bne 1b\n\t"
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
                           [x] "+r"(x), [w] "+r"(w), [t0] "=&r"(t0), [t1] "=&r"(t1),
                           [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5),
                           [t6] "=&r"(t6)
                         : [end] "r"(end)
                         : "memory", "cc");
    }
#undef HB_MAC_1X4_STEP
#else
    int32_t i, j;
    for (i = 0; i < words; ++i) {
        for (j = 0; j < 4; ++j) {
            const int32_t xv = x[4 * i + j];
            a0 += xv * w[16 * i + j];
            a1 += xv * w[16 * i + 4 + j];
            a2 += xv * w[16 * i + 8 + j];
            a3 += xv * w[16 * i + 12 + j];
        }
    }
#endif
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* One input row x two pairs of output rows over `words` 4-byte steps, each weight byte used
 * once and each weight word unpacked by one SXTB16 instead of two. The rows a, b of a pair
 * share one halfword per input: h = 256 b + a (int16, built by armv7em.py; its low byte is a,
 * its high byte b - [a < 0]), so with x unpacked to (x0, x2) and (x1, x3),
 *     SMLAD(x, W)         accumulates sum x (256 b + a)  (mod 2^32: "mix"),
 *     SMLAD(x, SXTB16(W)) accumulates sum x a            ("lo": the row a),
 * and row b's sum is (mix - lo) / 256, exact when |sum x b| < 2^23 (the generator checks
 * 128 * sum |b| < 2^23 per row, else it keeps the hb_arm_mac_1x4 layout). Per step, words
 * E0 O0 E1 O1: pair p's halfwords of inputs (0, 2) and (1, 3). acc = {lo0, mix0, lo1, mix1},
 * both of a pair started at the same value. Per step: five loads, six SXTB16, eight SMLAD
 * (16 MACs); the loop runs four steps per branch. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define HB_MAC_PAIRS_STEP                                                               \
    "ldr %[xr], [%[x]], #4\n\t"                                                         \
    "ldr %[w1], [%[w], #4]\n\t"                                                         \
    "ldr %[w2], [%[w], #8]\n\t"                                                         \
    "ldr %[w3], [%[w], #12]\n\t"                                                        \
    "ldr %[w0], [%[w]], #16\n\t"                                                        \
    "sxtb16 %[xl], %[xr]\n\t"                                                           \
    "sxtb16 %[xr], %[xr], ror #8\n\t"                                                   \
    "smlad %[m0], %[xl], %[w0], %[m0]\n\t"                                              \
    "sxtb16 %[w0], %[w0]\n\t"                                                           \
    "smlad %[l0], %[xl], %[w0], %[l0]\n\t"                                              \
    "smlad %[m0], %[xr], %[w1], %[m0]\n\t"                                              \
    "sxtb16 %[w1], %[w1]\n\t"                                                           \
    "smlad %[l0], %[xr], %[w1], %[l0]\n\t"                                              \
    "smlad %[m1], %[xl], %[w2], %[m1]\n\t"                                              \
    "sxtb16 %[w2], %[w2]\n\t"                                                           \
    "smlad %[l1], %[xl], %[w2], %[l1]\n\t"                                              \
    "smlad %[m1], %[xr], %[w3], %[m1]\n\t"                                              \
    "sxtb16 %[w3], %[w3]\n\t"                                                           \
    "smlad %[l1], %[xr], %[w3], %[l1]\n\t"
#define HB_MAC_PAIRS_OPERANDS                                                           \
    [l0] "+r"(l0), [m0] "+r"(m0), [l1] "+r"(l1), [m1] "+r"(m1), [x] "+r"(x), [w] "+r"(w),  \
    [xr] "=&r"(xr), [xl] "=&r"(xl), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2),       \
    [w3] "=&r"(w3)
#else
static inline int32_t hb_smlad_wrap(int32_t a, int32_t b, int32_t acc)
{   /* SMLAD's result modulo 2^32, as the instruction computes it (no C overflow) */
    return (int32_t)((uint32_t)acc + (uint32_t)(hb_lo16(a) * hb_lo16(b))
                     + (uint32_t)(hb_hi16(a) * hb_hi16(b)));
}
#endif

static inline __attribute__((always_inline)) void hb_arm_mac_pairs(const int8_t *x, const int8_t *w, int32_t words, int32_t *acc)
{
    int32_t l0 = acc[0], m0 = acc[1], l1 = acc[2], m1 = acc[3];
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    const int8_t *end = x + 4 * words;
    int32_t xr, xl, w0, w1, w2, w3;
    if (words & 1) {
        __asm__ volatile(HB_MAC_PAIRS_STEP : HB_MAC_PAIRS_OPERANDS : : "memory");
    }
    if (words & 2) {
        __asm__ volatile(HB_MAC_PAIRS_STEP HB_MAC_PAIRS_STEP
                         : HB_MAC_PAIRS_OPERANDS : : "memory");
    }
    if (words > 3) {
        __asm__ volatile("1:\n\t" HB_MAC_PAIRS_STEP HB_MAC_PAIRS_STEP HB_MAC_PAIRS_STEP
                         HB_MAC_PAIRS_STEP
                         "cmp %[x], %[end]\n\t"
                         "bne 1b\n\t"
                         : HB_MAC_PAIRS_OPERANDS : [end] "r"(end) : "memory", "cc");
    }
#undef HB_MAC_PAIRS_STEP
#undef HB_MAC_PAIRS_OPERANDS
#else
    int32_t i;
    for (i = 0; i < words; ++i) {
        const int32_t xv = hb_read4(x + 4 * i);
        const int32_t xl = HB_SXTB16(xv), xh = hb_sxtb16_ror8(xv);
        const int8_t *s = w + 16 * i;
        m0 = hb_smlad_wrap(xl, hb_read4(s), m0);
        l0 = hb_smlad_wrap(xl, HB_SXTB16(hb_read4(s)), l0);
        m0 = hb_smlad_wrap(xh, hb_read4(s + 4), m0);
        l0 = hb_smlad_wrap(xh, HB_SXTB16(hb_read4(s + 4)), l0);
        m1 = hb_smlad_wrap(xl, hb_read4(s + 8), m1);
        l1 = hb_smlad_wrap(xl, HB_SXTB16(hb_read4(s + 8)), l1);
        m1 = hb_smlad_wrap(xh, hb_read4(s + 12), m1);
        l1 = hb_smlad_wrap(xh, HB_SXTB16(hb_read4(s + 12)), l1);
    }
#endif
    acc[0] = l0;
    acc[1] = m0;
    acc[2] = l1;
    acc[3] = m1;
}

/* Per output channel requantisation, one 16-byte record. */
typedef struct {
    int32_t bias;         /* bias + input_offset * sum(weights) */
    int32_t multiplier;   /* Q31, TFLite QuantizeMultiplier: 0 or in [2^30, 2^31) */
    int32_t shift;        /* e - 1, where e = -TFLite shift (a right shift); HB_ARM_ONE_SHIFT:
                           * bits 0-7 e - 1, bits 30-31 the rounding constant's low word */
    int32_t round_hi;     /* the rounding constant's high word: 2^(e-2) (e = 1: 0) */
} hb_arm_channel;

/* The conv and depthwise kernels come in two builds (arm_conv_s8.c / arm_conv_s8_r1.c, the
 * same for dwconv, from one *_body.h): the default takes right shifts e >= 2 (scales below
 * 1/4, every MLPerf Tiny layer) with the rounding constant's low word as an immediate; with
 * HB_ARM_ONE_SHIFT it takes e >= 1 (scales below 1/2) for one more instruction per channel and
 * pixel pair. armv7em.py picks the build per model: _r1 for every conv (depthwise) layer
 * when one of them needs it. */
#ifndef HB_ARM_ONE_SHIFT
#define HB_ARM_ONE_SHIFT 0
#endif

/* hb_mbqm(acc, multiplier, -e), exact for every int32 acc, in one 64-bit multiply-accumulate:
 * SaturatingRoundingDoublingHighMul is x = (a*m + 2^30) >> 31 (its truncating division of a
 * negative product equals this floor), RoundingDivideByPOT is (x + 2^(e-1) - [x < 0]) >> e,
 * and [x < 0] = [a < 0] for m >= 2^30 (a = -1, m = 2^30 gives the same result either way;
 * m = 0 gives 0), so the two nested floors are one:
 *     (a*m + C - [a < 0] 2^31) >> (31 + e),  C = 2^30 + 2^(30+e) = round_hi : low word,
 * low word 2^30 for e >= 2 (then the constant is (2^(e-2) - [a < 0]) : (2^30 | sign bit of
 * a)), 2^31 + 2^30 for e = 1 (round_hi 0). With HB_ARM_ONE_SHIFT the low word comes from
 * the record and -[a < 0] 2^31 = (a asr 31) : (sign bit of a) is added with carry; the
 * result is the high word shifted right by e - 1 (ASR by register reads bits 0-7). */
static inline int32_t hb_arm_requantize(int32_t a, const hb_arm_channel *c)
{
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    int32_t lo, hi;
#if HB_ARM_ONE_SHIFT
    int32_t t;
    __asm__("and %[lo], %[a], #0x80000000\n\t"
            "and %[t], %[s], #0xC0000000\n\t"
            "adds %[lo], %[lo], %[t]\n\t"
            "adc %[hi], %[rh], %[a], asr #31\n\t"
            "smlal %[lo], %[hi], %[a], %[m]\n\t"
            "asr %[hi], %[hi], %[s]\n\t"
            : [lo] "=&r"(lo), [hi] "=&r"(hi), [t] "=&r"(t)
            : [a] "r"(a), [m] "r"(c->multiplier), [rh] "r"(c->round_hi), [s] "r"(c->shift)
            : "cc");
    return hi;
#else
    __asm__("and %[lo], %[a], #0x80000000\n\t"
            "orr %[lo], %[lo], #0x40000000\n\t"
            "add %[hi], %[rh], %[a], asr #31\n\t"
            "smlal %[lo], %[hi], %[a], %[m]\n\t"
            : [lo] "=&r"(lo), [hi] "=&r"(hi)
            : [a] "r"(a), [m] "r"(c->multiplier), [rh] "r"(c->round_hi));
    return hi >> c->shift;
#endif
#else
    const int64_t low = HB_ARM_ONE_SHIFT ? (int64_t)((uint32_t)c->shift & 0xC0000000u)
                                         : (int64_t)1 << 30;
    int64_t v = ((int64_t)c->round_hi << 32) + low - (a < 0 ? (int64_t)1 << 31 : 0);
    v += (int64_t)a * c->multiplier;
    return (int32_t)(v >> 32) >> (c->shift & 31);
#endif
}

/* x saturated to int8 (SSAT): the clamp of a layer whose activation range is [-128, 127]. */
static inline int8_t hb_arm_sat_s8(int32_t x)
{
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    return (int8_t)__ssat(x, 8);
#else
    return (int8_t)(x < -128 ? -128 : (x > 127 ? 127 : x));
#endif
}

static inline int8_t hb_arm_clamp_s8(int32_t x, int32_t lo, int32_t hi)
{
    x = x < lo ? lo : x;
    x = x > hi ? hi : x;
    return (int8_t)x;
}

/* CONV_2D int8. in_c * filter_h * filter_w = depth (the im2col row length). */
typedef struct {
    hb_conv_geometry g;
    int32_t depth;                   /* filter_h * filter_w * in_c */
    int32_t words;                   /* ceil(depth / 4) */
    int32_t input_zero_point;        /* the byte written for padded taps */
    int32_t output_offset, act_min, act_max;
    int32_t pointwise;               /* 1x1 without padding: no im2col, rows read in place */
    const hb_arm_channel *channels;  /* [out_c] */
} hb_arm_conv_params;

/* scratch: 8 * words + 2 * depth bytes. _r1: the HB_ARM_ONE_SHIFT build (records of e >= 1). */
void hb_arm_conv2d_s8(const hb_arm_conv_params *p, const int8_t *input, const int8_t *filter,
                      int8_t *scratch, int8_t *output);
void hb_arm_conv2d_s8_r1(const hb_arm_conv_params *p, const int8_t *input,
                         const int8_t *filter, int8_t *scratch, int8_t *output);

/* DEPTHWISE_CONV_2D int8, depth multiplier 1, at most 25 taps (3x3 unrolled), any stride,
 * padding and dilation; four channels per step with SMLABB/SMLATT. */
typedef struct {
    hb_conv_geometry g;
    int32_t input_zero_point;
    int32_t output_offset, act_min, act_max;
    const hb_arm_channel *channels;  /* [channels] */
} hb_arm_dwconv_params;

/* scratch: in_c bytes (a row of input zero points for padded taps). */
void hb_arm_depthwise_conv_s8(const hb_arm_dwconv_params *p, const int8_t *input,
                              const int8_t *filter, int8_t *scratch, int8_t *output);
void hb_arm_depthwise_conv_s8_r1(const hb_arm_dwconv_params *p, const int8_t *input,
                                 const int8_t *filter, int8_t *scratch, int8_t *output);

/* FULLY_CONNECTED int8 (filter offset 0). LiteRT's reference rounds (double)acc * scale;
 * per channel, multiplier = floor(scale * 2^32) for scale < 1 (0: always the double path),
 * with which round half away from zero of |acc| * multiplier / 2^32 is exact unless the
 * product lies within 2^25 / 2^32 of a tie or |acc| >= 2^24: those (rare) cases take the
 * double path. */
typedef struct {
    int32_t bias;          /* bias + input_offset * sum(weights) */
    uint32_t multiplier;   /* floor(scale * 2^32); 0: the double computation */
} hb_arm_fc_channel;

/* The layer's shape and flags, constants of each specialised copy of the kernel
 * (arm_fc_s8_body.h: model.c defines one function per distinct shape, so loop bounds, the
 * clamp and the layout are known to the compiler). */
typedef struct {
    int32_t batches, accum_depth, out_depth;
    int32_t words;          /* ceil(accum_depth / 4) */
    int32_t act_min, act_max;
    int32_t per_channel;    /* 1: scale has out_depth values, 0: one */
    int32_t pairs;          /* 1: the hb_arm_mac_pairs layout, 0: hb_arm_mac_1x4 */
    int32_t all_scaled;     /* 1: no channel has multiplier 0 */
} hb_arm_fc_shape;

/* The layer's data. weights: groups of four output rows (zero rows pad the last group), each
 * row padded with zeros to whole words; pairs: each group's two row pairs as
 * hb_arm_mac_pairs reads them, else the four rows interleaved word by word. scratch:
 * 4 * words bytes (the input row padded to whole words) when accum_depth is not a multiple
 * of 4, else unused. */
typedef struct {
    int32_t output_offset;
    const hb_arm_fc_channel *channels;  /* [out_depth rounded up to 4]: zero records pad */
    const double *scale;                /* the exact effective scales */
} hb_arm_fc_params;

/* round((double)acc * scale) clamped to +-2^30, as LiteRT's reference FC (arm_fc_s8.c): the
 * rare cases the integer requantisation cannot decide. */
int32_t hb_arm_fc_round_double(int32_t acc, double scale);

/* ADD int8 of two equally shaped tensors. */
typedef struct {
    int32_t size;
    const int32_t *input1_table;   /* [256]: the rescaled value of each int8 (index q & 255) */
    const int32_t *input2_table;
    int32_t output_multiplier, output_right_shift;   /* the sum's rescaling, shift >= 0 */
    int32_t output_offset, act_min, act_max;
} hb_arm_add_params;

void hb_arm_add_s8(const hb_arm_add_params *p, const int8_t *input1, const int8_t *input2,
                   int8_t *output);

/* AVERAGE_POOL_2D int8 over the whole image: 1 <= count = in_h * in_w <= 255, channels a
 * multiple of 4. */
typedef struct {
    int32_t batches, count, channels;
    int32_t act_min, act_max;
} hb_arm_pool_params;

void hb_arm_global_average_pool_s8(const hb_arm_pool_params *p, const int8_t *input,
                                   int8_t *output);

#endif /* HB_ARMV7EM_H */
