/* Sparse int8 CONV_2D / FULLY_CONNECTED (hb_sparse.h): per output pixel the receptive field
 * (the input itself for 1x1 convolutions without padding and for FC), then per output channel
 * its nonzero weights times the inputs they select, four entries per step (SPARSE.md). */
#include "hb_sparse.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__thumb2__)
/* sum values[k] * x[base + offset k] over one channel's entries (count a multiple of 4, the
 * arrays word-aligned there). ARMv7E-M, per group: a word of offsets and a word of values,
 * four byte loads from the base, the inputs paired (x0, x2), (x1, x3) as SXTB16 pairs the
 * values, two SMLAD; the base moves on by the group's last offset. */
static inline int32_t sparse_dot(int32_t acc, const int8_t *x, const uint8_t **dp,
                                 const int8_t **vp, int32_t groups)
{
    const uint8_t *d = *dp;
    const int8_t *v = *vp;
    for (; groups > 0; --groups) {
        uint32_t dd, vv, t0, t1, t2, t3;
        __asm__("ldr    %[dd], [%[d]], #4\n\t"
                "ldr    %[vv], [%[v]], #4\n\t"
                "uxtb   %[t0], %[dd]\n\t"
                "uxtb   %[t1], %[dd], ror #8\n\t"
                "uxtb   %[t2], %[dd], ror #16\n\t"
                "lsrs   %[t3], %[dd], #24\n\t"
                "ldrsb  %[t0], [%[x], %[t0]]\n\t"
                "ldrsb  %[t1], [%[x], %[t1]]\n\t"
                "ldrsb  %[t2], [%[x], %[t2]]\n\t"
                "ldrsb  %[t3], [%[x], %[t3]]\n\t"
                "add    %[x], %[x], %[dd], lsr #24\n\t"
                "pkhbt  %[t0], %[t0], %[t2], lsl #16\n\t"
                "pkhbt  %[t1], %[t1], %[t3], lsl #16\n\t"
                "sxtb16 %[dd], %[vv]\n\t"
                "sxtb16 %[vv], %[vv], ror #8\n\t"
                "smlad  %[acc], %[dd], %[t0], %[acc]\n\t"
                "smlad  %[acc], %[vv], %[t1], %[acc]"
                : [acc] "+r"(acc), [x] "+r"(x), [d] "+r"(d), [v] "+r"(v), [dd] "=&r"(dd),
                  [vv] "=&r"(vv), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),
                  [t3] "=&r"(t3)
                :
                : "cc", "memory");
    }
    *dp = d;
    *vp = v;
    return acc;
}
#else
/* sum values[k] * x[base + offset k] over one channel's entries, four per step (count is a
 * multiple of 4); the base moves on by each group's last offset. */
static inline int32_t sparse_dot(int32_t acc, const int8_t *x, const uint8_t **dp,
                                 const int8_t **vp, int32_t groups)
{
    const uint8_t *d = *dp;
    const int8_t *v = *vp;
    for (; groups > 0; --groups) {
        acc += (int32_t)v[0] * x[d[0]] + (int32_t)v[1] * x[d[1]] +
               (int32_t)v[2] * x[d[2]] + (int32_t)v[3] * x[d[3]];
        x += d[3];
        d += 4;
        v += 4;
    }
    *dp = d;
    *vp = v;
    return acc;
}
#endif

/* One output pixel: every channel's dot product with its patch x, requantised (fc: FULLY_
 * CONNECTED's rounding, else CONV_2D's, in one step when single_rounding; constants once
 * inlined). */
static inline int8_t *sparse_pixel(const hb_sparse_params *p, const int8_t *x, int8_t *out,
                                   int fc, int single_rounding)
{
    const hb_sp_layer *l = &p->l;
    const uint8_t *d = p->deltas;
    const int8_t *v = p->values;
    const int32_t out_c = l->g.out_c;
    int32_t oc;
    for (oc = 0; oc < out_c; ++oc) {
        const int32_t acc = sparse_dot(l->bias[oc], x, &d, &v, p->counts[oc] >> 2);
        const int32_t y = fc ? hb_sp_fc_round(l, oc, acc)
                          : single_rounding ? hb_sp_conv_requant(acc, &l->requant[oc])
                                            : hb_mbqm(acc, l->multiplier[oc], l->shift[oc]);
        *out++ = (int8_t)hb_clamp_i32(y + l->output_offset, l->act_min, l->act_max);
    }
    return out;
}

void hb_sparse_s8(const hb_sparse_params *p, const int8_t *input, int8_t *scratch,
                  int8_t *output)
{
    const hb_sp_layer *l = &p->l;
    const hb_conv_geometry *g = &l->g;
    int32_t b, oy, ox;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            for (ox = 0; ox < g->out_w; ++ox) {
                const int8_t *x = hb_sp_patch(l, input, scratch, b, oy, ox);
                if (l->fc) {
                    output = sparse_pixel(p, x, output, 1, 0);
                } else if (l->single_rounding) {
                    output = sparse_pixel(p, x, output, 0, 1);
                } else {
                    output = sparse_pixel(p, x, output, 0, 0);
                }
            }
        }
    }
}
