"""Inputs for a graph: deterministic random ones (the same seed gives the same bytes
everywhere), or a data set's samples laid out (and quantized) as the model's input tensor."""
from __future__ import annotations

import numpy as np

from .errors import ModelError
from .ir import Graph, Tensor

__all__ = ["random_inputs", "model_inputs", "FLOAT_INPUT_RANGE", "INT_INPUT_RANGE"]

# Float inputs are drawn uniformly from this range; int8 inputs cover their whole range;
# int32 / int64 inputs (CAST's, GATHER's indices) come from INT_INPUT_RANGE, which a model
# whose integer inputs must stay smaller (indices into a table) cannot take: pass them.
FLOAT_INPUT_RANGE = (-1.0, 1.0)
INT_INPUT_RANGE = (-1000, 1000)


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
        elif t.dtype in ("int32", "int64"):
            arrays.append(rng.integers(*INT_INPUT_RANGE, size=shape).astype(t.dtype))
        else:
            raise ValueError(f"cannot make random inputs of dtype {t.dtype} for '{t.name}'")
    return arrays


def _quantize(x: np.ndarray, t: Tensor) -> np.ndarray:
    """Float samples to int8 with the tensor's (per-tensor) scale and zero point, rounding half
    away from zero as TFLite's QUANTIZE does."""
    if t.quant is None or not t.quant.per_tensor:
        raise ModelError(f"int8 input '{t.name}' needs one scale and zero point")
    scaled = x.astype(np.float64) / t.quant.scale[0]
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
    return np.clip(rounded + t.quant.zero_point[0], -128, 127).astype(np.int8)


def model_inputs(graph: Graph, x: np.ndarray) -> list[np.ndarray]:
    """The model's single input tensor filled with samples `x` (n, ...): reshaped to the
    tensor's shape when the element counts agree, quantized for int8 inputs."""
    specs = graph.input_tensors()
    if len(specs) != 1:
        raise ModelError(f"accuracy needs a model with one input, this one has {len(specs)}")
    t = specs[0]
    want = tuple(t.shape[1:])
    per_sample = int(np.prod(x.shape[1:], dtype=np.int64))
    if per_sample != int(np.prod(want, dtype=np.int64)):
        raise ModelError(f"the data set's samples are shaped {tuple(x.shape[1:])}, the model's "
                         f"input '{t.name}' is {want}")
    x = x.reshape((x.shape[0], *want))
    if t.dtype == "int8":
        return [_quantize(x, t)]
    if t.dtype == "float32":
        return [x.astype(np.float32)]
    raise ModelError(f"input '{t.name}' of dtype {t.dtype} cannot take data set samples")
