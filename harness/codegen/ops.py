"""Per-op C: which reference kernel runs an op, its constant parameter struct and its call.

Every fixed-point constant comes from `harness.lower` (the same numbers the golden
interpreter uses); this module only lays them out as C initializers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import Graph, Op, Tensor
from ..lower import (
    AddParams,
    ConcatParams,
    ConvParams,
    DequantizeParams,
    FullyConnectedParams,
    HardSwishParams,
    LeakyReluParams,
    LutParams,
    MeanParams,
    MinMaxParams,
    MulParams,
    OpParams,
    PadParams,
    PoolParams,
    QuantizeParams,
    ReluParams,
    SoftmaxParams,
    StridedSliceParams,
    TransposeParams,
    lower_op,
)
from .cformat import c_float, c_int
from .weights import Constants

__all__ = [
    "KERNEL_FILES", "OpContext", "OpCode", "check_supported", "scratch_bytes", "emit_op",
    "tensor_ctype",
]

# (op kind, activation dtype) -> the kernel source file that implements it.
KERNEL_FILES: dict[tuple[str, str], str] = {
    ("CONV_2D", "int8"): "conv.c",
    ("CONV_2D", "float32"): "conv.c",
    ("DEPTHWISE_CONV_2D", "int8"): "depthwise_conv.c",
    ("DEPTHWISE_CONV_2D", "float32"): "depthwise_conv.c",
    ("FULLY_CONNECTED", "int8"): "fully_connected.c",
    ("FULLY_CONNECTED", "float32"): "fully_connected.c",
    ("AVERAGE_POOL_2D", "int8"): "pooling.c",
    ("AVERAGE_POOL_2D", "float32"): "pooling.c",
    ("MAX_POOL_2D", "int8"): "pooling.c",
    ("MAX_POOL_2D", "float32"): "pooling.c",
    ("ADD", "int8"): "add.c",
    ("ADD", "float32"): "add.c",
    ("SOFTMAX", "int8"): "softmax.c",
    ("SOFTMAX", "float32"): "softmax.c",
    ("QUANTIZE", "float32"): "quantize.c",
    ("QUANTIZE", "int8"): "quantize.c",
    ("DEQUANTIZE", "int8"): "quantize.c",
    ("RESHAPE", "int8"): "",
    ("RESHAPE", "float32"): "",
    **{(kind, dtype): file for kind, file in [
        ("PAD", "movement.c"), ("PADV2", "movement.c"), ("TRANSPOSE", "movement.c"),
        ("CONCATENATION", "movement.c"), ("MEAN", "reduce.c"), ("MUL", "elementwise.c"),
        ("SUB", "elementwise.c"), ("MAXIMUM", "elementwise.c"), ("MINIMUM", "elementwise.c"),
        ("RELU", "activations.c"), ("RELU6", "activations.c"), ("LEAKY_RELU", "activations.c"),
        ("LOGISTIC", "activations.c"), ("TANH", "activations.c"),
        ("STRIDED_SLICE", "movement.c"), ("HARD_SWISH", "activations.c"),
    ] for dtype in ("int8", "float32")},
}


def _where(graph: Graph, index: int, op: Op) -> str:
    return f"{graph.source or graph.name}: op #{index} '{op.name}' ({op.kind})"


def check_supported(graph: Graph, index: int, op: Op) -> str:
    """The kernel file of an op ('' for none needed); UnsupportedOpError if there is no kernel."""
    dtype = graph.tensor(op.inputs[0]).dtype
    key = (op.kind, dtype)
    if key not in KERNEL_FILES:
        raise UnsupportedOpError(
            f"{_where(graph, index, op)} with {dtype} input has no C kernel; the kernels: "
            "README 'Supported operators' (python -m harness.importers.support)"
        )
    if op.kind == "QUANTIZE" and graph.tensor(op.outputs[0]).dtype != "int8":
        raise UnsupportedOpError(f"{_where(graph, index, op)}: only int8 output has a C kernel")
    if op.kind == "DEQUANTIZE" and graph.tensor(op.outputs[0]).dtype != "float32":
        raise UnsupportedOpError(f"{_where(graph, index, op)}: only float32 output has a C kernel")
    if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D"):
        for t in (graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])):
            if len(t.shape) != 4:
                raise UnsupportedOpError(
                    f"{_where(graph, index, op)}: tensor '{t.name}' has shape {t.shape}; "
                    "the C kernels need NHWC (rank 4)"
                )
    if op.kind == "CONV_2D":
        x, w = graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1])
        if w.shape[3] != x.shape[3]:
            raise UnsupportedOpError(
                f"{_where(graph, index, op)}: grouped convolution (filter depth {w.shape[3]}, "
                f"input depth {x.shape[3]}) has no C kernel"
            )
    return KERNEL_FILES[key]


def scratch_bytes(graph: Graph, op: Op) -> int:
    """Arena bytes an op needs during its run only (the hybrid conv's quantized input, MEAN's
    accumulators)."""
    if op.kind == "CONV_2D" and op.attrs.get("hybrid"):
        return graph.tensor(op.inputs[0]).size
    if op.kind == "MEAN":
        return 4 * graph.tensor(op.outputs[0]).size
    return 0


@dataclass(frozen=True)
class OpContext:
    graph: Graph
    prefix: str
    constants: Constants
    pointer: Callable[[int], str]     # tensor index -> C pointer expression of its data
    scratch: Callable[[int], str]     # op index -> C pointer expression of its scratch


@dataclass(frozen=True)
class OpCode:
    """The C of one op: file-scope definitions and the statement inside the invoke function."""

    kernel_file: str
    definitions: str
    call: str


def tensor_ctype(t: Tensor) -> str:
    """The C element type of an activation tensor."""
    ctypes = {"int8": "int8_t", "float32": "float"}
    if t.dtype not in ctypes:
        raise UnsupportedOpError(
            f"tensor #{t.index} '{t.name}' is a {t.dtype} activation; the C kernels take "
            "int8 and float32 only"
        )
    return ctypes[t.dtype]


def _bias(ctx: OpContext, op: Op) -> str:
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        return ctx.constants.tensor(ctx.graph.tensor(op.inputs[2]))
    return "NULL"


def _struct(ctype: str, name: str, fields: list[tuple[str, str]]) -> str:
    body = "\n".join(f"    .{k} = {v}," for k, v in fields)
    return f"static const {ctype} {name} = {{\n{body}\n}};"


def _conv_geometry(x: Tensor, w: Tensor, out: Tensor, p: ConvParams, depthwise: bool) -> str:
    b, h, wd, c = x.shape
    _, oh, ow, oc = out.shape
    values = [
        ("batches", b), ("in_h", h), ("in_w", wd), ("in_c", c),
        ("out_h", oh), ("out_w", ow), ("out_c", oc),
        ("filter_h", w.shape[1]), ("filter_w", w.shape[2]),
        ("stride_h", p.stride[0]), ("stride_w", p.stride[1]),
        ("dilation_h", p.dilation[0]), ("dilation_w", p.dilation[1]),
        ("pad_h", p.pad[0]), ("pad_w", p.pad[1]),
        ("depth_multiplier", p.depth_multiplier if depthwise else 1),
    ]
    return "{ " + ", ".join(f".{k} = {c_int(v)}" for k, v in values) + " }"


def _conv(ctx: OpContext, i: int, op: Op, p: ConvParams) -> tuple[str, str]:
    g = ctx.graph
    x, w, out = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
    depthwise = op.kind == "DEPTHWISE_CONV_2D"
    if depthwise and out.shape[3] != x.shape[3] * p.depth_multiplier:
        raise UnsupportedOpError(
            f"{_where(g, i, op)}: {out.shape[3]} output channels for {x.shape[3]} input "
            f"channels x depth multiplier {p.depth_multiplier}"
        )
    name = f"{ctx.prefix}_op{i}"
    geometry = _conv_geometry(x, w, out, p, depthwise)
    filt, bias = ctx.constants.tensor(w), _bias(ctx, op)
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    func = "hb_depthwise_conv2d" if depthwise else "hb_conv2d"
    if x.dtype == "int8":
        mult = ctx.constants.int32_array(f"op{i}_multiplier", p.multiplier,
                                         f"op #{i} {op.kind} per-channel multipliers")
        shift = ctx.constants.int32_array(f"op{i}_shift", p.shift,
                                          f"op #{i} {op.kind} per-channel shifts")
        fields = [
            ("g", geometry),
            ("input_offset", c_int(p.input_offset)), ("output_offset", c_int(p.output_offset)),
            ("act_min", c_int(int(p.act_min))), ("act_max", c_int(int(p.act_max))),
            ("multiplier", mult), ("shift", shift),
        ]
        return (_struct("hb_conv_s8_params", name, fields),
                f"{func}_s8(&{name}, {inp}, {filt}, {bias}, {outp});")
    if op.attrs.get("hybrid"):
        fields = [
            ("g", geometry), ("weight_scale", c_float(p.hybrid_weight_scale)),
            ("act_min", c_float(p.act_min)), ("act_max", c_float(p.act_max)),
        ]
        return (_struct("hb_conv_hybrid_params", name, fields),
                f"hb_conv2d_hybrid(&{name}, {inp}, {filt}, {bias}, "
                f"(int8_t *){ctx.scratch(i)}, {outp});")
    fields = [("g", geometry), ("act_min", c_float(p.act_min)), ("act_max", c_float(p.act_max))]
    return (_struct("hb_conv_f32_params", name, fields),
            f"{func}_f32(&{name}, {inp}, {filt}, {bias}, {outp});")


def _fully_connected(ctx: OpContext, i: int, op: Op, p: FullyConnectedParams) -> tuple[str, str]:
    g = ctx.graph
    x, w, out = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
    out_depth, accum_depth = w.shape[0], w.shape[1]
    batches = x.size // accum_depth
    if batches * accum_depth != x.size or batches * out_depth != out.size:
        raise UnsupportedOpError(
            f"{_where(g, i, op)}: input {x.shape} and output {out.shape} do not match "
            f"weights {w.shape}"
        )
    name = f"{ctx.prefix}_op{i}"
    sizes = [("batches", c_int(batches)), ("accum_depth", c_int(accum_depth)),
             ("out_depth", c_int(out_depth))]
    weights, bias = ctx.constants.tensor(w), _bias(ctx, op)
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    if x.dtype == "int8":
        # LiteRT's reference FC requantizes with a double scale, not multiplier/shift.
        scales = ctx.constants.float64_array(f"op{i}_effective_scale", p.effective_scale,
                                             f"op #{i} FULLY_CONNECTED effective scales")
        fields = sizes + [
            ("input_offset", c_int(p.input_offset)), ("filter_offset", c_int(p.filter_offset)),
            ("output_offset", c_int(p.output_offset)),
            ("per_channel", "1" if len(p.effective_scale) > 1 else "0"),
            ("effective_scale", scales),
            ("act_min", c_int(int(p.act_min))), ("act_max", c_int(int(p.act_max))),
        ]
        return (_struct("hb_fc_s8_params", name, fields),
                f"hb_fully_connected_s8(&{name}, {inp}, {weights}, {bias}, {outp});")
    fields = sizes + [("act_min", c_float(p.act_min)), ("act_max", c_float(p.act_max))]
    return (_struct("hb_fc_f32_params", name, fields),
            f"hb_fully_connected_f32(&{name}, {inp}, {weights}, {bias}, {outp});")


def _pool(ctx: OpContext, i: int, op: Op, p: PoolParams) -> tuple[str, str]:
    g = ctx.graph
    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    b, h, w, c = x.shape
    _, oh, ow, _ = out.shape
    values = [
        ("batches", b), ("in_h", h), ("in_w", w), ("channels", c), ("out_h", oh), ("out_w", ow),
        ("filter_h", p.filter[0]), ("filter_w", p.filter[1]),
        ("stride_h", p.stride[0]), ("stride_w", p.stride[1]),
        ("pad_h", p.pad[0]), ("pad_w", p.pad[1]),
    ]
    geometry = "{ " + ", ".join(f".{k} = {c_int(v)}" for k, v in values) + " }"
    name = f"{ctx.prefix}_op{i}"
    func = "hb_average_pool" if op.kind == "AVERAGE_POOL_2D" else "hb_max_pool"
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    if x.dtype == "int8":
        fields = [("g", geometry), ("act_min", c_int(int(p.act_min))),
                  ("act_max", c_int(int(p.act_max)))]
        return _struct("hb_pool_s8_params", name, fields), f"{func}_s8(&{name}, {inp}, {outp});"
    fields = [("g", geometry), ("act_min", c_float(p.act_min)), ("act_max", c_float(p.act_max))]
    return _struct("hb_pool_f32_params", name, fields), f"{func}_f32(&{name}, {inp}, {outp});"


def _add(ctx: OpContext, i: int, op: Op, p: AddParams) -> tuple[str, str]:
    g = ctx.graph
    out = g.tensor(op.outputs[0])
    for index in op.inputs[:2]:
        if g.tensor(index).size != out.size:
            raise UnsupportedOpError(f"{_where(g, i, op)}: broadcasting has no C kernel")
    name = f"{ctx.prefix}_op{i}"
    a, b, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.inputs[1]), ctx.pointer(op.outputs[0])
    if out.dtype == "int8":
        fields = [
            ("size", c_int(out.size)), ("left_shift", c_int(p.left_shift)),
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
        return _struct("hb_add_s8_params", name, fields), f"hb_add_s8(&{name}, {a}, {b}, {outp});"
    fields = [("size", c_int(out.size)), ("act_min", c_float(p.act_min)),
              ("act_max", c_float(p.act_max))]
    return _struct("hb_add_f32_params", name, fields), f"hb_add_f32(&{name}, {a}, {b}, {outp});"


def _softmax(ctx: OpContext, i: int, op: Op, p: SoftmaxParams) -> tuple[str, str]:
    x = ctx.graph.tensor(op.inputs[0])
    depth = x.shape[-1] if x.shape else 1
    name = f"{ctx.prefix}_op{i}"
    sizes = [("rows", c_int(x.size // depth)), ("depth", c_int(depth))]
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    if x.dtype == "int8":
        fields = sizes + [
            ("input_multiplier", c_int(p.input_multiplier)),
            ("input_left_shift", c_int(p.input_left_shift)),
            ("diff_min", c_int(p.diff_min)),
        ]
        return _struct("hb_softmax_s8_params", name, fields), \
            f"hb_softmax_s8(&{name}, {inp}, {outp});"
    fields = sizes + [("beta", c_float(p.beta))]
    return _struct("hb_softmax_f32_params", name, fields), \
        f"hb_softmax_f32(&{name}, {inp}, {outp});"


def _quantize(ctx: OpContext, i: int, op: Op, p: QuantizeParams) -> tuple[str, str]:
    x = ctx.graph.tensor(op.inputs[0])
    name = f"{ctx.prefix}_op{i}"
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    if x.dtype == "float32":
        fields = [("size", c_int(x.size)), ("scale", c_float(p.scale)),
                  ("zero_point", c_int(p.zero_point))]
        return _struct("hb_affine_params", name, fields), \
            f"hb_quantize_f32_s8(&{name}, {inp}, {outp});"
    fields = [
        ("size", c_int(x.size)), ("input_offset", c_int(p.input_offset)),
        ("output_offset", c_int(p.zero_point)),
        ("multiplier", c_int(p.multiplier)), ("shift", c_int(p.shift)),
    ]
    return _struct("hb_requantize_params", name, fields), \
        f"hb_requantize_s8(&{name}, {inp}, {outp});"


def _dequantize(ctx: OpContext, i: int, op: Op, p: DequantizeParams) -> tuple[str, str]:
    x = ctx.graph.tensor(op.inputs[0])
    name = f"{ctx.prefix}_op{i}"
    fields = [("size", c_int(x.size)), ("scale", c_float(p.scale)),
              ("zero_point", c_int(p.zero_point))]
    return _struct("hb_affine_params", name, fields), \
        f"hb_dequantize_s8_f32(&{name}, {ctx.pointer(op.inputs[0])}, " \
        f"{ctx.pointer(op.outputs[0])});"


def _reshape(ctx: OpContext, i: int, op: Op, aliased: bool) -> tuple[str, str]:
    src, dst = op.inputs[0], op.outputs[0]
    if aliased:
        return "", "/* RESHAPE: the output aliases the input, nothing to do */"
    nbytes = ctx.graph.tensor(dst).nbytes
    return "", f"memcpy({ctx.pointer(dst)}, {ctx.pointer(src)}, {nbytes});"


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
    return (value + "\n" + _struct("hb_pad_params", name, fields),
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
    return (_struct("hb_gather5_params", name, fields),
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
    return (_struct("hb_gather5_params", name, fields),
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
    return (_struct("hb_concat_params", name, fields),
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
    func = f"hb_{op.kind.lower()}_{suffix}"
    if isinstance(p, MinMaxParams):
        return geometry, f"{func}(&{name}_g, {a}, {b}, {outp});"
    if out.dtype == "float32":
        assert isinstance(p, (AddParams, MulParams))
        fields = [("act_min", c_float(p.act_min)), ("act_max", c_float(p.act_max))]
        struct = _struct("hb_binary_f32_params", name, fields)
    elif isinstance(p, MulParams):
        fields = [
            ("input1_offset", c_int(p.input1_offset)), ("input2_offset", c_int(p.input2_offset)),
            ("output_offset", c_int(p.output_offset)),
            ("output_multiplier", c_int(p.output_multiplier)),
            ("output_shift", c_int(p.output_shift)),
            ("act_min", c_int(int(p.act_min))), ("act_max", c_int(int(p.act_max))),
        ]
        struct = _struct("hb_mul_s8_params", name, fields)
    else:
        assert isinstance(p, AddParams)
        fields = [
            ("size", c_int(out.size)), ("left_shift", c_int(p.left_shift)),
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
        struct = _struct("hb_add_s8_params", name, fields)
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
    return (_struct("hb_mean_params", name, fields),
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
            return _struct("hb_relu_f32_params", name, fields), \
                f"hb_relu_f32(&{name}, {inp}, {outp});"
        fields = [size, ("input_zero_point", c_int(p.input_zero_point)),
                  ("output_offset", c_int(p.output_offset)),
                  ("multiplier", c_int(p.multiplier)), ("shift", c_int(p.shift)),
                  ("act_min", c_int(int(p.act_min))), ("act_max", c_int(int(p.act_max)))]
        return _struct("hb_relu_s8_params", name, fields), f"hb_relu_s8(&{name}, {inp}, {outp});"
    assert isinstance(p, LeakyReluParams)
    if x.dtype == "float32":
        fields = [size, ("alpha", c_float(p.alpha))]
        return _struct("hb_leaky_relu_f32_params", name, fields), \
            f"hb_leaky_relu_f32(&{name}, {inp}, {outp});"
    fields = [size, ("input_zero_point", c_int(p.input_zero_point)),
              ("output_offset", c_int(p.output_offset)),
              ("identity_multiplier", c_int(p.identity_multiplier)),
              ("identity_shift", c_int(p.identity_shift)),
              ("alpha_multiplier", c_int(p.alpha_multiplier)),
              ("alpha_shift", c_int(p.alpha_shift))]
    return _struct("hb_leaky_relu_s8_params", name, fields), \
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
    return (table + "\n" + _struct("hb_lut_s8_params", name, fields),
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
    return (_struct("hb_hard_swish_s8_params", name, fields),
            f"hb_hard_swish_s8(&{name}, {inp}, {outp});")


def emit_op(ctx: OpContext, i: int, op: Op, aliased: bool = False) -> OpCode:
    """The C of op #i; `aliased` says a RESHAPE's output shares its input's bytes."""
    kernel_file = check_supported(ctx.graph, i, op)
    if op.kind == "RESHAPE":
        definitions, call = _reshape(ctx, i, op, aliased)
        return OpCode(kernel_file, definitions, call)
    p: OpParams = lower_op(ctx.graph, op)
    if op.kind in ("SUB", "MUL", "MAXIMUM", "MINIMUM"):
        definitions, call = _binary(ctx, i, op, p)
    elif isinstance(p, PadParams):
        definitions, call = _pad(ctx, i, op, p)
    elif isinstance(p, TransposeParams):
        definitions, call = _transpose(ctx, i, op, p)
    elif isinstance(p, StridedSliceParams):
        definitions, call = _strided_slice(ctx, i, op, p)
    elif isinstance(p, ConcatParams):
        definitions, call = _concat(ctx, i, op, p)
    elif isinstance(p, MeanParams):
        definitions, call = _mean(ctx, i, op, p)
    elif isinstance(p, (ReluParams, LeakyReluParams)):
        definitions, call = _activation(ctx, i, op, p)
    elif isinstance(p, LutParams):
        definitions, call = _lookup(ctx, i, op, p)
    elif isinstance(p, HardSwishParams):
        definitions, call = _hard_swish(ctx, i, op, p)
    elif isinstance(p, ConvParams):
        definitions, call = _conv(ctx, i, op, p)
    elif isinstance(p, FullyConnectedParams):
        definitions, call = _fully_connected(ctx, i, op, p)
    elif isinstance(p, PoolParams):
        definitions, call = _pool(ctx, i, op, p)
    elif isinstance(p, AddParams):
        definitions, call = _add(ctx, i, op, p)
    elif isinstance(p, SoftmaxParams):
        definitions, call = _softmax(ctx, i, op, p)
    elif isinstance(p, QuantizeParams):
        definitions, call = _quantize(ctx, i, op, p)
    elif isinstance(p, DequantizeParams):
        definitions, call = _dequantize(ctx, i, op, p)
    else:  # pragma: no cover - check_supported admits only the kinds above
        raise UnsupportedOpError(f"{_where(ctx.graph, i, op)} has no C emitter")
    return OpCode(kernel_file, definitions, call)


