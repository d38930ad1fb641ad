"""AVERAGE_POOL_2D and MAX_POOL_2D, int8, int16 and float32.

Windows are clipped to the image (TFLite pools never read padding): a border window averages
only its `filter_count` valid cells.

int8 and int16 average (reference_integer_ops::AveragePool):
    acc = sum of valid cells; acc = acc > 0 ? (acc + count/2) / count : (acc - count/2) / count
    (C division, truncating), then the activation clamp.
float32 average (reference_ops::AveragePool): `total += x` in float32 over valid cells in
    (fy, fx) order, then total / (float)count, then the clamp.
max (both types): the maximum of the valid cells, then the activation clamp.
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Op
from ..lower import OpParams, PoolParams
from .common import KernelArgs, clamp_float, pad_nhwc, trunc_div, valid_counts, window

__all__ = ["average_pool_2d", "max_pool_2d"]

_NO_DILATION = (1, 1)


def _geometry(graph: Graph, op: Op) -> tuple[int, int]:
    out = graph.tensor(op.outputs[0]).shape
    return out[1], out[2]


def _counts(x: np.ndarray, params: PoolParams, out_hw: tuple[int, int]) -> np.ndarray:
    """filter_count per output position, shape (OH, OW, 1)."""
    ch = valid_counts(x.shape[1], out_hw[0], params.filter[0], params.stride[0], params.pad[0])
    cw = valid_counts(x.shape[2], out_hw[1], params.filter[1], params.stride[1], params.pad[1])
    return (ch[:, None] * cw[None, :])[:, :, None]


def average_pool_2d(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """AVERAGE_POOL_2D on a batch."""
    assert isinstance(params, PoolParams)
    x = args[0]
    assert x is not None
    out_hw = _geometry(graph, op)
    counts = _counts(x, params, out_hw)
    if np.any(counts == 0):
        raise ValueError(f"op '{op.name}': a pooling window lies entirely in the padding")
    integer = x.dtype.kind == "i"   # int8 or int16 (the same reference formula)
    data = x.astype(np.int64) if integer else x
    xp = pad_nhwc(data, params.pad, out_hw, params.stride, _NO_DILATION, params.filter, value=0)
    total = np.zeros((x.shape[0], out_hw[0], out_hw[1], x.shape[3]),
                     dtype=np.int64 if integer else np.float32)
    for fy in range(params.filter[0]):
        for fx in range(params.filter[1]):
            total += window(xp, fy, fx, out_hw, params.stride, _NO_DILATION)
    if integer:
        half = counts // 2
        rounded = trunc_div(np.where(total > 0, total + half, total - half), counts)
        return np.clip(rounded, int(params.act_min), int(params.act_max)).astype(x.dtype)
    average = (total / counts.astype(np.float32)).astype(np.float32)
    return clamp_float(average, params.act_min, params.act_max)


def max_pool_2d(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """MAX_POOL_2D on a batch."""
    assert isinstance(params, PoolParams)
    x = args[0]
    assert x is not None
    out_hw = _geometry(graph, op)
    if np.any(_counts(x, params, out_hw) == 0):
        raise ValueError(f"op '{op.name}': a pooling window lies entirely in the padding")
    integer = x.dtype.kind == "i"
    data = x.astype(np.int32) if integer else x
    sentinel = int(np.iinfo(x.dtype).min) - 1 if integer else -np.inf
    xp = pad_nhwc(data, params.pad, out_hw, params.stride, _NO_DILATION, params.filter,
                  value=sentinel)
    best = None
    for fy in range(params.filter[0]):
        for fx in range(params.filter[1]):
            win = window(xp, fy, fx, out_hw, params.stride, _NO_DILATION)
            best = win.copy() if best is None else np.maximum(best, win)
    assert best is not None
    if integer:
        return np.clip(best, int(params.act_min), int(params.act_max)).astype(x.dtype)
    return clamp_float(best.astype(np.float32), params.act_min, params.act_max)
