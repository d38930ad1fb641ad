"""C of the float32 transformer ops (BATCH_MATMUL, SQUARED_DIFFERENCE, RSQRT, GELU, and ADD
with broadcasting): each lays out its geometry and calls its kernel in kernels/ref
(transformer.c, elementwise.c). SLICE runs STRIDED_SLICE's emitter (the same parameters)."""
from __future__ import annotations

from ..errors import UnsupportedOpError
from ..ir import Op
from ..lower import AddParams, BatchMatMulParams, FloatMathParams, GeluParams, OpParams
from ..op_params import BatchMatMulIntParams, RsqrtS16Params
from .cformat import c_float, c_int
from .op_context import OpContext, c_struct, where
from .tensor_ops import _broadcast

__all__ = ["emit_transformer_op", "batch_matmul_fields"]


def _row_major(shape: tuple[int, ...]) -> list[int]:
    out, step = [0] * len(shape), 1
    for k in range(len(shape) - 1, -1, -1):
        out[k] = step
        step *= shape[k]
    return out


def batch_matmul_fields(ctx: OpContext, i: int, op: Op, adj_x: bool,
                        adj_y: bool) -> list[tuple[str, str]]:
    """The fields of hb_batch_matmul_params (the geometry) of BATCH_MATMUL op #i."""
    g = ctx.graph
    lhs, rhs, out = (g.tensor(op.inputs[0]).shape, g.tensor(op.inputs[1]).shape,
                     g.tensor(op.outputs[0]).shape)
    batch = list(out[:-2])
    if len(batch) > 3:
        raise UnsupportedOpError(f"{where(g, i, op)}: rank {len(out)} BATCH_MATMUL has no C "
                                 "kernel (at most 3 batch dimensions)")
    pad = 3 - len(batch)

    def strides(shape: tuple[int, ...]) -> list[int]:
        own = _row_major(shape)
        dims = [1] * (len(batch) - (len(shape) - 2)) + list(shape[:-2])
        steps = [0] * (len(batch) - (len(shape) - 2)) + own[:-2]
        return [0] * pad + [0 if d == 1 and o != 1 else s for d, o, s in zip(dims, batch, steps)]

    lrow, lcol = (1, lhs[-1]) if adj_x else (lhs[-1], 1)
    rrow, rcol = (1, rhs[-1]) if adj_y else (rhs[-1], 1)
    k = lhs[-2] if adj_x else lhs[-1]
    ints = ("{ " + ", ".join(c_int(v) for v in vals) + " }" for vals in
            ([1] * pad + batch, strides(lhs), strides(rhs)))
    b, ls, rs = ints
    return [("batch", b), ("lhs_stride", ls), ("rhs_stride", rs), ("m", c_int(out[-2])),
            ("k", c_int(k)), ("n", c_int(out[-1])), ("lhs_row", c_int(lrow)),
            ("lhs_col", c_int(lcol)), ("rhs_row", c_int(rrow)), ("rhs_col", c_int(rcol))]


def _batch_matmul(ctx: OpContext, i: int, op: Op, p: BatchMatMulParams) -> tuple[str, str]:
    name = f"{ctx.prefix}_op{i}"
    fields = batch_matmul_fields(ctx, i, op, p.adj_x, p.adj_y)
    return (c_struct("hb_batch_matmul_params", name, fields),
            f"hb_batch_matmul_f32(&{name}, {ctx.pointer(op.inputs[0])}, "
            f"{ctx.pointer(op.inputs[1])}, {ctx.pointer(op.outputs[0])});")


def _broadcast_op(ctx: OpContext, i: int, op: Op, p: OpParams) -> tuple[str, str]:
    name = f"{ctx.prefix}_op{i}"
    geometry = f"static const hb_broadcast5 {name}_g = {_broadcast(ctx.graph, op)};"
    a, b, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.inputs[1]), ctx.pointer(op.outputs[0])
    if isinstance(p, AddParams):
        fields = [("act_min", c_float(p.act_min)), ("act_max", c_float(p.act_max))]
        return (geometry + "\n" + c_struct("hb_binary_f32_params", name, fields),
                f"hb_add_bcast_f32(&{name}, &{name}_g, {a}, {b}, {outp});")
    return geometry, f"hb_squared_difference_f32(&{name}_g, {a}, {b}, {outp});"


def emit_transformer_op(ctx: OpContext, i: int, op: Op, p: OpParams) -> tuple[str, str] | None:
    """(definitions, call) of op #i when it is one of this module's ops, else None."""
    if isinstance(p, (BatchMatMulIntParams, RsqrtS16Params)) or (
            op.kind == "SQUARED_DIFFERENCE" and isinstance(p, AddParams)):
        # transformer_int8 builds on this module
        from .transformer_int8 import emit_transformer_s8
        return emit_transformer_s8(ctx, i, op, p)
    g = ctx.graph
    x = g.tensor(op.inputs[0])
    if isinstance(p, BatchMatMulParams):
        return _batch_matmul(ctx, i, op, p)
    if op.kind == "SQUARED_DIFFERENCE" or (
            op.kind == "ADD" and x.dtype == "float32" and
            (x.shape != g.tensor(op.inputs[1]).shape)):
        return _broadcast_op(ctx, i, op, p)
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    if isinstance(p, FloatMathParams) and op.kind == "RSQRT":
        return "", f"hb_rsqrt_f32({c_int(x.size)}, {inp}, {outp});"
    if isinstance(p, GeluParams):
        return "", f"hb_gelu_f32({c_int(x.size)}, {int(p.approximate)}, {inp}, {outp});"
    return None
