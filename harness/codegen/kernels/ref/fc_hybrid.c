/* Hybrid (dynamic-range) FULLY_CONNECTED: float32 input, int8 weights, float32 output, as
 * LiteRT's EvalHybridDense: each input row is quantized on the fly (symmetric, or
 * asymmetric with a zero point: AsymmetricQuantizeFloats), an int32 dot product with the
 * weights, then bias + (float)dot * row scale * weight scale. harness/golden_ops/fc_hybrid.py
 * states the arithmetic. */
#include <math.h>
#include <stddef.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

/* SymmetricQuantizeFloats: returns the scaling factor. */
static float quantize_symmetric(const float *x, int32_t n, int8_t *q)
{
    float lo = x[0], hi = x[0], range;
    int32_t i;
    for (i = 1; i < n; ++i) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    range = fabsf(lo) > fabsf(hi) ? fabsf(lo) : fabsf(hi);
    if (range == 0.0f) {
        for (i = 0; i < n; ++i) {
            q[i] = 0;
        }
        return 1.0f;
    }
    for (i = 0; i < n; ++i) {
        const int32_t v = (int32_t)roundf(x[i] * (127.0f / range));
        q[i] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
    }
    return range / 127.0f;
}

/* AsymmetricQuantizeFloats: returns the scaling factor, sets the zero point. */
static float quantize_asymmetric(const float *x, int32_t n, int8_t *q, int32_t *offset)
{
    float lo = 0.0f, hi = 0.0f, scaling, inverse;
    double rmin, rmax, scale, zero_point;
    int32_t i;
    for (i = 0; i < n; ++i) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    rmin = (double)lo;
    rmax = (double)hi;
    if (rmin == rmax) {
        for (i = 0; i < n; ++i) {
            q[i] = 0;
        }
        *offset = 0;
        return 1.0f;
    }
    scaling = (float)(rmax - rmin) / 255.0f;
    scale = (double)scaling;
    if (128.0 + fabs(rmin / scale) < 127.0 + fabs(rmax / scale)) {
        zero_point = -128.0 - rmin / scale;
    } else {
        zero_point = 127.0 - rmax / scale;
    }
    *offset = zero_point <= -128.0 ? -128 : zero_point >= 127.0 ? 127 : (int32_t)round(zero_point);
    inverse = 1.0f / scaling;
    for (i = 0; i < n; ++i) {
        const int32_t v = (int32_t)roundf((float)*offset + x[i] * inverse);
        q[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
    return scaling;
}

void hb_fully_connected_hybrid(const hb_fc_hybrid_params *p, const float *input,
                               const int8_t *filter, const float *bias, int8_t *scratch,
                               float *output)
{
    int32_t b, o, d;
    for (b = 0; b < p->batches; ++b) {
        const float *x = input + b * p->accum_depth;
        int32_t offset = 0;
        const float scaling = p->asymmetric ? quantize_asymmetric(x, p->accum_depth, scratch, &offset)
                                            : quantize_symmetric(x, p->accum_depth, scratch);
        const float row_scale = scaling * p->weight_scale[0];
        for (o = 0; o < p->out_depth; ++o) {
            const int8_t *w = filter + o * p->accum_depth;
            const float scale = p->per_channel ? scaling * p->weight_scale[o] : row_scale;
            int32_t dot = 0, row_sum = 0;
            float value;
            for (d = 0; d < p->accum_depth; ++d) {
                dot += (int32_t)w[d] * scratch[d];
                row_sum += w[d];
            }
            dot -= row_sum * offset;
            value = (bias != NULL ? bias[o] : 0.0f) + (float)dot * scale;
            output[b * p->out_depth + o] = hb_clamp_f32(value, p->act_min, p->act_max);
        }
    }
}
