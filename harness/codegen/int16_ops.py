"""C of the int16x8 ops that need their own emitter: ADD of int16 tensors and QUANTIZE /
DEQUANTIZE with an int16 side; the kernel file of every int16 op. The convolutions, FC and
pools share the int8 emitters of ops.py, SUB and MUL those of tensor_ops.py (broadcasting),
with their _s16 kernels. Constants come from `harness.lower`, as for int8."""
from __future__ import annotations

from ..errors import UnsupportedOpError
from ..ir import Graph, Op
from ..lower import AddParams, DequantizeParams, OpParams, QuantizeParams
from .cformat import c_float, c_int
from .op_context import OpContext, c_struct, where
from .tensor_ops import add_s8_fields

__all__ = ["INT16_KERNEL_FILES", "involves_int16", "int16_kernel_file", "emit_int16_op"]

# op kind -> the kernel file of its int16x8 form
INT16_KERNEL_FILES: dict[str, str] = {
    "CONV_2D": "conv_s16.c",
    "DEPTHWISE_CONV_2D": "conv_s16.c",
    "FULLY_CONNECTED": "fully_connected_s16.c",
    "AVERAGE_POOL_2D": "pooling.c",
    "MAX_POOL_2D": "pooling.c",
    "ADD": "add.c",
    "SUB": "elementwise.c",
    "MUL": "elementwise.c",
    "QUANTIZE": "quantize.c",
    "DEQUANTIZE": "quantize.c",
}
_SUFFIX = {"float32": "f32", "int8": "s8", "int16": "s16"}


def involves_int16(graph: Graph, op: Op) -> bool:
    """Whether op reads or writes an int16 activation (its data input or its output)."""
    return "int16" in (graph.tensor(op.inputs[0]).dtype, graph.tensor(op.outputs[0]).dtype)


def int16_kernel_file(graph: Graph, index: int, op: Op) -> str:
    """The kernel file of an int16 op; UnsupportedOpError when there is no C kernel."""
    if op.kind not in INT16_KERNEL_FILES:
        raise UnsupportedOpError(f"{where(graph, index, op)} with int16 tensors has no C kernel; "
                                 f"int16 kernels: {', '.join(INT16_KERNEL_FILES)}")
    if op.kind == "ADD":
        out = graph.tensor(op.outputs[0])
        if any(graph.tensor(t).size != out.size for t in op.inputs[:2]):
            raise UnsupportedOpError(f"{where(graph, index, op)}: int16 ADD broadcasting has "
                                     "no C kernel (equal shapes only)")
    return INT16_KERNEL_FILES[op.kind]


def emit_int16_op(ctx: OpContext, i: int, op: Op, p: OpParams) -> tuple[str, str] | None:
    """(definitions, call) of an int16 ADD/QUANTIZE/DEQUANTIZE; None for other ops."""
    g = ctx.graph
    if not involves_int16(g, op) or op.kind not in ("ADD", "QUANTIZE", "DEQUANTIZE"):
        return None
    int16_kernel_file(g, i, op)
    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    name = f"{ctx.prefix}_op{i}"
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    if isinstance(p, AddParams):
        b = ctx.pointer(op.inputs[1])
        return (c_struct("hb_add_s8_params", name, add_s8_fields(out.size, p)),
                f"hb_add_s16(&{name}, {inp}, {b}, {outp});")
    if isinstance(p, DequantizeParams):
        fields = [("size", c_int(x.size)), ("scale", c_float(p.scale)),
                  ("zero_point", c_int(p.zero_point))]
        return (c_struct("hb_affine_params", name, fields),
                f"hb_dequantize_s16_f32(&{name}, {inp}, {outp});")
    assert isinstance(p, QuantizeParams)
    if x.dtype == "float32":
        fields = [("size", c_int(x.size)), ("scale", c_float(p.scale)),
                  ("zero_point", c_int(p.zero_point))]
        return (c_struct("hb_affine_params", name, fields),
                f"hb_quantize_f32_s16(&{name}, {inp}, {outp});")
    fields = [("size", c_int(x.size)), ("input_offset", c_int(p.input_offset)),
              ("output_offset", c_int(p.zero_point)),
              ("multiplier", c_int(p.multiplier)), ("shift", c_int(p.shift))]
    func = f"hb_requantize_{_SUFFIX[x.dtype]}_{_SUFFIX[out.dtype]}"
    return c_struct("hb_requantize_params", name, fields), f"{func}(&{name}, {inp}, {outp});"
