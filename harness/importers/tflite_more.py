"""Import of SPLIT, SPLIT_V, GATHER, CAST and TRANSPOSE_CONV (issue 13): the dtypes each takes,
its options, and its inputs put in hilbench's order (the data input first), so the rest of
the importer treats them like every other op.

Input order after import (harness.ir.OP_ATTRS says the same):
    SPLIT           [input, axis]                      (the file stores [axis, input])
    SPLIT_V         [input, size_splits, axis]
    GATHER          [params, indices]
    CAST            [input]
    TRANSPOSE_CONV  [input, weights, bias or -1, output_shape]
                                                       (the file: [output_shape, weights,
                                                        input, bias])
"""
from __future__ import annotations

from typing import Any, Callable

import tflite

from ..errors import ModelFormatError, UnsupportedOpError

__all__ = ["data_first", "more_attrs"]


def data_first(kind: str, inputs: list[int]) -> list[int]:
    """The op's inputs in hilbench's order (see the module docstring)."""
    if kind == "SPLIT" and len(inputs) == 2:
        return [inputs[1], inputs[0]]
    if kind == "TRANSPOSE_CONV" and len(inputs) in (3, 4):
        bias = inputs[3] if len(inputs) == 4 else -1
        return [inputs[2], inputs[1], bias, inputs[0]]
    return inputs


def more_attrs(kind: str, opts: Callable[..., Any], where: str,
               stride: Callable[[tuple[int, int], str, str], tuple[int, int]],
               padding: Callable[[int, str], str],
               activation: Callable[[int, str], str]) -> dict[str, Any] | None:
    """The attributes of one of this module's ops (None: not one of them). `opts(cls,
    required)` reads the options table; the other callables are the importer's checks."""
    if kind in ("SPLIT", "SPLIT_V"):
        opt = opts(tflite.SplitOptions if kind == "SPLIT" else tflite.SplitVOptions)
        n = int(opt.NumSplits())
        if n <= 0:
            raise ModelFormatError(f"{where}: num_splits {n} must be > 0")
        return {"num_splits": n}
    if kind == "GATHER":
        opt = opts(tflite.GatherOptions, required=False)
        axis = int(opt.Axis()) if opt is not None else 0
        batch_dims = int(opt.BatchDims()) if opt is not None else 0
        if batch_dims != 0:
            raise UnsupportedOpError(f"{where}: batch_dims {batch_dims} is not supported "
                                     "(only 0)")
        return {"axis": axis, "batch_dims": batch_dims}
    if kind == "CAST":
        return {}
    if kind == "RESHAPE":   # LiteRT reads new_shape when the shape input is absent
        opt = opts(tflite.ReshapeOptions, required=False)
        if opt is None or opt.NewShapeIsNone():
            return {"new_shape": ()}
        return {"new_shape": tuple(int(d) for d in opt.NewShapeAsNumpy())}
    if kind == "TRANSPOSE_CONV":
        opt = opts(tflite.TransposeConvOptions)
        return {
            "stride": stride((opt.StrideH(), opt.StrideW()), "stride", where),
            "padding": padding(opt.Padding(), where),
            "activation": activation(opt.FusedActivationFunction(), where),
        }
    return None
