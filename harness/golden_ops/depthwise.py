"""DEPTHWISE_CONV_2D: int8 per-channel and float32, by shifted-slice accumulation.

Output channel oc = ic * depth_multiplier + m reads input channel ic; the filter is
1 x KH x KW x (C * depth_multiplier).

int8 follows reference_integer_ops::DepthwiseConvPerChannel:
    acc = sum over taps inside the image of w[0, fy, fx, oc] * (x[ic] + input_offset) + bias[oc]
    out = clamp(MultiplyByQuantizedMultiplier(acc, mult[oc], shift[oc]) + output_offset)
accumulated in int32 (|acc| <= 255 * 128 * taps, far from overflow for real filter sizes).

float32 follows reference_ops::DepthwiseConv: `total += input * filter` in float32 over taps
in (fy, fx) order, then `total + bias`, then the clamp; one vector pass per tap replays that
order exactly (padding taps add +0.0, which leaves a float sum unchanged).
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Op
from ..lower import ConvParams, OpParams
from .common import KernelArgs, clamp_float, pad_nhwc, requantize_int8, window

__all__ = ["depthwise_conv_2d"]


def depthwise_conv_2d(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """DEPTHWISE_CONV_2D on a batch."""
    assert isinstance(params, ConvParams)
    x, w = args[0], args[1]
    assert x is not None and w is not None
    bias = args[2] if len(args) > 2 else None
    out_shape = graph.tensor(op.outputs[0]).shape
    out_hw = (out_shape[1], out_shape[2])
    multiplier = params.depth_multiplier
    if w.shape[3] != x.shape[3] * multiplier:
        raise ValueError(
            f"op '{op.name}': filter has {w.shape[3]} channels, input {x.shape[3]} x "
            f"depth_multiplier {multiplier}"
        )
    if x.dtype == np.int8:
        shifted = x.astype(np.int32) + np.int32(params.input_offset)
        acc = _accumulate(shifted, w.astype(np.int32), params, out_hw, np.int32)
        acc64 = acc.astype(np.int64)
        if bias is not None:
            acc64 += bias.astype(np.int64)
        return requantize_int8(acc64, params.multiplier, params.shift, params.output_offset,
                               params.act_min, params.act_max)
    total = _accumulate(x, w.astype(np.float32), params, out_hw, np.float32)
    if bias is not None:
        total += bias.astype(np.float32)
    else:
        total += np.float32(0.0)
    return clamp_float(total, params.act_min, params.act_max)


def _accumulate(x: np.ndarray, w: np.ndarray, params: ConvParams, out_hw: tuple[int, int],
                dtype: type) -> np.ndarray:
    """Sum over taps (fy, fx) of window * w[0, fy, fx, :], in tap order, in `dtype`."""
    kh, kw = w.shape[1], w.shape[2]
    if params.depth_multiplier > 1:
        x = np.repeat(x, params.depth_multiplier, axis=3)
    xp = pad_nhwc(x, params.pad, out_hw, params.stride, params.dilation, (kh, kw), value=0)
    total: np.ndarray = np.zeros((x.shape[0], out_hw[0], out_hw[1], w.shape[3]), dtype=dtype)
    product = np.empty_like(total)
    for fy in range(kh):
        for fx in range(kw):
            win = window(xp, fy, fx, out_hw, params.stride, params.dilation)
            np.multiply(win, w[0, fy, fx, :], out=product)
            total += product
    return total
