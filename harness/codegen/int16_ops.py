"""C of the int16x8 ops that need their own emitter: ADD (and SUB with pot_scale_int16),
QUANTIZE / DEQUANTIZE with an int16 side, LOGISTIC / TANH / SOFTMAX (with their tables); the
kernel file of every int16 op. The convolutions, FC and pools share the int8 emitters of ops.py, SUB and
MUL those of tensor_ops.py (broadcasting), with their _s16 kernels. Constants come from
`harness.lower` and `harness.lower_int16`, as for int8."""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import Graph, Op
from ..lower import (
    AddParams,
    DequantizeParams,
    OpParams,
    QuantizeParams,
    SoftmaxParams,
    lower_op,
)
from ..lower_int16 import sigmoid_table, softmax_exp_table, softmax_reciprocal_table
from ..op_params import AddPotParams, Int16LutParams
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
    "RESHAPE": "",   # an alias or a memcpy, no kernel
    "LOGISTIC": "activations_s16.c",
    "TANH": "activations_s16.c",
    "SOFTMAX": "activations_s16.c",
    "BATCH_MATMUL": "transformer.c",   # hb_batch_matmul_s16 (transformer_int8.py)
    "RSQRT": "activations_s16.c",      # hb_rsqrt_s16 (transformer_int8.py)
}
_OWN = ("ADD", "QUANTIZE", "DEQUANTIZE", "LOGISTIC", "TANH", "SOFTMAX")
_SUFFIX = {"float32": "f32", "int8": "s8", "int16": "s16"}


def involves_int16(graph: Graph, op: Op) -> bool:
    """Whether op reads or writes an int16 activation (its data input or its output)."""
    return "int16" in (graph.tensor(op.inputs[0]).dtype, graph.tensor(op.outputs[0]).dtype)


def int16_kernel_file(graph: Graph, index: int, op: Op) -> str:
    """The kernel file of an int16 op; UnsupportedOpError when there is no C kernel."""
    if op.kind not in INT16_KERNEL_FILES:
        raise UnsupportedOpError(f"{where(graph, index, op)} with int16 tensors has no C kernel; "
                                 f"int16 kernels: {', '.join(INT16_KERNEL_FILES)}")
    if op.kind == "SUB" and isinstance(lower_op(graph, op), AddPotParams):
        return "add.c"   # hb_add_pot_s16 (equal shapes: lower_int16_pot_add)
    if op.kind == "ADD" and _broadcasts(graph, op):
        return "elementwise.c"   # hb_add_bcast_s16 (tensor_ops.py)
    return INT16_KERNEL_FILES[op.kind]


def _broadcasts(graph: Graph, op: Op) -> bool:
    out = graph.tensor(op.outputs[0])
    return any(graph.tensor(t).shape != out.shape for t in op.inputs[:2])


def _shared(ctx: OpContext, name: str, values: np.ndarray, comment: str) -> str:
    """A constant table every op of the model that needs it shares (registered once)."""
    symbol = f"{ctx.prefix}_{name}"
    if not any(a.symbol == symbol for a in ctx.constants.arrays):
        ctx.constants.array(name, values, comment)
    return symbol


def emit_int16_op(ctx: OpContext, i: int, op: Op, p: OpParams) -> tuple[str, str] | None:
    """(definitions, call) of an int16 op of _OWN; None for other ops."""
    g = ctx.graph
    if not involves_int16(g, op) or (op.kind not in _OWN and not isinstance(p, AddPotParams)):
        return None
    if isinstance(p, AddParams) and _broadcasts(g, op):
        return None   # broadcasting ADD: tensor_ops.py
    int16_kernel_file(g, i, op)
    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    name = f"{ctx.prefix}_op{i}"
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    if isinstance(p, Int16LutParams):   # LOGISTIC, TANH
        fields = [("size", c_int(x.size)), ("input_multiplier", c_int(p.input_multiplier)),
                  ("input_left_shift", c_int(p.input_left_shift))]
        table = _shared(ctx, "sigmoid_table_s16", np.array(sigmoid_table(), np.uint16),
                        "LiteRT's int16 sigmoid table (LOGISTIC, TANH)")
        return (c_struct("hb_lut_s16_params", name, fields),
                f"hb_{op.kind.lower()}_s16(&{name}, {table}, {inp}, {outp});")
    if isinstance(p, SoftmaxParams):
        depth = x.shape[-1] if x.shape else 1
        fields = [("rows", c_int(x.size // depth)), ("depth", c_int(depth)),
                  ("input_multiplier", c_int(p.input_multiplier)),
                  ("input_shift", c_int(p.input_left_shift))]
        exp = _shared(ctx, "softmax_exp_s16", np.array(softmax_exp_table(), np.int16),
                      "int16 SOFTMAX exp table")
        recip = _shared(ctx, "softmax_recip_s16", np.array(softmax_reciprocal_table(),
                                                           np.int16),
                        "int16 SOFTMAX 1/(1+x) table")
        return (c_struct("hb_softmax_s16_params", name, fields),
                f"hb_softmax_s16(&{name}, {exp}, {recip}, {inp}, {outp});")
    if isinstance(p, AddPotParams):   # ADD, SUB
        fields = [("size", c_int(out.size)), ("input1_shift", c_int(p.input1_shift)),
                  ("input2_shift", c_int(p.input2_shift)),
                  ("subtract", "1" if op.kind == "SUB" else "0"),
                  ("act_min", c_int(p.act_min)), ("act_max", c_int(p.act_max))]
        return (c_struct("hb_add_pot_s16_params", name, fields),
                f"hb_add_pot_s16(&{name}, {inp}, {ctx.pointer(op.inputs[1])}, {outp});")
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
