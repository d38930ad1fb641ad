"""TRANSPOSE_CONV, int8 per-channel and float32, as LiteRT's reference kernels scatter it.

Every input pixel (batch, in_y, in_x), channel by channel, adds input * filter into the
output window whose top-left is (in_y * stride_h - pad_h, in_x * stride_w - pad_w); taps
outside the output are dropped. Then per output: + bias, (int8) MultiplyByQuantizedMultiplier
per channel + output offset, the activation clamp.

int8 (reference_integer_ops::TransposeConv): the sums are exact integers, so order does not
matter; they are computed as one integer matmul per filter tap on a canvas large enough for
every window, then cropped. float32 (reference_ops::TransposeConv): each output accumulates in
(in_y, in_x, in_channel) order in float32, which is replayed here: one float32 multiply-add
pass per input pixel and channel over all the samples (slow for large inputs, exact)."""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Op
from ..lower import OpParams
from ..op_params import TransposeConvParams
from .common import KernelArgs, clamp_float, requantize_int8

__all__ = ["transpose_conv"]


def transpose_conv(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """TRANSPOSE_CONV on a batch; the output tensor's shape fixes OH, OW and OC."""
    assert isinstance(params, TransposeConvParams)
    x, w = args[0], args[1]
    assert x is not None and w is not None
    bias = args[2] if len(args) > 2 else None
    n, h, wd, ic = x.shape
    oc, kh, kw, _ = w.shape
    _, oh, ow, _ = graph.tensor(op.outputs[0]).shape
    sh, sw = params.stride
    canvas_hw = ((h - 1) * sh + kh, (wd - 1) * sw + kw)
    ph, pw = params.pad
    # the canvas must cover the output window [pad, pad + out) too
    rows, cols = max(canvas_hw[0], ph + oh), max(canvas_hw[1], pw + ow)
    if x.dtype == np.int8:
        canvas = np.zeros((n, rows, cols, oc), np.int64)
        shifted = x.astype(np.float64) + params.input_offset
        for fy in range(kh):
            for fx in range(kw):
                tap = (shifted.reshape(-1, ic) @ w[:, fy, fx, :].astype(np.float64).T)
                canvas[:, fy:fy + (h - 1) * sh + 1:sh, fx:fx + (wd - 1) * sw + 1:sw, :] += \
                    tap.reshape(n, h, wd, oc).astype(np.int64)
        acc = canvas[:, ph:ph + oh, pw:pw + ow, :]
        if bias is not None:
            acc = acc + bias.astype(np.int64)
        return requantize_int8(acc, params.multiplier, params.shift, params.output_offset,
                               params.act_min, params.act_max)
    out = np.zeros((n, rows, cols, oc), np.float32)
    wt = np.ascontiguousarray(np.transpose(w.astype(np.float32), (1, 2, 0, 3)))  # KH KW OC IC
    for y in range(h):
        for xx in range(wd):
            window = out[:, y * sh:y * sh + kh, xx * sw:xx * sw + kw, :]
            for c in range(ic):
                window += x[:, y, xx, c, None, None, None] * wt[None, :, :, :, c]
    result = out[:, ph:ph + oh, pw:pw + ow, :]
    if bias is not None:
        result = (result + bias.astype(np.float32)).astype(np.float32)
    return clamp_float(result, params.act_min, params.act_max)
