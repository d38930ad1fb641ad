/* Binary and ternary int8 CONV_2D / FULLY_CONNECTED (hb_sparse.h). Per output pixel the
 * receptive field is written once as unsigned bytes u = x + 128, four to a word (byte i of a
 * word = u[4q + i], whatever the machine's byte order), zero past the depth. A nibble of
 * weight bits selects bytes through a mask (MASK[n] has byte i = 0xFF when bit i of n is
 * set), and the selected bytes are summed:
 *   S(plane) = sum of u over the columns whose bit is set
 *   binary:  sum w * u = S(+1) - (S(all) - S(+1)) = 2 S(+1) - S(all)
 *   ternary: sum w * u = S(+1) - S(-1)
 * and sum w * (x + input_offset) = sum w * u + (input_offset - 128) * sum w, the second term
 * folded into the bias at build time. Two bit planes go through together (binary: two
 * channels; ternary: a channel's +1 and -1 planes), so each word of u is loaded once for
 * both. With the ARMv7E-M DSP extension a word's selected bytes are summed by USADA8;
 * elsewhere by two 16-bit lanes. */
#include "hb_sparse.h"

static const uint32_t MASK[16] = {
    0x00000000u, 0x000000FFu, 0x0000FF00u, 0x0000FFFFu,
    0x00FF0000u, 0x00FF00FFu, 0x00FFFF00u, 0x00FFFFFFu,
    0xFF000000u, 0xFF0000FFu, 0xFF00FF00u, 0xFF00FFFFu,
    0xFFFF0000u, 0xFFFF00FFu, 0xFFFFFF00u, 0xFFFFFFFFu,
};

/* The bytes of m summed: two lanes of two bytes each, then the lanes. */
static uint32_t sum_bytes(uint32_t m)
{
    const uint32_t lanes = (m & 0x00FF00FFu) + ((m >> 8) & 0x00FF00FFu);
    return (lanes & 0xFFFFu) + (lanes >> 16);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#include <string.h>
#define HB_WORDS 1              /* u = x ^ 0x80 four bytes at a time (byte i of a word = x[4q + i]) */
#else
#define HB_WORDS 0
#endif

/* The patch x of (b, oy, ox) (hb_sp_patch: the input itself or an im2col copy in `bytes`) as
 * words of u = x + 128 (x ^ 0x80), zero to 8 * words words; returns the sum of u. */
static uint32_t unsigned_patch(const hb_packed_params *p, const int8_t *input, uint32_t *out,
                               int8_t *bytes, int32_t b, int32_t oy, int32_t ox)
{
    const int8_t *x = hb_sp_patch(&p->l, input, bytes, b, oy, ox);
    const int32_t depth = p->l.depth, whole = depth & ~3;
    uint32_t total = 0u, word = 0u;
    int32_t n = 0;
    if (HB_WORDS) {
        for (; n < whole; n += 4) {
            uint32_t w;
            memcpy(&w, x + n, 4);
            w ^= 0x80808080u;
            total += sum_bytes(w);
            *out++ = w;
        }
    }
    for (; n < depth; ++n) {
        const uint32_t u = (uint32_t)(x[n] + 128);
        total += u;
        word |= u << (8 * (n & 3));
        if ((n & 3) == 3) {
            *out++ = word;
            word = 0u;
        }
    }
    for (; n < 32 * p->words; ++n) {     /* zero to whole bit words */
        if ((n & 3) == 3) {
            *out++ = word;
            word = 0u;
        }
    }
    return total;
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__thumb2__)
/* One nibble of two bit planes against one word of u: two UBFX, one load of u and two of
 * masks, two BIC (u & ~mask), two USADA8: sum |u - (u & ~mask)| = the sum of the selected
 * bytes. */
#define HB_NIBBLE(k)                                                                  \
    "ubfx   %[ta], %[wa], #" #k "*4, #4\n\t"                                          \
    "ubfx   %[tb], %[wb], #" #k "*4, #4\n\t"                                          \
    "ldr    %[tu], [%[u]], #4\n\t"                                                    \
    "ldr    %[ta], [%[lut], %[ta], lsl #2]\n\t"                                       \
    "ldr    %[tb], [%[lut], %[tb], lsl #2]\n\t"                                       \
    "bic    %[ta], %[tu], %[ta]\n\t"                                                  \
    "bic    %[tb], %[tu], %[tb]\n\t"                                                  \
    "usada8 %[sa], %[tu], %[ta], %[sa]\n\t"                                           \
    "usada8 %[sb], %[tu], %[tb], %[sb]\n\t"

/* All `words` words of the two planes in one loop; step: the planes' stride in bytes. */
#define HB_PLANES(step)                                                               \
    __asm__("1:\n\t"                                                                  \
            "ldr    %[wa], [%[a]], #" #step "\n\t"                                    \
            "ldr    %[wb], [%[b]], #" #step "\n\t"                                    \
            HB_NIBBLE(0) HB_NIBBLE(1) HB_NIBBLE(2) HB_NIBBLE(3)                       \
            HB_NIBBLE(4) HB_NIBBLE(5) HB_NIBBLE(6) HB_NIBBLE(7)                       \
            "subs   %[n], %[n], #1\n\t"                                               \
            "bne    1b"                                                               \
            : [sa] "+r"(sa), [sb] "+r"(sb), [u] "+r"(u), [a] "+r"(a), [b] "+r"(b),    \
              [n] "+r"(n), [wa] "=&r"(wa), [wb] "=&r"(wb), [ta] "=&r"(ta),            \
              [tb] "=&r"(tb), [tu] "=&r"(tu)                                          \
            : [lut] "r"(MASK)                                                         \
            : "cc", "memory")

static inline void plane_sums(const uint32_t *u, const uint32_t *a, const uint32_t *b,
                              int32_t words, int32_t stride, int32_t *sum_a, int32_t *sum_b)
{
    uint32_t sa = 0u, sb = 0u, wa, wb, ta, tb, tu;
    int32_t n = words;
    if (stride == 1) {
        HB_PLANES(4);
    } else {
        HB_PLANES(8);
    }
    *sum_a = (int32_t)sa;
    *sum_b = (int32_t)sb;
}
#else

/* sum of u over the set bits of bit planes a and b (`words` words each, stride apart). */
static inline void plane_sums(const uint32_t *u, const uint32_t *a, const uint32_t *b, int32_t words,
                       int32_t stride, int32_t *sum_a, int32_t *sum_b)
{
    uint32_t sa = 0u, sb = 0u;
    int32_t j, k;
    for (j = 0; j < words; ++j, a += stride, b += stride) {
        const uint32_t wa = *a, wb = *b;
        for (k = 0; k < 8; ++k, ++u) {
            sa += sum_bytes(*u & MASK[(wa >> (4 * k)) & 15u]);
            sb += sum_bytes(*u & MASK[(wb >> (4 * k)) & 15u]);
        }
    }
    *sum_a = (int32_t)sa;
    *sum_b = (int32_t)sb;
}
#endif

void hb_packed_s8(const hb_packed_params *p, const int8_t *input, uint32_t *scratch,
                  int8_t *output)
{
    const hb_sp_layer *l = &p->l;
    const hb_conv_geometry *g = &l->g;
    const int32_t words = p->words, out_c = g->out_c;
    int8_t *patch = (int8_t *)(scratch + 8 * words);   /* the im2col bytes, unless direct */
    int32_t b, oy, ox, oc;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            for (ox = 0; ox < g->out_w; ++ox) {
                const int32_t all =
                    (int32_t)unsigned_patch(p, input, scratch, patch, b, oy, ox);
                const uint32_t *bits = p->bits;
                int32_t s0, s1;
                if (p->ternary) {       /* one channel: its +1 and -1 planes */
                    for (oc = 0; oc < out_c; ++oc, bits += 2 * words) {
                        plane_sums(scratch, bits, bits + 1, words, 2, &s0, &s1);
                        *output++ = hb_sp_output(l, oc, l->bias[oc] + s0 - s1);
                    }
                    continue;
                }
                for (oc = 0; oc < out_c; oc += 2, bits += 2 * words) {   /* two channels */
                    const uint32_t *next = oc + 1 < out_c ? bits + words : bits;
                    plane_sums(scratch, bits, next, words, 1, &s0, &s1);
                    *output++ = hb_sp_output(l, oc, l->bias[oc] + 2 * s0 - all);
                    if (oc + 1 < out_c) {
                        *output++ = hb_sp_output(l, oc + 1, l->bias[oc + 1] + 2 * s1 - all);
                    }
                }
            }
        }
    }
}
