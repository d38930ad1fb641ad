"""Binary elementwise ops, int8 and float32: ADD (equal shapes), SUB, MUL, MAXIMUM, MINIMUM
(numpy broadcasting of the model shapes, as LiteRT's Broadcast*Slow kernels compute the same
per-element formula).

int8 follows reference_integer_ops::Add (TFLite's general rescaling scheme): both inputs move
to a common grid 2^-left_shift finer than twice the larger input scale, are summed exactly,
and the sum is rescaled to the output:
    v_i = (x_i + input_i_offset) * 2^left_shift     (left_shift = 20; 15 for int16 outputs)
    s_i = MultiplyByQuantizedMultiplierSmallerThanOneExp(v_i, input_i_multiplier, input_i_shift)
    out = MultiplyByQuantizedMultiplierSmallerThanOneExp(s_1 + s_2, output_multiplier,
                                                         output_shift) + output_offset
    out = clamp(out, act_min, act_max)
float32: clamp(a + b).
SUB is ADD with input2_multiplier negated (sub.cc PrepareGeneralSubOp); float32: clamp(a - b).
int16 (16x8) ADD/SUB/MUL use the same formulas with int16 clamps.
MUL int8 (reference_integer_ops::Mul):
    out = clamp(output_offset + MBQM((a + input1_offset) * (b + input2_offset), mult, shift))
MUL float32: clamp(a * b). MAXIMUM / MINIMUM: max / min of the raw values (no rescaling).
"""
from __future__ import annotations

import numpy as np

from .. import fixedpoint as fp
from ..ir import Graph, Op
from ..lower import AddParams, MinMaxParams, MulParams, OpParams
from .common import KernelArgs, clamp_float, held_shape

__all__ = ["add", "mul", "maximum_minimum"]


def _operands(graph: Graph, op: Op, args: KernelArgs) -> tuple[np.ndarray, np.ndarray]:
    """The two inputs, ready for numpy broadcasting: (samples, *model shape right-aligned to
    the output's rank), a batched activation with its sample axis first, a constant with a
    sample axis of 1. `_held` turns the result back into the interpreter's layout."""
    rank = len(graph.tensor(op.outputs[0]).shape)
    out = []
    for value, index in zip(args[:2], op.inputs[:2]):
        assert value is not None
        t = graph.tensor(index)
        samples = 1 if t.is_constant else value.shape[0]
        out.append(value.reshape(samples, *([1] * (rank - len(t.shape))), *t.shape))
    return out[0], out[1]


def _held(graph: Graph, op: Op, value: np.ndarray) -> np.ndarray:
    """A result of `_operands`' layout as (samples, *held_shape(output))."""
    return value.reshape(value.shape[0], *held_shape(graph.tensor(op.outputs[0]).shape))


def add(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """ADD / SUB on a batch (either operand may be a constant)."""
    assert isinstance(params, AddParams)
    a, b = _operands(graph, op, args)
    if a.dtype == np.float32:
        value = a - b if op.kind == "SUB" else a + b
        return _held(graph, op, clamp_float(value.astype(np.float32), params.act_min,
                                            params.act_max))
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
    return _held(graph, op, np.clip(out, int(params.act_min), int(params.act_max)).astype(a.dtype))


def mul(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """MUL on a batch."""
    assert isinstance(params, MulParams)
    a, b = _operands(graph, op, args)
    if a.dtype == np.float32:
        return _held(graph, op, clamp_float((a * b).astype(np.float32), params.act_min,
                                            params.act_max))
    product = (a.astype(np.int64) + params.input1_offset) * (b.astype(np.int64) +
                                                           params.input2_offset)
    raw = fp.multiply_by_quantized_multiplier(product, params.output_multiplier,
                                              params.output_shift) + params.output_offset
    return _held(graph, op, np.clip(raw, int(params.act_min), int(params.act_max)).astype(a.dtype))


def maximum_minimum(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """MAXIMUM / MINIMUM on a batch."""
    assert isinstance(params, MinMaxParams)
    a, b = _operands(graph, op, args)
    out = np.maximum(a, b) if params.maximum else np.minimum(a, b)
    return _held(graph, op, out.astype(a.dtype))
