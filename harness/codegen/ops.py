"""Per-op C: which reference kernel runs an op, its constant parameter struct and its call.

Every fixed-point constant comes from `harness.lower` (the same numbers the golden
interpreter uses); this module only lays them out as C initializers.
"""
from __future__ import annotations

from ..errors import UnsupportedOpError
from ..ir import Graph, Op, Tensor
from ..lower import (
    AddParams,
    ConvParams,
    DequantizeParams,
    FullyConnectedParams,
    OpParams,
    PoolParams,
    QuantizeParams,
    SoftmaxParams,
    lower_op,
)
from ..op_params import LstmInt8Params, LstmParams, SvdfParams
from .cformat import c_float, c_int
from .int16_ops import INT16_KERNEL_FILES, emit_int16_op, int16_kernel_file, involves_int16
from .op_context import OpCode, OpContext, bias_pointer, c_struct, tensor_ctype, where
from .ops_more import (
    MORE_KERNEL_FILES,
    check_more_supported,
    emit_more_op,
    is_more_op,
    more_scratch_bytes,
)
from .seq_ops import emit_seq_op, seq_scratch_bytes
from .tensor_ops import add_s8_fields, emit_tensor_op
from .transformer_ops import emit_transformer_op

__all__ = [
    "KERNEL_FILES", "OpContext", "OpCode", "check_supported", "scratch_bytes", "emit_op",
    "tensor_ctype",
]

# (op kind, activation dtype) -> the kernel source file that implements it (int16: int16x8,
# also the file of QUANTIZE float32/int8 -> int16, see int16_ops.py).
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
        ("SLICE", "movement.c"),
    ] for dtype in ("int8", "float32")},
    **{(kind, "int16"): file for kind, file in INT16_KERNEL_FILES.items()},
    ("BATCH_MATMUL", "float32"): "transformer.c",
    ("SQUARED_DIFFERENCE", "float32"): "elementwise.c",
    ("RSQRT", "float32"): "transformer.c",
    ("GELU", "float32"): "transformer.c",
    ("BATCH_MATMUL", "int8"): "transformer.c",          # int8: transformer_int8.py
    ("SQUARED_DIFFERENCE", "int8"): "elementwise.c",
    ("RSQRT", "int8"): "activations.c",                 # a lookup table (hb_lut_s8)
    ("GELU", "int8"): "activations.c",         # LiteRT's lookup table (hb_lut_s8)
    **MORE_KERNEL_FILES,    # issue 13: SPLIT, SPLIT_V, GATHER, CAST, TRANSPOSE_CONV (ops_more.py)
    ("SVDF", "int8"): "sequence.c",
    ("SVDF", "float32"): "sequence.c",
    ("UNIDIRECTIONAL_SEQUENCE_LSTM", "float32"): "sequence.c",
    ("UNIDIRECTIONAL_SEQUENCE_LSTM", "int8"): "lstm_s8.c",
}


def check_supported(graph: Graph, index: int, op: Op) -> str:
    """The kernel file of an op ('' for none needed); UnsupportedOpError if there is no kernel."""
    dtype = graph.tensor(op.inputs[0]).dtype
    key = (op.kind, dtype)
    int16 = involves_int16(graph, op)
    if int16:
        int16_kernel_file(graph, index, op)
    elif key not in KERNEL_FILES:
        raise UnsupportedOpError(
            f"{where(graph, index, op)} with {dtype} input has no C kernel; the kernels: "
            "README 'Supported operators' (python -m harness.codegen.support)"
        )
    if op.kind == "QUANTIZE" and graph.tensor(op.outputs[0]).dtype not in ("int8", "int16"):
        raise UnsupportedOpError(f"{where(graph, index, op)}: only int8/int16 output has a C "
                                 "kernel")
    if op.kind == "DEQUANTIZE" and graph.tensor(op.outputs[0]).dtype != "float32":
        raise UnsupportedOpError(f"{where(graph, index, op)}: only float32 output has a C kernel")
    if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D"):
        for t in (graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])):
            if len(t.shape) != 4:
                raise UnsupportedOpError(
                    f"{where(graph, index, op)}: tensor '{t.name}' has shape {t.shape}; "
                    "the C kernels need NHWC (rank 4)"
                )
    check_more_supported(graph, index, op)
    if op.kind == "CONV_2D":
        x, w = graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1])
        if w.shape[3] != x.shape[3]:
            raise UnsupportedOpError(
                f"{where(graph, index, op)}: grouped convolution (filter depth {w.shape[3]}, "
                f"input depth {x.shape[3]}) has no C kernel"
            )
    return int16_kernel_file(graph, index, op) if int16 else KERNEL_FILES[key]


def scratch_bytes(graph: Graph, op: Op) -> int:
    """Arena bytes an op needs during its run only (the hybrid conv's quantized input, MEAN's
    accumulators)."""
    if op.kind == "CONV_2D" and op.attrs.get("hybrid"):
        return graph.tensor(op.inputs[0]).size
    if op.kind == "MEAN":
        return 4 * graph.tensor(op.outputs[0]).size
    return more_scratch_bytes(graph, op) or seq_scratch_bytes(graph, op)


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
            f"{where(g, i, op)}: {out.shape[3]} output channels for {x.shape[3]} input "
            f"channels x depth multiplier {p.depth_multiplier}"
        )
    name = f"{ctx.prefix}_op{i}"
    geometry = _conv_geometry(x, w, out, p, depthwise)
    filt, bias = ctx.constants.tensor(w), bias_pointer(ctx, op)
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    func = "hb_depthwise_conv2d" if depthwise else "hb_conv2d"
    if x.dtype in ("int8", "int16"):   # int16x8: the same constants, int64 bias, _s16 kernel
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
        suffix = "s16" if x.dtype == "int16" else "s8"
        return (c_struct("hb_conv_s8_params", name, fields),
                f"{func}_{suffix}(&{name}, {inp}, {filt}, {bias}, {outp});")
    if op.attrs.get("hybrid"):
        fields = [
            ("g", geometry), ("weight_scale", c_float(p.hybrid_weight_scale)),
            ("act_min", c_float(p.act_min)), ("act_max", c_float(p.act_max)),
        ]
        return (c_struct("hb_conv_hybrid_params", name, fields),
                f"hb_conv2d_hybrid(&{name}, {inp}, {filt}, {bias}, "
                f"(int8_t *){ctx.scratch(i)}, {outp});")
    fields = [("g", geometry), ("act_min", c_float(p.act_min)), ("act_max", c_float(p.act_max))]
    return (c_struct("hb_conv_f32_params", name, fields),
            f"{func}_f32(&{name}, {inp}, {filt}, {bias}, {outp});")


def _fully_connected(ctx: OpContext, i: int, op: Op, p: FullyConnectedParams) -> tuple[str, str]:
    g = ctx.graph
    x, w, out = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
    out_depth, accum_depth = w.shape[0], w.shape[1]
    batches = x.size // accum_depth
    if batches * accum_depth != x.size or batches * out_depth != out.size:
        raise UnsupportedOpError(
            f"{where(g, i, op)}: input {x.shape} and output {out.shape} do not match "
            f"weights {w.shape}"
        )
    name = f"{ctx.prefix}_op{i}"
    sizes = [("batches", c_int(batches)), ("accum_depth", c_int(accum_depth)),
             ("out_depth", c_int(out_depth))]
    # float weights may be an activation (litert-torch's q @ k^T)
    weights = ctx.constants.tensor(w) if w.is_constant else ctx.pointer(op.inputs[1])
    bias = bias_pointer(ctx, op)
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    if x.dtype in ("int8", "int16"):
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
        suffix = "s16" if x.dtype == "int16" else "s8"
        return (c_struct("hb_fc_s8_params", name, fields),
                f"hb_fully_connected_{suffix}(&{name}, {inp}, {weights}, {bias}, {outp});")
    fields = sizes + [("act_min", c_float(p.act_min)), ("act_max", c_float(p.act_max))]
    return (c_struct("hb_fc_f32_params", name, fields),
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
    if x.dtype in ("int8", "int16"):
        fields = [("g", geometry), ("act_min", c_int(int(p.act_min))),
                  ("act_max", c_int(int(p.act_max)))]
        suffix = "s16" if x.dtype == "int16" else "s8"
        return (c_struct("hb_pool_s8_params", name, fields),
                f"{func}_{suffix}(&{name}, {inp}, {outp});")
    fields = [("g", geometry), ("act_min", c_float(p.act_min)), ("act_max", c_float(p.act_max))]
    return c_struct("hb_pool_f32_params", name, fields), f"{func}_f32(&{name}, {inp}, {outp});"


def _add(ctx: OpContext, i: int, op: Op, p: AddParams) -> tuple[str, str]:
    g = ctx.graph
    out = g.tensor(op.outputs[0])
    for index in op.inputs[:2]:
        if g.tensor(index).size != out.size:
            raise UnsupportedOpError(f"{where(g, i, op)}: broadcasting has no C kernel")
    name = f"{ctx.prefix}_op{i}"
    a, b, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.inputs[1]), ctx.pointer(op.outputs[0])
    if out.dtype == "int8":
        fields = add_s8_fields(out.size, p)
        return c_struct("hb_add_s8_params", name, fields), f"hb_add_s8(&{name}, {a}, {b}, {outp});"
    fields = [("size", c_int(out.size)), ("act_min", c_float(p.act_min)),
              ("act_max", c_float(p.act_max))]
    return c_struct("hb_add_f32_params", name, fields), f"hb_add_f32(&{name}, {a}, {b}, {outp});"


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
        return c_struct("hb_softmax_s8_params", name, fields), \
            f"hb_softmax_s8(&{name}, {inp}, {outp});"
    fields = sizes + [("beta", c_float(p.beta))]
    return c_struct("hb_softmax_f32_params", name, fields), \
        f"hb_softmax_f32(&{name}, {inp}, {outp});"


def _quantize(ctx: OpContext, i: int, op: Op, p: QuantizeParams) -> tuple[str, str]:
    x = ctx.graph.tensor(op.inputs[0])
    name = f"{ctx.prefix}_op{i}"
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    if x.dtype == "float32":
        fields = [("size", c_int(x.size)), ("scale", c_float(p.scale)),
                  ("zero_point", c_int(p.zero_point))]
        return c_struct("hb_affine_params", name, fields), \
            f"hb_quantize_f32_s8(&{name}, {inp}, {outp});"
    fields = [
        ("size", c_int(x.size)), ("input_offset", c_int(p.input_offset)),
        ("output_offset", c_int(p.zero_point)),
        ("multiplier", c_int(p.multiplier)), ("shift", c_int(p.shift)),
    ]
    return c_struct("hb_requantize_params", name, fields), \
        f"hb_requantize_s8(&{name}, {inp}, {outp});"


def _dequantize(ctx: OpContext, i: int, op: Op, p: DequantizeParams) -> tuple[str, str]:
    x = ctx.graph.tensor(op.inputs[0])
    name = f"{ctx.prefix}_op{i}"
    fields = [("size", c_int(x.size)), ("scale", c_float(p.scale)),
              ("zero_point", c_int(p.zero_point))]
    return c_struct("hb_affine_params", name, fields), \
        f"hb_dequantize_s8_f32(&{name}, {ctx.pointer(op.inputs[0])}, " \
        f"{ctx.pointer(op.outputs[0])});"


def _reshape(ctx: OpContext, i: int, op: Op, aliased: bool) -> tuple[str, str]:
    src, dst = op.inputs[0], op.outputs[0]
    if aliased:
        return "", "/* RESHAPE: the output aliases the input, nothing to do */"
    nbytes = ctx.graph.tensor(dst).nbytes
    return "", f"memcpy({ctx.pointer(dst)}, {ctx.pointer(src)}, {nbytes});"


def emit_op(ctx: OpContext, i: int, op: Op, aliased: bool = False) -> OpCode:
    """The C of op #i; `aliased` says a RESHAPE's output shares its input's bytes."""
    kernel_file = check_supported(ctx.graph, i, op)
    if op.kind == "RESHAPE":
        definitions, call = _reshape(ctx, i, op, aliased)
        return OpCode(kernel_file, definitions, call)
    p: OpParams = lower_op(ctx.graph, op)
    if is_more_op(op):
        return OpCode(*emit_more_op(ctx, i, op, p))
    int16_op = emit_int16_op(ctx, i, op, p)
    if int16_op is not None:
        return OpCode(kernel_file, *int16_op)
    tensor_op = emit_tensor_op(ctx, i, op, p)
    if tensor_op is None and (transformer_op := emit_transformer_op(ctx, i, op, p)):
        tensor_op = transformer_op
    if tensor_op is not None and op.kind == "ADD":
        kernel_file = "elementwise.c"   # broadcasting ADD
    if tensor_op is not None:
        definitions, call = tensor_op
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
    elif isinstance(p, (SvdfParams, LstmParams, LstmInt8Params)):
        definitions, call = emit_seq_op(ctx, i, op, p)
    else:  # pragma: no cover - check_supported admits only the kinds above
        raise UnsupportedOpError(f"{where(ctx.graph, i, op)} has no C emitter")
    return OpCode(kernel_file, definitions, call)


