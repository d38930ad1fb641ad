"""Hybrid (dynamic-range) FULLY_CONNECTED: float32 input, int8 weights, float32 output, as
LiteRT's EvalHybridDense computes it, per input row (the input viewed as [-1, in_features]):

    symmetric (default): range = max(|min|, |max|); 0 -> q = 0, scaling 1; else
        scaling = range / 127, q = clamp(round(x * (127 / range)), -127, 127)  (float32)
    asymmetric_quantize_inputs (AsymmetricQuantizeFloats):
        rmin = min(0, min x), rmax = max(0, max x); equal -> q = 0, scaling 1, offset 0;
        scaling = (rmax - rmin) / 255 in float32 (measured: a double quotient differs from
        BUILTIN_REF in 1 ulp); the zero point from min or from max (in double), whichever
        errs less, nudged into [-128, 127] with round();
        q = clamp(round(offset + x * (1 / scaling)), -128, 127)             (float32)
    scaling *= the weight scale (float32); per-channel weights: scaling * scale[o] instead
    dot = sum_d w[o, d] * q[d]  (- offset * sum_d w[o, d] when asymmetric)  (int32)
    out = clamp(bias[o] + (float)dot * scaling)
Bit-exact with BUILTIN_REF (tests/test_ops_issue13.py)."""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Op
from ..lower import OpParams
from ..op_params import FullyConnectedParams
from .common import KernelArgs, clamp_float, held_shape, round_half_away
from .conv import symmetric_quantize

__all__ = ["fully_connected_hybrid", "asymmetric_quantize"]


def asymmetric_quantize(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AsymmetricQuantizeFloats per row: (q int16, scaling float32, offset int64) per row."""
    rmin = np.minimum(rows.min(axis=1), np.float32(0)).astype(np.float64)
    rmax = np.maximum(rows.max(axis=1), np.float32(0)).astype(np.float64)
    same = rmin == rmax
    diff = (rmax - rmin).astype(np.float32)
    scaling = np.where(same, np.float32(1.0), diff / np.float32(255.0)).astype(np.float32)
    scale = scaling.astype(np.float64)
    from_min = -128.0 - rmin / scale
    from_max = 127.0 - rmax / scale
    err_min = 128.0 + np.abs(rmin / scale)
    err_max = 127.0 + np.abs(rmax / scale)
    zp = np.where(err_min < err_max, from_min, from_max)
    nudged = np.where(zp <= -128.0, -128.0, np.where(zp >= 127.0, 127.0, round_half_away(zp)))
    offset = np.where(same, 0, nudged).astype(np.int64)
    inverse = (np.float32(1.0) / scaling).astype(np.float32)
    value = (offset.astype(np.float32)[:, None] + (rows * inverse[:, None]).astype(np.float32))
    q = np.clip(round_half_away(value.astype(np.float32)), -128, 127).astype(np.int16)
    q[same] = 0
    return q, scaling, offset


def fully_connected_hybrid(graph: Graph, op: Op, params: OpParams,
                           args: KernelArgs) -> np.ndarray:
    """Hybrid FULLY_CONNECTED on a batch."""
    assert isinstance(params, FullyConnectedParams)
    x, w = args[0], args[1]
    assert x is not None and w is not None
    bias = args[2] if len(args) > 2 else None
    n = x.shape[0]
    out_features, in_features = w.shape
    rows = x.reshape(-1, in_features).astype(np.float32)
    wf = w.astype(np.float64)
    if params.asymmetric_inputs:
        q, scaling, offset = asymmetric_quantize(rows)
    else:
        q, scaling = symmetric_quantize(rows)
        offset = np.zeros(rows.shape[0], np.int64)
    dot = (q.astype(np.float64) @ wf.T).astype(np.int64)
    dot -= offset[:, None] * w.astype(np.int64).sum(axis=1)[None, :]
    weight_scale = params.hybrid_weight_scales
    if weight_scale.size > 1:    # per channel: scaling * scale[o]
        scale = (scaling[:, None] * weight_scale[None, :]).astype(np.float32)
    else:
        scale = (scaling * weight_scale[0]).astype(np.float32)[:, None]
    total = (dot.astype(np.int32).astype(np.float32) * scale).astype(np.float32)
    base = bias.astype(np.float32) if bias is not None else np.float32(0.0)
    out = (base + total).astype(np.float32)
    return clamp_float(out, params.act_min, params.act_max).reshape(
        n, *held_shape(graph.tensor(op.outputs[0]).shape))
