"""C of the int8 transformer ops: BATCH_MATMUL (hb_batch_matmul_s8 / _s16, transformer.c) and
SQUARED_DIFFERENCE (hb_squared_difference_s8, elementwise.c) lay out the constants
`harness.lower_int8_tf` derived; int8 RSQRT is a lookup table (tensor_ops' hb_lut_s8), int16
RSQRT LiteRT's interpolated 513-entry one (hb_rsqrt_s16, activations_s16.c).
transformer_ops.emit_transformer_op dispatches here."""
from __future__ import annotations

from ..ir import Op
from ..op_params import AddParams, BatchMatMulIntParams, RsqrtS16Params
from .cformat import c_int
from .op_context import OpContext, c_struct
from .tensor_ops import _broadcast, add_s8_fields
from .transformer_ops import batch_matmul_fields

__all__ = ["emit_transformer_s8"]


def emit_transformer_s8(ctx: OpContext, i: int, op: Op,
                        p: BatchMatMulIntParams | AddParams | RsqrtS16Params) -> tuple[str, str]:
    """(definitions, call) of int8 / int16 BATCH_MATMUL, int8 SQUARED_DIFFERENCE or int16
    RSQRT op #i."""
    name = f"{ctx.prefix}_op{i}"
    if isinstance(p, RsqrtS16Params):
        rows = [", ".join(c_int(v) for v in p.table[k:k + 16]) for k in range(0, 513, 16)]
        table = (f"static const int16_t {name}_table[513] = {{\n    " + ",\n    ".join(rows) +
                 "\n};")
        size = ctx.graph.tensor(op.inputs[0]).size
        return (table, f"hb_rsqrt_s16({c_int(size)}, {name}_table, "
                       f"{ctx.pointer(op.inputs[0])}, {ctx.pointer(op.outputs[0])});")
    a, b, out = ctx.pointer(op.inputs[0]), ctx.pointer(op.inputs[1]), ctx.pointer(op.outputs[0])
    if isinstance(p, BatchMatMulIntParams):
        geometry = "{ " + ", ".join(f".{k} = {v}" for k, v in
                                    batch_matmul_fields(ctx, i, op, p.adj_x, p.adj_y)) + " }"
        fields = [("g", geometry), ("lhs_offset", c_int(p.lhs_offset)),
                  ("rhs_offset", c_int(p.rhs_offset)), ("output_offset", c_int(p.output_offset)),
                  ("multiplier", c_int(p.multiplier)), ("shift", c_int(p.shift))]
        suffix = "s16" if ctx.graph.tensor(op.inputs[0]).dtype == "int16" else "s8"
        return (c_struct("hb_batch_matmul_s8_params", name, fields),
                f"hb_batch_matmul_{suffix}(&{name}, {a}, {b}, {out});")
    # SQUARED_DIFFERENCE: ADD's parameter set and struct (lower_int8_tf; size unused)
    size = ctx.graph.tensor(op.outputs[0]).size
    geometry = f"static const hb_broadcast5 {name}_g = {_broadcast(ctx.graph, op)};"
    return (geometry + "\n" + c_struct("hb_add_s8_params", name, add_s8_fields(size, p)),
            f"hb_squared_difference_s8(&{name}, &{name}_g, {a}, {b}, {out});")
