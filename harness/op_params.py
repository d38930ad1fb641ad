"""The parameters each op is lowered to (harness.lower derives them): plain frozen
dataclasses shared by the golden interpreter and the C code generator."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ConvParams", "FullyConnectedParams", "PoolParams", "AddParams", "SoftmaxParams",
    "QuantizeParams", "DequantizeParams", "ReshapeParams", "PadParams", "ConcatParams",
    "TransposeParams", "MeanParams", "MulParams", "ReluParams", "LeakyReluParams",
    "MinMaxParams", "LutParams", "StridedSliceParams", "HardSwishParams",
    "strided_slice_axes", "downscale_int16", "OpParams",
    "BatchMatMulParams", "GeluParams", "FloatMathParams", "SvdfParams", "LstmParams",
    "LstmInt8Params",
    "SplitParams", "GatherParams", "CastParams", "TransposeConvParams",
    "Int16LutParams", "AddPotParams", "BatchMatMulIntParams", "RsqrtLutParams",
    "RsqrtS16Params",
]


@dataclass(frozen=True)
class ConvParams:
    """CONV_2D and DEPTHWISE_CONV_2D (int8: per-channel requantization; float: clamp only)."""

    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad: tuple[int, int]            # top, left
    depth_multiplier: int
    input_offset: int
    output_offset: int
    multiplier: np.ndarray          # int32 [out_channels]; empty for float
    shift: np.ndarray               # int32 [out_channels]; empty for float
    act_min: float                  # int for int8 ops
    act_max: float
    hybrid_weight_scale: float = 0.0  # hybrid conv: per-tensor int8 weight scale


@dataclass(frozen=True)
class FullyConnectedParams:
    """FULLY_CONNECTED. int8 requantization, as LiteRT's reference kernel does it (verified
    bit-exact against ai-edge-litert 2.3.0 BUILTIN_REF):
        out = clamp((int32)round((double)acc * effective_scale[o]) + output_offset)
    with C round() (ties away from zero) and effective_scale = (double)input_scale *
    (double)filter_scale / (double)output_scale. The reference FC does NOT use
    multiplier/shift; those are what TFLite's optimized kernels (and CMSIS-NN) use, kept for
    targets that follow them."""

    input_offset: int
    filter_offset: int
    output_offset: int
    multiplier: np.ndarray          # int32 [1] per tensor or [out_features] per channel
    shift: np.ndarray
    act_min: float
    act_max: float
    # float64 [1] per tensor or [out_features] per channel; empty for float FC.
    effective_scale: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    # hybrid FC (float32 input, int8 weights): the float32 weight scales, [1] or per channel.
    hybrid_weight_scales: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    asymmetric_inputs: bool = False


@dataclass(frozen=True)
class PoolParams:
    filter: tuple[int, int]
    stride: tuple[int, int]
    pad: tuple[int, int]
    act_min: float
    act_max: float


@dataclass(frozen=True)
class AddParams:
    """int8 ADD as TFLite's reference: both inputs rescaled to a common 2^-20 grid."""

    left_shift: int
    input1_offset: int
    input2_offset: int
    output_offset: int
    input1_multiplier: int
    input1_shift: int
    input2_multiplier: int
    input2_shift: int
    output_multiplier: int
    output_shift: int
    act_min: float
    act_max: float


@dataclass(frozen=True)
class SoftmaxParams:
    """int8 SOFTMAX as TFLite's reference (gemmlowp fixed point); beta for float."""

    beta: float
    input_multiplier: int
    input_left_shift: int
    diff_min: int


@dataclass(frozen=True)
class QuantizeParams:
    """float32 -> int8 (scale, zero_point) or int8 -> int8 (multiplier, shift, offsets)."""

    scale: float
    zero_point: int
    input_offset: int
    multiplier: int
    shift: int


@dataclass(frozen=True)
class DequantizeParams:
    scale: float
    zero_point: int


@dataclass(frozen=True)
class ReshapeParams:
    shape: tuple[int, ...]


@dataclass(frozen=True)
class PadParams:
    """PAD / PADV2: (before, after) per model axis; the value padded cells get (the raw int8
    value: the output zero point for PAD, the constant for PADV2)."""

    pads: tuple[tuple[int, int], ...]
    value: float


@dataclass(frozen=True)
class ConcatParams:
    axis: int                       # non-negative model axis


@dataclass(frozen=True)
class TransposeParams:
    perm: tuple[int, ...]


@dataclass(frozen=True)
class MeanParams:
    """MEAN. float: float32 sum in input order / count. int8, as LiteRT's reference kernel
    (verified bit-exact against ai-edge-litert 2.3.0 BUILTIN_REF for every axis set):
    (m, s) = QuantizeMultiplier(in_scale / out_scale); k = min(63 - clz64(count), 32, 31 + s);
    multiplier = (m << k) / count (int64, truncating); shift = s - k;
    out = clamp(MBQM(sum(x) - count * in_zp, multiplier, shift) + out_zp)."""

    axes: tuple[int, ...]
    keep_dims: bool
    count: int
    input_zero_point: int = 0
    output_zero_point: int = 0
    multiplier: int = 0
    shift: int = 0


@dataclass(frozen=True)
class MulParams:
    """MUL (reference_integer_ops::Mul): out = output_offset + MBQM((a + off1) * (b + off2))."""

    input1_offset: int
    input2_offset: int
    output_offset: int
    output_multiplier: int
    output_shift: int
    act_min: float
    act_max: float


@dataclass(frozen=True)
class ReluParams:
    """RELU / RELU6 as ops (activations.cc QuantizedReluX / ReluX): int8 requantizes
    out = output_offset + MBQM(x - input_zero_point), then clamps to [act_min, act_max]."""

    input_zero_point: int
    output_offset: int
    multiplier: int
    shift: int
    act_min: float
    act_max: float


@dataclass(frozen=True)
class LeakyReluParams:
    """LEAKY_RELU (reference_ops::QuantizeLeakyRelu): identity rescale for x >= zp, alpha
    rescale below; float: x > 0 ? x : x * alpha."""

    alpha: float
    input_zero_point: int
    output_offset: int
    identity_multiplier: int
    identity_shift: int
    alpha_multiplier: int
    alpha_shift: int


@dataclass(frozen=True)
class MinMaxParams:
    """MAXIMUM / MINIMUM compare raw values (int8: no rescaling, as LiteRT)."""

    maximum: bool


@dataclass(frozen=True)
class LutParams:
    """LOGISTIC / TANH: int8 through a 256-entry table (activations.cc PopulateLookupTable,
    LiteRT's int8 reference path), entry k for the input value k - 128; empty for float32."""

    table: tuple[int, ...]


@dataclass(frozen=True)
class Int16LutParams:
    """int16 LOGISTIC / TANH (reference_integer_ops::Logistic / Tanh): the input rescaled to
    units of 1/(3 * 4096) by (x * input_multiplier + round) >> input_left_shift, then
    LiteRT's 256-entry sigmoid table with interpolation (harness.lower_int16)."""

    input_multiplier: int
    input_left_shift: int


@dataclass(frozen=True)
class AddPotParams:
    """int16 ADD / SUB with pot_scale_int16 (reference_ops::Add / Sub16 for int16): power-of-two
    scales, one input right-shifted onto the output's scale (its shift < 0, the other's 0),
    then a saturating int16 add or subtract and the activation clamp."""

    input1_shift: int
    input2_shift: int
    act_min: int
    act_max: int


@dataclass(frozen=True)
class StridedSliceParams:
    """STRIDED_SLICE: per input axis (count, start, step), after the masks (TFLite's
    StartForAxis / StopForAxis); shrunk axes have count 1 and vanish from the output shape."""

    axes: tuple[tuple[int, int, int], ...]


def strided_slice_axes(shape: tuple[int, ...], begin: list[int], end: list[int],
                       strides: list[int], begin_mask: int, end_mask: int,
                       shrink_mask: int) -> list[tuple[int, int, int]]:
    """(count, start, step) per axis, as strided_slice_logic.h resolves them."""
    big = 1 << 31
    out = []
    for k, size in enumerate(shape):
        step = strides[k]
        start = (-big if step > 0 else big - 1) if begin_mask >> k & 1 else begin[k]
        if start < 0:
            start += size
        start = min(max(start, 0), size) if step > 0 else min(max(start, -1), size - 1)
        if shrink_mask >> k & 1:
            stop, step = start + 1, 1
        else:
            stop = (big - 1 if step > 0 else -big) if end_mask >> k & 1 else end[k]
            if stop < 0:
                stop += size
            stop = min(max(stop, 0), size) if step > 0 else min(max(stop, -1), size - 1)
        count = max(0, -(-(stop - start) // step)) if step > 0 else max(0, -(-(start - stop) // -step))
        out.append((count, start, step))
    return out


@dataclass(frozen=True)
class HardSwishParams:
    """HARD_SWISH (reference_ops::HardSwish<int8>, int16 fixed point): the output and
    "relu-ish" multipliers as int16 (DownScaleInt32ToInt16Multiplier) and their exponents."""

    input_zero_point: int
    output_zero_point: int
    output_multiplier: int
    output_exponent: int
    reluish_multiplier: int
    reluish_exponent: int


def downscale_int16(multiplier: int) -> int:
    """DownScaleInt32ToInt16Multiplier."""
    if multiplier >= (1 << 31) - 1 - (1 << 15):
        return (1 << 15) - 1
    return (multiplier + (1 << 15)) >> 16


@dataclass(frozen=True)
class BatchMatMulParams:
    """BATCH_MATMUL (float32): adj_x / adj_y transpose the last two axes of lhs / rhs."""

    adj_x: bool
    adj_y: bool


@dataclass(frozen=True)
class BatchMatMulIntParams:
    """BATCH_MATMUL int8 / int16 (batch_matmul.cc EvalInt8Int8 / EvalInt16,
    reference_ops::BatchMatMul): sums of (lhs + lhs_offset) * (rhs + rhs_offset) in int32
    (int16: int64, offsets 0), MultiplyByQuantizedMultiplier (int16: its int64 overload),
    + output offset, clamped to the dtype (no fused activation)."""

    adj_x: bool
    adj_y: bool
    lhs_offset: int
    rhs_offset: int
    output_offset: int
    multiplier: int
    shift: int


@dataclass(frozen=True)
class RsqrtLutParams(LutParams):
    """RSQRT int8: elementwise.cc RsqrtEvalQuantizedInt8 tabulated over the 256 inputs (entry
    k for k - 128). LiteRT fails on inputs below `input_zero_point`; golden refuses them too."""

    input_zero_point: int


@dataclass(frozen=True)
class RsqrtS16Params:
    """RSQRT int16 (zero points 0): LiteRT's 513-entry table (LUTPopulate<int16_t> in float32
    of 1 / sqrt(x), 32767 * output_scale for x <= 0), read with its interpolating lookup."""

    table: tuple[int, ...]


@dataclass(frozen=True)
class GeluParams:
    """GELU (float32): the tanh approximation when `approximate`, else the erf form."""

    approximate: bool


@dataclass(frozen=True)
class FloatMathParams:
    """Parameter-free float32 math (RSQRT, SQUARED_DIFFERENCE)."""


@dataclass(frozen=True)
class SplitParams:
    """SPLIT / SPLIT_V: the non-negative model axis and the size of every part along it."""

    axis: int
    sizes: tuple[int, ...]


@dataclass(frozen=True)
class GatherParams:
    """GATHER (reference_ops::Gather, batch_dims 0): the non-negative model axis of params."""

    axis: int


@dataclass(frozen=True)
class CastParams:
    """CAST (cast.cc: static_cast per element) from one dtype to another."""

    from_dtype: str
    to_dtype: str


@dataclass(frozen=True)
class TransposeConvParams:
    """TRANSPOSE_CONV (reference_ops / reference_integer_ops::TransposeConv): the scatter
    geometry, and for int8 the per-channel requantization of ConvPerChannel."""

    stride: tuple[int, int]
    pad: tuple[int, int]            # top, left: the conv padding of the output size
    input_offset: int
    output_offset: int
    multiplier: np.ndarray          # int32 [out_channels]; empty for float
    shift: np.ndarray
    act_min: float
    act_max: float


@dataclass(frozen=True)
class SvdfParams:
    """SVDF (harness.lower_seq). int8: the feature dot product is rescaled to the int16 state
    by (feature_multiplier, feature_shift), the time dot product to the int8 output by
    (time_multiplier, time_shift); float: the fused activation's clamp range."""

    rank: int
    act_min: float
    act_max: float
    input_offset: int = 0             # -input zero point
    output_offset: int = 0
    feature_multiplier: int = 0
    feature_shift: int = 0
    time_multiplier: int = 0
    time_shift: int = 0


@dataclass(frozen=True)
class LstmParams:
    """UNIDIRECTIONAL_SEQUENCE_LSTM, float32 (harness.lower_seq): which optional parts the
    model has, the cell/output activation and the clips (0: none)."""

    activation: str                   # NONE, RELU, RELU_N1_TO_1, RELU6 or TANH
    cifg: bool                        # no input gate: it is 1 - forget gate
    peephole: bool
    projection: bool
    cell_clip: float
    proj_clip: float


@dataclass(frozen=True)
class LstmInt8Params:
    """UNIDIRECTIONAL_SEQUENCE_LSTM, int8 8x8_16 (harness.lower_lstm8, LiteRT's
    PopulateQuantizedLstmParams8x8_16). Per gate (input, forget, cell, output; the input
    gate's entries unused in a CIFG LSTM): the multiplier/shift of W x, R h, the peephole and
    the layer norm, the zero-point-folded biases of W x and R h (None when unused), the layer
    norm's bias (the gate bias) and variance guard."""

    cifg: bool
    peephole: bool
    projection: bool
    layer_norm: bool
    input_scale: tuple[tuple[int, int], ...]        # (multiplier, shift) per gate
    recurrent_scale: tuple[tuple[int, int], ...]
    peephole_scale: tuple[tuple[int, int], ...]
    layer_norm_scale: tuple[tuple[int, int], ...]
    variance_guard: tuple[int, ...]
    input_bias: tuple[np.ndarray | None, ...]       # int32 [n_cell]
    recurrent_bias: tuple[np.ndarray | None, ...]
    layer_norm_bias: tuple[np.ndarray | None, ...]
    hidden_scale: tuple[int, int]
    hidden_zp: int                                  # added to the hidden state (signed)
    proj_scale: tuple[int, int]
    proj_bias: np.ndarray | None                    # int32 [n_output]
    output_zp: int                                  # the output state's zero point
    cell_scale: int                                 # log2 of the cell state's scale
    cell_clip: int                                  # 0: none
    proj_clip: int


OpParams = (
    ConvParams | FullyConnectedParams | PoolParams | AddParams | SoftmaxParams
    | QuantizeParams | DequantizeParams | ReshapeParams | PadParams | ConcatParams
    | TransposeParams | MeanParams | MulParams | ReluParams | LeakyReluParams | MinMaxParams
    | LutParams | StridedSliceParams | HardSwishParams | BatchMatMulParams | GeluParams
    | FloatMathParams | SvdfParams | LstmParams | LstmInt8Params | SplitParams | GatherParams
    | CastParams | TransposeConvParams | Int16LutParams | AddPotParams | BatchMatMulIntParams
    | RsqrtLutParams | RsqrtS16Params
)
