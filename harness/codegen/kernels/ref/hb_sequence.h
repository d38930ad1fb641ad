/* hilbench reference kernels of the stateful sequence ops (sequence.c): SVDF (int8, float32)
 * and UNIDIRECTIONAL_SEQUENCE_LSTM (float32; int8 in lstm_s8.c), with LiteRT's reference semantics.
 *
 * The state (SVDF's activation state, the LSTM's output and cell state) lives in the arena;
 * the generated code resets it right before the op (int8 to its zero point, else 0), so every
 * inference starts from a fresh state, and the kernel updates it in place. Included by
 * hb_kernels.h.
 */
#ifndef HB_SEQUENCE_H
#define HB_SEQUENCE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Activation codes (TFLite's ActivationFunctionType). */
#define HB_ACT_NONE 0
#define HB_ACT_RELU 1
#define HB_ACT_RELU_N1_TO_1 2
#define HB_ACT_RELU6 3
#define HB_ACT_TANH 4

typedef struct {
    int32_t batches, n_input, n_filter, n_memory, rank;
    int32_t activation;                 /* HB_ACT_* (float32 only) */
} hb_svdf_geometry;

typedef struct {
    hb_svdf_geometry g;
    int32_t input_offset, output_offset;        /* -input zero point, output zero point */
    int32_t feature_multiplier, feature_shift;  /* feature dot product -> int16 state */
    int32_t time_multiplier, time_shift;        /* time dot product -> int8 output */
} hb_svdf_s8_params;

/* state: [batches][n_filter][n_memory]; weights_time int16 for int8, bias may be NULL. */
void hb_svdf_f32(const hb_svdf_geometry *p, const float *input, const float *weights_feature,
                 const float *weights_time, const float *bias, float *state, float *output);
void hb_svdf_s8(const hb_svdf_s8_params *p, const int8_t *input, const int8_t *weights_feature,
                const int16_t *weights_time, const int32_t *bias, int16_t *state,
                int8_t *output);

typedef struct {
    int32_t batches, steps, n_input, n_cell, n_output;
    int32_t activation;                 /* HB_ACT_*: the cell gate's and the output's */
    float cell_clip, proj_clip;         /* 0: no clipping */
    /* per gate (input, forget, cell, output); the input gate's are NULL in a CIFG LSTM */
    const float *input_weights[4];      /* [n_cell][n_input] */
    const float *recurrent_weights[4];  /* [n_cell][n_output] */
    const float *bias[4];               /* [n_cell] */
    const float *peephole[4];           /* [n_cell] or NULL (never for the cell gate) */
    const float *projection;            /* [n_output][n_cell] or NULL */
    const float *projection_bias;       /* [n_output] or NULL */
} hb_lstm_f32_params;

/* input [batches][steps][n_input] -> output [batches][steps][n_output]; scratch holds
 * 5 * batches * n_cell floats. */
void hb_lstm_f32(const hb_lstm_f32_params *p, const float *input, float *output_state,
                 float *cell_state, float *scratch, float *output);

/* The int8 8x8_16 LSTM (lstm_s8.c; constants from harness/lower_lstm8.py). Per gate (input,
 * forget, cell, output): int8 weights, zero-point-folded int32 biases and (multiplier, shift)
 * of W x and R h; int16 peephole and layer-norm weights or NULL. */
typedef struct {
    int32_t batches, steps, n_input, n_cell, n_output, cifg;
    int32_t cell_scale, cell_clip, proj_clip, hidden_zp, output_zp;
    const int8_t *input_weights[4], *recurrent_weights[4];
    const int32_t *input_bias[4], *recurrent_bias[4];
    int32_t input_mult[4], input_shift[4], recurrent_mult[4], recurrent_shift[4];
    const int16_t *peephole[4];
    int32_t peephole_mult[4], peephole_shift[4];
    const int16_t *layer_norm[4];
    const int32_t *layer_norm_bias[4];
    int32_t ln_mult[4], ln_shift[4], variance_guard[4];
    int32_t hidden_mult, hidden_shift, proj_mult, proj_shift;
    const int8_t *projection;
    const int32_t *projection_bias;
} hb_lstm_s8_params;

/* input [batches][steps][n_input] -> output [batches][steps][n_output]; scratch holds
 * 5 * n_cell int16 and n_cell int8. */
void hb_lstm_s8(const hb_lstm_s8_params *p, const int8_t *input, int8_t *output_state,
                int16_t *cell_state, void *scratch, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* HB_SEQUENCE_H */
