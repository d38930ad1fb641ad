"""Lowering: the integer parameters each op needs, derived once as TFLite's Prepare does.

The golden interpreter and the C code generator both take their fixed-point constants
(multipliers, shifts, offsets, activation ranges, paddings) from here, so the two can only
disagree in the arithmetic itself, which the bit-exactness tests pin down.
Conventions follow TFLite: a `shift` > 0 is a left shift, < 0 a rounding right shift;
an `*_offset` is added to the raw int8 value (input offsets are -zero_point).
"""
from __future__ import annotations

import math

import numpy as np

from .errors import UnsupportedOpError
from .ir import Graph, Op, Tensor
from .lower_int16 import lower_int16_pot_add, lower_int16_table_op
from .op_params import (  # re-exported: lower.ConvParams etc. stay valid
    AddParams,
    AddPotParams,
    BatchMatMulParams,
    ConcatParams,
    ConvParams,
    DequantizeParams,
    FloatMathParams,
    FullyConnectedParams,
    GeluParams,
    HardSwishParams,
    LeakyReluParams,
    LutParams,
    MeanParams,
    MinMaxParams,
    MulParams,
    OpParams,
    PadParams,
    PoolParams,
    QuantizeParams,
    ReluParams,
    ReshapeParams,
    SoftmaxParams,
    StridedSliceParams,
    TransposeParams,
    downscale_int16,
    strided_slice_axes,
)

__all__ = [
    "quantize_multiplier",
    "tflite_round",
    "out_size",
    "padding_before",
    "ConvParams",
    "FullyConnectedParams",
    "PoolParams",
    "AddParams",
    "SoftmaxParams",
    "QuantizeParams",
    "DequantizeParams",
    "ReshapeParams",
    "PadParams",
    "ConcatParams",
    "TransposeParams",
    "MeanParams",
    "MulParams",
    "ReluParams",
    "LeakyReluParams",
    "MinMaxParams",
    "LutParams",
    "StridedSliceParams",
    "HardSwishParams",
    "strided_slice_axes",
    "OpParams",
    "lower_op",
    "lower",
]

INT8_MIN, INT8_MAX = -128, 127
# The range of each quantized activation dtype (int16: the 16x8 scheme's activations).
QUANT_RANGES = {"int8": (INT8_MIN, INT8_MAX), "int16": (-32768, 32767)}


def tflite_round(x: float) -> int:
    """std::round: half away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplier: real = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = tflite_round(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return int(q_fixed), int(shift)


def out_size(padding: str, in_size: int, filter_size: int, stride: int, dilation: int = 1) -> int:
    """TFLite ComputeOutSize."""
    effective = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    return (in_size + stride - effective) // stride


def padding_before(stride: int, dilation: int, in_size: int, filter_size: int, out: int) -> int:
    """TFLite ComputePadding: padding on the top/left side (the kernels skip the rest)."""
    effective = (filter_size - 1) * dilation + 1
    total = (out - 1) * stride + effective - in_size
    return max(total, 0) // 2


def _scale(t: Tensor) -> float:
    assert t.quant is not None
    return t.quant.scale[0]


def _zero_point(t: Tensor) -> int:
    assert t.quant is not None
    return t.quant.zero_point[0]


def _f32(x: float) -> float:
    return float(np.float32(x))


def activation_range_int8(activation: str, out: Tensor) -> tuple[int, int]:
    """TFLite CalculateActivationRangeQuantized for an int8 (or int16) output."""
    scale, zp = _scale(out), _zero_point(out)
    qmin, qmax = QUANT_RANGES.get(out.dtype, (INT8_MIN, INT8_MAX))

    def q(f: float) -> int:
        return zp + tflite_round(_f32(_f32(f) / _f32(scale)))

    if activation == "NONE":
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, q(0.0)), qmax
    if activation == "RELU6":
        return max(qmin, q(0.0)), min(qmax, q(6.0))
    if activation == "RELU_N1_TO_1":
        return max(qmin, q(-1.0)), min(qmax, q(1.0))
    raise UnsupportedOpError(f"activation {activation} is not supported")


def activation_range_float(activation: str) -> tuple[float, float]:
    """TFLite CalculateActivationRange for float outputs."""
    big = float(np.finfo(np.float32).max)
    return {
        "NONE": (-big, big),
        "RELU": (0.0, big),
        "RELU6": (0.0, 6.0),
        "RELU_N1_TO_1": (-1.0, 1.0),
    }[activation]


SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5


def _conv(g: Graph, op: Op) -> ConvParams:
    x, w = g.tensor(op.inputs[0]), g.tensor(op.inputs[1])
    out = g.tensor(op.outputs[0])
    sh, sw = op.attrs["stride"]
    dh, dw = op.attrs["dilation"]
    kh, kw = w.shape[1], w.shape[2]
    pad = (
        padding_before(sh, dh, x.shape[1], kh, out.shape[1]),
        padding_before(sw, dw, x.shape[2], kw, out.shape[2]),
    )
    depth_multiplier = int(op.attrs.get("depth_multiplier", 1))
    empty = np.zeros(0, np.int32)
    if x.dtype == "float32":
        lo, hi = activation_range_float(op.attrs["activation"])
        hybrid_scale = _scale(w) if op.attrs.get("hybrid") else 0.0
        return ConvParams((sh, sw), (dh, dw), pad, depth_multiplier, 0, 0, empty, empty,
                          lo, hi, hybrid_scale)
    channels = out.shape[3]
    assert w.quant is not None
    scales = w.quant.scale if len(w.quant.scale) > 1 else w.quant.scale * channels
    mult = np.zeros(channels, np.int32)
    shift = np.zeros(channels, np.int32)
    for c in range(channels):
        # PopulateConvolutionQuantizationParams: products in double of the float32 scales.
        real = _scale(x) * scales[c] / _scale(out)
        mult[c], shift[c] = quantize_multiplier(real)
    lo, hi = activation_range_int8(op.attrs["activation"], out)
    return ConvParams((sh, sw), (dh, dw), pad, depth_multiplier, -_zero_point(x),
                      _zero_point(out), mult, shift, lo, hi)


def _fully_connected(g: Graph, op: Op) -> FullyConnectedParams:
    x, w = g.tensor(op.inputs[0]), g.tensor(op.inputs[1])
    out = g.tensor(op.outputs[0])
    empty = np.zeros(0, np.int32)
    if x.dtype == "float32":
        lo, hi = activation_range_float(op.attrs["activation"])
        return FullyConnectedParams(0, 0, 0, empty, empty, lo, hi)
    assert w.quant is not None
    scales = w.quant.scale
    mult = np.zeros(len(scales), np.int32)
    shift = np.zeros(len(scales), np.int32)
    effective = np.zeros(len(scales), np.float64)
    for c, ws in enumerate(scales):
        if len(scales) == 1:
            # GetQuantizedConvolutionMultipler: the scale product is taken in float32.
            real = _f32(_scale(x) * ws) / _scale(out)
        else:
            real = _scale(x) * ws / _scale(out)
        mult[c], shift[c] = quantize_multiplier(real)
        # reference_integer_ops::FullyConnected(..., input_scale, output_scale, filter_scale):
        # double product, then double division (Python floats are IEEE doubles).
        effective[c] = _scale(x) * ws / _scale(out)
    lo, hi = activation_range_int8(op.attrs["activation"], out)
    return FullyConnectedParams(-_zero_point(x), -w.quant.zero_point[0], _zero_point(out),
                                mult, shift, lo, hi, effective)


def _pool(g: Graph, op: Op) -> PoolParams:
    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    fh, fw = op.attrs["filter"]
    sh, sw = op.attrs["stride"]
    pad = (
        padding_before(sh, 1, x.shape[1], fh, out.shape[1]),
        padding_before(sw, 1, x.shape[2], fw, out.shape[2]),
    )
    if x.dtype == "float32":
        lo, hi = activation_range_float(op.attrs["activation"])
    else:
        if x.quant != out.quant:
            raise UnsupportedOpError(
                f"{g.source}: op '{op.name}' ({op.kind}) rescales between input and output "
                "quantization, which TFLite does not allow for pooling"
            )
        lo, hi = activation_range_int8(op.attrs["activation"], out)
    return PoolParams((fh, fw), (sh, sw), pad, lo, hi)


def _add(g: Graph, op: Op) -> AddParams | AddPotParams:
    a, b = g.tensor(op.inputs[0]), g.tensor(op.inputs[1])
    out = g.tensor(op.outputs[0])
    if a.dtype == "float32":
        lo, hi = activation_range_float(op.attrs["activation"])
        return AddParams(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, lo, hi)
    if out.dtype == "int16" and op.attrs.get("pot_scale_int16"):
        pot = lower_int16_pot_add(g, op, activation_range_int8(op.attrs["activation"], out))
        if pot is not None:
            return pot
    # add.cc / sub.cc: int16 outputs (general_scale_int16) rescale on a 2^-15 grid
    left_shift = 15 if out.dtype == "int16" else 20
    twice_max = 2.0 * max(_scale(a), _scale(b))
    m1, s1 = quantize_multiplier(_scale(a) / twice_max)
    m2, s2 = quantize_multiplier(_scale(b) / twice_max)
    mo, so = quantize_multiplier(twice_max / ((1 << left_shift) * _scale(out)))
    if op.kind == "SUB":   # sub.cc PrepareGeneralSubOp: input2_multiplier *= -1
        m2 = -m2
    lo, hi = activation_range_int8(op.attrs["activation"], out)
    return AddParams(left_shift, -_zero_point(a), -_zero_point(b), _zero_point(out),
                     m1, s1, m2, s2, mo, so, lo, hi)


def _softmax(g: Graph, op: Op) -> SoftmaxParams:
    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    beta = float(op.attrs["beta"])
    if x.dtype == "float32":
        return SoftmaxParams(beta, 0, 0, 0)
    # activations.cc SoftmaxPrepare: zero point -128, scale within 0.1 % of 1/256 (the
    # reference kernel then writes 1/256 steps whatever the stored scale is).
    if out.quant is None or abs(out.quant.scale[0] - 1.0 / 256) > 0.001 / 256 \
            or out.quant.zero_point[0] != -128:
        raise UnsupportedOpError(
            f"{g.source}: op '{op.name}' (SOFTMAX) int8 output must have scale 1/256 and "
            f"zero point -128, got {out.quant}"
        )
    bits = SOFTMAX_SCALED_DIFF_INTEGER_BITS
    # PreprocessSoftmaxScaling, then CalculateInputRadius.
    real = min(beta * _scale(x) * (1 << (31 - bits)), (1 << 31) - 1.0)
    mult, left_shift = quantize_multiplier(real)
    radius = math.floor(((1 << bits) - 1) * (1 << (31 - bits)) / (1 << left_shift))
    return SoftmaxParams(beta, mult, left_shift, -radius)


def _quantize(g: Graph, op: Op) -> QuantizeParams:
    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    if x.dtype == "float32":
        return QuantizeParams(_scale(out), _zero_point(out), 0, 0, 0)
    mult, shift = quantize_multiplier(_scale(x) / _scale(out))
    return QuantizeParams(_scale(out), _zero_point(out), -_zero_point(x), mult, shift)


def _dequantize(g: Graph, op: Op) -> DequantizeParams:
    x = g.tensor(op.inputs[0])
    return DequantizeParams(_scale(x), _zero_point(x))


def _const_ints(g: Graph, op: Op, k: int) -> np.ndarray:
    t = g.tensor(op.inputs[k])
    if t.data is None:
        raise UnsupportedOpError(f"{g.source}: op '{op.name}' ({op.kind}) needs a constant "
                                 f"input {k}")
    return t.data.astype(np.int64)


def _pad(g: Graph, op: Op) -> PadParams:
    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    pads = tuple((int(a), int(b)) for a, b in _const_ints(g, op, 1).reshape(-1, 2))
    value = 0.0
    if x.dtype == "int8":
        if x.quant != out.quant:
            raise UnsupportedOpError(f"{g.source}: op '{op.name}' ({op.kind}) rescales; int8 "
                                     "PAD needs equal input and output quantization")
        value = float(_zero_point(out))
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        c = g.tensor(op.inputs[2])
        if c.data is None or c.size != 1 or c.dtype != x.dtype:
            raise UnsupportedOpError(f"{g.source}: op '{op.name}' (PADV2) needs a constant "
                                     f"{x.dtype} scalar pad value")
        if x.dtype == "int8" and c.quant is not None and c.quant != out.quant:
            raise UnsupportedOpError(f"{g.source}: op '{op.name}' (PADV2) pad value is "
                                     "quantized differently from the output")
        value = float(c.data.reshape(-1)[0])
    return PadParams(pads, value)


def _mean(g: Graph, op: Op) -> MeanParams:
    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    axes = tuple(sorted({int(a) % len(x.shape) for a in _const_ints(g, op, 1).reshape(-1)}))
    count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    keep = bool(op.attrs["keep_dims"])
    if x.dtype == "float32":
        return MeanParams(axes, keep, count)
    mult, shift = quantize_multiplier(_scale(x) / _scale(out))
    k = min(count.bit_length() - 1, 32, 31 + shift)
    return MeanParams(axes, keep, count, _zero_point(x), _zero_point(out),
                      int((mult << k) // count) if k >= 0 else int((mult >> -k) // count),
                      shift - k)


def _mul(g: Graph, op: Op) -> MulParams:
    a, b, out = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
    if a.dtype == "float32":
        lo, hi = activation_range_float(op.attrs["activation"])
        return MulParams(0, 0, 0, 0, 0, lo, hi)
    mult, shift = quantize_multiplier(_scale(a) * _scale(b) / _scale(out))
    lo, hi = activation_range_int8(op.attrs["activation"], out)
    return MulParams(-_zero_point(a), -_zero_point(b), _zero_point(out), mult, shift, lo, hi)


def _relu(g: Graph, op: Op) -> ReluParams:
    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    top = 6.0 if op.kind == "RELU6" else None
    if x.dtype == "float32":
        return ReluParams(0, 0, 0, 0, 0.0, top if top is not None else float("inf"))
    mult, shift = quantize_multiplier(_scale(x) / _scale(out))

    def q(f: float) -> int:   # roundf(act / output scale) in float32
        return _zero_point(out) + tflite_round(_f32(_f32(f) / _f32(_scale(out))))

    lo = max(INT8_MIN, q(0.0))
    hi = INT8_MAX if top is None else min(INT8_MAX, q(top))
    return ReluParams(_zero_point(x), _zero_point(out), mult, shift, lo, hi)


def _leaky_relu(g: Graph, op: Op) -> LeakyReluParams:
    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    alpha = float(op.attrs["alpha"])
    if x.dtype == "float32":
        return LeakyReluParams(alpha, 0, 0, 0, 0, 0, 0)
    mi, si = quantize_multiplier(_scale(x) / _scale(out))
    real_alpha = _f32(_f32(_f32(_scale(x)) * _f32(alpha)) / _f32(_scale(out)))
    ma, sa = quantize_multiplier(real_alpha)
    return LeakyReluParams(alpha, _zero_point(x), _zero_point(out), mi, si, ma, sa)


def _lut(g: Graph, op: Op) -> LutParams:
    """PopulateLookupTable in float32: q = clamp((int)(round(f(scale * (v - zp)) / out_scale)
    + out_zp)) for every int8 v, with f the float kernel (1 / (1 + expf(-x)), tanhf, GELU) and
    expf/tanhf correctly rounded (float64 then one rounding)."""
    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    if x.dtype == "float32":
        return LutParams(())
    if op.kind == "LOGISTIC" and (_scale(out) != 1.0 / 256 or _zero_point(out) != -128):
        raise UnsupportedOpError(f"{g.source}: op '{op.name}' (LOGISTIC) int8 output must have "
                                 f"scale 1/256 and zero point -128, got {out.quant}")
    values = np.arange(-128, 128)
    dequantized = (np.float32(_scale(x)) * (values - _zero_point(x)).astype(np.float32))
    wide = dequantized.astype(np.float32).astype(np.float64)
    if op.kind == "LOGISTIC":
        with np.errstate(over="ignore"):
            e = np.exp(-wide).astype(np.float32)
        f = (np.float32(1.0) / (np.float32(1.0) + e)).astype(np.float32)
    elif op.kind == "GELU":     # gelu.cc: the same table over the float GELU (reference/gelu.h)
        from .golden_ops.transformer import gelu_f32
        f = gelu_f32(dequantized.astype(np.float32), bool(op.attrs["approximate"]))
    else:
        f = np.tanh(wide).astype(np.float32)
    scaled = (f * (np.float32(1.0) / np.float32(_scale(out)))).astype(np.float32)
    d = scaled.astype(np.float64)
    rounded = np.copysign(np.floor(np.abs(d)) + (np.abs(d) - np.floor(np.abs(d)) >= 0.5), d)
    q = (rounded.astype(np.float32) + np.float32(_zero_point(out))).astype(np.float32)
    table = np.clip(q.astype(np.int64), INT8_MIN, INT8_MAX)
    return LutParams(tuple(int(v) for v in table))


def lower_op(g: Graph, op: Op) -> OpParams:
    """The parameters of one op."""
    kind = op.kind
    if kind in ("LOGISTIC", "TANH", "SOFTMAX") and g.tensor(op.inputs[0]).dtype == "int16":
        return lower_int16_table_op(g, op)
    if kind in ("SPLIT", "SPLIT_V", "GATHER", "CAST", "TRANSPOSE_CONV") or op.attrs.get("hybrid") \
            and kind == "FULLY_CONNECTED":
        from .lower_more import lower_more_op  # issue-13 ops (lower_more imports this module)
        return lower_more_op(g, op)
    if kind in ("BATCH_MATMUL", "SQUARED_DIFFERENCE", "RSQRT") and \
            g.tensor(op.inputs[0]).dtype in ("int8", "int16"):   # lower_int8_tf imports lower
        from .lower_int8_tf import lower_int8_tf_op
        return lower_int8_tf_op(g, op)
    if kind in ("LOGISTIC", "TANH"):
        return _lut(g, op)
    if kind == "HARD_SWISH":
        x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        if x.dtype == "float32":
            return HardSwishParams(0, 0, 0, 0, 0, 0)
        hires = _f32(_f32(1.0 / 128.0) * _f32(_scale(x)))
        om, oe = quantize_multiplier(_f32(hires / _f32(_scale(out))))
        rm, re_ = quantize_multiplier(_f32(hires / _f32(3.0 / 32768.0)))
        if oe > 0:   # LiteRT: TF_LITE_ENSURE(output_multiplier_exponent <= 0)
            raise UnsupportedOpError(f"{g.source}: op '{op.name}' (HARD_SWISH): output scale "
                                     "too small for the input scale (LiteRT refuses it)")
        return HardSwishParams(_zero_point(x), _zero_point(out), downscale_int16(om), oe,
                               downscale_int16(rm), re_)
    if kind == "STRIDED_SLICE":
        x = g.tensor(op.inputs[0])
        begin, end, strides = (_const_ints(g, op, k).reshape(-1).tolist() for k in (1, 2, 3))
        return StridedSliceParams(tuple(strided_slice_axes(
            x.shape, begin, end, strides, op.attrs["begin_mask"], op.attrs["end_mask"],
            op.attrs["shrink_axis_mask"])))
    if kind in ("PAD", "PADV2"):
        return _pad(g, op)
    if kind == "SLICE":   # STRIDED_SLICE with unit strides: the same kernels run it
        x = g.tensor(op.inputs[0])
        begin = _const_ints(g, op, 1).reshape(-1).tolist()
        size = _const_ints(g, op, 2).reshape(-1).tolist()
        return StridedSliceParams(tuple(
            (d - b if n == -1 else n, b, 1) for d, b, n in zip(x.shape, begin, size)))
    if kind == "BATCH_MATMUL":
        return BatchMatMulParams(bool(op.attrs["adj_x"]), bool(op.attrs["adj_y"]))
    if kind == "GELU":        # int8: a 256-entry table, as LOGISTIC / TANH
        if g.tensor(op.inputs[0]).dtype == "int8":
            return _lut(g, op)
        return GeluParams(bool(op.attrs["approximate"]))
    if kind in ("RSQRT", "SQUARED_DIFFERENCE"):
        return FloatMathParams()
    if kind == "CONCATENATION":
        return ConcatParams(int(op.attrs["axis"]) % len(g.tensor(op.inputs[0]).shape))
    if kind == "TRANSPOSE":
        return TransposeParams(tuple(int(v) for v in _const_ints(g, op, 1).reshape(-1)))
    if kind == "MEAN":
        return _mean(g, op)
    if kind == "MUL":
        return _mul(g, op)
    if kind == "SUB":
        return _add(g, op)
    if kind in ("RELU", "RELU6"):
        return _relu(g, op)
    if kind == "LEAKY_RELU":
        return _leaky_relu(g, op)
    if kind in ("MAXIMUM", "MINIMUM"):
        return MinMaxParams(kind == "MAXIMUM")
    if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        return _conv(g, op)
    if kind == "FULLY_CONNECTED":
        return _fully_connected(g, op)
    if kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        return _pool(g, op)
    if kind == "ADD":
        return _add(g, op)
    if kind == "SOFTMAX":
        return _softmax(g, op)
    if kind == "QUANTIZE":
        return _quantize(g, op)
    if kind == "DEQUANTIZE":
        return _dequantize(g, op)
    if kind == "RESHAPE":
        return ReshapeParams(g.tensor(op.outputs[0]).shape)
    if kind in ("SVDF", "UNIDIRECTIONAL_SEQUENCE_LSTM"):
        from .lower_seq import lower_seq_op  # lower_seq builds on this module
        return lower_seq_op(g, op)
    raise UnsupportedOpError(f"{g.source}: op '{op.name}' ({kind}) has no lowering")


def lower(g: Graph) -> list[OpParams]:
    """Parameters of every op, in op order."""
    return [lower_op(g, op) for op in g.ops]
