/* CAST (LiteRT's cast.cc) between int8, int32, int64 and float32: integers wrap to narrower
 * integers, floats truncate toward zero and saturate at the target's range (NaN: the
 * maximum), integers round to the nearest float. */
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

/* Float to integer: truncated, saturated to the target type's range, NaN to its maximum. */
static int64_t saturate(float value, int32_t type)
{
    const float bound = type == HB_TYPE_INT8    ? 128.0f
                        : type == HB_TYPE_INT32 ? 2147483648.0f
                                                : 9223372036854775808.0f;
    const int64_t high = type == HB_TYPE_INT8    ? INT64_C(127)
                         : type == HB_TYPE_INT32 ? INT64_C(2147483647)
                                                 : INT64_C(9223372036854775807);
    if (value != value || value >= bound) {
        return high;
    }
    if (value < -bound) {
        return -high - 1;
    }
    return (int64_t)value;
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
                store_int(output, p->to, i, saturate(value, p->to));
            }
        } else if (p->to == HB_TYPE_FLOAT32) {
            ((float *)output)[i] = (float)load_int(input, p->from, i);
        } else {
            store_int(output, p->to, i, load_int(input, p->from, i));
        }
    }
}
