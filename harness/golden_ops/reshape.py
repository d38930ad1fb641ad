"""RESHAPE: the per-sample data reinterpreted in the output tensor's shape (row-major, so
no value moves); the batch dimension stays leading."""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Op
from ..lower import OpParams, ReshapeParams
from .common import KernelArgs, held_shape

__all__ = ["reshape"]


def reshape(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """RESHAPE on a batch: (N, *in_shape[1:]) -> (N, *out_shape[1:])."""
    assert isinstance(params, ReshapeParams)
    x = args[0]
    assert x is not None
    return x.reshape((x.shape[0], *held_shape(params.shape)))
