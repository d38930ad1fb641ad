"""A variant's size facts, read from the imported .tflite graph: parameters, MACs, weight bits,
sparsity, bytes. Weights are the filters of CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED;
parameters also count their biases; sparsity is the fraction of exact zeros in the filters.

Weight bits are the effective bits of the filters: an int8 filter whose values are all in
{-1, +1} counts 1 bit, all in {-1, 0, +1} 2 bits (what the binary / ternary techniques make
and the packed kernels use), any other the dtype's bits. The model's weight_bits is the
largest over its filters, leaving out the first and last layer when the others are all 1-
or 2-bit (those two stay 8-bit in a binary / ternary network unless the recipe says so).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..ir import Graph

__all__ = ["ModelStats", "model_stats", "filter_bits"]

_WEIGHTED = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


@dataclass(frozen=True)
class ModelStats:
    params: int
    macs: int
    weight_bits: int
    sparsity: float
    model_bytes: int

    def as_dict(self) -> dict[str, float | int]:
        return {"params": self.params, "macs": self.macs, "weight_bits": self.weight_bits,
                "sparsity": self.sparsity, "model_bytes": self.model_bytes}


def filter_bits(data: np.ndarray) -> int:
    """1 for an integer filter in {-1, +1}, 2 for one in {-1, 0, +1}, else the dtype's bits."""
    if np.issubdtype(data.dtype, np.integer):
        values = set(np.unique(data).tolist())
        if values <= {-1, 1}:
            return 1
        if values <= {-1, 0, 1}:
            return 2
    return np.dtype(data.dtype).itemsize * 8


def _model_bits(per_layer: list[int]) -> int:
    if not per_layer:
        return 32
    inner = per_layer[1:-1]
    if inner and max(inner) <= 2:
        return max(inner)
    return max(per_layer)


def model_stats(graph: Graph, path: Path) -> ModelStats:
    filters, params, zeros, bits = [], 0, 0, []
    seen: set[int] = set()
    for op in graph.ops:
        if op.kind not in _WEIGHTED:
            continue
        for slot, i in enumerate(op.inputs[1:3], start=1):
            if i < 0 or i in seen:
                continue
            t = graph.tensor(i)
            if t.data is None:
                continue
            seen.add(i)
            params += t.size
            if slot == 1:
                filters.append(t)
                zeros += int(np.count_nonzero(t.data == 0))
                bits.append(filter_bits(t.data))
    weights = sum(t.size for t in filters)
    return ModelStats(params, graph.macs(), _model_bits(bits), zeros / weights if weights else 0.0,
                      Path(path).stat().st_size)
