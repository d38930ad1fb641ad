"""Code generation of sparse and packed (binary / ternary) int8 CONV_2D and FULLY_CONNECTED
layers, for every kernel set (the kernels are portable: kernels/ref/sparse_s8.c, packed_s8.c).

`layer_format(graph, op, option, kernels)` says which weight format a layer gets (weight_formats.py
decides from its values; 'dense' for the layers these kernels do not take: float, hybrid,
grouped conv, FC with a filter zero point or a folded bias beyond int32). `emit()` returns
the OpCode of a non-dense layer, `scratch_bytes()` the arena bytes its patch needs. At build
time the input offset is folded into the bias (sparse: + input_offset * sum w; packed:
+ (input_offset - 128) * sum w) and FC's double scale gets the integer multiplier of the
armv7em FC (floor(scale * 2^32), exact where proven, the double otherwise).
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Op
from ..lower import ConvParams, FullyConnectedParams, lower_op
from . import armv7em
from .armv7em_fc import fc_requant
from .cformat import c_int
from .op_context import OpCode, OpContext, c_struct
from .weight_formats import (
    choose,
    encode_sparse,
    pack_binary,
    pack_ternary,
    packed_pays,
    sparse_threshold,
    words,
)

__all__ = ["layer_format", "weight_rows", "scratch_bytes", "emit"]

_INCLUDE = '#include "hb_sparse.h"\n'
MAX_SPARSE_DEPTH = 65_000    # + fillers (one per 255 columns) stays below 65,536 entries


def weight_rows(graph: Graph, op: Op) -> np.ndarray | None:
    """The [out_channels, depth] int8 weight rows of an int8 CONV_2D / FC these kernels can
    take, else None."""
    if op.kind not in ("CONV_2D", "FULLY_CONNECTED") or op.attrs.get("hybrid"):
        return None
    x, w, out = (graph.tensor(t) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if x.dtype != "int8" or out.dtype != "int8" or w.dtype != "int8" or w.data is None:
        return None
    if op.kind == "CONV_2D" and (len(x.shape) != 4 or w.shape[3] != x.shape[3]):
        return None
    if op.kind == "FULLY_CONNECTED":
        depth = w.shape[1]
        if x.size % depth or (x.size // depth) * w.shape[0] != out.size:
            return None
    data = np.asarray(w.data, np.int8)
    return data.reshape(data.shape[0], -1)


def _bias(graph: Graph, op: Op, n: int) -> np.ndarray:
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        return np.asarray(graph.tensor(op.inputs[2]).data, np.int64).reshape(n)
    return np.zeros(n, np.int64)


def _folded(graph: Graph, op: Op, rows: np.ndarray, fmt: str) -> np.ndarray | None:
    """The bias with the input offset folded in, None when the layer cannot fold it."""
    p = lower_op(graph, op)
    if isinstance(p, FullyConnectedParams) and p.filter_offset != 0:
        return None
    offset = p.input_offset if isinstance(p, (ConvParams, FullyConnectedParams)) else 0
    if fmt in ("binary", "ternary"):
        offset -= 128
    folded = _bias(graph, op, len(rows)) + offset * rows.astype(np.int64).sum(axis=1)
    return None if np.any(np.abs(folded) >= 1 << 31) else folded


def layer_format(graph: Graph, op: Op, option: str, kernels: str = "ref") -> str:
    """'dense', 'sparse', 'binary' or 'ternary' for op under the run's weight-format option,
    next to the dense kernels of `kernels` (`auto`: the format expected to be fastest next to
    the kernel that would run the layer dense; ref's when armv7em cannot take it)."""
    rows = weight_rows(graph, op)
    if rows is None:
        return "dense"
    if kernels == "armv7em" and not armv7em.takes(graph, op):
        kernels = "ref"                     # the layer's dense kernel would be ref's
    packed = tuple(f for f in ("binary", "ternary")
                   if packed_pays(kernels, op.kind, f, (int(rows.shape[0]), int(rows.shape[1]))))
    fmt = choose(rows, option, sparse_threshold(kernels, op.kind), packed)
    if fmt == "sparse" and rows.shape[1] > MAX_SPARSE_DEPTH:   # entries counted in uint16
        return "dense"
    if fmt != "dense" and _folded(graph, op, rows, fmt) is None:
        return "dense"
    return fmt


def _direct(graph: Graph, op: Op) -> bool:
    """The patch of an output pixel is the input pixel itself (FC; 1x1 conv, no padding)."""
    if op.kind == "FULLY_CONNECTED":
        return True
    p = lower_op(graph, op)
    w = graph.tensor(op.inputs[1])
    return isinstance(p, ConvParams) and w.shape[1:3] == (1, 1) and p.pad == (0, 0)


def scratch_bytes(graph: Graph, op: Op, fmt: str) -> int:
    """Arena bytes the kernel of op in format fmt needs during its run."""
    rows = weight_rows(graph, op)
    if rows is None or fmt == "dense":
        return 0
    patch = 0 if _direct(graph, op) else int(rows.shape[1])     # the im2col copy
    return patch if fmt == "sparse" else 32 * words(int(rows.shape[1])) + patch


def _geometry(graph: Graph, op: Op, rows: np.ndarray) -> tuple[str, bool]:
    """hb_conv_geometry initializer; FC as batches of 1x1 images with accum_depth channels."""
    x, w, out = (graph.tensor(t) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
    p = lower_op(graph, op)
    if isinstance(p, ConvParams):
        b, h, wd, c = x.shape
        _, oh, ow, oc = out.shape
        values = [b, h, wd, c, oh, ow, oc, w.shape[1], w.shape[2], *p.stride, *p.dilation,
                  *p.pad, 1]
    else:
        depth, oc = rows.shape[1], rows.shape[0]
        values = [x.size // depth, 1, 1, depth, 1, 1, oc, 1, 1, 1, 1, 1, 1, 0, 0, 1]
    names = ["batches", "in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "filter_h",
             "filter_w", "stride_h", "stride_w", "dilation_h", "dilation_w", "pad_h", "pad_w",
             "depth_multiplier"]
    return "{ " + ", ".join(f".{k} = {c_int(v)}" for k, v in zip(names, values)) + " }", \
        _direct(graph, op)


def _single_rounding(ctx: OpContext, i: int, p: ConvParams) -> list[tuple[str, str]]:
    """hb_sp_requant records when every channel can take the one-step requantisation
    (multiplier >= 2^30 or 0, right shift 1..31), else the flag 0."""
    m, e = np.asarray(p.multiplier, np.int64), -np.asarray(p.shift, np.int64)
    if not np.all((m == 0) | ((m >= 1 << 30) & (e >= 1) & (e <= 31))):
        return [("single_rounding", "0")]
    e = np.clip(e, 1, 31)                      # a zero multiplier takes any
    rounding = (np.int64(1) << 30) + np.left_shift(np.int64(1), 30 + e)
    records = np.stack([rounding & 0xFFFFFFFF, rounding >> 32, m, e - 1], axis=1)
    symbol = ctx.constants.int32_array(
        f"op{i}_requant", records.astype(np.uint32).view(np.int32).reshape(-1),
        f"op #{i} CONV_2D per channel: int64 rounding 2^30 + 2^(30+e), multiplier, e - 1")
    return [("single_rounding", "1"), ("requant", f"(const hb_sp_requant *){symbol}")]


def _layer_fields(ctx: OpContext, i: int, op: Op, rows: np.ndarray,
                  folded: np.ndarray) -> str:
    """The hb_sp_layer initializer of op #i."""
    g = ctx.graph
    p = lower_op(g, op)
    assert isinstance(p, (ConvParams, FullyConnectedParams))
    geometry, direct = _geometry(g, op, rows)
    n = len(rows)
    bias = ctx.constants.int32_array(
        f"op{i}_folded_bias", folded, f"op #{i} {op.kind} bias with the input offset folded in")
    fields = [("g", geometry), ("depth", c_int(rows.shape[1])), ("direct", c_int(int(direct))),
              ("input_zero_point", c_int(-p.input_offset)),
              ("output_offset", c_int(p.output_offset)),
              ("act_min", c_int(int(p.act_min))), ("act_max", c_int(int(p.act_max))),
              ("bias", bias)]
    if isinstance(p, ConvParams):
        mult = ctx.constants.int32_array(f"op{i}_multiplier", p.multiplier,
                                         f"op #{i} CONV_2D per-channel multipliers")
        shift = ctx.constants.int32_array(f"op{i}_shift", p.shift,
                                          f"op #{i} CONV_2D per-channel shifts")
        fields += [("multiplier", mult), ("shift", shift)] + _single_rounding(ctx, i, p)
        fields += [("fc", "0")]
    else:
        scales = np.asarray(p.effective_scale, np.float64).reshape(-1)
        scale = ctx.constants.float64_array(f"op{i}_scale", scales,
                                            f"op #{i} FULLY_CONNECTED effective scales")
        m = np.array([fc_requant(float(s)) for s in np.broadcast_to(scales, (n,))], np.uint64)
        fc_mult = ctx.constants.int32_array(
            f"op{i}_fc_multiplier", m.astype(np.uint32).view(np.int32),
            f"op #{i} FULLY_CONNECTED floor(scale * 2^32) per channel (0: use the double)")
        fields += [("fc", "1"), ("per_channel", "1" if len(scales) > 1 else "0"),
                   ("scale", scale), ("fc_multiplier", f"(const uint32_t *){fc_mult}")]
    body = ",\n".join(f"        .{k} = {v}" for k, v in fields)
    return "{\n" + body + ",\n    }"


def emit(ctx: OpContext, i: int, op: Op, fmt: str) -> OpCode:
    """The C of op #i with its weights in format fmt ('sparse', 'binary' or 'ternary')."""
    g = ctx.graph
    rows = weight_rows(g, op)
    folded = _folded(g, op, rows, fmt) if rows is not None else None
    if rows is None or folded is None:
        raise ValueError(f"op #{i} ({op.kind}) cannot take the {fmt} weight format")
    layer = _layer_fields(ctx, i, op, rows, folded)
    name = f"{ctx.prefix}_op{i}"
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    scratch = ctx.scratch(i) if scratch_bytes(g, op, fmt) else "NULL"
    wname = g.tensor(op.inputs[1]).name
    if fmt == "sparse":
        sp = encode_sparse(rows)
        counts = ctx.constants.array(f"op{i}_counts", sp.counts,
                                     f"op #{i} '{wname}' sparse: entries per output channel")
        deltas = ctx.constants.array(f"op{i}_deltas", sp.deltas,
                                     f"op #{i} '{wname}' sparse: column steps")
        values = ctx.constants.int8_array(f"op{i}_values", sp.values,
                                          f"op #{i} '{wname}' sparse: nonzero weights")
        fields = [("l", layer), ("counts", counts), ("deltas", deltas), ("values", values)]
        return OpCode("sparse_s8.c", _INCLUDE + c_struct("hb_sparse_params", name, fields),
                      f"hb_sparse_s8(&{name}, {inp}, (int8_t *){scratch}, {outp});")
    packed = pack_binary(rows) if fmt == "binary" else pack_ternary(rows)
    bits = ctx.constants.int32_array(
        f"op{i}_bits", packed.reshape(-1).view(np.int32),
        f"op #{i} '{wname}' {fmt}: " + ("1 bit per weight (1: +1, 0: -1)" if fmt == "binary"
                                       else "per 32 weights a '+1' word and a '-1' word"))
    fields = [("l", layer), ("words", c_int(words(rows.shape[1]))),
              ("ternary", "1" if fmt == "ternary" else "0"),
              ("bits", f"(const uint32_t *){bits}")]
    return OpCode("packed_s8.c", _INCLUDE + c_struct("hb_packed_params", name, fields),
                  f"hb_packed_s8(&{name}, {inp}, (uint32_t *){scratch}, {outp});")
