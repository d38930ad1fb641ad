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
from ..lower import out_size
from .messages import short_name

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
    x, w = _t(g, op, 0).shape, _rank(_t(g, op, 1), 2)
    size = int(np.prod(x, dtype=np.int64)) if x else 1
    if w[1] <= 0 or size % w[1]:
        raise _Bad(f"input {x} does not split into rows of {w[1]} weights")
    _bias(g, op, w[0])
    if op.attrs.get("keep_num_dims"):
        if x[-1] != w[1]:
            raise _Bad(f"keep_num_dims with input depth {x[-1]} and weights {w}")
        return (*x[:-1], w[0])
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
    x, out = _t(g, op, 0), g.tensor(op.outputs[0])
    target: list[int] | None = None
    if len(op.inputs) > 1 and op.inputs[1] >= 0 and g.tensor(op.inputs[1]).data is not None:
        target = [int(d) for d in _const(g.tensor(op.inputs[1]), "shape").reshape(-1)]
    if target is None:
        if out.size != x.size:
            raise _Bad(f"reshapes {x.size} values into {out.shape}")
        return out.shape
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


SHAPE_RULES: dict[str, Callable[[Graph, Op], Shape]] = {
    "CONV_2D": _conv,
    "DEPTHWISE_CONV_2D": _conv,
    "FULLY_CONNECTED": _fully_connected,
    "AVERAGE_POOL_2D": _pool,
    "MAX_POOL_2D": _pool,
    "ADD": _broadcast,
    "RESHAPE": _reshape,
    "SOFTMAX": _same,
    "QUANTIZE": _same,
    "DEQUANTIZE": _same,
}

# Weights whose zero points the TFLite int8 spec fixes at 0, and their per-channel axis.
_SYMMETRIC_WEIGHTS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0}


def infer_shape(g: Graph, op: Op) -> Shape:
    """The output shape `op` must have, given its inputs' shapes (and constant inputs)."""
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
        if op.kind not in SHAPE_RULES:
            raise UnsupportedOpError(f"{where} has no shape rule")
        try:
            inferred = infer_shape(g, op)
        except _Bad as exc:
            raise ModelFormatError(f"{where}: {exc}") from None
        except UnsupportedOpError as exc:
            raise UnsupportedOpError(f"{where}: {exc}") from None
        out = g.tensor(op.outputs[0])
        if tuple(inferred) != tuple(out.shape):
            raise ModelFormatError(f"{where}: stored output shape {out.shape} contradicts "
                                   f"{tuple(inferred)} inferred from its inputs")
        if min(out.shape, default=1) <= 0:
            raise ModelFormatError(f"{where}: output shape {out.shape} has an empty dimension")
        _check_quantization(g, op, where)


def _check_quantization(g: Graph, op: Op, where: str) -> None:
    activations = [g.tensor(i) for i in op.inputs if i >= 0 and not g.tensor(i).is_constant]
    for t in activations + [g.tensor(op.outputs[0])]:
        if t.dtype == "int8" and t.quant is not None and not t.quant.per_tensor:
            raise ModelFormatError(f"{where}: activation '{short_name(t.name)}' has per-axis "
                                   "quantization; int8 activations are per tensor")
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
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            b = g.tensor(op.inputs[2])
            if b.quant is not None and any(z != 0 for z in b.quant.zero_point):
                raise ModelFormatError(f"{where}: int32 bias '{short_name(b.name)}' has a "
                                       "nonzero zero point")
