"""The int16x8 golden kernels: int16 activations (zero point 0), int8 weights (per-channel for
the convolutions, per tensor or per channel for FULLY_CONNECTED), int64 biases.

CONV_2D (reference_integer_ops::ConvPerChannel, int16 input) and DEPTHWISE_CONV_2D
(DepthwiseConvPerChannel, int16 input), with no input or output offset:
    acc = sum over taps inside the image of w * x + bias           (int64 accumulator)
    out = clamp(MultiplyByQuantizedMultiplier(int64 acc, mult[oc], shift[oc]))
The int64 overload rounds once with a 15-bit multiplier (fixedpoint.
multiply_by_quantized_multiplier_int64). An int32 bias is refused at import: LiteRT 2.3.0's
reference kernels read it as int64.
FULLY_CONNECTED (reference_integer_ops::FullyConnected / FullyConnectedPerChannel, the
overloads with float scales, int16 input): the same int64 sum over the input depth, then
    out = clamp((int32)round((double)acc * effective_scale[o]))
with effective_scale = (double)input_scale * (double)filter_scale[o] / (double)output_scale,
as for int8 (golden_ops/fully_connected.py).
ADD / SUB with pot_scale_int16 (reference_ops::Add / Sub16, int16): the input with a negative
shift is divided by 2^-shift (gemmlowp RoundingDivideByPOT), then
    out = clamp(saturate_int16(a + b))   (SUB: a - b, in input order)
Without pot_scale_int16 they follow the int8 formulas (golden_ops/elementwise.py).
The sums are exact: |w * x| < 2^22, so a float64 matmul stays exact below 2^31 products.
"""
from __future__ import annotations

import numpy as np

from .. import fixedpoint as fp
from ..ir import Graph, Op
from ..lower import AddPotParams, ConvParams, FullyConnectedParams, OpParams
from .common import KernelArgs, held_shape, pad_nhwc, round_half_away
from .conv import _patch_matmul
from .depthwise import _accumulate
from .elementwise import add

__all__ = ["conv_2d_s16", "depthwise_conv_2d_s16", "fully_connected_s16", "add_sub_s16"]


def _requantize(acc: np.ndarray, bias: np.ndarray | None, multiplier: np.ndarray,
                shift: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """+ the int64 bias, the int64 MultiplyByQuantizedMultiplier, the activation clamp."""
    total = acc + bias.astype(np.int64) if bias is not None else acc
    out = fp.multiply_by_quantized_multiplier_int64(total, multiplier, shift)
    return np.clip(out, int(lo), int(hi)).astype(np.int16)


def conv_2d_s16(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """int16x8 CONV_2D on a batch."""
    assert isinstance(params, ConvParams)
    x, w = args[0], args[1]
    assert x is not None and w is not None
    bias = args[2] if len(args) > 2 else None
    out_shape = graph.tensor(op.outputs[0]).shape
    out_hw = (out_shape[1], out_shape[2])
    xp = pad_nhwc(x, params.pad, out_hw, params.stride, params.dilation,
                  (w.shape[1], w.shape[2]), value=0)
    acc = _patch_matmul(xp, w, params, out_hw)
    return _requantize(acc, bias, params.multiplier, params.shift, params.act_min,
                       params.act_max)


def depthwise_conv_2d_s16(graph: Graph, op: Op, params: OpParams,
                          args: KernelArgs) -> np.ndarray:
    """int16x8 DEPTHWISE_CONV_2D on a batch."""
    assert isinstance(params, ConvParams)
    x, w = args[0], args[1]
    assert x is not None and w is not None
    bias = args[2] if len(args) > 2 else None
    out_shape = graph.tensor(op.outputs[0]).shape
    acc = _accumulate(x.astype(np.int64), w.astype(np.int64), params,
                      (out_shape[1], out_shape[2]), np.int64)
    return _requantize(acc, bias, params.multiplier, params.shift, params.act_min,
                       params.act_max)


def fully_connected_s16(graph: Graph, op: Op, params: OpParams,
                        args: KernelArgs) -> np.ndarray:
    """int16x8 FULLY_CONNECTED on a batch."""
    assert isinstance(params, FullyConnectedParams)
    x, w = args[0], args[1]
    assert x is not None and w is not None
    bias = args[2] if len(args) > 2 else None
    out_features, in_features = graph.tensor(op.inputs[1]).shape
    out_shape = (x.shape[0], *held_shape(graph.tensor(op.outputs[0]).shape))
    rows = x.reshape(-1, in_features).astype(np.float64)
    acc = (rows @ (w.astype(np.float64) + params.filter_offset).T).astype(np.int64)
    if bias is not None:
        acc += bias.astype(np.int64)
    scaled = round_half_away(acc.astype(np.float64) * params.effective_scale)
    out = np.clip(scaled, int(params.act_min), int(params.act_max)).astype(np.int16)
    return out.reshape(out_shape)


def add_sub_s16(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """int16 ADD / SUB on a batch: the power-of-two path, or the general one of int8."""
    if not isinstance(params, AddPotParams):
        return add(graph, op, params, args)
    a, b = args[0], args[1]
    assert a is not None and b is not None
    a64 = fp.rounding_divide_by_pot(a, -params.input1_shift) if params.input1_shift else a
    b64 = fp.rounding_divide_by_pot(b, -params.input2_shift) if params.input2_shift else b
    total = a64.astype(np.int64) + (-1 if op.kind == "SUB" else 1) * b64.astype(np.int64)
    total = np.clip(total, -32768, 32767)
    return np.clip(total, params.act_min, params.act_max).astype(np.int16)
