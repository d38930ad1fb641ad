"""ADD of two equally shaped tensors, int8 and float32.

int8 follows reference_integer_ops::Add (TFLite's general rescaling scheme): both inputs move
to a common grid 2^-left_shift finer than twice the larger input scale, are summed exactly,
and the sum is rescaled to the output:
    v_i = (x_i + input_i_offset) * 2^left_shift                       (left_shift = 20)
    s_i = MultiplyByQuantizedMultiplierSmallerThanOneExp(v_i, input_i_multiplier, input_i_shift)
    out = MultiplyByQuantizedMultiplierSmallerThanOneExp(s_1 + s_2, output_multiplier,
                                                         output_shift) + output_offset
    out = clamp(out, act_min, act_max)
float32: clamp(a + b).
"""
from __future__ import annotations

import numpy as np

from .. import fixedpoint as fp
from ..ir import Graph, Op
from ..lower import AddParams, OpParams
from .common import KernelArgs, clamp_float

__all__ = ["add"]


def add(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """ADD on a batch (either operand may be a constant of the per-sample shape)."""
    assert isinstance(params, AddParams)
    a, b = args[0], args[1]
    assert a is not None and b is not None
    if a.dtype == np.float32:
        return clamp_float((a + b).astype(np.float32), params.act_min, params.act_max)
    scale = np.int64(1) << params.left_shift
    v1 = (a.astype(np.int64) + params.input1_offset) * scale
    v2 = (b.astype(np.int64) + params.input2_offset) * scale
    s1 = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        v1, params.input1_multiplier, params.input1_shift)
    s2 = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        v2, params.input2_multiplier, params.input2_shift)
    raw = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        fp.wrap_int32(s1 + s2), params.output_multiplier, params.output_shift)
    out = raw + params.output_offset
    return np.clip(out, int(params.act_min), int(params.act_max)).astype(np.int8)
