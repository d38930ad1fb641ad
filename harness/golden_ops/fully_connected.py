"""FULLY_CONNECTED: int8 (per-tensor or per-channel weights) and float32.

The input is flattened to rows of `in_features` (TFLite's [-1, accum_depth] view); weights
are [out_features, in_features].

int8 follows reference_integer_ops::FullyConnected / FullyConnectedPerChannel in the overloads
LiteRT's reference FC calls (with the float scales; verified against ai-edge-litert 2.3.0):
    acc = sum_d (w[o, d] + filter_offset) * (x[d] + input_offset) + bias[o]
    out = clamp((int32)round((double)acc * effective_scale[o]) + output_offset)
with C round() (ties away from zero) and effective_scale = (double)input_scale *
(double)filter_scale[o] / (double)output_scale; the fixed-point multiplier/shift is NOT used
(it differs in about 1 of 1000 outputs). The sum is an exact float64 matmul of the integer
values (see conv.py for why it is exact); the double product acc * scale is the same IEEE
operation NumPy performs.

float32 follows reference_ops::FullyConnected: `total += x[d] * w[o, d]` in float32 for
d = 0, 1, ..., then `total + bias`, then the clamp, replayed in that order.
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Op
from ..lower import FullyConnectedParams, OpParams
from .common import KernelArgs, clamp_float, round_half_away

__all__ = ["fully_connected"]


def fully_connected(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """FULLY_CONNECTED on a batch; the output keeps the graph's per-sample output shape."""
    assert isinstance(params, FullyConnectedParams)
    x, w = args[0], args[1]
    assert x is not None and w is not None
    bias = args[2] if len(args) > 2 else None
    n = x.shape[0]
    out_features, in_features = w.shape
    rows = x.reshape(-1, in_features)
    out_shape = (n, *graph.tensor(op.outputs[0]).shape[1:])
    if x.dtype == np.int8:
        lhs = rows.astype(np.float64) + params.input_offset
        rhs = w.astype(np.float64) + params.filter_offset
        acc = (lhs @ rhs.T).astype(np.int64)
        if bias is not None:
            acc += bias.astype(np.int64)
        scaled = round_half_away(acc.astype(np.float64) * params.effective_scale)
        out = np.clip(scaled + params.output_offset, int(params.act_min), int(params.act_max))
        return out.astype(np.int8).reshape(out_shape)
    wf = w.astype(np.float32)
    total = np.zeros((rows.shape[0], out_features), dtype=np.float32)
    for d in range(in_features):
        total += rows[:, d:d + 1] * wf[:, d]
    if bias is not None:
        total += bias.astype(np.float32)
    else:
        total += np.float32(0.0)
    return clamp_float(total, params.act_min, params.act_max).reshape(out_shape)
