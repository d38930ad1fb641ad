"""Deterministic test inputs for a graph: the same seed gives the same bytes everywhere."""
from __future__ import annotations

import numpy as np

from .ir import Graph

__all__ = ["random_inputs", "FLOAT_INPUT_RANGE"]

# Float inputs are drawn uniformly from this range; int8 inputs cover their whole range.
FLOAT_INPUT_RANGE = (-1.0, 1.0)


def random_inputs(graph: Graph, n: int, seed: int = 0) -> list[np.ndarray]:
    """n samples for every graph input, each array shaped (n, *shape[1:]) (batch dim replaced)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for t in graph.input_tensors():
        shape = (n, *t.shape[1:])
        if t.dtype == "int8":
            arrays.append(rng.integers(-128, 128, size=shape, dtype=np.int8))
        elif t.dtype == "float32":
            lo, hi = FLOAT_INPUT_RANGE
            arrays.append(rng.uniform(lo, hi, size=shape).astype(np.float32))
        else:
            raise ValueError(f"cannot make random inputs of dtype {t.dtype} for '{t.name}'")
    return arrays
