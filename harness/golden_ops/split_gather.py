"""SPLIT / SPLIT_V (reference_ops::Split: copies of consecutive slices along the axis) and
GATHER (reference_ops::Gather, batch_dims 0: out[outer, i, inner] = params[outer,
indices[i], inner]), int8 and float32 alike: raw values move, no arithmetic, so bit-exact by
construction. Batched arrays keep the sample axis first (the model's batch axis of 1)."""
from __future__ import annotations

import numpy as np

from ..errors import ModelError
from ..ir import Graph, Op
from ..lower import OpParams
from ..op_params import GatherParams, SplitParams
from .common import KernelArgs

__all__ = ["split", "gather"]


def split(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> list[np.ndarray]:
    """SPLIT / SPLIT_V on a batch: one array per output (the batch axis is never split)."""
    assert isinstance(params, SplitParams)
    x = args[0]
    assert x is not None
    cuts = np.cumsum(params.sizes)[:-1]
    return [np.ascontiguousarray(part) for part in np.split(x, cuts, axis=params.axis)]


def gather(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """GATHER on a batch: a constant table indexed by computed indices (axis 0), or computed
    data indexed by constant indices (axis >= 1). Out-of-range computed indices fail, as
    LiteRT's kernel does."""
    assert isinstance(params, GatherParams)
    table, indices = args[0], args[1]
    assert table is not None and indices is not None
    size = graph.tensor(op.inputs[0]).shape[params.axis]
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= size):
        bad = int(indices.min()) if int(indices.min()) < 0 else int(indices.max())
        raise ModelError(f"{graph.source or graph.name}: op '{op.name}' (GATHER): index {bad} "
                         f"outside [0, {size}); LiteRT fails on this input too")
    return np.ascontiguousarray(np.take(table, indices.astype(np.int64), axis=params.axis))
