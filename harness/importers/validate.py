"""Model validation after import: every op's output shape is inferred from its inputs (and so,
op by op, from the graph inputs) and must equal the stored shape; quantization must follow the
TFLite int8 spec where the kernels rely on it. A model LiteRT would refuse is refused here, as
a one-line `ModelFormatError` naming the op, rather than run to a plausible wrong answer.
Format-independent: it checks a `harness.ir.Graph`, whichever importer built it.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import ModelFormatError, UnsupportedOpError
from ..ir import Graph, Op, Tensor
from ..lower import ConvParams, OpParams, lower_op, out_size, strided_slice_axes
from .messages import short_name
from .seq_ops import SeqShapeError, check_variables, lstm_shape, svdf_shape

__all__ = ["validate_graph", "infer_shape", "SHAPE_RULES"]

Shape = tuple[int, ...]


class _Bad(Exception):
    """A contradiction found by a shape rule; becomes a ModelFormatError naming the op."""


def _t(g: Graph, op: Op, k: int) -> Tensor:
    if k >= len(op.inputs) or op.inputs[k] < 0:
        raise _Bad(f"input {k} is missing")
    return g.tensor(op.inputs[k])


def _rank(t: Tensor, *ranks: int) -> Shape:
    if len(t.shape) not in ranks:
        raise _Bad(f"'{short_name(t.name)}' has shape {t.shape}, rank "
                   f"{' or '.join(map(str, ranks))} expected")
    return t.shape


def _const(t: Tensor, what: str) -> np.ndarray:
    if t.data is None:
        raise UnsupportedOpError(f"{what} '{short_name(t.name)}' is not a constant; "
                                 "hilbench needs it known at import")
    if t.dtype not in ("int32", "int64"):
        raise _Bad(f"{what} '{short_name(t.name)}' is {t.dtype}, int32 expected")
    return t.data.astype(np.int64)


def _conv(g: Graph, op: Op) -> Shape:
    x, w = _rank(_t(g, op, 0), 4), _rank(_t(g, op, 1), 4)
    depthwise = op.kind == "DEPTHWISE_CONV_2D"
    if not depthwise and len(op.inputs) != 3:   # LiteRT conv.cc: TF_LITE_ENSURE(has_bias)
        raise _Bad(f"{len(op.inputs)} inputs; CONV_2D takes 3 (input, filter, bias or -1)")
    if depthwise:
        if w[0] != 1 or w[3] % x[3]:
            raise _Bad(f"filter {w} does not fit {x[3]} input channels")
        op.attrs["depth_multiplier"] = w[3] // x[3]
    elif w[3] != x[3]:
        raise UnsupportedOpError(f"grouped convolution (filter depth {w[3]}, input depth "
                                 f"{x[3]}) is not supported")
    channels = w[3] if depthwise else w[0]
    _bias(g, op, channels)
    oh = out_size(op.attrs["padding"], x[1], w[1], op.attrs["stride"][0], op.attrs["dilation"][0])
    ow = out_size(op.attrs["padding"], x[2], w[2], op.attrs["stride"][1], op.attrs["dilation"][1])
    if oh <= 0 or ow <= 0:
        raise _Bad(f"the filter {w[1:3]} (dilation {op.attrs['dilation']}) exceeds the input "
                   f"{x[1:3]}")
    return (x[0], oh, ow, channels)


def _bias(g: Graph, op: Op, channels: int) -> None:
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        b = g.tensor(op.inputs[2])
        if b.size != channels:
            raise _Bad(f"bias has {b.size} values for {channels} output channels")


def _fully_connected(g: Graph, op: Op) -> Shape:
    if len(op.inputs) not in (2, 3):   # fully_connected.cc refuses other counts
        raise _Bad(f"{len(op.inputs)} inputs; FULLY_CONNECTED takes 2 or 3")
    x, w = _t(g, op, 0).shape, _rank(_t(g, op, 1), 2)
    size = int(np.prod(x, dtype=np.int64)) if x else 1
    if w[1] <= 0 or size % w[1]:
        raise _Bad(f"input {x} does not split into rows of {w[1]} weights")
    _bias(g, op, w[0])
    if op.attrs.get("keep_num_dims"):
        if x[-1] != w[1]:
            raise _Bad(f"keep_num_dims with input depth {x[-1]} and weights {w}")
        return (*x[:-1], w[0])
    stored = g.tensor(op.outputs[0]).shape
    if stored and stored[-1] == w[0] and int(np.prod(stored)) == size // w[1] * w[0]:
        return stored   # LiteRT resizes the output to (rows, units); same values, same order
    return (size // w[1], w[0])


def _pool(g: Graph, op: Op) -> Shape:
    x = _rank(_t(g, op, 0), 4)
    (fh, fw), (sh, sw) = op.attrs["filter"], op.attrs["stride"]
    oh = out_size(op.attrs["padding"], x[1], fh, sh)
    ow = out_size(op.attrs["padding"], x[2], fw, sw)
    if oh <= 0 or ow <= 0:
        raise _Bad(f"the filter {(fh, fw)} exceeds the input {x[1:3]}")
    return (x[0], oh, ow, x[3])


def _broadcast(g: Graph, op: Op) -> Shape:
    a, b = _t(g, op, 0).shape, _t(g, op, 1).shape
    try:
        return tuple(int(d) for d in np.broadcast_shapes(a, b))
    except ValueError:
        raise _Bad(f"shapes {a} and {b} do not broadcast") from None


def _same(g: Graph, op: Op) -> Shape:
    return _t(g, op, 0).shape


def _reshape(g: Graph, op: Op) -> Shape:
    """LiteRT's rule: the shape input when it is an int32 vector, else ReshapeOptions.new_shape
    (absent, or the legacy [0]: a scalar)."""
    x, out = _t(g, op, 0), g.tensor(op.outputs[0])
    target: list[int]
    if len(op.inputs) > 1 and op.inputs[1] < 0:   # LiteRT reads the missing tensor: SIGSEGV
        raise _Bad("has a shape input slot without a tensor (-1); LiteRT crashes on it")
    shape_t = g.tensor(op.inputs[1]) if len(op.inputs) > 1 else None
    if shape_t is not None and len(shape_t.shape) == 1 and shape_t.dtype == "int32":
        if shape_t.data is None and shape_t.size > 0:   # computed at run time: trust the
            # stored output shape
            if out.size != x.size:
                raise _Bad(f"reshapes {x.size} values into {out.shape}")
            return out.shape
        target = [] if shape_t.size == 0 else [int(d) for d in
                                                _const(shape_t, "shape").reshape(-1)]
    else:
        target = [int(d) for d in op.attrs.get("new_shape") or ()]
        if target == [0]:
            target = []
    if target.count(-1) > 1 or any(d < -1 for d in target):
        raise _Bad(f"new shape {tuple(target)} is not a shape")
    known = int(np.prod([d for d in target if d != -1], dtype=np.int64))
    if -1 in target:
        if known <= 0 or x.size % known:
            raise _Bad(f"cannot reshape {x.shape} into {tuple(target)}")
        target[target.index(-1)] = x.size // known
    if int(np.prod(target, dtype=np.int64)) != x.size:
        raise _Bad(f"cannot reshape {x.shape} ({x.size} values) into {tuple(target)}")
    return tuple(target)


def _pad(g: Graph, op: Op) -> Shape:
    x = _t(g, op, 0).shape
    pads = _const(_t(g, op, 1), "paddings")
    if pads.shape != (len(x), 2):
        raise _Bad(f"paddings of shape {pads.shape} for an input of rank {len(x)}")
    if pads.min(initial=0) < 0:
        raise _Bad(f"negative padding {pads.reshape(-1).tolist()}")
    if len(x) > 5:
        raise UnsupportedOpError(f"rank {len(x)} padding (at most 5 supported)")
    if pads[0].any():
        raise UnsupportedOpError("padding of the batch axis is not supported")
    return tuple(int(d + a + b) for d, (a, b) in zip(x, pads))


def _concat(g: Graph, op: Op) -> Shape:
    shapes = [_t(g, op, k).shape for k in range(len(op.inputs))]
    rank = len(shapes[0])
    axis = int(op.attrs["axis"])
    if not -rank <= axis < rank:
        raise _Bad(f"axis {axis} of rank-{rank} inputs")
    axis %= rank
    if axis == 0:
        raise UnsupportedOpError("concatenation along the batch axis is not supported")
    if op.attrs["activation"] != "NONE":
        raise _Bad(f"fused activation {op.attrs['activation']} (LiteRT requires NONE)")
    if len(shapes) > 16:
        raise UnsupportedOpError(f"{len(shapes)} inputs (at most 16 supported)")
    for sh in shapes[1:]:
        if len(sh) != rank or any(a != b for k, (a, b) in enumerate(zip(sh, shapes[0]))
                                  if k != axis):
            raise _Bad(f"input shapes {shapes} differ outside axis {axis}")
    out = g.tensor(op.outputs[0])
    for k in range(len(op.inputs)):
        t = _t(g, op, k)
        if t.dtype == "int8" and t.quant != out.quant:
            raise _Bad(f"int8 input '{short_name(t.name)}' is quantized differently from the "
                       "output (LiteRT requires equal scales and zero points)")
    total = sum(sh[axis] for sh in shapes)
    return tuple(total if k == axis else d for k, d in enumerate(shapes[0]))


def _transpose(g: Graph, op: Op) -> Shape:
    x = _t(g, op, 0).shape
    perm = [int(v) for v in _const(_t(g, op, 1), "permutation").reshape(-1)]
    if sorted(perm) != list(range(len(x))):
        raise _Bad(f"permutation {perm} of a rank-{len(x)} input")
    if len(x) > 5:
        raise UnsupportedOpError(f"rank {len(x)} transpose (at most 5 supported)")
    if perm[0] != 0 and (not x or x[0] == 1):   # (T, D) -> (D, T) of a folded batch is fine
        raise UnsupportedOpError(f"permutation {perm} moves the batch axis")
    return tuple(x[k] for k in perm)


def _mean(g: Graph, op: Op) -> Shape:
    x = _t(g, op, 0).shape
    raw = [int(v) for v in _const(_t(g, op, 1), "axes").reshape(-1)]
    if not raw or any(not -len(x) <= a < len(x) for a in raw):
        raise _Bad(f"axes {raw} of a rank-{len(x)} input")
    axes = {a % len(x) for a in raw}
    if 0 in axes:
        raise UnsupportedOpError("reducing the batch axis is not supported")
    if len(x) > 5:
        raise UnsupportedOpError(f"rank {len(x)} mean (at most 5 supported)")
    if op.attrs["keep_dims"]:
        return tuple(1 if k in axes else d for k, d in enumerate(x))
    return tuple(d for k, d in enumerate(x) if k not in axes)


def _strided_slice(g: Graph, op: Op) -> Shape:
    x = _t(g, op, 0).shape
    begin, end, strides = (_const(_t(g, op, k), name).reshape(-1).tolist()
                           for k, name in ((1, "begin"), (2, "end"), (3, "strides")))
    if not len(begin) == len(end) == len(strides) == len(x):
        raise _Bad(f"begin/end/strides of {len(begin)}/{len(end)}/{len(strides)} values for "
                   f"a rank-{len(x)} input")
    if 0 in strides:
        raise _Bad(f"strides {strides} contain 0")
    if op.attrs["ellipsis_mask"] or op.attrs["new_axis_mask"] or op.attrs["offset"]:
        raise UnsupportedOpError("ellipsis/new-axis masks and offset are not supported")
    if len(x) > 5:
        raise UnsupportedOpError(f"rank {len(x)} strided slice (at most 5 supported)")
    axes = strided_slice_axes(x, begin, end, strides, op.attrs["begin_mask"],
                              op.attrs["end_mask"], op.attrs["shrink_axis_mask"])
    if axes[0][:2] != (1, 0) or op.attrs["shrink_axis_mask"] & 1:
        raise UnsupportedOpError("slicing the batch axis is not supported")
    if any(count == 0 for count, _, _ in axes):
        raise _Bad(f"the slice of {x} is empty")
    shrink = op.attrs["shrink_axis_mask"]
    return tuple(count for k, (count, _, _) in enumerate(axes) if not shrink >> k & 1)


def _binary(g: Graph, op: Op) -> Shape:
    if len(op.inputs) != 2:   # LiteRT's binary kernels: NumInputs(node) == 2
        raise _Bad(f"{len(op.inputs)} inputs; {op.kind} takes 2")
    shape = _broadcast(g, op)
    if len(shape) > 5:
        raise UnsupportedOpError(f"rank {len(shape)} broadcast (at most 5 supported)")
    return shape


def _batch_matmul(g: Graph, op: Op) -> Shape:
    lhs, rhs = _rank(_t(g, op, 0), 2, 3, 4, 5), _rank(_t(g, op, 1), 2, 3, 4, 5)
    m, k = (lhs[-1], lhs[-2]) if op.attrs["adj_x"] else (lhs[-2], lhs[-1])
    k2, n = (rhs[-1], rhs[-2]) if op.attrs["adj_y"] else (rhs[-2], rhs[-1])
    if k != k2:
        raise _Bad(f"inner dimensions differ: lhs {lhs} and rhs {rhs} "
                   f"(adj_x {op.attrs['adj_x']}, adj_y {op.attrs['adj_y']})")
    try:
        batch = tuple(int(d) for d in np.broadcast_shapes(lhs[:-2], rhs[:-2]))
    except ValueError:
        raise _Bad(f"batch dimensions of {lhs} and {rhs} do not broadcast") from None
    return (*batch, m, n)


def _slice(g: Graph, op: Op) -> Shape:
    x = _t(g, op, 0).shape
    begin = _const(_t(g, op, 1), "begin").reshape(-1).tolist()
    size = _const(_t(g, op, 2), "size").reshape(-1).tolist()
    if len(begin) != len(x) or len(size) != len(x):
        raise _Bad(f"begin {begin} and size {size} do not match the input's rank {len(x)}")
    out = []
    for d, b, n in zip(x, begin, size):
        n = d - b if n == -1 else n
        if b < 0 or n < 0 or b + n > d:
            raise _Bad(f"slice begin {begin} size {size} exceeds the input {x}")
        out.append(int(n))
    return tuple(out)


SHAPE_RULES: dict[str, Callable[[Graph, Op], Shape | list[Shape]]] = {
    "BATCH_MATMUL": _batch_matmul,
    "SQUARED_DIFFERENCE": _binary,
    "RSQRT": _same,
    "GELU": _same,
    "SLICE": _slice,
    "PAD": _pad,
    "PADV2": _pad,
    "CONCATENATION": _concat,
    "TRANSPOSE": _transpose,
    "MEAN": _mean,
    "MUL": _binary,
    "SUB": _binary,
    "MAXIMUM": _binary,
    "MINIMUM": _binary,
    "RELU": _same,
    "RELU6": _same,
    "LEAKY_RELU": _same,
    "LOGISTIC": _same,
    "TANH": _same,
    "STRIDED_SLICE": _strided_slice,
    "HARD_SWISH": _same,
    "CONV_2D": _conv,
    "DEPTHWISE_CONV_2D": _conv,
    "FULLY_CONNECTED": _fully_connected,
    "AVERAGE_POOL_2D": _pool,
    "MAX_POOL_2D": _pool,
    "ADD": _binary,
    "RESHAPE": _reshape,
    "SOFTMAX": _same,
    "QUANTIZE": _same,
    "DEQUANTIZE": _same,
    "SVDF": svdf_shape,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": lstm_shape,
}

# Weights whose zero points the TFLite int8 spec fixes at 0, and their per-channel axis.
_SYMMETRIC_WEIGHTS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0,
                      "TRANSPOSE_CONV": 0}


def infer_shape(g: Graph, op: Op) -> Shape | list[Shape]:
    """The output shape `op` must have, given its inputs' shapes (and constant inputs); a
    list of shapes, one per output, for ops with several outputs (SPLIT)."""
    if op.kind not in SHAPE_RULES:
        raise UnsupportedOpError("no shape rule")
    return SHAPE_RULES[op.kind](g, op)


def _where(label: str, k: int, op: Op) -> str:
    return f"{label}: op #{k} '{short_name(op.name)}' ({op.kind})"


def validate_graph(g: Graph, label: str) -> None:
    """Raise ModelFormatError (or UnsupportedOpError) on the first contradiction."""
    for i in g.inputs:
        t = g.tensor(i)
        if not t.shape or min(t.shape) <= 0:
            raise ModelFormatError(f"{label}: graph input #{i} '{short_name(t.name)}' has "
                                   f"shape {t.shape}; every dimension must be > 0")
    for k, op in enumerate(g.ops):
        where = _where(label, k, op)
        try:
            inferred = infer_shape(g, op)
        except (_Bad, SeqShapeError) as exc:
            raise ModelFormatError(f"{where}: {exc}") from None
        except UnsupportedOpError as exc:
            raise UnsupportedOpError(f"{where}: {exc}") from None
        shapes = inferred if isinstance(inferred, list) else [inferred]
        if len(shapes) != len(op.outputs):
            raise ModelFormatError(f"{where}: {len(op.outputs)} outputs, {len(shapes)} "
                                   "expected")
        for shape, index in zip(shapes, op.outputs):
            out = g.tensor(index)
            if tuple(shape) != tuple(out.shape):
                raise ModelFormatError(f"{where}: stored output shape {out.shape} contradicts "
                                       f"{tuple(shape)} inferred from its inputs")
            if min(out.shape, default=1) <= 0:
                raise ModelFormatError(f"{where}: output shape {out.shape} has an empty "
                                       "dimension")
        _check_quantization(g, op, where)
        _check_lowering(g, op, where)
    check_variables(g, label)


# Fixed-point shifts the reference kernels can apply: MultiplyByQuantizedMultiplier shifts
# left by at most 30 before its int32 arithmetic overflows (C undefined behaviour in LiteRT).
MAX_LEFT_SHIFT = 30


def _check_lowering(g: Graph, op: Op, where: str) -> None:
    """Lower the op once (as TFLite's Prepare would) and refuse rescalings out of range."""
    params = lower_op(g, op)
    if g.tensor(op.inputs[0]).dtype == "int16":
        _check_int16_ranges(g, op, params, where)
    for name, value in vars(params).items():
        if not name.endswith("shift") or name in ("left_shift", "input_left_shift"):
            continue
        shifts = np.asarray(value)
        if shifts.size and int(shifts.max()) > MAX_LEFT_SHIFT:
            raise ModelFormatError(f"{where}: its quantization scales need a rescale by "
                                   f"2^{int(shifts.max())}, beyond the fixed-point range "
                                   f"(2^{MAX_LEFT_SHIFT}); the scales are corrupt")


# int16x8 convolutions requantize int64 sums with a 15-bit multiplier: LiteRT's
# MultiplyByQuantizedMultiplier(int64) needs shift < 8 and |sum| < 2^47 (its DCHECKs).
MAX_INT16_SHIFT = 7
MAX_INT16_BIAS = 1 << 40


def _check_int16_ranges(g: Graph, op: Op, params: OpParams, where: str) -> None:
    if not isinstance(params, ConvParams):
        return
    shifts = np.asarray(params.shift)
    if shifts.size and int(shifts.max()) > MAX_INT16_SHIFT:
        raise ModelFormatError(f"{where}: its quantization scales need a rescale by "
                               f"2^{int(shifts.max())}, beyond the int16x8 range "
                               f"(2^{MAX_INT16_SHIFT}); the scales are corrupt")
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        bias = g.tensor(op.inputs[2]).data
        if bias is not None and bias.size and int(np.abs(bias.astype(np.int64)).max()) >= \
                MAX_INT16_BIAS:
            raise ModelFormatError(f"{where}: an int64 bias of magnitude 2^40 or more "
                                   "overflows the int16x8 requantization; it is corrupt")


def _check_quantization(g: Graph, op: Op, where: str) -> None:
    for i in op.inputs:
        t = g.tensor(i) if i >= 0 else None
        if t is not None and t.dtype in ("int8", "int16") and t.quant is None:
            raise ModelFormatError(f"{where}: {t.dtype} tensor '{short_name(t.name)}' has no "
                                   "quantization")
    activations = [g.tensor(i) for i in op.inputs if i >= 0 and not g.tensor(i).is_constant]
    for t in activations + [g.tensor(op.outputs[0])]:
        if t.dtype in ("int8", "int16") and t.quant is not None and not t.quant.per_tensor:
            raise ModelFormatError(f"{where}: activation '{short_name(t.name)}' has per-axis "
                                   f"quantization; {t.dtype} activations are per tensor")
        if t.dtype == "int16" and t.quant is not None and t.quant.zero_point[0] != 0:
            raise ModelFormatError(f"{where}: int16 activation '{short_name(t.name)}' has zero "
                                   f"point {t.quant.zero_point[0]}; the 16x8 spec requires 0")
    if op.attrs.get("hybrid"):
        w = g.tensor(op.inputs[1])
        if w.quant is not None and not w.quant.per_tensor and w.quant.axis != 0:
            raise UnsupportedOpError(f"{where}: hybrid weights '{short_name(w.name)}' are "
                                     f"quantized along axis {w.quant.axis}; per-channel "
                                     "hybrid weights must be along axis 0")
    if op.kind in _SYMMETRIC_WEIGHTS and not op.attrs.get("hybrid"):
        w = g.tensor(op.inputs[1])
        if w.dtype != "int8" or w.quant is None:
            return
        if any(z != 0 for z in w.quant.zero_point):
            raise ModelFormatError(f"{where}: int8 weights '{short_name(w.name)}' have zero "
                                   f"point {w.quant.zero_point[0]}; the int8 spec requires 0")
        axis = _SYMMETRIC_WEIGHTS[op.kind]
        if not w.quant.per_tensor and w.quant.axis != axis:
            raise ModelFormatError(f"{where}: weights quantized along axis {w.quant.axis}, "
                                   f"the int8 spec requires axis {axis}")
        bias = g.tensor(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        if bias is None:
            return
        if bias.quant is not None and any(z != 0 for z in bias.quant.zero_point):
            raise ModelFormatError(f"{where}: {bias.dtype} bias '{short_name(bias.name)}' has a "
                                   "nonzero zero point")
        if op.kind == "FULLY_CONNECTED" and w.quant.per_tensor:
            # GetQuantizedConvolutionMultipler: the bias scale must be input x filter scale.
            x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
            assert x.quant is not None and out.quant is not None
            product = x.quant.scale[0] * w.quant.scale[0]
            bias_scale = bias.quant.scale[0] if bias.quant is not None else 0.0
            if abs(product - bias_scale) / out.quant.scale[0] > 0.02:
                raise ModelFormatError(f"{where}: bias scale {bias_scale:.4g} is not input "
                                       f"scale x weight scale ({product:.4g})")


# Issue 13's ops (SPLIT, SPLIT_V, GATHER, CAST, TRANSPOSE_CONV); shapes_more.py uses the
# helpers above, so it is imported once they exist.
from .shapes_more import MORE_SHAPE_RULES  # noqa: E402

SHAPE_RULES.update(MORE_SHAPE_RULES)
