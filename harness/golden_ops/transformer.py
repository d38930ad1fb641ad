"""The float32 ops of a small vision transformer as litert-torch exports it, after LiteRT's
reference kernels:

BATCH_MATMUL (reference_ops::BatchMatMul): out[b, i, j] = sum over k of lhs[b, i, k] *
    rhs[b, k, j], accumulated in float32 in k order; adj_x / adj_y transpose the last two
    axes of lhs / rhs; the batch axes broadcast.
SQUARED_DIFFERENCE: d = a - b; d * d (broadcasting), in float32.
RSQRT: 1.0f / sqrtf(x).
GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) when `approximate`, else
    0.5 x (1 + erf(x / sqrt(2))); libm's tanh/erf make it agree within the float tolerance,
    not bit for bit. int8 GELU is LiteRT's 256-entry table of that float function
    (lower._lut), bit-exact.
SLICE is lowered to STRIDED_SLICE's parameters and runs its kernel (movement.strided_slice).
"""
from __future__ import annotations

import math

import numpy as np

from ..ir import Graph, Op
from ..lower import BatchMatMulParams, FloatMathParams, GeluParams, LutParams, OpParams
from .activations import lookup
from .common import KernelArgs, held_shape
from .elementwise import _held, _operands

__all__ = ["batch_matmul", "squared_difference", "rsqrt", "gelu"]


def _aligned(graph: Graph, index: int, value: np.ndarray, rank: int) -> np.ndarray:
    """An operand as (samples, *model shape right-aligned to `rank`): a batched activation
    with its sample axis first, a constant with a sample axis of 1."""
    t = graph.tensor(index)
    shape = (1, *t.shape) if t.is_constant else (value.shape[0], *t.shape)
    shape = (shape[0], *([1] * (rank - len(t.shape))), *shape[1:])
    return value.reshape(shape)


def batch_matmul(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """BATCH_MATMUL on a batch: float32 products summed in k order."""
    assert isinstance(params, BatchMatMulParams)
    assert args[0] is not None and args[1] is not None
    out = graph.tensor(op.outputs[0])
    rank = max(len(out.shape), 2)
    a = _aligned(graph, op.inputs[0], args[0], rank)
    b = _aligned(graph, op.inputs[1], args[1], rank)
    if params.adj_x:
        a = np.swapaxes(a, -1, -2)
    if params.adj_y:
        b = np.swapaxes(b, -1, -2)
    shape = (*np.broadcast_shapes(a.shape[:-2], b.shape[:-2]), a.shape[-2], b.shape[-1])
    total = np.zeros(shape, dtype=np.float32)
    for k in range(a.shape[-1]):
        total += a[..., :, k:k + 1] * b[..., k:k + 1, :]
    return total.reshape(total.shape[0], *held_shape(out.shape))


def squared_difference(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """SQUARED_DIFFERENCE on a batch."""
    assert isinstance(params, FloatMathParams)
    a, b = _operands(graph, op, args)
    d = (a - b).astype(np.float32)
    return _held(graph, op, (d * d).astype(np.float32))


def rsqrt(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """RSQRT on a batch."""
    assert isinstance(params, FloatMathParams)
    x = args[0]
    assert x is not None
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.float32(1.0) / np.sqrt(x.astype(np.float32))).astype(np.float32)


_SQRT_2_OVER_PI = np.float32(math.sqrt(2.0 / math.pi))


def gelu_f32(x: np.ndarray, approximate: bool) -> np.ndarray:
    """The float32 GELU of reference/gelu.h (also the int8 table's function, lower._lut)."""
    half = np.float32(0.5)
    if approximate:
        inner = _SQRT_2_OVER_PI * (x + np.float32(0.044715) * x * x * x)
        tanh = np.tanh(inner.astype(np.float64)).astype(np.float32)   # tanhf, one rounding
        return (half * x * (np.float32(1.0) + tanh)).astype(np.float32)
    erf = np.vectorize(math.erf, otypes=[np.float64])(x.astype(np.float64) / math.sqrt(2.0))
    return (half * x * (np.float32(1.0) + erf.astype(np.float32))).astype(np.float32)


def gelu(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """GELU on a batch (int8: LiteRT's lookup table, as LOGISTIC / TANH)."""
    x = args[0]
    assert x is not None
    if isinstance(params, LutParams):
        return lookup(graph, op, params, args)
    assert isinstance(params, GeluParams)
    return gelu_f32(x.astype(np.float32), params.approximate)
