"""Shape rules of the issue-13 ops (SPLIT, SPLIT_V, GATHER, CAST, TRANSPOSE_CONV), merged into
validate.SHAPE_RULES. A rule returns the output shape, or one shape per output (SPLIT)."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import Graph, Op
from ..lower import out_size
from ..lower_more import split_sizes
from .messages import short_name
from .validate import Shape, _Bad, _bias, _const, _rank, _t

__all__ = ["MORE_SHAPE_RULES"]


def _split(g: Graph, op: Op) -> list[Shape]:
    if len(op.inputs) != (2 if op.kind == "SPLIT" else 3):
        raise _Bad(f"{len(op.inputs)} inputs")
    for index in op.outputs:
        t = g.tensor(index)
        if t.dtype != _t(g, op, 0).dtype:
            raise _Bad(f"output '{short_name(t.name)}' is {t.dtype}, the input "
                       f"{_t(g, op, 0).dtype}")
    x = _t(g, op, 0).shape
    try:
        axis, sizes = split_sizes(g, op)
    except ValueError as exc:
        raise _Bad(str(exc)) from None
    if axis == 0:
        raise UnsupportedOpError("splitting the batch axis is not supported")
    return [tuple(s if k == axis else d for k, d in enumerate(x)) for s in sizes]


def _gather(g: Graph, op: Op) -> Shape:
    if len(op.inputs) != 2:
        raise _Bad(f"{len(op.inputs)} inputs; GATHER takes 2")
    params, indices = _t(g, op, 0), _t(g, op, 1)
    if g.tensor(op.outputs[0]).dtype != params.dtype:
        raise _Bad(f"output is {g.tensor(op.outputs[0]).dtype}, params {params.dtype}")
    if indices.dtype not in ("int32", "int64"):
        raise _Bad(f"indices '{short_name(indices.name)}' are {indices.dtype}, int32 or int64 "
                   "expected")
    rank = len(params.shape)
    axis = int(op.attrs["axis"])
    if not -rank <= axis < rank:
        raise _Bad(f"axis {axis} of rank-{rank} params")
    axis %= rank
    if params.is_constant == indices.is_constant:
        raise UnsupportedOpError("GATHER needs exactly one constant operand (a table with "
                                 "computed indices, or computed data with constant indices)")
    if params.is_constant and axis != 0:
        raise UnsupportedOpError(f"computed indices into a constant table along axis {axis} "
                                 "(only axis 0, an embedding lookup)")
    if not params.is_constant and axis == 0:
        raise UnsupportedOpError("gathering along the batch axis is not supported")
    if indices.data is not None:
        values = indices.data.astype(np.int64)
        if values.size and (values.min() < 0 or values.max() >= params.shape[axis]):
            raise _Bad(f"index {int(values.min() if values.min() < 0 else values.max())} "
                       f"outside [0, {params.shape[axis]}) (LiteRT fails on it)")
    return (*params.shape[:axis], *indices.shape, *params.shape[axis + 1:])


def _cast(g: Graph, op: Op) -> Shape:
    if len(op.inputs) != 1:
        raise _Bad(f"{len(op.inputs)} inputs; CAST takes 1")
    return _t(g, op, 0).shape


def _transpose_conv(g: Graph, op: Op) -> Shape:
    if len(op.inputs) != 4:   # [input, weights, bias or -1, output_shape] after import
        raise _Bad("3 or 4 inputs expected (output_shape, weights, input[, bias])")
    x, w = _rank(_t(g, op, 0), 4), _rank(_t(g, op, 1), 4)
    out = [int(v) for v in _const(_t(g, op, 3), "output_shape").reshape(-1)]
    if len(out) != 4 or min(out) <= 0:
        raise _Bad(f"output_shape {out} is not an NHWC shape")
    if w[3] != x[3]:
        raise _Bad(f"filter {w} does not fit {x[3]} input channels")
    if out[3] != w[0] or out[0] != x[0]:
        raise _Bad(f"output_shape {out} does not match filter {w} and input {x}")
    for k, stride in ((1, op.attrs["stride"][0]), (2, op.attrs["stride"][1])):
        # transpose_conv.cc: the conv of the output must give back the input size
        back = out_size(op.attrs["padding"], out[k], w[k], stride)
        if back != x[k]:
            raise _Bad(f"output_shape {out} does not come from input {x} (filter {w[1:3]}, "
                       f"stride {op.attrs['stride']}, {op.attrs['padding']}; LiteRT refuses it)")
    _bias(g, op, w[0])
    return tuple(out)


MORE_SHAPE_RULES: dict[str, Callable[[Graph, Op], Shape | list[Shape]]] = {
    "SPLIT": _split,
    "SPLIT_V": _split,
    "GATHER": _gather,
    "CAST": _cast,
    "TRANSPOSE_CONV": _transpose_conv,
}
