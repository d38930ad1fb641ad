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
from .common import KernelArgs, clamp_float, held_shape, round_half_away
from .fc_hybrid import fully_connected_hybrid

__all__ = ["fully_connected"]


def fully_connected(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """FULLY_CONNECTED on a batch; the output keeps the graph's per-sample output shape."""
    assert isinstance(params, FullyConnectedParams)
    if op.attrs.get("hybrid"):   # float32 input, int8 weights (fc_hybrid.py)
        return fully_connected_hybrid(graph, op, params, args)
    x, w = args[0], args[1]
    assert x is not None and w is not None
    bias = args[2] if len(args) > 2 else None
    n = x.shape[0]
    out_features, in_features = graph.tensor(op.inputs[1]).shape
    out_shape = (n, *held_shape(graph.tensor(op.outputs[0]).shape))
    if not graph.tensor(op.inputs[1]).is_constant:   # float weights computed per sample
        return _fc_activation_weights(x, w, bias, params, out_shape)
    rows = x.reshape(-1, in_features)
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


def _fc_activation_weights(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None,
                           params: FullyConnectedParams, out_shape: tuple[int, ...]
                           ) -> np.ndarray:
    """float32 FC whose weights are an activation: each sample with its own weights, summed
    in the same d order."""
    n = x.shape[0]
    wf = w.reshape(n, -1, w.shape[-1]).astype(np.float32)         # (N, out, in)
    rows = x.reshape(n, -1, wf.shape[2])                            # (N, rows, in)
    total = np.zeros((n, rows.shape[1], wf.shape[1]), dtype=np.float32)
    for d in range(wf.shape[2]):
        total += rows[:, :, d:d + 1] * wf[:, None, :, d]
    total += bias.astype(np.float32) if bias is not None else np.float32(0.0)
    return clamp_float(total, params.act_min, params.act_max).reshape(out_shape)
