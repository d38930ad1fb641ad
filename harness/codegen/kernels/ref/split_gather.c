/* SPLIT / SPLIT_V (reference_ops::Split: consecutive slices along the axis, one per output)
 * and GATHER (reference_ops::Gather, batch_dims 0), any element size: bytes move, no
 * arithmetic. */
#include <string.h>

#include "hb_kernels.h"

void hb_split(const hb_concat_params *p, const void *input, void *const *outputs)
{
    const uint8_t *in = (const uint8_t *)input;
    const size_t es = (size_t)p->elem_size;
    int32_t o, k;
    for (o = 0; o < p->outer; ++o) {
        for (k = 0; k < p->count; ++k) {
            const size_t chunk = (size_t)p->chunk[k] * es;
            memcpy((uint8_t *)outputs[k] + (size_t)o * chunk, in, chunk);
            in += chunk;
        }
    }
}

void hb_gather(const hb_gather_params *p, const void *params, const void *indices, void *output)
{
    const uint8_t *table = (const uint8_t *)params;
    uint8_t *out = (uint8_t *)output;
    const size_t row = (size_t)p->inner * (size_t)p->elem_size;
    int32_t o, k;
    for (o = 0; o < p->outer; ++o) {
        for (k = 0; k < p->count; ++k) {
            const int64_t index = p->index_bytes == 8 ? ((const int64_t *)indices)[k]
                                                      : (int64_t)((const int32_t *)indices)[k];
            if (index < 0 || index >= p->axis_size) {
                /* LiteRT fails on such an index; the golden interpreter refuses the input. */
                memset(out, 0, row);
            } else {
                memcpy(out, table + ((size_t)o * (size_t)p->axis_size + (size_t)index) * row,
                       row);
            }
            out += row;
        }
    }
}
