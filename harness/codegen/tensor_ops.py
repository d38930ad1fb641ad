"""C of the data-movement, reduction, elementwise and activation ops (PAD, TRANSPOSE,
STRIDED_SLICE, CONCATENATION, MEAN, MUL/SUB/MAXIMUM/MINIMUM, RELU/RELU6/LEAKY_RELU, LOGISTIC/TANH,
HARD_SWISH): each lays out the constants `harness.lower` derived and calls its kernel."""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Op, Tensor
from ..lower import (
    AddParams,
    ConcatParams,
    HardSwishParams,
    LeakyReluParams,
    LutParams,
    MeanParams,
    MinMaxParams,
    MulParams,
    OpParams,
    PadParams,
    ReluParams,
    StridedSliceParams,
    TransposeParams,
)
from .cformat import c_float, c_int
from .op_context import OpContext, c_struct

__all__ = ["emit_tensor_op", "add_s8_fields"]


def _dims5(shape: tuple[int, ...]) -> list[int]:
    return [1] * (5 - len(shape)) + [int(d) for d in shape]


def _strides(dims: list[int]) -> list[int]:
    out, step = [0] * len(dims), 1
    for k in range(len(dims) - 1, -1, -1):
        out[k] = step
        step *= dims[k]
    return out


def _ints(values: list[int]) -> str:
    return "{ " + ", ".join(c_int(v) for v in values) + " }"


def _elem(t: Tensor) -> int:
    return 1 if t.dtype == "int8" else 4


def _pad(ctx: OpContext, i: int, op: Op, p: PadParams) -> tuple[str, str]:
    x, out = ctx.graph.tensor(op.inputs[0]), ctx.graph.tensor(op.outputs[0])
    before = [0] * (5 - len(p.pads)) + [a for a, _ in p.pads]
    name = f"{ctx.prefix}_op{i}"
    value = (f"static const int8_t {name}_value = {c_int(int(p.value))};" if x.dtype == "int8"
             else f"static const float {name}_value = {c_float(p.value)};")
    fields = [("elem_size", c_int(_elem(x))), ("in_dims", _ints(_dims5(x.shape))),
              ("before", _ints(before)), ("out_dims", _ints(_dims5(out.shape)))]
    return (value + "\n" + c_struct("hb_pad_params", name, fields),
            f"hb_pad(&{name}, {ctx.pointer(op.inputs[0])}, &{name}_value, "
            f"{ctx.pointer(op.outputs[0])});")


def _transpose(ctx: OpContext, i: int, op: Op, p: TransposeParams) -> tuple[str, str]:
    x, out = ctx.graph.tensor(op.inputs[0]), ctx.graph.tensor(op.outputs[0])
    pad = 5 - len(p.perm)
    in_strides = _strides(list(x.shape))
    strides = [0] * pad + [in_strides[a] for a in p.perm]
    name = f"{ctx.prefix}_op{i}"
    fields = [("elem_size", c_int(_elem(x))), ("out_dims", _ints(_dims5(out.shape))),
              ("base", "0"), ("in_strides", _ints(strides))]
    return (c_struct("hb_gather5_params", name, fields),
            f"hb_gather5(&{name}, {ctx.pointer(op.inputs[0])}, {ctx.pointer(op.outputs[0])});")


def _strided_slice(ctx: OpContext, i: int, op: Op, p: StridedSliceParams) -> tuple[str, str]:
    x = ctx.graph.tensor(op.inputs[0])
    pad = 5 - len(x.shape)
    own = _strides(list(x.shape))
    counts = [1] * pad + [c for c, _, _ in p.axes]
    strides = [0] * pad + [s * st for s, (_, _, st) in zip(own, p.axes)]
    base = sum(s * b for s, (_, b, _) in zip(own, p.axes))
    name = f"{ctx.prefix}_op{i}"
    fields = [("elem_size", c_int(_elem(x))), ("out_dims", _ints(counts)),
              ("base", c_int(base)), ("in_strides", _ints(strides))]
    return (c_struct("hb_gather5_params", name, fields),
            f"hb_gather5(&{name}, {ctx.pointer(op.inputs[0])}, {ctx.pointer(op.outputs[0])});")


def _concat(ctx: OpContext, i: int, op: Op, p: ConcatParams) -> tuple[str, str]:
    g = ctx.graph
    out = g.tensor(op.outputs[0])
    outer = int(np.prod(out.shape[:p.axis], dtype=np.int64))
    chunks = [int(np.prod(g.tensor(k).shape[p.axis:], dtype=np.int64)) for k in op.inputs]
    name = f"{ctx.prefix}_op{i}"
    fields = [("elem_size", c_int(_elem(out))), ("outer", c_int(outer)),
              ("count", c_int(len(chunks))), ("chunk", _ints(chunks))]
    pointers = ", ".join(f"(const void *){ctx.pointer(k)}" for k in op.inputs)
    return (c_struct("hb_concat_params", name, fields),
            f"{{ const void *const parts[{len(chunks)}] = {{ {pointers} }}; "
            f"hb_concat(&{name}, parts, {ctx.pointer(op.outputs[0])}); }}")


def _broadcast(g: Graph, op: Op) -> str:
    out = _dims5(g.tensor(op.outputs[0]).shape)
    strides = []
    for index in op.inputs[:2]:
        dims = _dims5(g.tensor(index).shape)
        own = _strides(dims)
        strides.append([0 if d == 1 and o != 1 else s for d, o, s in zip(dims, out, own)])
    return ("{ " + f".dims = {_ints(out)}, .a_stride = {_ints(strides[0])}, "
            f".b_stride = {_ints(strides[1])}" + " }")


def _binary(ctx: OpContext, i: int, op: Op, p: OpParams) -> tuple[str, str]:
    g = ctx.graph
    out = g.tensor(op.outputs[0])
    name = f"{ctx.prefix}_op{i}"
    geometry = f"static const hb_broadcast5 {name}_g = {_broadcast(g, op)};"
    a, b, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.inputs[1]), ctx.pointer(op.outputs[0])
    suffix = "s8" if out.dtype == "int8" else "f32"
    func = "hb_add_bcast_s8" if op.kind == "ADD" else f"hb_{op.kind.lower()}_{suffix}"
    if isinstance(p, MinMaxParams):
        return geometry, f"{func}(&{name}_g, {a}, {b}, {outp});"
    if out.dtype == "float32":
        assert isinstance(p, (AddParams, MulParams))
        fields = [("act_min", c_float(p.act_min)), ("act_max", c_float(p.act_max))]
        struct = c_struct("hb_binary_f32_params", name, fields)
    elif isinstance(p, MulParams):
        fields = [
            ("input1_offset", c_int(p.input1_offset)), ("input2_offset", c_int(p.input2_offset)),
            ("output_offset", c_int(p.output_offset)),
            ("output_multiplier", c_int(p.output_multiplier)),
            ("output_shift", c_int(p.output_shift)),
            ("act_min", c_int(int(p.act_min))), ("act_max", c_int(int(p.act_max))),
        ]
        struct = c_struct("hb_mul_s8_params", name, fields)
    else:
        assert isinstance(p, AddParams)
        fields = add_s8_fields(out.size, p)
        struct = c_struct("hb_add_s8_params", name, fields)
    return geometry + "\n" + struct, f"{func}(&{name}, &{name}_g, {a}, {b}, {outp});"


def _mean(ctx: OpContext, i: int, op: Op, p: MeanParams) -> tuple[str, str]:
    x, out = ctx.graph.tensor(op.inputs[0]), ctx.graph.tensor(op.outputs[0])
    pad = 5 - len(x.shape)
    kept = [1 if k in p.axes else d for k, d in enumerate(x.shape)]
    out_stride = [0] * pad + [0 if k in p.axes else s for k, s in enumerate(_strides(kept))]
    name = f"{ctx.prefix}_op{i}"
    fields = [("in_dims", _ints(_dims5(x.shape))), ("out_stride", _ints(out_stride)),
              ("out_size", c_int(out.size)), ("count", c_int(p.count)),
              ("input_zero_point", c_int(p.input_zero_point)),
              ("output_zero_point", c_int(p.output_zero_point)),
              ("multiplier", c_int(p.multiplier)), ("shift", c_int(p.shift))]
    suffix, acc = ("s8", "int32_t") if x.dtype == "int8" else ("f32", "float")
    return (c_struct("hb_mean_params", name, fields),
            f"hb_mean_{suffix}(&{name}, {ctx.pointer(op.inputs[0])}, "
            f"({acc} *){ctx.scratch(i)}, {ctx.pointer(op.outputs[0])});")


def _activation(ctx: OpContext, i: int, op: Op, p: OpParams) -> tuple[str, str]:
    x = ctx.graph.tensor(op.inputs[0])
    name = f"{ctx.prefix}_op{i}"
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    size = ("size", c_int(x.size))
    if isinstance(p, ReluParams):
        if x.dtype == "float32":
            fields = [size, ("relu6", "1" if op.kind == "RELU6" else "0")]
            return c_struct("hb_relu_f32_params", name, fields), \
                f"hb_relu_f32(&{name}, {inp}, {outp});"
        fields = [size, ("input_zero_point", c_int(p.input_zero_point)),
                  ("output_offset", c_int(p.output_offset)),
                  ("multiplier", c_int(p.multiplier)), ("shift", c_int(p.shift)),
                  ("act_min", c_int(int(p.act_min))), ("act_max", c_int(int(p.act_max)))]
        return c_struct("hb_relu_s8_params", name, fields), f"hb_relu_s8(&{name}, {inp}, {outp});"
    assert isinstance(p, LeakyReluParams)
    if x.dtype == "float32":
        fields = [size, ("alpha", c_float(p.alpha))]
        return c_struct("hb_leaky_relu_f32_params", name, fields), \
            f"hb_leaky_relu_f32(&{name}, {inp}, {outp});"
    fields = [size, ("input_zero_point", c_int(p.input_zero_point)),
              ("output_offset", c_int(p.output_offset)),
              ("identity_multiplier", c_int(p.identity_multiplier)),
              ("identity_shift", c_int(p.identity_shift)),
              ("alpha_multiplier", c_int(p.alpha_multiplier)),
              ("alpha_shift", c_int(p.alpha_shift))]
    return c_struct("hb_leaky_relu_s8_params", name, fields), \
        f"hb_leaky_relu_s8(&{name}, {inp}, {outp});"


def _lookup(ctx: OpContext, i: int, op: Op, p: LutParams) -> tuple[str, str]:
    x = ctx.graph.tensor(op.inputs[0])
    name = f"{ctx.prefix}_op{i}"
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    if x.dtype == "float32":
        return "", f"hb_{op.kind.lower()}_f32({c_int(x.size)}, {inp}, {outp});"
    rows = [", ".join(c_int(v) for v in p.table[k:k + 16]) for k in range(0, 256, 16)]
    table = (f"static const int8_t {name}_table[256] = {{\n    " + ",\n    ".join(rows) +
             "\n};")
    fields = [("size", c_int(x.size)), ("table", f"{name}_table")]
    return (table + "\n" + c_struct("hb_lut_s8_params", name, fields),
            f"hb_lut_s8(&{name}, {inp}, {outp});")


def _hard_swish(ctx: OpContext, i: int, op: Op, p: HardSwishParams) -> tuple[str, str]:
    x = ctx.graph.tensor(op.inputs[0])
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    if x.dtype == "float32":
        return "", f"hb_hard_swish_f32({c_int(x.size)}, {inp}, {outp});"
    name = f"{ctx.prefix}_op{i}"
    fields = [("size", c_int(x.size)), ("input_zero_point", c_int(p.input_zero_point)),
              ("output_zero_point", c_int(p.output_zero_point)),
              ("output_multiplier", c_int(p.output_multiplier)),
              ("reluish_multiplier", c_int(p.reluish_multiplier)),
              ("output_exponent", c_int(p.output_exponent)),
              ("reluish_exponent", c_int(p.reluish_exponent))]
    return (c_struct("hb_hard_swish_s8_params", name, fields),
            f"hb_hard_swish_s8(&{name}, {inp}, {outp});")


def add_s8_fields(size: int, p: AddParams) -> list[tuple[str, str]]:
    """The fields of hb_add_s8_params (ADD and SUB share LiteRT's rescaled-sum arithmetic)."""
    return [
        ("size", c_int(size)), ("left_shift", c_int(p.left_shift)),
        ("input1_offset", c_int(p.input1_offset)), ("input2_offset", c_int(p.input2_offset)),
        ("output_offset", c_int(p.output_offset)),
        ("input1_multiplier", c_int(p.input1_multiplier)),
        ("input1_shift", c_int(p.input1_shift)),
        ("input2_multiplier", c_int(p.input2_multiplier)),
        ("input2_shift", c_int(p.input2_shift)),
        ("output_multiplier", c_int(p.output_multiplier)),
        ("output_shift", c_int(p.output_shift)),
        ("act_min", c_int(int(p.act_min))), ("act_max", c_int(int(p.act_max))),
    ]


def emit_tensor_op(ctx: OpContext, i: int, op: Op, p: OpParams) -> tuple[str, str] | None:
    """(definitions, call) of op #i when it is one of this module's ops, else None."""
    if op.kind in ("SUB", "MUL", "MAXIMUM", "MINIMUM"):
        return _binary(ctx, i, op, p)
    if op.kind == "ADD" and ctx.graph.tensor(op.outputs[0]).dtype == "int8" and any(
            ctx.graph.tensor(t).shape != ctx.graph.tensor(op.outputs[0]).shape
            for t in op.inputs[:2]):   # broadcasting int8 ADD (elementwise.c)
        return _binary(ctx, i, op, p)
    if isinstance(p, PadParams):
        return _pad(ctx, i, op, p)
    if isinstance(p, TransposeParams):
        return _transpose(ctx, i, op, p)
    if isinstance(p, StridedSliceParams):
        return _strided_slice(ctx, i, op, p)
    if isinstance(p, ConcatParams):
        return _concat(ctx, i, op, p)
    if isinstance(p, MeanParams):
        return _mean(ctx, i, op, p)
    if isinstance(p, (ReluParams, LeakyReluParams)):
        return _activation(ctx, i, op, p)
    if isinstance(p, LutParams):
        return _lookup(ctx, i, op, p)
    if isinstance(p, HardSwishParams):
        return _hard_swish(ctx, i, op, p)
    return None
