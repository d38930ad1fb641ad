/* DEPTHWISE_CONV_2D for the rv32-nnx target (kernel set "rvx"): the int8 kernel uses the
 * nnx extension (hb_nnx.h); the float32 kernel is the portable one.
 *
 * nnx.mac4 sums its four lanes into one accumulator, so the lanes must hold four taps of
 * the SAME output channel.  For one input channel and one output row the kernel builds a
 * row of "column words": column j holds the filter_h (<= 4) input values of the receptive
 * field's rows at input column j - pad_w, one per byte (padding = the input zero point,
 * which contributes w * (zp + input_offset) = 0 like the reference's skipped taps).  The
 * filter is packed the same way once per channel (filter_w words, unused lanes 0), so one
 * output is filter_w mac4s over consecutive (stride_w apart) column words, and each column
 * word is shared by the filter_w outputs that overlap it.  The input offset is folded into
 * the bias (bias + input_offset * sum w) and nnx.requant does the output stage.
 * Other shapes (filter_h > 4, very wide rows) take a scalar loop with the same results.
 */
#include <string.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"
#include "hb_nnx.h"

#ifndef RVX_DW_COLS
#define RVX_DW_COLS 1024               /* column words of one output row */
#endif
#ifndef RVX_DW_WORDS
#define RVX_DW_WORDS 2048              /* packed filter: out_c * filter_w words */
#endif
#ifndef RVX_DW_MAX_OC
#define RVX_DW_MAX_OC 1024             /* folded biases */
#endif

static uint32_t rvx_dw_cols[RVX_DW_COLS];
static uint32_t rvx_dw_w[RVX_DW_WORDS];
static int32_t rvx_dw_bias[RVX_DW_MAX_OC];

static void depthwise_s8_scalar(const hb_conv_s8_params *p, const int8_t *input,
                                const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const hb_conv_geometry *g = &p->g;
    int32_t b, oy, ox, ic, m, fy, fx;
    nnx_setout(p->output_offset, p->act_min, p->act_max);
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            const int32_t in_y0 = oy * g->stride_h - g->pad_h;
            for (ox = 0; ox < g->out_w; ++ox) {
                const int32_t in_x0 = ox * g->stride_w - g->pad_w;
                int8_t *out = output + ((b * g->out_h + oy) * g->out_w + ox) * g->out_c;
                for (ic = 0; ic < g->in_c; ++ic) {
                    for (m = 0; m < g->depth_multiplier; ++m) {
                        const int32_t oc = ic * g->depth_multiplier + m;
                        int32_t acc = 0;
                        for (fy = 0; fy < g->filter_h; ++fy) {
                            const int32_t iy = in_y0 + g->dilation_h * fy;
                            if (iy < 0 || iy >= g->in_h) {
                                continue;
                            }
                            for (fx = 0; fx < g->filter_w; ++fx) {
                                const int32_t ix = in_x0 + g->dilation_w * fx;
                                int32_t in_val, w_val;
                                if (ix < 0 || ix >= g->in_w) {
                                    continue;
                                }
                                in_val = input[((b * g->in_h + iy) * g->in_w + ix) * g->in_c + ic];
                                w_val = filter[(fy * g->filter_w + fx) * g->out_c + oc];
                                acc += w_val * (in_val + p->input_offset);
                            }
                        }
                        nnx_setq(p->multiplier[oc], p->shift[oc]);
                        out[oc] = (int8_t)nnx_requant(acc, bias != NULL ? bias[oc] : 0);
                    }
                }
            }
        }
    }
}

/* NHWC with in_c % 4 == 0 and depth multiplier 1: a word of the input holds 4 channels of
 * one pixel, a word of the filter the same 4 channels of one tap, so nnx.vmac (per-lane
 * multiply-accumulate) does one tap of 4 channels at once.  Per output row the filter_h input
 * rows are copied into a "band", transposed to [channel group][row][column] words with the
 * zero-point word in the padding, so the taps of one group and row are consecutive words;
 * two output pixels accumulate together (ACC[0..3] and ACC[4..7]) from one filter-word load
 * (the filter is repacked once to [group][tap]).  Then per channel one setq and per pixel one
 * racc + requant.  Groups are done in chunks that fit the band buffer. */
#ifndef RVX_DW_WORK_WORDS
#define RVX_DW_WORK_WORDS 2048         /* quant params + repacked filter + band, contiguous */
#endif
#define RVX_DW_MAX_FH 16               /* filter rows of the band path */
#ifdef NNX_NO_ACC
#define RVX_NO_ACC 1                   /* a unit without the accumulator bank: no vmac path */
#else
#define RVX_NO_ACC 0
#endif
/* one block, so the data read in the inner loops (3 words of quant parameters per channel,
 * the filter as [group][tap], the band) do not evict each other in a direct-mapped cache */
static uint32_t rvx_dw_work[RVX_DW_WORK_WORDS];

/* Output stage of 4 channels (q: mult, shift, folded bias of each) x 2 pixels from ACC[0..7];
 * the parameters are loaded before the first store (a byte store may alias them). */
static void requant_group(const uint32_t *q, int8_t *out0, int8_t *out1, int two)
{
    const int32_t m0 = (int32_t)q[0], s0 = (int32_t)q[1], b0 = (int32_t)q[2];
    const int32_t m1 = (int32_t)q[3], s1 = (int32_t)q[4], b1 = (int32_t)q[5];
    const int32_t m2 = (int32_t)q[6], s2 = (int32_t)q[7], b2 = (int32_t)q[8];
    const int32_t m3 = (int32_t)q[9], s3 = (int32_t)q[10], b3 = (int32_t)q[11];
    nnx_setq(m0, s0);
    out0[0] = (int8_t)nnx_requant(nnx_racc(0), b0);
    if (two) out1[0] = (int8_t)nnx_requant(nnx_racc(4), b0);
    nnx_setq(m1, s1);
    out0[1] = (int8_t)nnx_requant(nnx_racc(1), b1);
    if (two) out1[1] = (int8_t)nnx_requant(nnx_racc(5), b1);
    nnx_setq(m2, s2);
    out0[2] = (int8_t)nnx_requant(nnx_racc(2), b2);
    if (two) out1[2] = (int8_t)nnx_requant(nnx_racc(6), b2);
    nnx_setq(m3, s3);
    out0[3] = (int8_t)nnx_requant(nnx_racc(3), b3);
    if (two) {
        out1[3] = (int8_t)nnx_requant(nnx_racc(7), b3);
    } else {                          /* no second pixel: empty ACC[4..7] */
        (void)nnx_racc(4);
        (void)nnx_racc(5);
        (void)nnx_racc(6);
        (void)nnx_racc(7);
    }
}

/* Fills band row `slot` with input row iy (the zero-point word outside the input) for the
 * groups [g0, g0 + gn). */
static void fill_band_row(const hb_conv_geometry *g, const uint32_t *input, uint32_t *band,
                          int32_t b, int32_t iy, int32_t slot, int32_t ncols, int32_t g0,
                          int32_t gn, uint32_t zpw)
{
    const int32_t cw = g->in_c >> 2, rows = g->filter_h * ncols;
    const int row_ok = iy >= 0 && iy < g->in_h;
    uint32_t *d = band + slot * ncols;
    int32_t j, gi;
    for (j = 0; j < ncols; ++j) {
        const int32_t ix = j - g->pad_w;
        uint32_t *dj = d + j;
        if (row_ok && ix >= 0 && ix < g->in_w) {
            const uint32_t *src = input + ((b * g->in_h + iy) * g->in_w + ix) * cw + g0;
            for (gi = 0; gi < gn; ++gi) {
                *dj = src[gi];
                dj += rows;
            }
        } else {
            for (gi = 0; gi < gn; ++gi) {
                *dj = zpw;
                dj += rows;
            }
        }
    }
}

static void depthwise_s8_vmac(const hb_conv_s8_params *p, const int8_t *input,
                              const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const hb_conv_geometry *g = &p->g;
    const int32_t fw = g->filter_w, fh = g->filter_h, c = g->in_c, cw = c >> 2;
    const int32_t taps = fh * fw, out_w = g->out_w;
    const int32_t sw = g->stride_w, dw = g->dilation_w;
    const int32_t ncols = (out_w - 1) * sw + (fw - 1) * dw + 1;
    const int32_t rows = fh * ncols;                    /* band words of one group */
    uint32_t *const q = rvx_dw_work;                    /* [channel][mult, shift, bias] */
    uint32_t *const wp = q + 3 * c;                     /* [group][tap] */
    uint32_t *const band_all = wp + taps * cw;          /* [group][row slot][column] */
    const int32_t room = (RVX_DW_WORK_WORDS - 3 * c - taps * cw) / rows;
    const int32_t chunk = room < cw ? room : cw;
    const uint32_t zpw = (uint32_t)(uint8_t)(int8_t)(-p->input_offset) * 0x01010101u;
    const uint32_t *wt = (const uint32_t *)(const void *)filter;   /* [fy][fx][c] words */
    const int fast3 = fw == 3 && sw == 1 && dw == 1;
    /* the ring needs every group in the band and the filter_h rows of a window in distinct
     * slots (iy mod filter_h): dilation_h coprime with filter_h */
    int32_t ga = g->dilation_h, gb = fh;
    int32_t b, oy, ox, gi, g0, i, oc;

    int ring;
    while (gb != 0) {
        const int32_t t = ga % gb;
        ga = gb;
        gb = t;
    }
    ring = chunk == cw && ga == 1;

    for (oc = 0; oc < c; ++oc) {
        int32_t sum = 0;
        for (i = 0; i < taps; ++i) {
            sum += filter[i * c + oc];
        }
        q[3 * oc] = (uint32_t)p->multiplier[oc];
        q[3 * oc + 1] = (uint32_t)p->shift[oc];
        q[3 * oc + 2] = (uint32_t)(bias != NULL ? bias[oc] : 0) +
                        (uint32_t)sum * (uint32_t)p->input_offset;
    }
    for (gi = 0; gi < cw; ++gi) {
        for (i = 0; i < taps; ++i) {
            wp[gi * taps + i] = wt[i * cw + gi];
        }
    }
    nnx_setout(p->output_offset, p->act_min, p->act_max);
    for (b = 0; b < g->batches; ++b) {
        /* band rows are a ring: slot (iy mod filter_h) holds input row iy; with all groups in
         * one chunk a row is filled once and kept while the window slides down */
        int32_t slot_row[RVX_DW_MAX_FH];
        for (i = 0; i < fh; ++i) {
            slot_row[i] = INT32_MIN;
        }
        for (oy = 0; oy < g->out_h; ++oy) {
            int8_t *out_row = output + (b * g->out_h + oy) * out_w * c;
            for (g0 = 0; g0 < cw; g0 += chunk) {
                const int32_t gn = cw - g0 < chunk ? cw - g0 : chunk;
                int32_t row_off[RVX_DW_MAX_FH];
                int32_t fy;
                for (fy = 0; fy < fh; ++fy) {
                    const int32_t iy = oy * g->stride_h - g->pad_h + g->dilation_h * fy;
                    const int32_t slot = ring ? ((iy % fh) + fh) % fh : fy;
                    if (!ring || slot_row[slot] != iy) {
                        fill_band_row(g, (const uint32_t *)(const void *)input, band_all, b,
                                      iy, slot, ncols, g0, gn, zpw);
                        slot_row[slot] = ring ? iy : INT32_MIN;
                    }
                    row_off[fy] = slot * ncols;
                }
                for (gi = 0; gi < gn; ++gi) {
                    const uint32_t *band = band_all + gi * rows;
                    const uint32_t *wg = wp + (g0 + gi) * taps;
                    const uint32_t *qg = q + 12 * (g0 + gi);
                    for (ox = 0; ox < out_w; ox += 2) {
                        const int two = ox + 1 < out_w;
                        const uint32_t *w = wg;
                        int32_t fx;
                        if (fast3) {
                            /* columns ox .. ox + 3 of each row; pixel ox + 1 reads one on */
                            for (fy = 0; fy < fh; ++fy) {
                                const uint32_t *r = band + row_off[fy] + ox;
                                const uint32_t w0 = w[0], w1 = w[1], w2 = w[2];
                                const uint32_t x0 = r[0], x1 = r[1], x2 = r[2];
                                const uint32_t x3 = two ? r[3] : zpw;
                                nnx_vmac(0, x0, w0);
                                nnx_vmac(1, x1, w0);
                                nnx_vmac(0, x1, w1);
                                nnx_vmac(1, x2, w1);
                                nnx_vmac(0, x2, w2);
                                nnx_vmac(1, x3, w2);
                                w += 3;
                            }
                        } else {
                            for (fy = 0; fy < fh; ++fy) {
                                const uint32_t *r = band + row_off[fy] + ox * sw;
                                for (fx = 0; fx < fw; ++fx) {
                                    const uint32_t wv = *w++;
                                    nnx_vmac(0, r[fx * dw], wv);
                                    nnx_vmac(1, two ? r[fx * dw + sw] : zpw, wv);
                                }
                            }
                        }
                        oc = 4 * (g0 + gi);
                        requant_group(qg, out_row + ox * c + oc, out_row + (ox + 1) * c + oc,
                                      two);
                    }
                }
            }
        }
    }
}

void hb_depthwise_conv2d_s8(const hb_conv_s8_params *p, const int8_t *input,
                            const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const hb_conv_geometry *g = &p->g;
    const int32_t dm = g->depth_multiplier, fw = g->filter_w, fh = g->filter_h;
    const int32_t in_c = g->in_c, in_h = g->in_h, in_w = g->in_w;
    const int32_t out_w = g->out_w, oc_n = g->out_c;
    const int32_t sw = g->stride_w, dw = g->dilation_w;
    const int32_t ncols = (out_w - 1) * sw + (fw - 1) * dw + 1;
    const uint8_t zp = (uint8_t)(int8_t)(-p->input_offset);
    const uint32_t zpw = (uint32_t)zp * 0x01010101u;
    const int fast3 = fw == 3 && dw == 1;
    /* real input columns land in column words [x_lo, x_hi); the others are padding */
    const int32_t x_lo = g->pad_w < ncols ? g->pad_w : ncols;
    const int32_t x_hi = g->pad_w + in_w < ncols ? g->pad_w + in_w : ncols;
    static const uint8_t zero_byte = 0;
    int32_t b, oy, ic, m, fy, fx, j, oc;

    if (!RVX_NO_ACC && dm == 1 && (in_c & 3) == 0 && in_c <= RVX_DW_MAX_OC && ((uintptr_t)input & 3u) == 0 &&
        ((uintptr_t)filter & 3u) == 0 && p->input_offset >= -127 && p->input_offset <= 128 &&
        3 * in_c + fh * fw * (in_c >> 2) + fh * ncols <= RVX_DW_WORK_WORDS &&
        fh <= RVX_DW_MAX_FH) {
        depthwise_s8_vmac(p, input, filter, bias, output);
        return;
    }
    if (fh > 4 || oc_n * fw > RVX_DW_WORDS || oc_n > RVX_DW_MAX_OC || ncols > RVX_DW_COLS ||
        p->input_offset < -127 || p->input_offset > 128) {
        depthwise_s8_scalar(p, input, filter, bias, output);
        return;
    }
    /* packed filter columns (fy in byte fy) and folded biases of every output channel */
    for (oc = 0; oc < oc_n; ++oc) {
        int32_t sum = 0;
        for (fx = 0; fx < fw; ++fx) {
            uint32_t w = 0;
            for (fy = 0; fy < fh; ++fy) {
                w |= (uint32_t)(uint8_t)filter[(fy * fw + fx) * oc_n + oc] << (8 * fy);
            }
            rvx_dw_w[oc * fw + fx] = w;
            sum = nnx_mac4(sum, w, 0x01010101u);
        }
        rvx_dw_bias[oc] = (int32_t)((uint32_t)(bias != NULL ? bias[oc] : 0) +
                                    (uint32_t)sum * (uint32_t)p->input_offset);
    }
    /* padding columns never change */
    for (j = 0; j < ncols; ++j) {
        rvx_dw_cols[j] = zpw;
    }
    nnx_setout(p->output_offset, p->act_min, p->act_max);

    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            int8_t *out_row = output + ((b * g->out_h + oy) * out_w) * oc_n;
            const int32_t iy0 = oy * g->stride_h - g->pad_h;
            /* the filter_h input rows of this output row (channel 0, first real column);
             * rows outside the input read a zero byte (stride 0) and get the zero point
             * through pad_lanes */
            const uint8_t *rows[4];
            int32_t step[4];
            uint32_t pad_lanes = 0;
            for (fy = 0; fy < 4; ++fy) {
                const int32_t iy = iy0 + g->dilation_h * fy;
                if (fy < fh && iy >= 0 && iy < in_h) {
                    rows[fy] = (const uint8_t *)input +
                               ((b * in_h + iy) * in_w + (x_lo - g->pad_w)) * in_c;
                    step[fy] = in_c;
                } else {
                    rows[fy] = &zero_byte;
                    step[fy] = 0;
                    if (fy < fh) {
                        pad_lanes |= (uint32_t)zp << (8 * fy);
                    }
                }
            }
            for (ic = 0; ic < in_c; ++ic) {
                uint32_t *dp = rvx_dw_cols + x_lo;
                uint32_t *const de = rvx_dw_cols + x_hi;
                const uint8_t *r0 = rows[0] + (step[0] ? ic : 0);
                const uint8_t *r1 = rows[1] + (step[1] ? ic : 0);
                const uint8_t *r2 = rows[2] + (step[2] ? ic : 0);
                const int32_t s0 = step[0], s1 = step[1], s2 = step[2];
                if (fh <= 3) {
                    while (dp < de) {
                        *dp++ = (uint32_t)*r0 | ((uint32_t)*r1 << 8) | ((uint32_t)*r2 << 16) |
                                pad_lanes;
                        r0 += s0;
                        r1 += s1;
                        r2 += s2;
                    }
                } else {
                    const uint8_t *r3 = rows[3] + (step[3] ? ic : 0);
                    const int32_t s3 = step[3];
                    while (dp < de) {
                        *dp++ = (uint32_t)*r0 | ((uint32_t)*r1 << 8) | ((uint32_t)*r2 << 16) |
                                ((uint32_t)*r3 << 24) | pad_lanes;
                        r0 += s0;
                        r1 += s1;
                        r2 += s2;
                        r3 += s3;
                    }
                }
                for (m = 0; m < dm; ++m) {
                    const int32_t oc = ic * dm + m;
                    const uint32_t *w = rvx_dw_w + oc * fw;
                    const int32_t bf = rvx_dw_bias[oc];
                    const uint32_t *col = rvx_dw_cols;
                    int8_t *out = out_row + oc;
                    int8_t *const out_end = out + out_w * oc_n;
                    nnx_setq(p->multiplier[oc], p->shift[oc]);
                    if (fast3) {
                        const uint32_t w0 = w[0], w1 = w[1], w2 = w[2];
                        while (out != out_end) {
                            int32_t acc = nnx_dot4(col[0], w0);
                            acc = nnx_mac4(acc, col[1], w1);
                            acc = nnx_mac4(acc, col[2], w2);
                            *out = (int8_t)nnx_requant(acc, bf);
                            out += oc_n;
                            col += sw;
                        }
                    } else {
                        while (out != out_end) {
                            int32_t acc = 0;
                            for (fx = 0; fx < fw; ++fx) {
                                acc = nnx_mac4(acc, col[fx * dw], w[fx]);
                            }
                            *out = (int8_t)nnx_requant(acc, bf);
                            out += oc_n;
                            col += sw;
                        }
                    }
                }
            }
        }
    }
}

void hb_depthwise_conv2d_f32(const hb_conv_f32_params *p, const float *input,
                             const float *filter, const float *bias, float *output)
{
    const hb_conv_geometry *g = &p->g;
    int32_t b, oy, ox, ic, m, fy, fx;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            const int32_t in_y0 = oy * g->stride_h - g->pad_h;
            for (ox = 0; ox < g->out_w; ++ox) {
                const int32_t in_x0 = ox * g->stride_w - g->pad_w;
                float *out = output + ((b * g->out_h + oy) * g->out_w + ox) * g->out_c;
                for (ic = 0; ic < g->in_c; ++ic) {
                    for (m = 0; m < g->depth_multiplier; ++m) {
                        const int32_t oc = ic * g->depth_multiplier + m;
                        float total = 0.0f;
                        for (fy = 0; fy < g->filter_h; ++fy) {
                            const int32_t iy = in_y0 + g->dilation_h * fy;
                            if (iy < 0 || iy >= g->in_h) {
                                continue;
                            }
                            for (fx = 0; fx < g->filter_w; ++fx) {
                                const int32_t ix = in_x0 + g->dilation_w * fx;
                                if (ix < 0 || ix >= g->in_w) {
                                    continue;
                                }
                                total += input[((b * g->in_h + iy) * g->in_w + ix) * g->in_c + ic] *
                                         filter[(fy * g->filter_w + fx) * g->out_c + oc];
                            }
                        }
                        total += bias != NULL ? bias[oc] : 0.0f;
                        out[oc] = hb_clamp_f32(total, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
