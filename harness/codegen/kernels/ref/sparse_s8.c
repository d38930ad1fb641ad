/* Sparse int8 CONV_2D / FULLY_CONNECTED (hb_sparse.h): per output pixel the receptive field
 * (the input itself for 1x1 convolutions without padding and for FC), then per output channel
 * its nonzero weights times the inputs they select, walking the column deltas. */
#include "hb_sparse.h"

/* sum values[k] * x[column k] over one channel's `count` entries. */
static int32_t sparse_dot(const int8_t *x, const uint8_t *d, const int8_t *v, int32_t count)
{
    int32_t acc = 0;
    int32_t k;
    for (k = count >> 2; k > 0; --k) {   /* four entries per step */
        x += d[0];
        acc += (int32_t)v[0] * x[0];
        x += d[1];
        acc += (int32_t)v[1] * x[0];
        x += d[2];
        acc += (int32_t)v[2] * x[0];
        x += d[3];
        acc += (int32_t)v[3] * x[0];
        d += 4;
        v += 4;
    }
    for (k = count & 3; k > 0; --k) {
        x += *d++;
        acc += (int32_t)*v++ * x[0];
    }
    return acc;
}

void hb_sparse_s8(const hb_sparse_params *p, const int8_t *input, int8_t *scratch,
                  int8_t *output)
{
    const hb_sp_layer *l = &p->l;
    const hb_conv_geometry *g = &l->g;
    int32_t b, oy, ox, oc;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            for (ox = 0; ox < g->out_w; ++ox) {
                const int8_t *x = hb_sp_patch(l, input, scratch, b, oy, ox);
                const uint8_t *d = p->deltas;
                const int8_t *v = p->values;
                for (oc = 0; oc < g->out_c; ++oc) {
                    const int32_t count = p->counts[oc];
                    const int32_t acc = l->bias[oc] + sparse_dot(x, d, v, count);
                    *output++ = hb_sp_output(l, oc, acc);
                    d += count;
                    v += count;
                }
            }
        }
    }
}
