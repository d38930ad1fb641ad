"""MEAN, int8 and float32 (see lower.MeanParams for LiteRT's int8 arithmetic):

float: sum in float32, each output's inputs visited in row-major input order (ReduceSumImpl;
    the 4D H/W special case reads them in the same order), then sum / (float)count.
int8: out = clamp(MBQM(sum(x) - count * in_zp, multiplier, shift) + out_zp), the count folded
    into the multiplier.
"""
from __future__ import annotations

import numpy as np

from .. import fixedpoint as fp
from ..ir import Graph, Op
from ..lower import MeanParams, OpParams
from .common import KernelArgs

__all__ = ["mean"]


def _reduced_last(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """x with the reduced axes moved last (in order) and flattened: (..kept.., K)."""
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, kept + list(axes))
    return moved.reshape(*moved.shape[:len(kept)], -1)


def mean(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """MEAN on a batch (the batch axis 0 is never reduced)."""
    assert isinstance(params, MeanParams)
    x = args[0]
    assert x is not None
    out_shape = (x.shape[0], *graph.tensor(op.outputs[0]).shape[1:])
    flat = _reduced_last(x, params.axes)
    if x.dtype == np.float32:
        total = np.zeros(flat.shape[:-1], dtype=np.float32)
        for k in range(flat.shape[-1]):
            total += flat[..., k]
        return (total / np.float32(params.count)).astype(np.float32).reshape(out_shape)
    total = flat.astype(np.int64).sum(axis=-1) - params.count * params.input_zero_point
    out = fp.multiply_by_quantized_multiplier(fp.wrap_int32(total), params.multiplier,
                                              params.shift) + params.output_zero_point
    return np.clip(out, -128, 127).astype(np.int8).reshape(out_shape)
