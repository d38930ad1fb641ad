"""BATCH_MATMUL, SQUARED_DIFFERENCE and RSQRT of every dtype: int8 (BATCH_MATMUL also int16)
after LiteRT's reference kernels here, float32 delegated to transformer.py.

BATCH_MATMUL int8 (reference_ops::BatchMatMul<int8_t, int32_t>):
    out = clamp(MBQM(sum_k (lhs + lhs_offset) * (rhs + rhs_offset), multiplier, shift)
                + output_offset, -128, 127), the sum in int32 (order-free); int16
    (BatchMatMul<int16_t, int64_t>): int64 sums, MBQM's int64 overload, int16 clamp.
SQUARED_DIFFERENCE int8 (squared_difference.cc), broadcasting:
    s_i = MBQMSmallerThanOneExp((x_i + offset_i) * 2^7, multiplier_i, shift_i)
    out = clamp(MBQMSmallerThanOneExp((s_1 - s_2)^2, out_multiplier, out_shift) + out_offset)
RSQRT int8: the 256-entry table lower_int8_tf derived; an input below the zero point (a
    negative real value) fails, as LiteRT's kernel fails on it.
"""
from __future__ import annotations

import numpy as np

from .. import fixedpoint as fp
from ..errors import ModelError
from ..ir import Graph, Op
from ..lower import OpParams
from ..op_params import AddParams, BatchMatMulIntParams, RsqrtLutParams, RsqrtS16Params
from . import transformer
from .activations import lookup
from .common import KernelArgs, held_shape
from .elementwise import _held, _operands

__all__ = ["batch_matmul", "squared_difference", "rsqrt"]


def batch_matmul(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """BATCH_MATMUL on a batch (int8, int16 or float32)."""
    if not isinstance(params, BatchMatMulIntParams):
        return transformer.batch_matmul(graph, op, params, args)
    assert args[0] is not None and args[1] is not None
    out = graph.tensor(op.outputs[0])
    rank = max(len(out.shape), 2)
    a = transformer._aligned(graph, op.inputs[0], args[0], rank).astype(np.int64)
    b = transformer._aligned(graph, op.inputs[1], args[1], rank).astype(np.int64)
    a = a + params.lhs_offset
    b = b + params.rhs_offset
    if params.adj_x:
        a = np.swapaxes(a, -1, -2)
    if params.adj_y:
        b = np.swapaxes(b, -1, -2)
    total = np.matmul(a, b)                     # exact in int64
    if out.dtype == "int16":   # int64 sums, MultiplyByQuantizedMultiplier's int64 overload
        raw = fp.multiply_by_quantized_multiplier_int64(total, params.multiplier, params.shift)
        value = np.clip(raw + params.output_offset, -32768, 32767).astype(np.int16)
    else:                      # int32 sums (wrapping as LiteRT's would)
        raw = fp.multiply_by_quantized_multiplier(fp.wrap_int32(total), params.multiplier,
                                                  params.shift)
        value = np.clip(raw + params.output_offset, -128, 127).astype(np.int8)
    return value.reshape(value.shape[0], *held_shape(out.shape))


def squared_difference(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """SQUARED_DIFFERENCE on a batch (int8 or float32)."""
    if not isinstance(params, AddParams):      # int8: ADD's parameter set (lower_int8_tf)
        return transformer.squared_difference(graph, op, params, args)
    a, b = _operands(graph, op, args)
    p = params
    shifted1 = (a.astype(np.int64) + p.input1_offset) * (1 << p.left_shift)
    shifted2 = (b.astype(np.int64) + p.input2_offset) * (1 << p.left_shift)
    s1 = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        shifted1, p.input1_multiplier, p.input1_shift)
    s2 = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        shifted2, p.input2_multiplier, p.input2_shift)
    diff = s1 - s2
    raw = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        fp.wrap_int32(diff * diff), p.output_multiplier, p.output_shift)
    return _held(graph, op, np.clip(raw + p.output_offset, int(p.act_min),
                                    int(p.act_max)).astype(np.int8))


def _wrap16(x: np.ndarray) -> np.ndarray:
    """The int16 value of an integer array (two's complement wrap, as a C cast)."""
    return ((x + 32768) & 0xFFFF) - 32768


def lookup_s16(x: np.ndarray, table: tuple[int, ...]) -> np.ndarray:
    """reference_integer_ops::LookupTable for int16 (LUTLookup): entry 256 + (x >> 7), plus the
    int16 slope to the next entry times (x & 127) / 128, rounded; int16 arithmetic wraps."""
    lut = np.asarray(table, dtype=np.int64)
    v = x.astype(np.int64)
    index = 256 + (v >> 7)
    base = lut[index]
    slope = _wrap16(lut[index + 1] - base)
    delta = _wrap16((slope * (v & 0x7F) + 64) >> 7)
    return _wrap16(base + delta).astype(np.int16)


def rsqrt(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """RSQRT on a batch (int8 / int16 through their tables, or float32)."""
    if not isinstance(params, (RsqrtLutParams, RsqrtS16Params)):
        return transformer.rsqrt(graph, op, params, args)
    x = args[0]
    assert x is not None
    zero_point = params.input_zero_point if isinstance(params, RsqrtLutParams) else 0
    if x.size and int(x.min()) < zero_point:
        raise ModelError(f"{graph.source or graph.name}: op '{op.name}' (RSQRT): input "
                         f"{int(x.min())} is below the zero point {zero_point} "
                         "(a negative value); LiteRT fails on this input too")
    if isinstance(params, RsqrtS16Params):
        return lookup_s16(x, params.table)
    return lookup(graph, op, params, args)
