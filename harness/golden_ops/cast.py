"""CAST (cast.cc: static_cast<To>(from) per element) between int8, int32, int64 and float32.

C semantics, as the generated C and LiteRT compute them: integer to narrower integer wraps
(two's complement), float to integer truncates toward zero (through int64, then wraps, which
is what (int8_t)(int32_t)f gives), integer to float rounds to nearest even. Float values
outside the int32 range are undefined behaviour in C++ (LiteRT) and here."""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Op
from ..lower import OpParams
from ..op_params import CastParams
from .common import KernelArgs

__all__ = ["cast"]


def cast(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """CAST on a batch."""
    assert isinstance(params, CastParams)
    x = args[0]
    assert x is not None
    to = np.dtype(params.to_dtype)
    if x.dtype.kind == "f" and to.kind == "i":
        with np.errstate(invalid="ignore"):
            return np.trunc(x).astype(np.int64).astype(to)
    return x.astype(to)
