"""Helpers the golden kernels share: the kernel signature, windows over padded NHWC data,
im2col, requantization and the exact rounding modes of the C reference kernels."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .. import fixedpoint as fp
from ..ir import Graph, Op
from ..lower import OpParams

__all__ = [
    "Kernel",
    "KernelArgs",
    "pad_nhwc",
    "window",
    "im2col",
    "requantize_int8",
    "round_half_away",
    "trunc_div",
    "clamp_float",
    "valid_counts",
    "batch_chunks",
    "held_shape",
    "UNBATCHED_OPS",
]

# Ops whose activations may lack the leading model axis of 1 (litert-torch folds the batch of
# 1 away around matmuls: RESHAPE (1, T, D) -> (T, D), FC with those as weights, BATCH_MATMUL).
UNBATCHED_OPS = frozenset({"RESHAPE", "FULLY_CONNECTED", "BATCH_MATMUL", "ADD", "SUB", "MUL",
                           "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM"})


def held_shape(model_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The per-sample shape the interpreter holds a tensor in, after the sample axis: the model
    shape without its leading 1, or the whole model shape when it does not start with 1."""
    return tuple(model_shape[1:]) if model_shape and model_shape[0] == 1 else tuple(model_shape)

# The op's input values in op-input order: batched arrays for activations (leading dim N),
# the tensor's `data` for constants (weights, biases: not batched), None for an absent input.
KernelArgs = Sequence[np.ndarray | None]
Kernel = Callable[[Graph, Op, OpParams, KernelArgs], "np.ndarray | list[np.ndarray]"]

# im2col chunks stay below this many elements (float64: 8 bytes each).
IM2COL_CHUNK_ELEMENTS = 1 << 23


def pad_nhwc(x: np.ndarray, pad: tuple[int, int], out_hw: tuple[int, int],
             stride: tuple[int, int], dilation: tuple[int, int], kernel_hw: tuple[int, int],
             value: float | int = 0) -> np.ndarray:
    """Pad NHWC data so that every window of a TFLite conv/pool reads inside the array.

    `pad` is TFLite's (top, left) padding; the bottom/right padding is whatever the last
    window needs. Padded cells hold `value`, chosen by the caller to contribute nothing
    (0 after the input offset for int8 convs, 0.0 for float sums, a sentinel for max).
    """
    n, h, w, c = x.shape
    extents = []
    for axis in range(2):
        eff = (kernel_hw[axis] - 1) * dilation[axis] + 1
        needed = (out_hw[axis] - 1) * stride[axis] + eff - pad[axis]
        extents.append((pad[axis], max(0, needed - (h, w)[axis])))
    if extents == [(0, 0), (0, 0)]:
        return x
    return np.pad(x, ((0, 0), extents[0], extents[1], (0, 0)), constant_values=value)


def window(xp: np.ndarray, fy: int, fx: int, out_hw: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int]) -> np.ndarray:
    """The (N, OH, OW, C) view of padded data that filter tap (fy, fx) reads."""
    y0, x0 = fy * dilation[0], fx * dilation[1]
    return xp[:, y0:y0 + (out_hw[0] - 1) * stride[0] + 1:stride[0],
              x0:x0 + (out_hw[1] - 1) * stride[1] + 1:stride[1], :]


def im2col(xp: np.ndarray, kernel_hw: tuple[int, int], out_hw: tuple[int, int],
           stride: tuple[int, int], dilation: tuple[int, int], dtype: type) -> np.ndarray:
    """Patches as rows: (N*OH*OW, KH*KW*C) in (fy, fx, c) order, the order of an OHWI filter
    flattened to (O, KH*KW*C)."""
    n, c = xp.shape[0], xp.shape[3]
    kh, kw = kernel_hw
    oh, ow = out_hw
    cols: np.ndarray = np.empty((n, oh, ow, kh, kw, c), dtype=dtype)
    for fy in range(kh):
        for fx in range(kw):
            cols[:, :, :, fy, fx, :] = window(xp, fy, fx, out_hw, stride, dilation)
    return cols.reshape(n * oh * ow, kh * kw * c)


def batch_chunks(n: int, per_sample_elements: int) -> list[slice]:
    """Slices of the batch so that one chunk's scratch stays under IM2COL_CHUNK_ELEMENTS."""
    step = max(1, IM2COL_CHUNK_ELEMENTS // max(1, per_sample_elements))
    return [slice(i, min(n, i + step)) for i in range(0, n, step)]


def requantize_int8(acc: np.ndarray, multiplier: np.ndarray | int, shift: np.ndarray | int,
                    output_offset: int, act_min: float, act_max: float) -> np.ndarray:
    """int32 accumulators -> int8 as the reference kernels finish a conv/FC:
    MultiplyByQuantizedMultiplier (double rounding), + output_offset, clamp to the activation
    range. `multiplier`/`shift` broadcast against the last axis (per-channel)."""
    out = fp.multiply_by_quantized_multiplier(acc, multiplier, shift) + output_offset
    return np.clip(out, int(act_min), int(act_max)).astype(np.int8)


def round_half_away(v: np.ndarray) -> np.ndarray:
    """C round() / std::round / TfLiteRound (ties away from zero) of float32 or float64 values,
    exactly, returned as float64.

    Computed as floor(|v|) + (|v| - floor(|v|) >= 0.5): the fraction is exact in floating
    point, whereas floor(|v| + 0.5) is not (0.49999997f + 0.5f rounds up to 1.0f)."""
    d = np.asarray(v, dtype=np.float64)
    magnitude = np.abs(d)
    whole = np.floor(magnitude)
    return np.copysign(whole + (magnitude - whole >= 0.5), d)


def trunc_div(num: np.ndarray, den: np.ndarray | int) -> np.ndarray:
    """C integer division (rounds toward zero) of int64 arrays, den > 0."""
    q = np.abs(num) // den
    return np.where(num < 0, -q, q)


def clamp_float(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """ActivationFunctionWithMinMax in float32: min(max(x, lo), hi)."""
    return np.minimum(np.maximum(x, np.float32(lo)), np.float32(hi)).astype(np.float32)


def valid_counts(in_size: int, out_size: int, kernel: int, stride: int, pad: int) -> np.ndarray:
    """Per output position, how many filter taps fall inside the input (pooling borders)."""
    origin = np.arange(out_size) * stride - pad
    start = np.maximum(0, -origin)
    end = np.minimum(kernel, in_size - origin)
    return np.maximum(end - start, 0)
