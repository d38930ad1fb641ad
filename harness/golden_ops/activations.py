"""RELU, RELU6, LEAKY_RELU as ops, int8 and float32.

int8 RELU/RELU6 (activations.cc QuantizedReluX -> ReluX):
    out = clamp(output_offset + MBQM(x - input_zero_point, multiplier, shift), act_min, act_max)
int8 LEAKY_RELU (reference_ops::QuantizeLeakyRelu): v = x - input_zero_point;
    out = clamp(output_offset + MBQM(v, v >= 0 ? identity : alpha multiplier/shift))
float: max(x, 0) / min(max(x, 0), 6) / (x > 0 ? x : x * alpha), in float32.
"""
from __future__ import annotations

import numpy as np

from .. import fixedpoint as fp
from ..ir import Graph, Op
from ..lower import LeakyReluParams, OpParams, ReluParams
from .common import KernelArgs

__all__ = ["relu", "leaky_relu"]


def relu(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """RELU / RELU6 on a batch."""
    assert isinstance(params, ReluParams)
    x = args[0]
    assert x is not None
    if x.dtype == np.float32:
        out = np.maximum(x, np.float32(0.0))
        if op.kind == "RELU6":
            out = np.minimum(out, np.float32(6.0))
        return out.astype(np.float32)
    v = fp.multiply_by_quantized_multiplier(x.astype(np.int64) - params.input_zero_point,
                                            params.multiplier, params.shift)
    out = np.clip(v + params.output_offset, int(params.act_min), int(params.act_max))
    return out.astype(np.int8)


def leaky_relu(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """LEAKY_RELU on a batch."""
    assert isinstance(params, LeakyReluParams)
    x = args[0]
    assert x is not None
    if x.dtype == np.float32:
        return np.where(x > 0, x, (x * np.float32(params.alpha)).astype(np.float32))
    v = x.astype(np.int64) - params.input_zero_point
    up = fp.multiply_by_quantized_multiplier(v, params.identity_multiplier, params.identity_shift)
    down = fp.multiply_by_quantized_multiplier(v, params.alpha_multiplier, params.alpha_shift)
    out = np.where(v >= 0, up, down) + params.output_offset
    return np.clip(out, -128, 127).astype(np.int8)
