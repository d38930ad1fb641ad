"""CAST (LiteRT's cast.cc) between int8, int32, int64 and float32, as measured against
BUILTIN_REF (ai-edge-litert 2.3.0): integer to narrower integer wraps (two's complement),
float to integer truncates toward zero and saturates at the target's range (NaN gives the
maximum), integer to float rounds to nearest even. The generated C (cast.c) does the same."""
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
        info = np.iinfo(to)
        bound = float(2 ** (to.itemsize * 8 - 1))        # exact in float64
        value = np.trunc(x.astype(np.float64))
        high = np.isnan(value) | (value >= bound)
        low = value < -bound
        inside = np.where(high | low, 0.0, value).astype(np.int64)
        out = np.where(high, info.max, np.where(low, info.min, inside))
        return out.astype(to)
    return x.astype(to)
