/* hilbench portable reference kernels (C99): int8 and float32, TFLite reference semantics.
 *
 * Layouts follow TFLite: activations NHWC, CONV_2D filters OHWI, DEPTHWISE_CONV_2D filters
 * 1HW(C*M), FULLY_CONNECTED weights [out, in]. int8 kernels are bit-exact with TFLite's
 * reference kernels; their fixed-point constants (multipliers, shifts, offsets, activation
 * ranges) are computed by the generator (harness/lower.py), never here.
 * No kernel allocates memory, recurses or uses a variable-length array.
 */
#ifndef HB_KERNELS_H
#define HB_KERNELS_H

#include <stdint.h>

#include "hb_sequence.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Alignment of the arena and of the constant arrays. */
#if defined(__GNUC__) || defined(__clang__)
#define HB_ALIGNED(n) __attribute__((aligned(n)))
#else
#define HB_ALIGNED(n)
#endif

/* ---- convolutions (conv.c, depthwise_conv.c) ---- */

typedef struct {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t filter_h, filter_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_h, pad_w;           /* top and left padding */
    int32_t depth_multiplier;       /* depthwise only: out_c = in_c * depth_multiplier */
} hb_conv_geometry;

typedef struct {
    hb_conv_geometry g;
    int32_t input_offset;           /* -input zero point */
    int32_t output_offset;          /* output zero point */
    int32_t act_min, act_max;
    const int32_t *multiplier;      /* [out_c] */
    const int32_t *shift;           /* [out_c] */
} hb_conv_s8_params;

typedef struct {
    hb_conv_geometry g;
    float act_min, act_max;
} hb_conv_f32_params;

/* Hybrid conv (TFLite EvalHybrid): float activations, per-tensor symmetric int8 weights. */
typedef struct {
    hb_conv_geometry g;
    float weight_scale;
    float act_min, act_max;
} hb_conv_hybrid_params;

void hb_conv2d_s8(const hb_conv_s8_params *p, const int8_t *input, const int8_t *filter,
                  const int32_t *bias, int8_t *output);
void hb_conv2d_f32(const hb_conv_f32_params *p, const float *input, const float *filter,
                   const float *bias, float *output);
/* scratch: batches * in_h * in_w * in_c bytes for the quantized input. */
void hb_conv2d_hybrid(const hb_conv_hybrid_params *p, const float *input, const int8_t *filter,
                      const float *bias, int8_t *scratch, float *output);
void hb_depthwise_conv2d_s8(const hb_conv_s8_params *p, const int8_t *input,
                            const int8_t *filter, const int32_t *bias, int8_t *output);
void hb_depthwise_conv2d_f32(const hb_conv_f32_params *p, const float *input,
                             const float *filter, const float *bias, float *output);

/* ---- fully connected (fully_connected.c) ---- */

/* LiteRT's reference int8 FC requantizes in double precision, not with multiplier/shift:
 * out = round((double)acc * effective_scale) + output_offset, rounded half away from zero. */
typedef struct {
    int32_t batches, accum_depth, out_depth;
    int32_t input_offset, filter_offset, output_offset;
    int32_t per_channel;            /* 1: effective_scale holds out_depth values, 0: one */
    const double *effective_scale;  /* input_scale * filter_scale / output_scale */
    int32_t act_min, act_max;
} hb_fc_s8_params;

typedef struct {
    int32_t batches, accum_depth, out_depth;
    float act_min, act_max;
} hb_fc_f32_params;

void hb_fully_connected_s8(const hb_fc_s8_params *p, const int8_t *input, const int8_t *weights,
                           const int32_t *bias, int8_t *output);
void hb_fully_connected_f32(const hb_fc_f32_params *p, const float *input, const float *weights,
                            const float *bias, float *output);

/* ---- pooling (pooling.c) ---- */

typedef struct {
    int32_t batches;
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t filter_h, filter_w;
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;
} hb_pool_geometry;

typedef struct {
    hb_pool_geometry g;
    int32_t act_min, act_max;
} hb_pool_s8_params;

typedef struct {
    hb_pool_geometry g;
    float act_min, act_max;
} hb_pool_f32_params;

void hb_average_pool_s8(const hb_pool_s8_params *p, const int8_t *input, int8_t *output);
void hb_max_pool_s8(const hb_pool_s8_params *p, const int8_t *input, int8_t *output);
void hb_average_pool_f32(const hb_pool_f32_params *p, const float *input, float *output);
void hb_max_pool_f32(const hb_pool_f32_params *p, const float *input, float *output);

/* ---- elementwise add (add.c) ---- */

typedef struct {
    int32_t size;
    int32_t left_shift;
    int32_t input1_offset, input2_offset, output_offset;
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} hb_add_s8_params;

typedef struct {
    int32_t size;
    float act_min, act_max;
} hb_add_f32_params;

void hb_add_s8(const hb_add_s8_params *p, const int8_t *input1, const int8_t *input2,
               int8_t *output);
void hb_add_f32(const hb_add_f32_params *p, const float *input1, const float *input2,
                float *output);

/* ---- softmax over the last dimension (softmax.c) ---- */

typedef struct {
    int32_t rows, depth;
    int32_t input_multiplier, input_left_shift, diff_min;
} hb_softmax_s8_params;

typedef struct {
    int32_t rows, depth;
    float beta;
} hb_softmax_f32_params;

/* The int8 output has scale 1/256 and zero point -128. */
void hb_softmax_s8(const hb_softmax_s8_params *p, const int8_t *input, int8_t *output);
void hb_softmax_f32(const hb_softmax_f32_params *p, const float *input, float *output);

/* ---- type conversions (quantize.c) ---- */

typedef struct {
    int32_t size;
    float scale;
    int32_t zero_point;
} hb_affine_params;

typedef struct {
    int32_t size;
    int32_t input_offset, output_offset;
    int32_t multiplier, shift;
} hb_requantize_params;

void hb_quantize_f32_s8(const hb_affine_params *p, const float *input, int8_t *output);
void hb_requantize_s8(const hb_requantize_params *p, const int8_t *input, int8_t *output);
void hb_dequantize_s8_f32(const hb_affine_params *p, const int8_t *input, float *output);

/* ---- data movement, any element size (movement.c); shapes padded to 5D ---- */

typedef struct {
    int32_t elem_size;
    int32_t in_dims[5], before[5], out_dims[5];
} hb_pad_params;

/* out[i0..i4] = in[base + sum_k i_k * in_strides[k]]: TRANSPOSE (base 0, permuted strides)
 * and STRIDED_SLICE (base at the slice start, strides times steps, possibly negative). */
typedef struct {
    int32_t elem_size;
    int32_t out_dims[5];
    int32_t base;
    int32_t in_strides[5];
} hb_gather5_params;

#define HB_MAX_CONCAT 16
typedef struct {
    int32_t elem_size;
    int32_t outer;                  /* product of the dimensions before the axis */
    int32_t count;                  /* number of inputs */
    int32_t chunk[HB_MAX_CONCAT];   /* per input: elements from the axis on */
} hb_concat_params;

void hb_pad(const hb_pad_params *p, const void *input, const void *pad_value, void *output);
void hb_gather5(const hb_gather5_params *p, const void *input, void *output);
void hb_concat(const hb_concat_params *p, const void *const *inputs, void *output);

/* ---- broadcasting binary ops (elementwise.c); shapes padded to 5D ---- */

typedef struct {
    int32_t dims[5];                /* output shape */
    int32_t a_stride[5], b_stride[5];   /* 0 on broadcast axes */
} hb_broadcast5;

typedef struct {
    float act_min, act_max;
} hb_binary_f32_params;

typedef struct {
    int32_t input1_offset, input2_offset, output_offset;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} hb_mul_s8_params;

/* SUB int8 takes the ADD parameters with input2_multiplier negated (size unused). */
void hb_sub_s8(const hb_add_s8_params *p, const hb_broadcast5 *g, const int8_t *input1,
               const int8_t *input2, int8_t *output);
void hb_sub_f32(const hb_binary_f32_params *p, const hb_broadcast5 *g, const float *input1,
                const float *input2, float *output);
void hb_mul_s8(const hb_mul_s8_params *p, const hb_broadcast5 *g, const int8_t *input1,
               const int8_t *input2, int8_t *output);
void hb_mul_f32(const hb_binary_f32_params *p, const hb_broadcast5 *g, const float *input1,
                const float *input2, float *output);
void hb_maximum_s8(const hb_broadcast5 *g, const int8_t *input1, const int8_t *input2,
                   int8_t *output);
void hb_minimum_s8(const hb_broadcast5 *g, const int8_t *input1, const int8_t *input2,
                   int8_t *output);
void hb_maximum_f32(const hb_broadcast5 *g, const float *input1, const float *input2,
                    float *output);
void hb_minimum_f32(const hb_broadcast5 *g, const float *input1, const float *input2,
                    float *output);

/* ---- MEAN (reduce.c) ---- */

typedef struct {
    int32_t in_dims[5];
    int32_t out_stride[5];          /* 0 on reduced axes */
    int32_t out_size, count;
    int32_t input_zero_point, output_zero_point;   /* int8 only */
    int32_t multiplier, shift;                     /* int8 only */
} hb_mean_params;

/* acc: out_size accumulators of scratch (int32 / float). */
void hb_mean_s8(const hb_mean_params *p, const int8_t *input, int32_t *acc, int8_t *output);
void hb_mean_f32(const hb_mean_params *p, const float *input, float *acc, float *output);

/* ---- activations as ops (activations.c) ---- */

typedef struct {
    int32_t size;
    int32_t input_zero_point, output_offset;
    int32_t multiplier, shift;
    int32_t act_min, act_max;
} hb_relu_s8_params;

typedef struct {
    int32_t size;
    int32_t relu6;                  /* 1: clamp at 6 too */
} hb_relu_f32_params;

typedef struct {
    int32_t size;
    int32_t input_zero_point, output_offset;
    int32_t identity_multiplier, identity_shift;
    int32_t alpha_multiplier, alpha_shift;
} hb_leaky_relu_s8_params;

typedef struct {
    int32_t size;
    float alpha;
} hb_leaky_relu_f32_params;

void hb_relu_s8(const hb_relu_s8_params *p, const int8_t *input, int8_t *output);
void hb_relu_f32(const hb_relu_f32_params *p, const float *input, float *output);
void hb_leaky_relu_s8(const hb_leaky_relu_s8_params *p, const int8_t *input, int8_t *output);
void hb_leaky_relu_f32(const hb_leaky_relu_f32_params *p, const float *input, float *output);

/* LOGISTIC / TANH: int8 via a table of the outputs for inputs -128..127 (index x + 128). */
typedef struct {
    int32_t size;
    const int8_t *table;            /* [256] */
} hb_lut_s8_params;

void hb_lut_s8(const hb_lut_s8_params *p, const int8_t *input, int8_t *output);
void hb_logistic_f32(int32_t size, const float *input, float *output);
void hb_tanh_f32(int32_t size, const float *input, float *output);

/* HARD_SWISH int8: reference_ops::HardSwish's int16 fixed point. */
typedef struct {
    int32_t size;
    int32_t input_zero_point, output_zero_point;
    int16_t output_multiplier, reluish_multiplier;
    int32_t output_exponent, reluish_exponent;
} hb_hard_swish_s8_params;

void hb_hard_swish_s8(const hb_hard_swish_s8_params *p, const int8_t *input, int8_t *output);
void hb_hard_swish_f32(int32_t size, const float *input, float *output);

/* ---- transformer ops, float32 (elementwise.c, transformer.c) ---- */

/* ADD with broadcasting and SQUARED_DIFFERENCE ((a - b) * (a - b)). */
void hb_add_bcast_f32(const hb_binary_f32_params *p, const hb_broadcast5 *g, const float *input1,
                      const float *input2, float *output);
void hb_squared_difference_f32(const hb_broadcast5 *g, const float *input1, const float *input2,
                               float *output);

typedef struct {
    int32_t batch[3];                   /* output batch dims (padded to 3) */
    int32_t lhs_stride[3], rhs_stride[3];   /* per batch dim, 0 where broadcast */
    int32_t m, k, n;
    int32_t lhs_row, lhs_col;           /* strides of lhs element (i, kk) after adj_x */
    int32_t rhs_row, rhs_col;           /* strides of rhs element (kk, j) after adj_y */
} hb_batch_matmul_params;

void hb_batch_matmul_f32(const hb_batch_matmul_params *p, const float *lhs, const float *rhs,
                         float *output);
void hb_rsqrt_f32(int32_t size, const float *input, float *output);
void hb_gelu_f32(int32_t size, int32_t approximate, const float *input, float *output);

/* int8 / int16 BATCH_MATMUL (transformer.c) and int8 SQUARED_DIFFERENCE (elementwise.c), LiteRT's reference
 * integer steps; int8 RSQRT runs hb_lut_s8 on a table computed at generation time. */
typedef struct {
    hb_batch_matmul_params g;
    int32_t lhs_offset, rhs_offset, output_offset;
    int32_t multiplier, shift;
} hb_batch_matmul_s8_params;

void hb_batch_matmul_s8(const hb_batch_matmul_s8_params *p, const int8_t *lhs,
                        const int8_t *rhs, int8_t *output);
/* int16 RSQRT (activations_s16.c): LiteRT's interpolating lookup of a 513-entry table. */
void hb_rsqrt_s16(int32_t size, const int16_t *table, const int16_t *input, int16_t *output);
/* int16 BATCH_MATMUL (zero points 0): int64 sums, hb_mbqm64; the same parameters. */
void hb_batch_matmul_s16(const hb_batch_matmul_s8_params *p, const int16_t *lhs,
                         const int16_t *rhs, int16_t *output);
/* SQUARED_DIFFERENCE int8 takes ADD's parameters (left_shift 7; size unused). */
void hb_squared_difference_s8(const hb_add_s8_params *p, const hb_broadcast5 *g,
                              const int8_t *input1, const int8_t *input2, int8_t *output);

/* ---- int16x8 (int16 activations, zero point 0; int8 weights; int64 biases) ----
 * The int8 parameter structs carry the int16 layers' constants (offsets are 0, the clamps
 * int16). conv_s16.c, fully_connected_s16.c, activations_s16.c; the others sit beside their
 * int8 forms in pooling.c, add.c, elementwise.c (SUB, MUL: broadcasting) and quantize.c. */

void hb_conv2d_s16(const hb_conv_s8_params *p, const int16_t *input, const int8_t *filter,
                   const int64_t *bias, int16_t *output);
void hb_depthwise_conv2d_s16(const hb_conv_s8_params *p, const int16_t *input,
                             const int8_t *filter, const int64_t *bias, int16_t *output);
void hb_fully_connected_s16(const hb_fc_s8_params *p, const int16_t *input,
                            const int8_t *weights, const int64_t *bias, int16_t *output);
void hb_average_pool_s16(const hb_pool_s8_params *p, const int16_t *input, int16_t *output);
void hb_max_pool_s16(const hb_pool_s8_params *p, const int16_t *input, int16_t *output);
void hb_add_s16(const hb_add_s8_params *p, const int16_t *input1, const int16_t *input2,
                int16_t *output);

/* ADD / SUB with pot_scale_int16: power-of-two scales, one input shifted right (shift < 0). */
typedef struct {
    int32_t size;
    int32_t input1_shift, input2_shift;   /* <= 0, at least one of them 0 */
    int32_t subtract;                     /* 1: SUB */
    int32_t act_min, act_max;
} hb_add_pot_s16_params;

void hb_add_pot_s16(const hb_add_pot_s16_params *p, const int16_t *input1,
                    const int16_t *input2, int16_t *output);
void hb_sub_s16(const hb_add_s8_params *p, const hb_broadcast5 *g, const int16_t *input1,
                const int16_t *input2, int16_t *output);
void hb_mul_s16(const hb_mul_s8_params *p, const hb_broadcast5 *g, const int16_t *input1,
                const int16_t *input2, int16_t *output);
/* LOGISTIC, TANH, SOFTMAX (activations_s16.c); the tables come with the model. */
typedef struct {
    int32_t size;
    int32_t input_multiplier, input_left_shift;   /* multiplier 0: power-of-two input scale */
} hb_lut_s16_params;

typedef struct {
    int32_t rows, depth;
    int32_t input_multiplier, input_shift;  /* QuantizeMultiplier(scale * beta / (10/65535)) */
} hb_softmax_s16_params;

void hb_logistic_s16(const hb_lut_s16_params *p, const uint16_t *table, const int16_t *input,
                     int16_t *output);
void hb_tanh_s16(const hb_lut_s16_params *p, const uint16_t *table, const int16_t *input,
                 int16_t *output);
void hb_softmax_s16(const hb_softmax_s16_params *p, const int16_t *exp_lut,
                    const int16_t *recip_lut, const int16_t *input, int16_t *output);
void hb_quantize_f32_s16(const hb_affine_params *p, const float *input, int16_t *output);
void hb_dequantize_s16_f32(const hb_affine_params *p, const int16_t *input, float *output);
void hb_requantize_s8_s16(const hb_requantize_params *p, const int8_t *input, int16_t *output);
void hb_requantize_s16_s8(const hb_requantize_params *p, const int16_t *input, int8_t *output);
void hb_requantize_s16_s16(const hb_requantize_params *p, const int16_t *input,
                           int16_t *output);

/* ---- Issue 13: SPLIT, GATHER, CAST, TRANSPOSE_CONV, hybrid FULLY_CONNECTED, broadcasting
 * int8 ADD (split_gather.c, cast.c, transpose_conv.c, fc_hybrid.c, elementwise.c) ---- */

/* SPLIT / SPLIT_V reuse hb_concat_params: count outputs, chunk[k] elements from the axis on. */
void hb_split(const hb_concat_params *p, const void *input, void *const *outputs);

typedef struct {
    int32_t elem_size;
    int32_t outer;       /* product of the params dimensions before the axis */
    int32_t axis_size;
    int32_t inner;       /* elements after the axis */
    int32_t count;       /* number of indices */
    int32_t index_bytes; /* 4: int32 indices, 8: int64 */
} hb_gather_params;

void hb_gather(const hb_gather_params *p, const void *params, const void *indices, void *output);

#define HB_TYPE_INT8 0
#define HB_TYPE_INT32 1
#define HB_TYPE_INT64 2
#define HB_TYPE_FLOAT32 3
typedef struct {
    int32_t size;
    int32_t from;        /* HB_TYPE_* */
    int32_t to;
} hb_cast_params;

void hb_cast(const hb_cast_params *p, const void *input, void *output);

typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
    int32_t filter_h, filter_w, stride_h, stride_w, pad_h, pad_w;
} hb_tconv_geometry;

typedef struct {
    hb_tconv_geometry g;
    int32_t input_offset;
    int32_t output_offset;
    int32_t act_min;
    int32_t act_max;
    const int32_t *multiplier;   /* per output channel */
    const int32_t *shift;
} hb_tconv_s8_params;

typedef struct {
    hb_tconv_geometry g;
    float act_min;
    float act_max;
} hb_tconv_f32_params;

void hb_transpose_conv_s8(const hb_tconv_s8_params *p, const int8_t *input, const int8_t *filter,
                          const int32_t *bias, int32_t *scratch, int8_t *output);
void hb_transpose_conv_f32(const hb_tconv_f32_params *p, const float *input, const float *filter,
                           const float *bias, float *output);

typedef struct {
    int32_t batches;
    int32_t accum_depth;
    int32_t out_depth;
    int32_t per_channel;         /* weight_scale has out_depth entries, else one */
    int32_t asymmetric;          /* asymmetric_quantize_inputs */
    const float *weight_scale;
    float act_min;
    float act_max;
} hb_fc_hybrid_params;

/* scratch: accum_depth bytes (one quantized input row). */
void hb_fully_connected_hybrid(const hb_fc_hybrid_params *p, const float *input,
                               const int8_t *filter, const float *bias, int8_t *scratch,
                               float *output);

/* ADD int8 and int16 with broadcasting (BroadcastAdd6DSlow arithmetic). */
void hb_add_bcast_s8(const hb_add_s8_params *p, const hb_broadcast5 *g, const int8_t *input1,
                     const int8_t *input2, int8_t *output);
void hb_add_bcast_s16(const hb_add_s8_params *p, const hb_broadcast5 *g, const int16_t *input1,
                      const int16_t *input2, int16_t *output);

#ifdef __cplusplus
}
#endif

#endif /* HB_KERNELS_H */
