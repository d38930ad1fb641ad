"""CONV_2D: int8 per-channel, float32, and float32-activation/int8-weight hybrid.

int8 follows reference_integer_ops::ConvPerChannel:
    acc = sum over taps inside the image of w[oc, fy, fx, ic] * (x + input_offset) + bias[oc]
    out = clamp(MultiplyByQuantizedMultiplier(acc, mult[oc], shift[oc]) + output_offset)
Taps outside the image are skipped, which equals padding (x + input_offset) with 0. The sum is
a float64 matmul of the integer values: each product is below 2^16 and a patch holds far fewer
than 2^37 products, so every partial sum is an integer below 2^53 and the float64 result is
exact whatever the summation order; float64 gets BLAS speed where NumPy's integer matmul
does not.

float32 follows reference_ops::Conv: `total += input * filter` in float32 over taps in
(fy, fx, ic) order, then `total + bias`, then the activation clamp. We replay that exact order
with float32 vector operations (one multiply-add pass per tap), so the result reproduces the
reference kernel bit for bit when the C compiler does not contract the multiply-add into an FMA.

hybrid follows TFLite's EvalHybrid/HybridConv (dynamic-range quantization), per sample:
    range = max(|min(x)|, |max(x)|); range == 0 -> q = 0, scaling = 1
    else scaling = range / 127 (float32), q = clamp(round(x * (127 / range)), -127, 127)
    scaling *= weight_scale (float32)
    dot = int32 sum of w * q over the im2col patch (zero padding; the weights are symmetric)
    out = clamp(float32(dot) * scaling + bias)
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Op
from ..lower import ConvParams, OpParams
from .common import (
    KernelArgs,
    batch_chunks,
    clamp_float,
    im2col,
    pad_nhwc,
    requantize_int8,
    round_half_away,
    window,
)

__all__ = ["conv_2d", "symmetric_quantize"]


def conv_2d(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """CONV_2D on a batch; the output tensor's shape fixes OH, OW and OC."""
    assert isinstance(params, ConvParams)
    x, w = args[0], args[1]
    assert x is not None and w is not None
    bias = args[2] if len(args) > 2 else None
    out_shape = graph.tensor(op.outputs[0]).shape
    out_hw = (out_shape[1], out_shape[2])
    if x.dtype == np.int8:
        return _conv_int8(x, w, bias, params, out_hw)
    if op.attrs.get("hybrid"):
        return _conv_hybrid(x, w, bias, params, out_hw)
    return _conv_float(x, w, bias, params, out_hw)


def _patch_matmul(xp: np.ndarray, w: np.ndarray, params: ConvParams,
                  out_hw: tuple[int, int]) -> np.ndarray:
    """Exact integer convolution of padded integer-valued data as float64 BLAS matmuls.

    Returns the int64 sums, shape (N, OH, OW, OC); the batch is cut into chunks so the im2col
    matrix stays bounded."""
    n = xp.shape[0]
    oc, kh, kw, ic = w.shape
    k = kh * kw * ic
    wmat = w.reshape(oc, k).astype(np.float64).T
    out = np.empty((n, out_hw[0], out_hw[1], oc), dtype=np.int64)
    pointwise = (kh, kw) == (1, 1) and params.stride == (1, 1) and xp.shape[1:3] == out_hw
    for part in batch_chunks(n, out_hw[0] * out_hw[1] * k):
        if pointwise:
            cols = xp[part].reshape(-1, k).astype(np.float64)
        else:
            cols = im2col(xp[part], (kh, kw), out_hw, params.stride, params.dilation, np.float64)
        out[part] = (cols @ wmat).reshape(-1, out_hw[0], out_hw[1], oc).astype(np.int64)
    return out


def _conv_int8(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, params: ConvParams,
               out_hw: tuple[int, int]) -> np.ndarray:
    shifted = x.astype(np.int16) + np.int16(params.input_offset)
    xp = pad_nhwc(shifted, params.pad, out_hw, params.stride, params.dilation,
                  (w.shape[1], w.shape[2]), value=0)
    acc = _patch_matmul(xp, w, params, out_hw)
    if bias is not None:
        acc += bias.astype(np.int64)
    return requantize_int8(acc, params.multiplier, params.shift, params.output_offset,
                           params.act_min, params.act_max)


def _conv_float(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, params: ConvParams,
                out_hw: tuple[int, int]) -> np.ndarray:
    oc, kh, kw, ic = w.shape
    xp = pad_nhwc(x, params.pad, out_hw, params.stride, params.dilation, (kh, kw), value=0.0)
    total = np.zeros((x.shape[0], out_hw[0], out_hw[1], oc), dtype=np.float32)
    product = np.empty_like(total)
    wf = w.astype(np.float32)
    for fy in range(kh):
        for fx in range(kw):
            win = window(xp, fy, fx, out_hw, params.stride, params.dilation)
            for c in range(ic):
                np.multiply(win[..., c:c + 1], wf[:, fy, fx, c], out=product)
                total += product
    if bias is not None:
        total += bias.astype(np.float32)
    else:
        total += np.float32(0.0)
    return clamp_float(total, params.act_min, params.act_max)


def symmetric_quantize(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TFLite SymmetricQuantizeFloats per sample (leading axis), all in float32.

    Returns (q as int8 values in int16, scaling_factor float32 per sample)."""
    n = x.shape[0]
    flat = x.reshape(n, -1)
    rng = np.maximum(np.abs(flat.min(axis=1)), np.abs(flat.max(axis=1))).astype(np.float32)
    zero = rng == 0
    safe = np.where(zero, np.float32(1.0), rng)
    scaling = np.where(zero, np.float32(1.0), safe / np.float32(127.0)).astype(np.float32)
    inverse = (np.float32(127.0) / safe).astype(np.float32)
    scaled = (flat * inverse[:, None]).astype(np.float32)
    q = np.clip(round_half_away(scaled), -127, 127).astype(np.int16)
    q[zero] = 0
    return q.reshape(x.shape), scaling


def _conv_hybrid(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, params: ConvParams,
                 out_hw: tuple[int, int]) -> np.ndarray:
    q, scaling = symmetric_quantize(x)
    scaling = (scaling * np.float32(params.hybrid_weight_scale)).astype(np.float32)
    xp = pad_nhwc(q, params.pad, out_hw, params.stride, params.dilation,
                  (w.shape[1], w.shape[2]), value=0)
    dot = _patch_matmul(xp, w, params, out_hw)
    out = dot.astype(np.float32) * scaling[:, None, None, None]
    if bias is not None:
        out = out + bias.astype(np.float32)
    return clamp_float(out.astype(np.float32), params.act_min, params.act_max)
