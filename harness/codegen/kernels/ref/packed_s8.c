/* Binary and ternary int8 CONV_2D / FULLY_CONNECTED (hb_sparse.h). Per output pixel the
 * receptive field is written once as unsigned bytes u = x + 128, four to a word (byte i of a
 * word = u[4q + i], whatever the machine's byte order), zero past the depth. A nibble of
 * weight bits selects bytes through a mask (MASK[n] has byte i = 0xFF when bit i of n is
 * set), and the selected bytes are summed:
 *   S(plane) = sum of u over the columns whose bit is set
 *   binary:  sum w * u = S(+1) - (S(all) - S(+1)) = 2 S(+1) - S(all)
 *   ternary: sum w * u = S(+1) - S(-1)
 * and sum w * (x + input_offset) = sum w * u + (input_offset - 128) * sum w, the second term
 * folded into the bias at build time. With the ARMv7E-M DSP extension a word's bytes are
 * summed by USADA8 (one instruction); elsewhere by two 16-bit lanes. */
#include "hb_sparse.h"

#if defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32
#include <arm_acle.h>
#define HB_SUM_BYTES(acc, m) ((acc) = __usada8((m), 0u, (acc)))
#else
/* The bytes of m summed into acc: two lanes of two bytes each, then the lanes. */
#define HB_SUM_BYTES(acc, m) ((acc) += hb_sum_bytes(m))
static uint32_t hb_sum_bytes(uint32_t m)
{
    const uint32_t lanes = (m & 0x00FF00FFu) + ((m >> 8) & 0x00FF00FFu);
    return (lanes & 0xFFFFu) + (lanes >> 16);
}
#endif

static const uint32_t MASK[16] = {
    0x00000000u, 0x000000FFu, 0x0000FF00u, 0x0000FFFFu,
    0x00FF0000u, 0x00FF00FFu, 0x00FFFF00u, 0x00FFFFFFu,
    0xFF000000u, 0xFF0000FFu, 0xFF00FF00u, 0xFF00FFFFu,
    0xFFFF0000u, 0xFFFF00FFu, 0xFFFFFF00u, 0xFFFFFFFFu,
};

/* The patch of (b, oy, ox) as words of u = x + 128, 8 * words of them; returns sum u. */
static uint32_t unsigned_patch(const hb_packed_params *p, const int8_t *input,
                               uint32_t *scratch, int32_t b, int32_t oy, int32_t ox)
{
    const hb_sp_layer *l = &p->l;
    const hb_conv_geometry *g = &l->g;
    const int32_t y0 = oy * g->stride_h - g->pad_h, x0 = ox * g->stride_w - g->pad_w;
    const int8_t *image = input + b * g->in_h * g->in_w * g->in_c;
    const uint32_t pad = (uint32_t)(l->input_zero_point + 128) & 0xFFu;
    uint32_t word = 0u, total = 0u;
    int32_t n = 0, fy, fx, c;
    for (fy = 0; fy < g->filter_h; ++fy) {
        const int32_t y = y0 + fy * g->dilation_h;
        for (fx = 0; fx < g->filter_w; ++fx) {
            const int32_t x = x0 + fx * g->dilation_w;
            const int inside = y >= 0 && y < g->in_h && x >= 0 && x < g->in_w;
            const int8_t *px = inside ? image + (y * g->in_w + x) * g->in_c : image;
            for (c = 0; c < g->in_c; ++c) {
                const uint32_t u = inside ? (uint32_t)(px[c] + 128) : pad;
                total += u;
                word |= u << (8 * (n & 3));
                if ((++n & 3) == 0) {
                    *scratch++ = word;
                    word = 0u;
                }
            }
        }
    }
    while (n < 32 * p->words) {      /* zero to whole bit words */
        if ((++n & 3) == 0) {
            *scratch++ = word;
            word = 0u;
        }
    }
    return total;
}

/* sum of u over the set bits of one bit plane (`words` words, stride words apart). */
static int32_t plane_sum(const uint32_t *u, const uint32_t *bits, int32_t words, int32_t stride)
{
    uint32_t acc = 0u;
    int32_t j;
    for (j = 0; j < words; ++j, bits += stride, u += 8) {
        const uint32_t w = *bits;
        HB_SUM_BYTES(acc, u[0] & MASK[w & 15u]);
        HB_SUM_BYTES(acc, u[1] & MASK[(w >> 4) & 15u]);
        HB_SUM_BYTES(acc, u[2] & MASK[(w >> 8) & 15u]);
        HB_SUM_BYTES(acc, u[3] & MASK[(w >> 12) & 15u]);
        HB_SUM_BYTES(acc, u[4] & MASK[(w >> 16) & 15u]);
        HB_SUM_BYTES(acc, u[5] & MASK[(w >> 20) & 15u]);
        HB_SUM_BYTES(acc, u[6] & MASK[(w >> 24) & 15u]);
        HB_SUM_BYTES(acc, u[7] & MASK[w >> 28]);
    }
    return (int32_t)acc;
}

void hb_packed_s8(const hb_packed_params *p, const int8_t *input, uint32_t *scratch,
                  int8_t *output)
{
    const hb_sp_layer *l = &p->l;
    const hb_conv_geometry *g = &l->g;
    const int32_t words = p->words;
    int32_t b, oy, ox, oc;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            for (ox = 0; ox < g->out_w; ++ox) {
                const int32_t all = (int32_t)unsigned_patch(p, input, scratch, b, oy, ox);
                const uint32_t *bits = p->bits;
                for (oc = 0; oc < g->out_c; ++oc) {
                    int32_t dot;
                    if (p->ternary) {
                        dot = plane_sum(scratch, bits, words, 2) -
                              plane_sum(scratch, bits + 1, words, 2);
                        bits += 2 * words;
                    } else {
                        dot = 2 * plane_sum(scratch, bits, words, 1) - all;
                        bits += words;
                    }
                    *output++ = hb_sp_output(l, oc, l->bias[oc] + dot);
                }
            }
        }
    }
}
