/* CONV_2D for the rv32-nnx target (kernel set "rvx"): the int8 kernel uses the nnx
 * extension (hb_nnx.h); the float32 and hybrid kernels are the portable ones.
 *
 * int8 (bit-exact with reference_integer_ops::ConvPerChannel):
 *   out = clamp(MBQM(bias + sum w * (x + input_offset), mult, shift) + output_offset)
 *       = nnx_requant(sum w * x', bias + input_offset * sum w)     (setq / setout per channel)
 * where x' is the input with padding replaced by the input zero point (-input_offset), so
 * a padded tap contributes w * (zp + input_offset) = 0 exactly as in the reference.
 *
 * Data flow: the receptive fields of RVX_PIX = 4 output pixels are gathered (im2col) into
 * a static buffer, word-interleaved (word k of pixel s at col[4k + s]), so one pointer
 * walks all four; then 2 output channels x 4 pixels accumulate in the unit's accumulator
 * bank with nnx.macc (no adds, so the same on ports without a third operand), each
 * activation word and each weight word loaded once per tile (6 loads, 8 macc = 32 MACs),
 * and nnx.racc reads and clears the 8 sums.
 * Weight rows are used in place when K = filter_h * filter_w * in_c is a multiple of 4;
 * otherwise they are repacked once per call, zero padded to whole words, into a static
 * buffer.  Cases that do not fit the buffers fall back to a scalar loop (same results).
 */
#include <math.h>
#include <string.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"
#include "hb_nnx.h"

#define RVX_PIX 4                      /* output pixels per sub-tile */
#define RVX_SUB 4                      /* sub-tiles per tile (if the im2col buffer holds them) */
#ifndef RVX_CONV_COL_WORDS
#define RVX_CONV_COL_WORDS 2048        /* im2col buffer: RVX_PIX * ceil(K/4) words */
#endif
#ifndef RVX_CONV_PACK_WORDS
#define RVX_CONV_PACK_WORDS 1024       /* repacked weights when K % 4 != 0 */
#endif
#ifndef RVX_CONV_MAX_OC
#define RVX_CONV_MAX_OC 1024           /* folded biases */
#endif

static uint32_t rvx_conv_col[RVX_CONV_COL_WORDS];
static uint32_t rvx_conv_pack[RVX_CONV_PACK_WORDS];
static int32_t rvx_conv_q[3 * RVX_CONV_MAX_OC];  /* per channel: mult, shift, folded bias */

/* Offsets of an input pixel and of a filter tap (both followed by in_c channels). */
static int32_t input_index(const hb_conv_geometry *g, int32_t b, int32_t y, int32_t x)
{
    return ((b * g->in_h + y) * g->in_w + x) * g->in_c;
}

static int32_t filter_index(const hb_conv_geometry *g, int32_t oc, int32_t fy, int32_t fx)
{
    return ((oc * g->filter_h + fy) * g->filter_w + fx) * g->in_c;
}

static int32_t output_index(const hb_conv_geometry *g, int32_t b, int32_t y, int32_t x)
{
    return ((b * g->out_h + y) * g->out_w + x) * g->out_c;
}

/* Sum over the receptive field of filter * (input + input_offset); padding contributes 0. */
static int32_t accumulate_s8(const hb_conv_geometry *g, const int8_t *input, const int8_t *filter,
                             int32_t input_offset, int32_t b, int32_t oy, int32_t ox, int32_t oc)
{
    const int32_t in_y0 = oy * g->stride_h - g->pad_h;
    const int32_t in_x0 = ox * g->stride_w - g->pad_w;
    int32_t acc = 0;
    int32_t fy, fx, ic;
    for (fy = 0; fy < g->filter_h; ++fy) {
        const int32_t iy = in_y0 + g->dilation_h * fy;
        if (iy < 0 || iy >= g->in_h) {
            continue;
        }
        for (fx = 0; fx < g->filter_w; ++fx) {
            const int32_t ix = in_x0 + g->dilation_w * fx;
            const int8_t *in_px;
            const int8_t *w;
            if (ix < 0 || ix >= g->in_w) {
                continue;
            }
            in_px = input + input_index(g, b, iy, ix);
            w = filter + filter_index(g, oc, fy, fx);
            for (ic = 0; ic < g->in_c; ++ic) {
                acc += (int32_t)w[ic] * ((int32_t)in_px[ic] + input_offset);
            }
        }
    }
    return acc;
}

/* Scalar int8 path (shapes the buffers do not hold); the requantization still uses nnx. */
static void conv_s8_scalar(const hb_conv_s8_params *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output)
{
    const hb_conv_geometry *g = &p->g;
    int32_t b, oy, ox, oc;
    nnx_setout(p->output_offset, p->act_min, p->act_max);
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            for (ox = 0; ox < g->out_w; ++ox) {
                int8_t *out = output + output_index(g, b, oy, ox);
                for (oc = 0; oc < g->out_c; ++oc) {
                    int32_t acc = accumulate_s8(g, input, filter, p->input_offset, b, oy, ox, oc);
                    nnx_setq(p->multiplier[oc], p->shift[oc]);
                    out[oc] = (int8_t)nnx_requant(acc, bias != NULL ? bias[oc] : 0);
                }
            }
        }
    }
}

/* Gathers the receptive field of output pixel (b, oy, ox) into slot `slot` of the
 * interleaved im2col sub-tile at `col`; padding taps get the input zero point `zp`. */
static void gather(const hb_conv_geometry *g, const int8_t *input, int32_t b, int32_t oy,
                   int32_t ox, uint32_t *col, int32_t slot, int8_t zp)
{
    const int32_t in_y0 = oy * g->stride_h - g->pad_h;
    const int32_t in_x0 = ox * g->stride_w - g->pad_w;
    const int32_t c = g->in_c;
    const int row_inside = g->dilation_w == 1 && in_x0 >= 0 && in_x0 + g->filter_w <= g->in_w;
    int32_t fy, fx, i;
    if ((c & 3) == 0 && ((uintptr_t)input & 3u) == 0) {
        /* whole words: the input tensor is 16-byte aligned and every pixel starts on a word */
        const uint32_t zpw = (uint32_t)(uint8_t)zp * 0x01010101u;
        const int32_t cw = c >> 2;
        uint32_t *d = col + slot;
        for (fy = 0; fy < g->filter_h; ++fy) {
            const int32_t iy = in_y0 + g->dilation_h * fy;
            const int row_ok = iy >= 0 && iy < g->in_h;
            for (fx = 0; fx < g->filter_w; ++fx) {
                const int32_t ix = in_x0 + g->dilation_w * fx;
                if (row_ok && ix >= 0 && ix < g->in_w) {
                    const uint32_t *s = (const uint32_t *)(const void *)(input +
                                                                         input_index(g, b, iy, ix));
                    for (i = 0; i < cw; ++i) {
                        d[4 * i] = s[i];
                    }
                } else {
                    for (i = 0; i < cw; ++i) {
                        d[4 * i] = zpw;
                    }
                }
                d += 4 * cw;
            }
        }
    } else {
        /* bytes: lane (k & 3) of word (k >> 2) of this slot */
        uint8_t *d = (uint8_t *)(col + slot);
        int32_t lane = 0;
        for (fy = 0; fy < g->filter_h; ++fy) {
            const int32_t iy = in_y0 + g->dilation_h * fy;
            const int row_ok = iy >= 0 && iy < g->in_h;
            if (row_ok && row_inside) {
                /* the filter row lies inside the input: filter_w * c contiguous bytes */
                const int8_t *s = input + input_index(g, b, iy, in_x0);
                const int32_t n = g->filter_w * c;
                for (i = 0; i < n; ++i) {
                    d[lane] = (uint8_t)s[i];
                    if (++lane == 4) {
                        lane = 0;
                        d += 16;
                    }
                }
                continue;
            }
            for (fx = 0; fx < g->filter_w; ++fx) {
                const int32_t ix = in_x0 + g->dilation_w * fx;
                const int ok = row_ok && ix >= 0 && ix < g->in_w;
                const int8_t *s = ok ? input + input_index(g, b, iy, ix) : 0;
                for (i = 0; i < c; ++i) {
                    d[lane] = (uint8_t)(ok ? s[i] : zp);
                    if (++lane == 4) {
                        lane = 0;
                        d += 16;
                    }
                }
            }
        }
    }
}

/* 2 output channels (weight rows w0, w1) x the 4 pixels of an interleaved sub-tile `a`, kw
 * words deep: c[0..3] channel w0, c[4..7] channel w1.  6 loads per 8 dot products (32 MACs),
 * unrolled twice.  With the accumulator bank the sums stay in the unit (nnx.macc: no adds, so
 * the same on ports without a third operand) and nnx.racc reads them; with NNX_NO_ACC (a unit
 * without the bank) they are nnx_mac4s into registers. */
#ifdef NNX_NO_ACC
#define RVX_MACC(k, x, w) (s##k = nnx_mac4(s##k, (x), (w)))
#else
#define RVX_MACC(k, x, w) nnx_macc(k, (x), (w))
#endif
#define RVX_MACC_STEP(x0, x1, x2, x3, u, v) \
    do { \
        RVX_MACC(0, x0, u); RVX_MACC(1, x1, u); RVX_MACC(2, x2, u); RVX_MACC(3, x3, u); \
        RVX_MACC(4, x0, v); RVX_MACC(5, x1, v); RVX_MACC(6, x2, v); RVX_MACC(7, x3, v); \
    } while (0)

static inline void macc_2x4(const uint32_t *a, const uint32_t *w0, const uint32_t *w1,
                            int32_t kw, int32_t c[8])
{
    const uint32_t *const end = w0 + kw;
#ifdef NNX_NO_ACC
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
#endif
    if (kw & 1) {
        RVX_MACC_STEP(a[0], a[1], a[2], a[3], *w0, *w1);
        ++w0;
        ++w1;
        a += 4;
    }
    while (w0 != end) {
        const uint32_t x0 = a[0], x1 = a[1], x2 = a[2], x3 = a[3];
        const uint32_t u = w0[0], v = w1[0];
        const uint32_t y0 = a[4], y1 = a[5], y2 = a[6], y3 = a[7];
        const uint32_t u2 = w0[1], v2 = w1[1];
        RVX_MACC_STEP(x0, x1, x2, x3, u, v);
        RVX_MACC_STEP(y0, y1, y2, y3, u2, v2);
        a += 8;
        w0 += 2;
        w1 += 2;
    }
#ifdef NNX_NO_ACC
    c[0] = s0; c[1] = s1; c[2] = s2; c[3] = s3; c[4] = s4; c[5] = s5; c[6] = s6; c[7] = s7;
#else
    c[0] = nnx_racc(0); c[1] = nnx_racc(1); c[2] = nnx_racc(2); c[3] = nnx_racc(3);
    c[4] = nnx_racc(4); c[5] = nnx_racc(5); c[6] = nnx_racc(6); c[7] = nnx_racc(7);
#endif
}

void hb_conv2d_s8(const hb_conv_s8_params *p, const int8_t *input, const int8_t *filter,
                  const int32_t *bias, int8_t *output)
{
    const hb_conv_geometry *g = &p->g;
    const int32_t k = g->filter_h * g->filter_w * g->in_c;
    const int32_t kw = (k + 3) >> 2;
    const int32_t oc_n = g->out_c;
    const int32_t pixels = g->batches * g->out_h * g->out_w;
    const int8_t zp = (int8_t)(-p->input_offset);
    const uint32_t *wt;
    int32_t oc, pix, i, b, oy, ox, sub_n;

    if (kw * RVX_PIX > RVX_CONV_COL_WORDS || oc_n > RVX_CONV_MAX_OC ||
        (((k & 3) != 0 || ((uintptr_t)filter & 3u) != 0) && kw * oc_n > RVX_CONV_PACK_WORDS) ||
        p->input_offset < -127 || p->input_offset > 128) {
        conv_s8_scalar(p, input, filter, bias, output);
        return;
    }
    if ((k & 3) == 0 && ((uintptr_t)filter & 3u) == 0) {
        wt = (const uint32_t *)(const void *)filter;   /* 16-byte aligned constant array */
    } else {
        uint8_t *d = (uint8_t *)rvx_conv_pack;
        for (oc = 0; oc < oc_n; ++oc) {
            for (i = 0; i < 4 * kw; ++i) {
                d[i] = i < k ? (uint8_t)filter[oc * k + i] : 0u;
            }
            d += 4 * kw;
        }
        wt = rvx_conv_pack;
    }
    /* bias + input_offset * sum(w): the input offset folded into one constant per channel */
    for (oc = 0; oc < oc_n; ++oc) {
        const uint32_t *w = wt + oc * kw;
        int32_t sum = 0;
        for (i = 0; i < kw; ++i) {
            sum = nnx_mac4(sum, w[i], 0x01010101u);
        }
        rvx_conv_q[3 * oc] = p->multiplier[oc];
        rvx_conv_q[3 * oc + 1] = p->shift[oc];
        rvx_conv_q[3 * oc + 2] = (int32_t)((uint32_t)(bias != NULL ? bias[oc] : 0) +
                                           (uint32_t)sum * (uint32_t)p->input_offset);
    }
    nnx_setout(p->output_offset, p->act_min, p->act_max);

    /* tiles of up to RVX_SUB sub-tiles of RVX_PIX pixels: the weights stream through the
     * cache once per tile, the sub-tiles reuse each channel pair's rows */
    sub_n = RVX_CONV_COL_WORDS / (RVX_PIX * kw) < RVX_SUB ? RVX_CONV_COL_WORDS / (RVX_PIX * kw)
                                                        : RVX_SUB;
    b = 0;
    oy = 0;
    ox = 0;
    for (pix = 0; pix < pixels; pix += RVX_PIX * sub_n) {
        const int32_t tile = pixels - pix < RVX_PIX * sub_n ? pixels - pix : RVX_PIX * sub_n;
        const int32_t subs = (tile + RVX_PIX - 1) / RVX_PIX;
        for (i = 0; i < tile; ++i) {
            gather(g, input, b, oy, ox, rvx_conv_col + (i / RVX_PIX) * RVX_PIX * kw, i % RVX_PIX,
                   zp);
            if (++ox == g->out_w) {
                ox = 0;
                if (++oy == g->out_h) {
                    oy = 0;
                    ++b;
                }
            }
        }
        for (oc = 0; oc < oc_n; oc += 2) {
            const uint32_t *w0 = wt + oc * kw;
            const uint32_t *w1 = oc + 1 < oc_n ? w0 + kw : w0;
            const int32_t *q = rvx_conv_q + 3 * oc;
            const int32_t mult0 = q[0], shift0 = q[1], bias0 = q[2];
            const int32_t mult1 = oc + 1 < oc_n ? q[3] : 0, shift1 = oc + 1 < oc_n ? q[4] : 0;
            const int32_t bias1 = oc + 1 < oc_n ? q[5] : 0;
            int32_t s;
            for (s = 0; s < subs; ++s) {
                const int32_t first = pix + s * RVX_PIX;
                const int32_t np = pixels - first < RVX_PIX ? pixels - first : RVX_PIX;
                int8_t *o0 = output + first * oc_n + oc;
                int32_t cs[8], c00, c01, c02, c03, c10, c11, c12, c13;
                macc_2x4(rvx_conv_col + s * RVX_PIX * kw, w0, w1, kw, cs);
                c00 = cs[0];
                c01 = cs[1];
                c02 = cs[2];
                c03 = cs[3];
                c10 = cs[4];
                c11 = cs[5];
                c12 = cs[6];
                c13 = cs[7];
                nnx_setq(mult0, shift0);
                o0[0] = (int8_t)nnx_requant(c00, bias0);
                if (np > 1) o0[oc_n] = (int8_t)nnx_requant(c01, bias0);
                if (np > 2) o0[2 * oc_n] = (int8_t)nnx_requant(c02, bias0);
                if (np > 3) o0[3 * oc_n] = (int8_t)nnx_requant(c03, bias0);
                if (oc + 1 < oc_n) {
                    nnx_setq(mult1, shift1);
                    o0[1] = (int8_t)nnx_requant(c10, bias1);
                    if (np > 1) o0[oc_n + 1] = (int8_t)nnx_requant(c11, bias1);
                    if (np > 2) o0[2 * oc_n + 1] = (int8_t)nnx_requant(c12, bias1);
                    if (np > 3) o0[3 * oc_n + 1] = (int8_t)nnx_requant(c13, bias1);
                }
            }
        }
    }
}

/* ---- float32 and hybrid: the portable reference kernels, unchanged ---- */

void hb_conv2d_f32(const hb_conv_f32_params *p, const float *input, const float *filter,
                   const float *bias, float *output)
{
    const hb_conv_geometry *g = &p->g;
    int32_t b, oy, ox, oc, fy, fx, ic;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            const int32_t in_y0 = oy * g->stride_h - g->pad_h;
            for (ox = 0; ox < g->out_w; ++ox) {
                const int32_t in_x0 = ox * g->stride_w - g->pad_w;
                float *out = output + output_index(g, b, oy, ox);
                for (oc = 0; oc < g->out_c; ++oc) {
                    float total = 0.0f;
                    for (fy = 0; fy < g->filter_h; ++fy) {
                        const int32_t iy = in_y0 + g->dilation_h * fy;
                        if (iy < 0 || iy >= g->in_h) {
                            continue;
                        }
                        for (fx = 0; fx < g->filter_w; ++fx) {
                            const int32_t ix = in_x0 + g->dilation_w * fx;
                            const float *in_px;
                            const float *w;
                            if (ix < 0 || ix >= g->in_w) {
                                continue;
                            }
                            in_px = input + input_index(g, b, iy, ix);
                            w = filter + filter_index(g, oc, fy, fx);
                            for (ic = 0; ic < g->in_c; ++ic) {
                                total += in_px[ic] * w[ic];
                            }
                        }
                    }
                    total += bias != NULL ? bias[oc] : 0.0f;
                    out[oc] = hb_clamp_f32(total, p->act_min, p->act_max);
                }
            }
        }
    }
}

/* TFLite SymmetricQuantizeFloats: q = round(x * 127 / max|x|) in [-127, 127]; returns the
 * scale max|x| / 127 (1 when the input is all zeros). */
static float symmetric_quantize(const float *values, int32_t size, int8_t *quantized)
{
    float min_value = values[0], max_value = values[0], range, scale_inv;
    int32_t i;
    for (i = 1; i < size; ++i) {
        min_value = values[i] < min_value ? values[i] : min_value;
        max_value = values[i] > max_value ? values[i] : max_value;
    }
    range = fabsf(min_value) > fabsf(max_value) ? fabsf(min_value) : fabsf(max_value);
    if (range == 0.0f) {
        memset(quantized, 0, (size_t)size);
        return 1.0f;
    }
    scale_inv = 127.0f / range;
    for (i = 0; i < size; ++i) {
        float q = roundf(values[i] * scale_inv);
        q = q > 127.0f ? 127.0f : (q < -127.0f ? -127.0f : q);
        quantized[i] = (int8_t)q;
    }
    return range / 127.0f;
}

void hb_conv2d_hybrid(const hb_conv_hybrid_params *p, const float *input, const int8_t *filter,
                      const float *bias, int8_t *scratch, float *output)
{
    const hb_conv_geometry *g = &p->g;
    const int32_t batch_size = g->in_h * g->in_w * g->in_c;
    int32_t b, oy, ox, oc;
    for (b = 0; b < g->batches; ++b) {
        const float scale =
            symmetric_quantize(input + b * batch_size, batch_size, scratch + b * batch_size) *
            p->weight_scale;
        for (oy = 0; oy < g->out_h; ++oy) {
            for (ox = 0; ox < g->out_w; ++ox) {
                float *out = output + output_index(g, b, oy, ox);
                for (oc = 0; oc < g->out_c; ++oc) {
                    const int32_t acc = accumulate_s8(g, scratch, filter, 0, b, oy, ox, oc);
                    float value = (float)acc * scale;
                    value += bias != NULL ? bias[oc] : 0.0f;
                    out[oc] = hb_clamp_f32(value, p->act_min, p->act_max);
                }
            }
        }
    }
}
