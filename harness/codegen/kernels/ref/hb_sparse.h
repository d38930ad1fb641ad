/* Sparse and packed (binary / ternary) int8 CONV_2D and FULLY_CONNECTED (sparse_s8.c,
 * packed_s8.c): portable C99, used by every kernel set. The formats, their semantics and
 * their costs: SPARSE.md next to this file; the encoders: harness/codegen/weight_formats.py.
 *
 * Both compute exactly what the dense int8 op computes with the same weights (TFLite
 * reference semantics): acc = bias + sum w * (x + input_offset) over the receptive field
 * (padded taps add nothing), then CONV_2D's MultiplyByQuantizedMultiplier or FC's
 * round((double)acc * scale), + output offset, clamped. The generator folds the input offset
 * into the bias (sparse: bias + input_offset * sum w; packed: bias + (input_offset - 128) *
 * sum w, since the packed kernels add x + 128 as unsigned bytes) and padded taps read the
 * input zero point, so they add nothing either.
 *
 * A FULLY_CONNECTED layer is a 1x1 convolution of a 1x1 image with accum_depth channels,
 * one image per batch row.
 */
#ifndef HB_SPARSE_H
#define HB_SPARSE_H

#include <stdint.h>
#include <string.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CONV_2D's requantisation of one channel in a single rounding (hb_sp_conv_requant). */
typedef struct {
    int64_t rounding;               /* 2^30 + 2^(30 + e), e = -shift */
    int32_t multiplier;             /* >= 2^30, or 0 */
    int32_t high_shift;             /* e - 1 */
} hb_sp_requant;

/* What the sparse and the packed kernels share: geometry, patch and output stage. */
typedef struct {
    hb_conv_geometry g;             /* FC: batches x (1 x 1 x accum_depth) -> 1 x 1 x out_depth */
    int32_t depth;                  /* filter_h * filter_w * in_c */
    int32_t direct;                 /* 1: a pixel's patch is the input pixel (1x1, no padding) */
    int32_t input_zero_point;       /* what padded taps read */
    int32_t output_offset;
    int32_t act_min, act_max;
    const int32_t *bias;            /* [out_c], the input offset folded in */
    /* CONV_2D requantisation (fc == 0): MultiplyByQuantizedMultiplier(acc, multiplier, shift) */
    const int32_t *multiplier;      /* [out_c] */
    const int32_t *shift;           /* [out_c] */
    int32_t single_rounding;        /* 1: every channel takes hb_sp_conv_requant */
    const hb_sp_requant *requant;   /* [out_c] when single_rounding */
    /* FULLY_CONNECTED requantisation (fc == 1): round((double)acc * scale) */
    int32_t fc;
    int32_t per_channel;            /* 1: scale[out_c], 0: scale[0] for all */
    const double *scale;
    const uint32_t *fc_multiplier;  /* floor(scale * 2^32) when 0 < scale < 1, else 0 */
} hb_sp_layer;

typedef struct {
    hb_sp_layer l;
    const uint16_t *counts;         /* [out_c] entries per output channel */
    const uint8_t *deltas;          /* column step from the previous entry (from 0) */
    const int8_t *values;           /* the nonzero weights (0 in filler entries) */
} hb_sparse_params;

typedef struct {
    hb_sp_layer l;
    int32_t words;                  /* 32-bit words per bit plane of one output channel */
    int32_t ternary;                /* 0: binary (1 bit: 1 = +1, 0 = -1), 1: ternary */
    const uint32_t *bits;           /* binary: [out_c][words]; ternary: [out_c][words][+1, -1] */
} hb_packed_params;

/* scratch: sparse: depth bytes (the im2col patch) unless direct; packed: 32 * words bytes of
 * u words, then the patch unless direct. */
void hb_sparse_s8(const hb_sparse_params *p, const int8_t *input, int8_t *scratch,
                  int8_t *output);
void hb_packed_s8(const hb_packed_params *p, const int8_t *input, uint32_t *scratch,
                  int8_t *output);

/* ---- shared helpers (static inline: each kernel file gets its own copy) ---- */

/* The input pixel under filter tap (fy, fx) of the window at (y0, x0), 0 for a padded tap. */
static inline const int8_t *hb_sp_tap(const hb_conv_geometry *g, const int8_t *image,
                                      int32_t y0, int32_t x0, int32_t fy, int32_t fx)
{
    const int32_t y = y0 + fy * g->dilation_h, x = x0 + fx * g->dilation_w;
    if (y < 0 || y >= g->in_h || x < 0 || x >= g->in_w) {
        return (const int8_t *)0;
    }
    return image + (y * g->in_w + x) * g->in_c;
}

/* The receptive field of output pixel (b, oy, ox) in OHWI filter order, padded taps holding
 * the input zero point; returns a pointer to it (into the input when p->direct). */
static inline const int8_t *hb_sp_patch(const hb_sp_layer *p, const int8_t *input,
                                        int8_t *scratch, int32_t b, int32_t oy, int32_t ox)
{
    const hb_conv_geometry *g = &p->g;
    const int32_t y0 = oy * g->stride_h - g->pad_h, x0 = ox * g->stride_w - g->pad_w;
    const int8_t *image = input + b * g->in_h * g->in_w * g->in_c;
    int8_t *out = scratch;
    int32_t fy, fx, c;
    if (p->direct) {
        return image + (y0 * g->in_w + x0) * g->in_c;
    }
    for (fy = 0; fy < g->filter_h; ++fy) {
        const int8_t *row = hb_sp_tap(g, image, y0, x0, fy, 0);
        if (row && g->dilation_w == 1 && x0 + g->filter_w <= g->in_w) {
            /* the filter row lies inside the image: its taps are contiguous in NHWC */
            memcpy(out, row, (size_t)(g->filter_w * g->in_c));
            out += g->filter_w * g->in_c;
            continue;
        }
        for (fx = 0; fx < g->filter_w; ++fx) {
            const int8_t *px = hb_sp_tap(g, image, y0, x0, fy, fx);
            for (c = 0; c < g->in_c; ++c) {
                out[c] = px ? px[c] : (int8_t)p->input_zero_point;
            }
            out += g->in_c;
        }
    }
    return scratch;
}

/* LiteRT's reference FC rounding, round((double)acc * scale) half away from zero, bounded to
 * +-2^30, without libm: truncate, then compare the exact remainder with one half. Kept out of
 * line: the integer path below decides almost every output without it. */
#if defined(__GNUC__)
__attribute__((noinline, unused))
#endif
static int32_t hb_sp_fc_double(const hb_sp_layer *p, int32_t oc, int32_t acc)
{
    double v = (double)acc * p->scale[p->per_channel ? oc : 0], frac;
    int32_t t;
    v = v > 1073741824.0 ? 1073741824.0 : v;
    v = v < -1073741824.0 ? -1073741824.0 : v;
    t = (int32_t)v;
    frac = v - (double)t;
    if (frac >= 0.5) {
        ++t;
    } else if (frac <= -0.5) {
        --t;
    }
    return t;
}

/* The same rounding in integers where that is proven exact (the argument of the armv7em FC,
 * kernels/armv7em/README.md): |acc| * m + 2^31 with m = floor(scale * 2^32); its high word is
 * the rounded magnitude unless the low word lies within 2^25 of a tie. Everything else (ties,
 * |acc| >= 2^24, scales of 1 or more: m = 0) takes the double computation. */
static inline int32_t hb_sp_fc_round(const hb_sp_layer *p, int32_t oc, int32_t acc)
{
    const uint32_t m = p->fc_multiplier[oc];
    const uint32_t u = acc < 0 ? 0u - (uint32_t)acc : (uint32_t)acc;
    if (m != 0u && u < (1u << 24)) {
        const uint64_t v = (uint64_t)u * m + 0x80000000u;
        if ((uint32_t)v - (1u << 25) <= 0xFFFFFFFFu - (1u << 26)) {
            const int32_t r = (int32_t)(v >> 32);
            return acc < 0 ? -r : r;
        }
    }
    return hb_sp_fc_double(p, oc, acc);
}

/* MultiplyByQuantizedMultiplier(acc, m, shift) in one 64-bit multiply-add and one shift, for
 * m >= 2^30 or m = 0 and a right shift e = -shift in 1..31 (the generator checks it; every
 * MLPerf Tiny conv qualifies): the two roundings are nested floors, x = (acc m + 2^30) >> 31
 * and (x + 2^(e-1) - [x < 0]) >> e, and [x < 0] = [acc < 0] for such m (the argument of
 * hb_arm_requantize, kernels/armv7em/README.md), so the result is
 * (acc m + 2^30 + 2^(30+e) - [acc < 0] 2^31) >> (31 + e), exact in int64: the high word
 * shifted right by e - 1. */
static inline int32_t hb_sp_conv_requant(int32_t acc, const hb_sp_requant *r)
{
    const int64_t v = (int64_t)acc * r->multiplier + r->rounding -
                      (acc < 0 ? ((int64_t)1 << 31) : 0);
    return (int32_t)(v >> 32) >> r->high_shift;
}

/* The int8 output of channel oc from its accumulator (bias included). */
static inline int8_t hb_sp_output(const hb_sp_layer *p, int32_t oc, int32_t acc)
{
    const int32_t v = p->fc ? hb_sp_fc_round(p, oc, acc)
                      : p->single_rounding ? hb_sp_conv_requant(acc, &p->requant[oc])
                                           : hb_mbqm(acc, p->multiplier[oc], p->shift[oc]);
    return (int8_t)hb_clamp_i32(v + p->output_offset, p->act_min, p->act_max);
}

#ifdef __cplusplus
}
#endif

#endif /* HB_SPARSE_H */
