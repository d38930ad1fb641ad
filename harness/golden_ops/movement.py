"""Data movement ops, int8 and float32 alike (no arithmetic, so bit-exact by construction):
PAD / PADV2 (reference_ops::Pad: padded cells get the pad value), CONCATENATION
(reference_ops::Concatenation: int8 inputs share the output's quantization, LiteRT checks it),
TRANSPOSE (reference_ops::Transpose), STRIDED_SLICE (reference_ops::StridedSlice). Batched arrays keep the sample axis first; the model's
axis 0 is that batch axis, which these ops never pad, concatenate along or move."""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Op
from ..lower import ConcatParams, OpParams, PadParams, StridedSliceParams, TransposeParams
from .common import KernelArgs

__all__ = ["pad", "concatenation", "transpose", "strided_slice"]


def pad(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """PAD / PADV2 on a batch."""
    assert isinstance(params, PadParams)
    x = args[0]
    assert x is not None
    widths = [(0, 0)] + [tuple(p) for p in params.pads[1:]]
    return np.pad(x, widths, constant_values=np.array(params.value).astype(x.dtype))


def concatenation(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """CONCATENATION on a batch; a constant input is repeated for every sample."""
    assert isinstance(params, ConcatParams)
    n = next(a.shape[0] for a, i in zip(args, op.inputs)
             if a is not None and not graph.tensor(i).is_constant)
    parts = []
    for a, i in zip(args, op.inputs):
        assert a is not None
        parts.append(np.broadcast_to(a, (n, *a.shape[1:])) if graph.tensor(i).is_constant else a)
    return np.concatenate(parts, axis=params.axis)


def transpose(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """TRANSPOSE on a batch: perm[0] == 0 keeps the model's axis of 1 first; a tensor held
    whole (no leading 1, common.held_shape) has every model axis after the sample axis."""
    assert isinstance(params, TransposeParams)
    x = args[0]
    assert x is not None
    perm = params.perm
    if x.ndim == len(perm) + 1:         # held whole: the sample axis stays first
        perm = (0, *(a + 1 for a in perm))
    return np.ascontiguousarray(np.transpose(x, perm))


def strided_slice(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """STRIDED_SLICE on a batch (the batch axis is kept whole)."""
    assert isinstance(params, StridedSliceParams)
    x = args[0]
    assert x is not None
    for axis, (count, start, step) in enumerate(params.axes[1:], start=1):
        x = np.take(x, start + step * np.arange(count), axis=axis)
    return np.ascontiguousarray(x.reshape((x.shape[0], *graph.tensor(op.outputs[0]).shape[1:])))
