/* FULLY_CONNECTED: int8 (LiteRT reference_integer_ops::FullyConnected and
 * FullyConnectedPerChannel, the overloads taking the tensor scales) and float32
 * (reference_ops::FullyConnected). Weights are [out_depth, accum_depth]. */
#include <math.h>
#include <string.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

void hb_fully_connected_s8(const hb_fc_s8_params *p, const int8_t *input, const int8_t *weights,
                           const int32_t *bias, int8_t *output)
{
    int32_t b, oc, d;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in = input + b * p->accum_depth;
        for (oc = 0; oc < p->out_depth; ++oc) {
            const int8_t *w = weights + oc * p->accum_depth;
            const double scale = p->effective_scale[p->per_channel ? oc : 0];
            int32_t acc = 0;
            double scaled;
            for (d = 0; d < p->accum_depth; ++d) {
                acc += ((int32_t)w[d] + p->filter_offset) * ((int32_t)in[d] + p->input_offset);
            }
            if (bias != NULL) {
                acc += bias[oc];
            }
            /* Rounded half away from zero in double. Bounding it keeps the conversion and the
             * offset addition defined; the int8 clamp below makes the bound invisible. */
            scaled = round((double)acc * scale);
            scaled = scaled > 1073741824.0 ? 1073741824.0 : scaled;
            scaled = scaled < -1073741824.0 ? -1073741824.0 : scaled;
            acc = (int32_t)scaled + p->output_offset;
            output[b * p->out_depth + oc] = (int8_t)hb_clamp_i32(acc, p->act_min, p->act_max);
        }
    }
}

void hb_fully_connected_f32(const hb_fc_f32_params *p, const float *input, const float *weights,
                            const float *bias, float *output)
{
    int32_t b, oc, d;
    for (b = 0; b < p->batches; ++b) {
        const float *in = input + b * p->accum_depth;
        for (oc = 0; oc < p->out_depth; ++oc) {
            const float *w = weights + oc * p->accum_depth;
            float total = 0.0f;
            for (d = 0; d < p->accum_depth; ++d) {
                total += in[d] * w[d];
            }
            total += bias != NULL ? bias[oc] : 0.0f;
            output[b * p->out_depth + oc] = hb_clamp_f32(total, p->act_min, p->act_max);
        }
    }
}
