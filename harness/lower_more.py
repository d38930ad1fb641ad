"""Lowering of the issue-13 ops (SPLIT, SPLIT_V, GATHER, CAST, TRANSPOSE_CONV, hybrid
FULLY_CONNECTED): the constants each needs, derived once as LiteRT's Prepare does. Kept
apart from lower.py, which dispatches here (`lower_op`)."""
from __future__ import annotations

import numpy as np

from .errors import ModelFormatError, UnsupportedOpError
from .ir import Graph, Op
from .lower import (
    activation_range_float,
    activation_range_int8,
    out_size,
    padding_before,
    quantize_multiplier,
)
from .op_params import (
    CastParams,
    FullyConnectedParams,
    GatherParams,
    OpParams,
    SplitParams,
    TransposeConvParams,
)

__all__ = ["MORE_KINDS", "lower_more_op", "split_sizes"]

MORE_KINDS = frozenset({"SPLIT", "SPLIT_V", "GATHER", "CAST", "TRANSPOSE_CONV"})


def _const(g: Graph, op: Op, k: int, what: str) -> np.ndarray:
    """A constant integer input; ValueError when it is absent or not an integer,
    UnsupportedOpError when it is computed (no op-prefixed text: the callers add it)."""
    if k >= len(op.inputs) or op.inputs[k] < 0:
        raise ValueError(f"no {what} input")
    t = g.tensor(op.inputs[k])
    if t.data is None:
        raise UnsupportedOpError(f"{what} '{t.name[:40]}' is not a constant; hilbench needs it "
                                 "at import")
    if t.dtype not in ("int32", "int64"):
        raise ValueError(f"{what} is {t.dtype}, int32 expected")
    return t.data.astype(np.int64).reshape(-1)


def split_sizes(g: Graph, op: Op) -> tuple[int, tuple[int, ...]]:
    """(non-negative axis, size of each part) of a SPLIT / SPLIT_V; ValueError on nonsense."""
    shape = g.tensor(op.inputs[0]).shape
    axis_values = _const(g, op, 1 if op.kind == "SPLIT" else 2, "axis")
    if axis_values.size != 1:
        raise ValueError(f"axis holds {axis_values.size} values, one expected")
    axis = int(axis_values[0])
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"axis {axis} of a rank-{len(shape)} input")
    axis %= len(shape)
    n = int(op.attrs["num_splits"])
    if n != len(op.outputs):
        raise ValueError(f"num_splits {n} but {len(op.outputs)} outputs")
    dim = shape[axis]
    if op.kind == "SPLIT":
        if dim % n:
            raise ValueError(f"dimension {dim} of axis {axis} does not split into {n} parts")
        return axis, (dim // n,) * n
    sizes = [int(v) for v in _const(g, op, 1, "size_splits")]
    if len(sizes) != n:
        raise ValueError(f"{len(sizes)} size_splits for {n} outputs")
    if sizes.count(-1) > 1 or any(s < -1 for s in sizes):
        raise ValueError(f"size_splits {sizes} are not sizes")
    if -1 in sizes:
        sizes[sizes.index(-1)] = dim - (sum(sizes) + 1)
    if sum(sizes) != dim or min(sizes) < 0:
        raise ValueError(f"size_splits {sizes} do not add up to dimension {dim}")
    return axis, tuple(sizes)


def _transpose_conv(g: Graph, op: Op) -> TransposeConvParams:
    x, w, out = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
    sh, sw = op.attrs["stride"]
    padding = op.attrs["padding"]
    # transpose_conv.cc: ComputePaddingHeightWidth of a conv from the output size.
    pad = tuple(padding_before(s, 1, out.shape[k], w.shape[k],
                               out_size(padding, out.shape[k], w.shape[k], s))
                for k, s in ((1, sh), (2, sw)))
    empty = np.zeros(0, np.int32)
    if x.dtype == "float32":
        lo, hi = activation_range_float(op.attrs["activation"])
        return TransposeConvParams((sh, sw), (pad[0], pad[1]), 0, 0, empty, empty, lo, hi)
    assert x.quant is not None and w.quant is not None and out.quant is not None
    channels = w.shape[0]
    scales = w.quant.scale if len(w.quant.scale) > 1 else w.quant.scale * channels
    mult = np.zeros(channels, np.int32)
    shift = np.zeros(channels, np.int32)
    for c in range(channels):
        mult[c], shift[c] = quantize_multiplier(x.quant.scale[0] * scales[c] / out.quant.scale[0])
    lo, hi = activation_range_int8(op.attrs["activation"], out)
    return TransposeConvParams((sh, sw), (pad[0], pad[1]), -x.quant.zero_point[0],
                               out.quant.zero_point[0], mult, shift, lo, hi)


def hybrid_fully_connected(g: Graph, op: Op) -> FullyConnectedParams:
    """Hybrid FC: float32 activation range, the int8 weights' float32 scales."""
    w = g.tensor(op.inputs[1])
    assert w.quant is not None
    lo, hi = activation_range_float(op.attrs["activation"])
    empty = np.zeros(0, np.int32)
    return FullyConnectedParams(0, 0, 0, empty, empty, lo, hi,
                                hybrid_weight_scales=np.asarray(w.quant.scale, np.float32),
                                asymmetric_inputs=bool(op.attrs.get("asymmetric_quantize_inputs")))


def lower_more_op(g: Graph, op: Op) -> OpParams:
    """The parameters of one op of MORE_KINDS (or a hybrid FULLY_CONNECTED)."""
    if op.kind == "FULLY_CONNECTED":
        return hybrid_fully_connected(g, op)
    if op.kind in ("SPLIT", "SPLIT_V"):
        try:
            axis, sizes = split_sizes(g, op)
        except ValueError as exc:
            raise ModelFormatError(f"{g.source}: op '{op.name}' ({op.kind}): {exc}") from None
        except UnsupportedOpError as exc:
            raise UnsupportedOpError(f"{g.source}: op '{op.name}' ({op.kind}): {exc}") from None
        return SplitParams(axis, sizes)
    if op.kind == "GATHER":
        rank = len(g.tensor(op.inputs[0]).shape)
        return GatherParams(int(op.attrs["axis"]) % max(rank, 1))
    if op.kind == "CAST":
        return CastParams(g.tensor(op.inputs[0]).dtype, g.tensor(op.outputs[0]).dtype)
    if op.kind == "TRANSPOSE_CONV":
        return _transpose_conv(g, op)
    raise UnsupportedOpError(f"{g.source}: op '{op.name}' ({op.kind}) has no lowering")
