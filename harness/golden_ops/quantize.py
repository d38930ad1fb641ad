"""QUANTIZE (float32 -> int8/int16, int8/int16 -> int8/int16) and DEQUANTIZE (int8/int16 ->
float32). The int16 cases follow the same reference functions with int16 clamps.

float32 -> int8 (reference_ops::AffineQuantize):
    q = clamp((int32)round(x / scale) + zero_point, -128, 127)
    with x / scale a float32 division and round() ties away from zero. (The C cast of a float
    beyond the int32 range is undefined; here such values simply saturate.)
int8 -> int8 (reference_ops::Requantize):
    q = clamp(MultiplyByQuantizedMultiplier(x + input_offset, multiplier, shift) + zero_point)
int8 -> float32 (reference_ops::Dequantize):
    y = (float)((double)scale * (x - zero_point))
"""
from __future__ import annotations

import numpy as np

from .. import fixedpoint as fp
from ..ir import Graph, Op
from ..lower import DequantizeParams, OpParams, QuantizeParams
from .common import KernelArgs, round_half_away

__all__ = ["quantize", "dequantize"]


def quantize(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """QUANTIZE on a batch."""
    assert isinstance(params, QuantizeParams)
    x = args[0]
    assert x is not None
    out_dtype = np.dtype(graph.tensor(op.outputs[0]).dtype)
    lo, hi = int(np.iinfo(out_dtype).min), int(np.iinfo(out_dtype).max)
    if x.dtype == np.float32:
        scaled = (x / np.float32(params.scale)).astype(np.float32)
        q = np.clip(round_half_away(scaled), -(1 << 31), (1 << 31) - 1) + params.zero_point
        return np.clip(q, lo, hi).astype(out_dtype)
    out = fp.multiply_by_quantized_multiplier(x.astype(np.int64) + params.input_offset,
                                              params.multiplier, params.shift)
    return np.clip(out + params.zero_point, lo, hi).astype(out_dtype)


def dequantize(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """DEQUANTIZE on a batch."""
    assert isinstance(params, DequantizeParams)
    x = args[0]
    assert x is not None
    centred = x.astype(np.float64) - params.zero_point
    return (np.float64(params.scale) * centred).astype(np.float32)
