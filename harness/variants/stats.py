"""A variant's size facts, read from the imported .tflite graph: parameters, MACs, weight bits,
sparsity, bytes. Weights are the filters of CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED;
parameters also count their biases; sparsity is the fraction of exact zeros in the filters."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..ir import Graph

__all__ = ["ModelStats", "model_stats"]

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


def model_stats(graph: Graph, path: Path) -> ModelStats:
    filters, params, zeros, bits = [], 0, 0, 0
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
                bits = max(bits, np.dtype(t.dtype).itemsize * 8)
    weights = sum(t.size for t in filters)
    return ModelStats(params, graph.macs(), bits or 32, zeros / weights if weights else 0.0,
                      Path(path).stat().st_size)
