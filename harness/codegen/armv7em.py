"""The `armv7em` kernel set's code generation: per-layer choice and build-time data layout.

For an int8 op it can speed up, `emit(ctx, i, op)` returns the OpCode calling a kernel of
kernels/armv7em (ARMv7E-M DSP: SXTB16, SMLAD, SMLABB/SMLATT); for anything else it returns
None and the op keeps its `ref` kernel (float, hybrid, MAX_POOL_2D and windowed average
pooling, SOFTMAX, depthwise with a depth multiplier and 2+ input channels, FC with a filter
offset, conv layers with a per-channel scale of 1/2 or more). A depthwise layer of one input
channel and depth multiplier m is a CONV_2D of one input channel and m output channels (output
channel k reads input channel 0 with the taps w[0, :, :, k]) and runs on the conv kernel.
At build time it

- folds the input offset into the bias: bias'[o] = bias[o] + input_offset * sum(w[o]), exact in
  int32, so the inner loops multiply raw int8 values (padded taps read the zero point);
- merges the two roundings of the requantisation into one 64-bit multiply-accumulate
  (hb_arm_requantize, exact for every accumulator; a layer with a scale in [1/4, 1/2) takes
  the kernel's HB_ARM_ONE_SHIFT build, `_r1`; layers it cannot take keep ref);
- pads weight rows with zeros to whole words and interleaves the rows of 2 (CONV_2D) output
  channels word by word, the order the inner loops load them; FULLY_CONNECTED packs row pairs
  as 256 b + a (one SXTB16 per weight word) or interleaves 4 rows where that is not exact, and
  runs a kernel specialised per layer shape (armv7em_fc.py);
- packs bias, multiplier and shifts per channel (hb_arm_channel) for the requantisation;
- turns LiteRT's FC requantisation round((double)acc * scale) into an integer multiplier
  floor(scale * 2^32) with a proven error bound (hb_arm_fc_channel), the double kept for the
  cases the bound cannot decide;
- tabulates each ADD input's rescaling (256 int32 per input, from harness.fixedpoint);
- sizes the scratch (im2col rows, the zero-point row, the padded FC input) for the arena plan.
"""
from __future__ import annotations

import numpy as np

from .. import fixedpoint as fp
from ..ir import Graph, Op
from ..lower import AddParams, ConvParams, FullyConnectedParams, PoolParams, lower_op
from .armv7em_fc import FcShape, fc_pairs, fc_requant, specialised_fc
from .cformat import c_int
from .op_context import OpCode, OpContext
from .op_context import c_struct as _struct
from .ops import _conv_geometry, check_supported

__all__ = ["NAME", "emit", "scratch_bytes", "takes", "requantizable"]

NAME = "armv7em"
MAX_DW_TAPS = 25          # HB_MAX_TAPS in arm_dwconv_s8_body.h


def _words(n: int) -> int:
    return (n + 3) // 4


_INCLUDE = '#include "hb_armv7em.h"\n'


def _int8(graph: Graph, op: Op) -> bool:
    return (graph.tensor(op.inputs[0]).dtype == "int8"
            and graph.tensor(op.outputs[0]).dtype == "int8" and not op.attrs.get("hybrid"))


def _bias_values(graph: Graph, op: Op, n: int) -> np.ndarray:
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        return np.asarray(graph.tensor(op.inputs[2]).data, dtype=np.int64).reshape(n)
    return np.zeros(n, np.int64)


def _kind(graph: Graph, op: Op) -> str | None:
    """Which armv7em kernel runs op ('conv', 'dwconv', 'fc'), None: the ref kernel."""
    if not _int8(graph, op):
        return None
    if op.kind == "CONV_2D":
        x, w = graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1])
        return "conv" if len(x.shape) == 4 and w.shape[3] == x.shape[3] else None
    if op.kind == "DEPTHWISE_CONV_2D":
        w = graph.tensor(op.inputs[1])
        if _dw_as_conv(graph, op):
            return "conv"
        if op.attrs.get("depth_multiplier", 1) != 1 or w.shape[1] * w.shape[2] > MAX_DW_TAPS:
            return None
        return "dwconv"
    if op.kind == "FULLY_CONNECTED":
        return "fc"
    if op.kind == "AVERAGE_POOL_2D":
        x, out = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
        if len(x.shape) != 4 or out.shape[1:3] != (1, 1) or x.shape[3] % 4:
            return None
        return "pool" if 1 <= x.shape[1] * x.shape[2] <= 255 else None
    if op.kind == "ADD":
        out = graph.tensor(op.outputs[0])
        return "add" if all(graph.tensor(t).size == out.size for t in op.inputs[:2]) else None
    return None


def _dw_as_conv(graph: Graph, op: Op) -> bool:
    """Whether op is a DEPTHWISE_CONV_2D of one input channel and a depth multiplier above 1,
    which the conv kernel runs as a CONV_2D of one input channel (rows: _conv_rows)."""
    if op.kind != "DEPTHWISE_CONV_2D":
        return False
    x, out = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    return (len(x.shape) == 4 and x.shape[3] == 1 and out.shape[3] > 1
            and op.attrs.get("depth_multiplier", 1) == out.shape[3])


def _runs_as(graph: Graph, op: Op) -> str:
    """The op kind whose kernel build op shares: CONV_2D for a one-channel depthwise."""
    return "CONV_2D" if _dw_as_conv(graph, op) else op.kind


def _conv_rows(graph: Graph, op: Op) -> np.ndarray:
    """The [out_c, depth] int8 filter rows of a layer the conv kernel runs, in OHWI order:
    a CONV_2D's own, or for a one-channel depthwise [1, h, w, m] filter the transpose of its
    [h * w, m] taps (one input channel: depth = h * w)."""
    w = graph.tensor(op.inputs[1])
    weights = np.asarray(w.data, dtype=np.int8)
    if op.kind == "DEPTHWISE_CONV_2D":
        return weights.reshape(-1, w.shape[3]).T
    return weights.reshape(w.shape[0], -1)


def scratch_bytes(graph: Graph, op: Op) -> int:
    """Arena bytes the armv7em kernel of op needs during its run (0: none or ref kernel)."""
    kind = _kind(graph, op)
    if kind == "conv":
        depth = _conv_rows(graph, op).shape[1]
        return 8 * _conv_words(depth) + 2 * depth
    if kind == "dwconv":
        return graph.tensor(op.inputs[0]).shape[3]
    if kind == "fc":
        depth = graph.tensor(op.inputs[1]).shape[1]
        return 4 * _words(depth) if depth % 4 else 0
    return 0


def one_shift(multiplier: np.ndarray, shift: np.ndarray) -> bool:
    """Whether a live channel has the right shift e = 1 (a scale in [1/4, 1/2)): the layer
    then takes the HB_ARM_ONE_SHIFT build of its kernel (arm_conv_s8_r1.c, ..._r1)."""
    return bool(np.any((multiplier != 0) & (shift == -1)))


def _model_one_shift(graph: Graph, kind: str) -> bool:
    """Whether some `kind` layer of the model has a channel scale in [1/4, 1/2), estimated
    from the quantization scales: then every such layer takes the HB_ARM_ONE_SHIFT build, so
    one build of the kernel is linked (one instruction more per channel and pixel pair
    against ~2.7 kB of a second build). Each layer's own need is decided exactly
    (one_shift); the build is correct for any e >= 1, so the estimate only costs or saves
    time."""
    for op in graph.ops:
        if _runs_as(graph, op) != kind or len(op.inputs) < 2:
            continue
        x, w, out = (graph.tensor(t) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
        if x.quant is None or w.quant is None or out.quant is None or not out.quant.scale:
            continue
        scale = x.quant.scale[0] * np.asarray(w.quant.scale, np.float64) / out.quant.scale[0]
        if np.any((scale >= 0.25) & (scale < 0.5)):
            return True
    return False


def _channels(bias: np.ndarray, multiplier: np.ndarray, shift: np.ndarray,
              one: bool = False) -> np.ndarray:
    """hb_arm_channel records: folded bias, multiplier, shift word, round_hi, for right shifts
    e = -shift (a zero multiplier, a channel whose scale is 0, takes any). The rounding
    constant 2^30 + 2^(30+e) is round_hi : low word. Default build (e >= 2): shift word e - 1,
    round_hi 2^(e-2), the low word 2^30 an immediate. `one` (the HB_ARM_ONE_SHIFT build,
    e >= 1): the low word sits in bits 30-31 of the shift word next to e - 1, 2^30 for e >= 2,
    2^31 + 2^30 for e = 1 (round_hi 0)."""
    e = np.where(multiplier == 0, 2, -shift.astype(np.int64))  # a zero multiplier gives 0
    high = np.where(e >= 2, np.left_shift(1, np.maximum(e - 2, 0)), 0)
    low = np.where(e >= 2, 1 << 30, -(1 << 30)) if one else 0   # 0x40000000, 0xC0000000
    quad = np.stack([bias, multiplier.astype(np.int64), low + (e - 1), high], axis=1)
    return quad.reshape(-1)


def requantizable(multiplier: np.ndarray, shift: np.ndarray, folded: np.ndarray) -> bool:
    """hb_arm_requantize takes the layer: right shifts of 1 or more (scales below 1/2) and
    multipliers of QuantizeMultiplier for every live channel, folded biases inside int32.
    Scales of 1/2 and more keep the ref kernel."""
    live = multiplier != 0
    return not (np.any(live & (shift > -1)) or np.any(live & (shift < -31))
                or np.any(live & (multiplier < 1 << 30)) or np.any(np.abs(folded) >= 1 << 31))


def takes(graph: Graph, op: Op) -> bool:
    """Whether an armv7em kernel runs op (False: its ref kernel does)."""
    kind = _kind(graph, op)
    if kind is None:
        return False
    p = lower_op(graph, op)
    if isinstance(p, ConvParams):
        w = graph.tensor(op.inputs[1])
        if kind == "conv":
            rows = _conv_rows(graph, op)
        elif graph.tensor(op.outputs[0]).shape[3] == graph.tensor(op.inputs[0]).shape[3]:
            rows = np.asarray(w.data, np.int8).reshape(-1, w.shape[3]).T
        else:
            return False
        folded = (_bias_values(graph, op, len(rows))
                  + p.input_offset * rows.astype(np.int64).sum(axis=1))
        return requantizable(np.asarray(p.multiplier, np.int64), np.asarray(p.shift, np.int64),
                             folded)
    return True


def _conv_words(depth: int) -> int:
    """Words of a CONV_2D row: whole words, an even count (the MAC loop takes two or four)."""
    words = _words(depth)
    return words + (words & 1)


def _interleave(rows: np.ndarray, group: int, words: int = 0) -> np.ndarray:
    """[n, depth] int8 -> rows padded with zeros to `words` words (default: whole words) and
    to a multiple of `group` rows, those of each group interleaved word by word:
    [n/group][words][group][4]."""
    n, depth = rows.shape
    words = words or _words(depth)
    padded = np.zeros((-(-n // group) * group, 4 * words), np.int8)
    padded[:n, :depth] = rows
    return padded.reshape(-1, group, words, 4).transpose(0, 2, 1, 3).reshape(-1)


def _conv(ctx: OpContext, i: int, op: Op, p: ConvParams, kind: str) -> OpCode | None:
    g = ctx.graph
    x, w, out = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
    oc = out.shape[3]
    weights = np.asarray(w.data, dtype=np.int8)
    if kind == "conv":
        rows = _conv_rows(g, op)                                       # [out_c, depth]
    else:
        if oc != x.shape[3]:
            return None
        rows = weights.reshape(-1, oc).T                               # [c, taps]
        if len(rows) % 4:
            rows = np.concatenate([rows, np.zeros((4 - len(rows) % 4, rows.shape[1]), np.int8)])
    bias = _bias_values(g, op, oc)
    folded = bias + p.input_offset * rows[:oc].astype(np.int64).sum(axis=1)
    shift = np.asarray(p.shift, np.int64)
    if not requantizable(np.asarray(p.multiplier, np.int64), shift, folded):
        return None
    multiplier = np.asarray(p.multiplier, np.int64)
    one = one_shift(multiplier, shift) or _model_one_shift(g, _runs_as(g, op))
    build = "_r1" if one else ""
    records = _channels(folded, multiplier, shift, one)
    if kind == "dwconv":  # whole groups of four channels
        records = np.concatenate([records, np.zeros(4 * (len(rows) - oc), np.int64)])
    channels = ctx.constants.int32_array(
        f"op{i}_channels", records,
        f"op #{i} {op.kind} per channel: folded bias, multiplier, right shift - 1, rounding")
    name = f"{ctx.prefix}_op{i}"
    common = [
        ("g", _conv_geometry(x, w, out, p, kind == "dwconv")),   # a 1-channel dw: conv
    ]
    tail = [
        ("input_zero_point", c_int(-p.input_offset)),
        ("output_offset", c_int(p.output_offset)),
        ("act_min", c_int(int(p.act_min))), ("act_max", c_int(int(p.act_max))),
    ]
    inp, outp, scratch = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0]), ctx.scratch(i)
    if kind == "dwconv":
        layout = ctx.constants.int8_array(
            f"op{i}_filter", rows.reshape(-1, 4, rows.shape[1]).transpose(0, 2, 1).reshape(-1),
            f"op #{i} DEPTHWISE_CONV_2D filter '{w.name}': per group of 4 channels, the taps")
        fields = common + tail + [("channels", f"(const hb_arm_channel *){channels}")]
        return OpCode(f"arm_dwconv_s8{build}.c",
                      _INCLUDE + _struct("hb_arm_dwconv_params", name, fields),
                      f"hb_arm_depthwise_conv_s8{build}(&{name}, {inp}, {layout}, "
                      f"(int8_t *){scratch}, {outp});")
    layout = ctx.constants.int8_array(
        f"op{i}_filter", _interleave(rows, 2, _conv_words(rows.shape[1])),
        f"op #{i} {op.kind} filter '{w.name}' as CONV_2D rows: padded to words, channel pairs "
        "interleaved")
    pointwise = (w.shape[1] == 1 and w.shape[2] == 1 and p.stride == (1, 1)
                 and p.pad == (0, 0))
    depth = rows.shape[1]
    fields = common + [("depth", c_int(depth)),
                       ("words", c_int(_conv_words(depth)))] + tail + [
        ("pointwise", "1" if pointwise else "0"),
        ("channels", f"(const hb_arm_channel *){channels}"),
    ]
    return OpCode(f"arm_conv_s8{build}.c", _INCLUDE + _struct("hb_arm_conv_params", name, fields),
                  f"hb_arm_conv2d_s8{build}(&{name}, {inp}, {layout}, (int8_t *){scratch}, "
                  f"{outp});")


def _fc(ctx: OpContext, i: int, op: Op, p: FullyConnectedParams) -> OpCode | None:
    g = ctx.graph
    x, w, out = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
    out_depth, accum_depth = w.shape[0], w.shape[1]
    batches = x.size // accum_depth
    if p.filter_offset != 0 or batches * accum_depth != x.size or batches * out_depth != out.size:
        return None
    rows = np.asarray(w.data, dtype=np.int8).reshape(out_depth, accum_depth)
    bias = _bias_values(g, op, out_depth)
    folded = bias + p.input_offset * rows.astype(np.int64).sum(axis=1)
    if np.any(np.abs(folded) >= 1 << 31):
        return None
    scales = np.asarray(p.effective_scale, np.float64).reshape(-1)
    multipliers = np.array([fc_requant(float(s)) for s in
                            np.broadcast_to(scales, (out_depth,))], np.uint64)
    pairs = np.zeros((-(-out_depth // 4) * 4, 2), np.uint32)   # zero records pad the group
    pairs[:out_depth] = np.stack([folded.astype(np.uint32), multipliers.astype(np.uint32)], axis=1)
    channels = ctx.constants.int32_array(
        f"op{i}_channels", pairs.reshape(-1).view(np.int32),
        f"op #{i} FULLY_CONNECTED per channel: folded bias, multiplier floor(scale * 2^32)")
    scale = ctx.constants.float64_array(f"op{i}_scale", scales,
                                        f"op #{i} FULLY_CONNECTED effective scales")
    paired = fc_pairs(rows)
    if paired is None:
        layout = ctx.constants.int8_array(
            f"op{i}_weights", _interleave(rows, 4),
            f"op #{i} FULLY_CONNECTED weights '{w.name}': rows padded, groups of 4 interleaved")
    else:
        layout = ctx.constants.int8_array(
            f"op{i}_weights", paired,
            f"op #{i} FULLY_CONNECTED weights '{w.name}': row pairs as 256 b + a, per 4 inputs")
    shape = FcShape(batches, accum_depth, out_depth, int(p.act_min), int(p.act_max),
                    per_channel=len(scales) > 1, pairs=paired is not None,
                    all_scaled=bool(np.all(multipliers != 0)))
    name = f"{ctx.prefix}_op{i}"
    fields = [
        ("output_offset", c_int(p.output_offset)),
        ("channels", f"(const hb_arm_fc_channel *){channels}"), ("scale", scale),
    ]
    inp, outp = ctx.pointer(op.inputs[0]), ctx.pointer(op.outputs[0])
    scratch = f"(int8_t *){ctx.scratch(i)}" if accum_depth % 4 else "NULL"
    return OpCode("arm_fc_s8.c",
                  _INCLUDE + _struct("hb_arm_fc_params", name, fields) + "\n"
                  + specialised_fc(shape),
                  f"{shape.function}(&{name}, {inp}, {layout}, {scratch}, {outp});")


def _add_table(offset: int, left_shift: int, multiplier: int, shift: int) -> np.ndarray:
    """The rescaled value of every int8 input, in index order q & 255, computed by the same
    fixed-point functions as the golden interpreter."""
    q = np.arange(256, dtype=np.int64).astype(np.uint8).view(np.int8).astype(np.int64)
    return fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        (q + offset) * (np.int64(1) << left_shift), multiplier, shift)


def _add(ctx: OpContext, i: int, op: Op, p: AddParams) -> OpCode | None:
    out = ctx.graph.tensor(op.outputs[0])
    m = p.output_multiplier
    if p.output_shift > 0 or (m != 0 and m < 1 << 30):
        return None
    tables = [ctx.constants.int32_array(
        f"op{i}_input{k}_table", _add_table(off, p.left_shift, mult, shift),
        f"op #{i} ADD input {k}: rescaled value of each int8 (index q & 255)")
        for k, (off, mult, shift) in enumerate(
            [(p.input1_offset, p.input1_multiplier, p.input1_shift),
             (p.input2_offset, p.input2_multiplier, p.input2_shift)], 1)]
    name = f"{ctx.prefix}_op{i}"
    fields = [
        ("size", c_int(out.size)), ("input1_table", tables[0]), ("input2_table", tables[1]),
        ("output_multiplier", c_int(m)), ("output_right_shift", c_int(-p.output_shift)),
        ("output_offset", c_int(p.output_offset)),
        ("act_min", c_int(int(p.act_min))), ("act_max", c_int(int(p.act_max))),
    ]
    a, b = ctx.pointer(op.inputs[0]), ctx.pointer(op.inputs[1])
    return OpCode("arm_add_s8.c", _INCLUDE + _struct("hb_arm_add_params", name, fields),
                  f"hb_arm_add_s8(&{name}, {a}, {b}, {ctx.pointer(op.outputs[0])});")


def _pool(ctx: OpContext, i: int, op: Op, p: PoolParams) -> OpCode | None:
    x = ctx.graph.tensor(op.inputs[0])
    b, h, w, c = x.shape
    if p.filter != (h, w) or p.pad != (0, 0):   # the window must be the whole image
        return None
    name = f"{ctx.prefix}_op{i}"
    fields = [("batches", c_int(b)), ("count", c_int(h * w)), ("channels", c_int(c)),
              ("act_min", c_int(int(p.act_min))), ("act_max", c_int(int(p.act_max)))]
    return OpCode("arm_pool_s8.c", _INCLUDE + _struct("hb_arm_pool_params", name, fields),
                  f"hb_arm_global_average_pool_s8(&{name}, {ctx.pointer(op.inputs[0])}, "
                  f"{ctx.pointer(op.outputs[0])});")


def emit(ctx: OpContext, i: int, op: Op) -> OpCode | None:
    """The armv7em C of op #i, or None when the op keeps its ref kernel."""
    check_supported(ctx.graph, i, op)
    kind = _kind(ctx.graph, op)
    if kind is None:
        return None
    p = lower_op(ctx.graph, op)
    if isinstance(p, ConvParams):
        return _conv(ctx, i, op, p, kind)
    if isinstance(p, FullyConnectedParams):
        return _fc(ctx, i, op, p)
    if isinstance(p, AddParams):
        return _add(ctx, i, op, p)
    if isinstance(p, PoolParams):
        return _pool(ctx, i, op, p)
    return None
