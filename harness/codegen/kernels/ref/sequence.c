/* SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM as LiteRT's reference kernels compute them
 * (reference_ops::EvalFloatSVDF / EvalIntegerSVDF, lstm_eval.cc LstmStepFloat): the float
 * sums run in the same order (hb_dot_acc), the int8 rescales use the same fixed point
 * (hb_fixedpoint.h). LiteRT's float LSTM takes sigmoid and tanh from Eigen's vectorised
 * approximations; these kernels use expf/tanhf (within the float tolerance).
 * See harness/golden_ops/sequence.py for the formulas. */
#include <math.h>
#include <string.h>

#include "hb_fixedpoint.h"
#include "hb_kernels.h"

static float hb_activate(float v, int32_t activation)
{
    switch (activation) {
    case HB_ACT_RELU:
        return v < 0.0f ? 0.0f : v;
    case HB_ACT_RELU_N1_TO_1:
        return v < -1.0f ? -1.0f : (v > 1.0f ? 1.0f : v);
    case HB_ACT_RELU6:
        return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);
    case HB_ACT_TANH:
        return tanhf(v);
    default:
        return v;
    }
}

/* result + w . v for one row w of `cols` weights, in the order of LiteRT's vectorised kernels
 * (NeonMatrixBatchVectorMultiplyAccumulate / NeonVectorVectorDotProduct, which its x86 and Arm
 * builds run): four lane sums over the columns below the last multiple of 4, added lane 0 to 3
 * and then to result; each remaining column's product is added to result. */
static float hb_dot_acc(float result, const float *w, const float *v, int32_t cols)
{
    const int32_t body = cols - cols % 4;
    float lane[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    int32_t c;
    for (c = 0; c < body; ++c) {
        lane[c % 4] += w[c] * v[c];
    }
    result += ((lane[0] + lane[1]) + lane[2]) + lane[3];
    for (c = body; c < cols; ++c) {
        result += w[c] * v[c];
    }
    return result;
}

/* Shift every filter's memory one step left: the oldest value drops out (LiteRT shifts the
 * whole state buffer by one element; the newest column is overwritten next). */
static void hb_shift_state(void *state, int32_t count, int32_t element_bytes)
{
    memmove(state, (uint8_t *)state + element_bytes, (size_t)(count - 1) * (size_t)element_bytes);
}

void hb_svdf_f32(const hb_svdf_geometry *p, const float *input, const float *weights_feature,
                 const float *weights_time, const float *bias, float *state, float *output)
{
    const int32_t n_unit = p->n_filter / p->rank;
    int32_t b, f, u, r;
    hb_shift_state(state, p->batches * p->n_filter * p->n_memory, (int32_t)sizeof(float));
    for (b = 0; b < p->batches; ++b) {
        const float *x = input + b * p->n_input;
        float *s = state + b * p->n_filter * p->n_memory;
        for (f = 0; f < p->n_filter; ++f) {
            s[f * p->n_memory + p->n_memory - 1] =
                hb_dot_acc(0.0f, weights_feature + f * p->n_input, x, p->n_input);
        }
        for (u = 0; u < n_unit; ++u) {
            float total = 0.0f;
            for (r = 0; r < p->rank; ++r) {
                const int32_t filter = u * p->rank + r;
                total += hb_dot_acc(0.0f, weights_time + filter * p->n_memory,
                                    s + filter * p->n_memory, p->n_memory);
            }
            if (bias != NULL) {
                total += bias[u];
            }
            output[b * n_unit + u] = hb_activate(total, p->activation);
        }
    }
}

void hb_svdf_s8(const hb_svdf_s8_params *p, const int8_t *input, const int8_t *weights_feature,
                const int16_t *weights_time, const int32_t *bias, int16_t *state,
                int8_t *output)
{
    const hb_svdf_geometry *g = &p->g;
    const int32_t n_unit = g->n_filter / g->rank;
    int32_t b, f, c, m, u, r;
    hb_shift_state(state, g->batches * g->n_filter * g->n_memory, (int32_t)sizeof(int16_t));
    for (b = 0; b < g->batches; ++b) {
        const int8_t *x = input + b * g->n_input;
        int16_t *s = state + b * g->n_filter * g->n_memory;
        for (f = 0; f < g->n_filter; ++f) {
            int32_t dot = 0;
            for (c = 0; c < g->n_input; ++c) {
                dot += weights_feature[f * g->n_input + c] * (x[c] + p->input_offset);
            }
            dot = hb_mbqm(dot, p->feature_multiplier, p->feature_shift);
            dot = dot < -32768 ? -32768 : (dot > 32767 ? 32767 : dot);
            s[f * g->n_memory + g->n_memory - 1] = (int16_t)dot;
        }
        for (u = 0; u < n_unit; ++u) {
            int32_t total = 0;
            for (r = 0; r < g->rank; ++r) {
                const int32_t filter = u * g->rank + r;
                for (m = 0; m < g->n_memory; ++m) {
                    total += weights_time[filter * g->n_memory + m] *
                             s[filter * g->n_memory + m];
                }
            }
            if (bias != NULL) {
                total += bias[u];
            }
            total = hb_mbqm(total, p->time_multiplier, p->time_shift) + p->output_offset;
            output[b * n_unit + u] = (int8_t)(total < -128 ? -128 : (total > 127 ? 127 : total));
        }
    }
}

/* gate = bias + W x + R h (+ peephole * c), the products summed as hb_dot_acc does, then
 * the gate's activation (sigmoid when activation < 0). */
static void hb_lstm_gate(const hb_lstm_f32_params *p, int32_t k, const float *x, const float *h,
                         const float *c, int32_t activation, float *gate)
{
    int32_t i;
    for (i = 0; i < p->n_cell; ++i) {
        float v = hb_dot_acc(p->bias[k][i], p->input_weights[k] + i * p->n_input, x, p->n_input);
        v = hb_dot_acc(v, p->recurrent_weights[k] + i * p->n_output, h, p->n_output);
        if (p->peephole[k] != NULL) {
            v += p->peephole[k][i] * c[i];
        }
        gate[i] = activation < 0 ? 1.0f / (1.0f + expf(-v)) : hb_activate(v, activation);
    }
}

void hb_lstm_f32(const hb_lstm_f32_params *p, const float *input, float *output_state,
                 float *cell_state, float *scratch, float *output)
{
    const int32_t nc = p->n_cell;
    int32_t b, t, i;
    for (b = 0; b < p->batches; ++b) {
        float *h = output_state + b * p->n_output;
        float *c = cell_state + b * nc;
        float *in_gate = scratch, *forget = scratch + nc, *cell = scratch + 2 * nc;
        float *out_gate = scratch + 3 * nc, *hidden = scratch + 4 * nc;
        for (t = 0; t < p->steps; ++t) {
            const float *x = input + (b * p->steps + t) * p->n_input;
            if (p->input_weights[0] != NULL) {
                hb_lstm_gate(p, 0, x, h, c, -1, in_gate);
            }
            hb_lstm_gate(p, 1, x, h, c, -1, forget);
            hb_lstm_gate(p, 2, x, h, c, p->activation, cell);
            for (i = 0; i < nc; ++i) {
                const float input_gate = p->input_weights[0] != NULL ? in_gate[i]
                                                                     : 1.0f - forget[i];
                float v = forget[i] * c[i];
                v += cell[i] * input_gate;
                if (p->cell_clip > 0.0f) {
                    v = v < -p->cell_clip ? -p->cell_clip : (v > p->cell_clip ? p->cell_clip : v);
                }
                c[i] = v;
            }
            hb_lstm_gate(p, 3, x, h, c, -1, out_gate);
            for (i = 0; i < nc; ++i) {
                hidden[i] = out_gate[i] * hb_activate(c[i], p->activation);
            }
            if (p->projection != NULL) {
                for (i = 0; i < p->n_output; ++i) {
                    float v = hb_dot_acc(p->projection_bias != NULL ? p->projection_bias[i] : 0.0f,
                                         p->projection + i * nc, hidden, nc);
                    if (p->proj_clip > 0.0f) {
                        v = v < -p->proj_clip ? -p->proj_clip
                                              : (v > p->proj_clip ? p->proj_clip : v);
                    }
                    h[i] = v;
                }
            } else {
                memcpy(h, hidden, (size_t)nc * sizeof(float));
            }
            memcpy(output + (b * p->steps + t) * p->n_output, h,
                   (size_t)p->n_output * sizeof(float));
        }
    }
}
