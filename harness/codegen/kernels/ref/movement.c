/* Data movement for any element size (int8 and float32 alike): PAD / PADV2, TRANSPOSE and
 * STRIDED_SLICE (one strided gather), CONCATENATION (reference_ops::Pad, Transpose,
 * StridedSlice, Concatenation). Shapes are padded on the left to 5 dimensions. */
#include <string.h>

#include "hb_kernels.h"

void hb_pad(const hb_pad_params *p, const void *input, const void *pad_value, void *output)
{
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    const int32_t es = p->elem_size;
    int32_t i[5];
    for (i[0] = 0; i[0] < p->out_dims[0]; ++i[0])
    for (i[1] = 0; i[1] < p->out_dims[1]; ++i[1])
    for (i[2] = 0; i[2] < p->out_dims[2]; ++i[2])
    for (i[3] = 0; i[3] < p->out_dims[3]; ++i[3])
    for (i[4] = 0; i[4] < p->out_dims[4]; ++i[4]) {
        int32_t k, inside = 1, src = 0;
        for (k = 0; k < 5; ++k) {
            const int32_t j = i[k] - p->before[k];
            if (j < 0 || j >= p->in_dims[k]) {
                inside = 0;
                break;
            }
            src = src * p->in_dims[k] + j;
        }
        memcpy(out, inside ? in + (size_t)src * (size_t)es : (const uint8_t *)pad_value,
               (size_t)es);
        out += es;
    }
}

void hb_gather5(const hb_gather5_params *p, const void *input, void *output)
{
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    const int32_t es = p->elem_size;
    int32_t i[5];
    for (i[0] = 0; i[0] < p->out_dims[0]; ++i[0])
    for (i[1] = 0; i[1] < p->out_dims[1]; ++i[1])
    for (i[2] = 0; i[2] < p->out_dims[2]; ++i[2])
    for (i[3] = 0; i[3] < p->out_dims[3]; ++i[3])
    for (i[4] = 0; i[4] < p->out_dims[4]; ++i[4]) {
        const int32_t src = p->base + i[0] * p->in_strides[0] + i[1] * p->in_strides[1] +
                            i[2] * p->in_strides[2] + i[3] * p->in_strides[3] +
                            i[4] * p->in_strides[4];
        memcpy(out, in + (size_t)src * (size_t)es, (size_t)es);
        out += es;
    }
}

void hb_concat(const hb_concat_params *p, const void *const *inputs, void *output)
{
    uint8_t *out = (uint8_t *)output;
    const size_t es = (size_t)p->elem_size;
    int32_t o, k;
    for (o = 0; o < p->outer; ++o) {
        for (k = 0; k < p->count; ++k) {
            const size_t chunk = (size_t)p->chunk[k] * es;
            memcpy(out, (const uint8_t *)inputs[k] + (size_t)o * chunk, chunk);
            out += chunk;
        }
    }
}
