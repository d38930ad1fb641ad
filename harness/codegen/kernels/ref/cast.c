/* CAST (cast.cc: static_cast per element) between int8, int32, int64 and float32: integers
 * wrap to narrower integers, floats truncate toward zero (through int64), integers round to
 * the nearest float. */
#include "hb_kernels.h"

static int64_t load_int(const void *data, int32_t type, int32_t i)
{
    if (type == HB_TYPE_INT8) {
        return ((const int8_t *)data)[i];
    }
    if (type == HB_TYPE_INT32) {
        return ((const int32_t *)data)[i];
    }
    return ((const int64_t *)data)[i];
}

static void store_int(void *data, int32_t type, int32_t i, int64_t value)
{
    if (type == HB_TYPE_INT8) {
        ((int8_t *)data)[i] = (int8_t)value;
    } else if (type == HB_TYPE_INT32) {
        ((int32_t *)data)[i] = (int32_t)value;
    } else {
        ((int64_t *)data)[i] = value;
    }
}

void hb_cast(const hb_cast_params *p, const void *input, void *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        if (p->from == HB_TYPE_FLOAT32) {
            const float value = ((const float *)input)[i];
            if (p->to == HB_TYPE_FLOAT32) {
                ((float *)output)[i] = value;
            } else {
                store_int(output, p->to, i, (int64_t)value);
            }
        } else if (p->to == HB_TYPE_FLOAT32) {
            ((float *)output)[i] = (float)load_int(input, p->from, i);
        } else {
            store_int(output, p->to, i, load_int(input, p->from, i));
        }
    }
}
