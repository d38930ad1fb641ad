"""C of issue 13's ops: SPLIT / SPLIT_V, GATHER, CAST, TRANSPOSE_CONV and hybrid
FULLY_CONNECTED (kernels/ref: split_gather.c, cast.c, transpose_conv.c, fc_hybrid.c). Each lays
out the constants `harness.lower_more` derived and calls its kernel; ops.py dispatches here."""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import Graph, Op
from ..op_params import (
    CastParams,
    FullyConnectedParams,
    GatherParams,
    OpParams,
    SplitParams,
    TransposeConvParams,
)
from .cformat import c_float, c_int
from .op_context import OpContext, bias_pointer, c_struct, where

__all__ = ["MORE_KERNEL_FILES", "is_more_op", "more_scratch_bytes", "emit_more_op",
           "check_more_supported"]

_DTYPES = ("int8", "float32")
MORE_KERNEL_FILES: dict[tuple[str, str], str] = {
    **{(kind, d): "split_gather.c" for kind in ("SPLIT", "SPLIT_V", "GATHER") for d in _DTYPES},
    **{("CAST", d): "cast.c" for d in ("int8", "int32", "int64", "float32")},
    **{("TRANSPOSE_CONV", d): "transpose_conv.c" for d in _DTYPES},
}
_TYPE_CODES = {"int8": "HB_TYPE_INT8", "int32": "HB_TYPE_INT32", "int64": "HB_TYPE_INT64",
               "float32": "HB_TYPE_FLOAT32"}
MAX_SPLITS = 16     # HB_MAX_CONCAT


def is_more_op(op: Op) -> bool:
    return (op.kind, "int8") in MORE_KERNEL_FILES or (op.kind == "FULLY_CONNECTED" and
                                                      bool(op.attrs.get("hybrid")))


def check_more_supported(graph: Graph, index: int, op: Op) -> None:
    """UnsupportedOpError when the kernel cannot take this instance of the op."""
    if op.kind in ("SPLIT", "SPLIT_V") and len(op.outputs) > MAX_SPLITS:
        raise UnsupportedOpError(f"{where(graph, index, op)}: {len(op.outputs)} outputs (the C "
                                 f"kernel takes at most {MAX_SPLITS})")


def more_scratch_bytes(graph: Graph, op: Op) -> int:
    """Arena bytes during the op: int8 TRANSPOSE_CONV's int32 sums, hybrid FC's int8 row."""
    if op.kind == "TRANSPOSE_CONV" and graph.tensor(op.inputs[0]).dtype == "int8":
        return 4 * graph.tensor(op.outputs[0]).size
    if op.kind == "FULLY_CONNECTED" and op.attrs.get("hybrid"):
        return graph.tensor(op.inputs[1]).shape[1]
    return 0


def _elem(dtype: str) -> int:
    return int(np.dtype(dtype).itemsize)


def _split(ctx: OpContext, i: int, op: Op, p: SplitParams) -> tuple[str, str]:
    x = ctx.graph.tensor(op.inputs[0])
    outer = int(np.prod(x.shape[:p.axis], dtype=np.int64))
    inner = int(np.prod(x.shape[p.axis + 1:], dtype=np.int64))
    name = f"{ctx.prefix}_op{i}"
    chunks = "{ " + ", ".join(c_int(s * inner) for s in p.sizes) + " }"
    fields = [("elem_size", c_int(_elem(x.dtype))), ("outer", c_int(outer)),
              ("count", c_int(len(p.sizes))), ("chunk", chunks)]
    pointers = ", ".join(f"(void *){ctx.pointer(k)}" for k in op.outputs)
    return (c_struct("hb_concat_params", name, fields),
            f"{{ void *const parts[{len(p.sizes)}] = {{ {pointers} }}; "
            f"hb_split(&{name}, {ctx.pointer(op.inputs[0])}, parts); }}")


def _gather(ctx: OpContext, i: int, op: Op, p: GatherParams) -> tuple[str, str]:
    table, indices = ctx.graph.tensor(op.inputs[0]), ctx.graph.tensor(op.inputs[1])
    outer = int(np.prod(table.shape[:p.axis], dtype=np.int64))
    inner = int(np.prod(table.shape[p.axis + 1:], dtype=np.int64))
    if indices.data is not None:   # constant indices: stored as int32 (validated in range)
        index_ptr = ctx.constants.int32_array(f"op{i}_indices", indices.data.reshape(-1),
                                              f"op #{i} GATHER indices")
        index_bytes = 4
    else:
        index_ptr, index_bytes = ctx.pointer(op.inputs[1]), _elem(indices.dtype)
    name = f"{ctx.prefix}_op{i}"
    fields = [("elem_size", c_int(_elem(table.dtype))), ("outer", c_int(outer)),
              ("axis_size", c_int(table.shape[p.axis])), ("inner", c_int(inner)),
              ("count", c_int(indices.size)), ("index_bytes", c_int(index_bytes))]
    return (c_struct("hb_gather_params", name, fields),
            f"hb_gather(&{name}, {ctx.pointer(op.inputs[0])}, {index_ptr}, "
            f"{ctx.pointer(op.outputs[0])});")


def _cast(ctx: OpContext, i: int, op: Op, p: CastParams) -> tuple[str, str]:
    name = f"{ctx.prefix}_op{i}"
    fields = [("size", c_int(ctx.graph.tensor(op.inputs[0]).size)),
              ("from", _TYPE_CODES[p.from_dtype]), ("to", _TYPE_CODES[p.to_dtype])]
    return (c_struct("hb_cast_params", name, fields),
            f"hb_cast(&{name}, {ctx.pointer(op.inputs[0])}, {ctx.pointer(op.outputs[0])});")


def _transpose_conv(ctx: OpContext, i: int, op: Op, p: TransposeConvParams) -> tuple[str, str]:
    g = ctx.graph
    x, w, out = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
    values = [("batches", x.shape[0]), ("in_h", x.shape[1]), ("in_w", x.shape[2]),
              ("in_c", x.shape[3]), ("out_h", out.shape[1]), ("out_w", out.shape[2]),
              ("out_c", out.shape[3]), ("filter_h", w.shape[1]), ("filter_w", w.shape[2]),
              ("stride_h", p.stride[0]), ("stride_w", p.stride[1]),
              ("pad_h", p.pad[0]), ("pad_w", p.pad[1])]
    geometry = "{ " + ", ".join(f".{k} = {c_int(v)}" for k, v in values) + " }"
    name = f"{ctx.prefix}_op{i}"
    filt, bias = ctx.constants.tensor(w), bias_pointer(ctx, op)
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    if x.dtype == "int8":
        mult = ctx.constants.int32_array(f"op{i}_multiplier", p.multiplier,
                                         f"op #{i} TRANSPOSE_CONV per-channel multipliers")
        shift = ctx.constants.int32_array(f"op{i}_shift", p.shift,
                                          f"op #{i} TRANSPOSE_CONV per-channel shifts")
        fields = [("g", geometry), ("input_offset", c_int(p.input_offset)),
                  ("output_offset", c_int(p.output_offset)),
                  ("act_min", c_int(int(p.act_min))), ("act_max", c_int(int(p.act_max))),
                  ("multiplier", mult), ("shift", shift)]
        return (c_struct("hb_tconv_s8_params", name, fields),
                f"hb_transpose_conv_s8(&{name}, {inp}, {filt}, {bias}, "
                f"(int32_t *)(void *){ctx.scratch(i)}, {outp});")
    fields = [("g", geometry), ("act_min", c_float(p.act_min)), ("act_max", c_float(p.act_max))]
    return (c_struct("hb_tconv_f32_params", name, fields),
            f"hb_transpose_conv_f32(&{name}, {inp}, {filt}, {bias}, {outp});")


def _hybrid_fc(ctx: OpContext, i: int, op: Op, p: FullyConnectedParams) -> tuple[str, str]:
    g = ctx.graph
    x, w = g.tensor(op.inputs[0]), g.tensor(op.inputs[1])
    out_depth, accum_depth = w.shape
    scales = p.hybrid_weight_scales
    table = f"{ctx.prefix}_op{i}_weight_scale"
    values = ", ".join(c_float(float(s)) for s in scales)
    name = f"{ctx.prefix}_op{i}"
    fields = [("batches", c_int(x.size // accum_depth)), ("accum_depth", c_int(accum_depth)),
              ("out_depth", c_int(out_depth)), ("per_channel", "1" if scales.size > 1 else "0"),
              ("asymmetric", "1" if p.asymmetric_inputs else "0"), ("weight_scale", table),
              ("act_min", c_float(p.act_min)), ("act_max", c_float(p.act_max))]
    return (f"static const float {table}[{scales.size}] = {{ {values} }};\n" +
            c_struct("hb_fc_hybrid_params", name, fields),
            f"hb_fully_connected_hybrid(&{name}, {ctx.pointer(op.inputs[0])}, "
            f"{ctx.constants.tensor(w)}, {bias_pointer(ctx, op)}, "
            f"(int8_t *){ctx.scratch(i)}, {ctx.pointer(op.outputs[0])});")


def emit_more_op(ctx: OpContext, i: int, op: Op, p: OpParams) -> tuple[str, str, str]:
    """(kernel file, definitions, call) of op #i, one of this module's ops (is_more_op)."""
    if isinstance(p, SplitParams):
        return ("split_gather.c", *_split(ctx, i, op, p))
    if isinstance(p, GatherParams):
        return ("split_gather.c", *_gather(ctx, i, op, p))
    if isinstance(p, CastParams):
        return ("cast.c", *_cast(ctx, i, op, p))
    if isinstance(p, TransposeConvParams):
        return ("transpose_conv.c", *_transpose_conv(ctx, i, op, p))
    if isinstance(p, FullyConnectedParams):
        return ("fc_hybrid.c", *_hybrid_fc(ctx, i, op, p))
    raise UnsupportedOpError(f"{where(ctx.graph, i, op)} has no C emitter")
