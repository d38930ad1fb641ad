/* FULLY_CONNECTED, int16x8 (LiteRT reference_integer_ops::FullyConnected and
 * FullyConnectedPerChannel with int16 input, the overloads taking the tensor scales):
 * int64 sum + int64 bias, then round((double)acc * effective_scale), the clamp. */
#include <math.h>
#include <stddef.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

void hb_fully_connected_s16(const hb_fc_s8_params *p, const int16_t *input,
                            const int8_t *weights, const int64_t *bias, int16_t *output)
{
    int32_t b, oc, d;
    for (b = 0; b < p->batches; ++b) {
        const int16_t *in = input + b * p->accum_depth;
        for (oc = 0; oc < p->out_depth; ++oc) {
            const int8_t *w = weights + oc * p->accum_depth;
            const double scale = p->effective_scale[p->per_channel ? oc : 0];
            int64_t acc = 0;
            double scaled;
            for (d = 0; d < p->accum_depth; ++d) {
                acc += ((int32_t)w[d] + p->filter_offset) * (int32_t)in[d];
            }
            if (bias != NULL) {
                acc += bias[oc];
            }
            /* Half away from zero in double; the bound keeps the conversion defined and is
             * invisible after the int16 clamp. */
            scaled = round((double)acc * scale);
            scaled = scaled > 1073741824.0 ? 1073741824.0 : scaled;
            scaled = scaled < -1073741824.0 ? -1073741824.0 : scaled;
            output[b * p->out_depth + oc] =
                (int16_t)hb_clamp_i32((int32_t)scaled, p->act_min, p->act_max);
        }
    }
}
