"""RELU, RELU6, LEAKY_RELU as ops, int8 and float32.

int8 RELU/RELU6 (activations.cc QuantizedReluX -> ReluX):
    out = clamp(output_offset + MBQM(x - input_zero_point, multiplier, shift), act_min, act_max)
int8 LEAKY_RELU (reference_ops::QuantizeLeakyRelu): v = x - input_zero_point;
    out = clamp(output_offset + MBQM(v, v >= 0 ? identity : alpha multiplier/shift))
float: max(x, 0) / min(max(x, 0), 6) / (x > 0 ? x : x * alpha), in float32.
LOGISTIC / TANH: int8 through the lowered 256-entry table (LiteRT's reference int8 path).
HARD_SWISH float32: x * min(6, max(0, x + 3)) / 6 in float32; int8: reference_ops::HardSwish's
    int16 fixed point (see hard_swish below).
float LOGISTIC (reference_ops::Logistic): x > 16.619047f ? 1 : x < -9 ? expf(x)
    : 1 / (1 + expf(-x)), expf correctly rounded; float TANH: tanhf correctly rounded (LiteRT's
    float tanh differs from that by 1 ulp on some inputs: within the float tolerance).
"""
from __future__ import annotations

import numpy as np

from .. import fixedpoint as fp
from ..ir import Graph, Op
from ..lower import HardSwishParams, LeakyReluParams, LutParams, OpParams, ReluParams
from .common import KernelArgs

__all__ = ["relu", "leaky_relu", "lookup", "hard_swish"]

_LOGISTIC_UPPER = np.float32(16.619047164916992188)
_LOGISTIC_LOWER = np.float32(-9.0)


def relu(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """RELU / RELU6 on a batch."""
    assert isinstance(params, ReluParams)
    x = args[0]
    assert x is not None
    if x.dtype == np.float32:
        out = np.maximum(x, np.float32(0.0))
        if op.kind == "RELU6":
            out = np.minimum(out, np.float32(6.0))
        return out.astype(np.float32)
    v = fp.multiply_by_quantized_multiplier(x.astype(np.int64) - params.input_zero_point,
                                            params.multiplier, params.shift)
    out = np.clip(v + params.output_offset, int(params.act_min), int(params.act_max))
    return out.astype(np.int8)


def leaky_relu(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """LEAKY_RELU on a batch."""
    assert isinstance(params, LeakyReluParams)
    x = args[0]
    assert x is not None
    if x.dtype == np.float32:
        return np.where(x > 0, x, (x * np.float32(params.alpha)).astype(np.float32))
    v = x.astype(np.int64) - params.input_zero_point
    up = fp.multiply_by_quantized_multiplier(v, params.identity_multiplier, params.identity_shift)
    down = fp.multiply_by_quantized_multiplier(v, params.alpha_multiplier, params.alpha_shift)
    out = np.where(v >= 0, up, down) + params.output_offset
    return np.clip(out, -128, 127).astype(np.int8)


def lookup(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """LOGISTIC / TANH on a batch."""
    assert isinstance(params, LutParams)
    x = args[0]
    assert x is not None
    if x.dtype == np.int8:
        table = np.array(params.table, dtype=np.int8)
        return table[x.astype(np.int16) + 128]
    wide = x.astype(np.float64)
    if op.kind == "TANH":
        return np.tanh(wide).astype(np.float32)
    with np.errstate(over="ignore"):
        e_neg = np.exp(-wide).astype(np.float32)
    middle = (np.float32(1.0) / (np.float32(1.0) + e_neg)).astype(np.float32)
    low = np.exp(wide).astype(np.float32)
    out = np.where(x > _LOGISTIC_UPPER, np.float32(1.0), np.where(x < _LOGISTIC_LOWER, low, middle))
    return out.astype(np.float32)


def _i16(v: np.ndarray) -> np.ndarray:
    """Wrap to int16 (a C cast of an int to int16_t)."""
    return ((v + (1 << 15)) % (1 << 16)) - (1 << 15)


def _srdhm16(a: np.ndarray, b: int) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul for int16."""
    ab = a.astype(np.int64) * b
    nudge = np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    q = ab + nudge
    out = np.where(q < 0, -(-q // (1 << 15)), q // (1 << 15))   # C division
    return np.where((a == -32768) & (b == -32768), 32767, out)


def _sdhm16(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """gemmlowp SaturatingDoublingHighMul for int16 (truncating)."""
    ab = a.astype(np.int64) * b
    out = np.where(ab < 0, -(-ab // (1 << 15)), ab // (1 << 15))
    return np.where((a == -32768) & (b == -32768), 32767, out)


def _rdbpot(x: np.ndarray, exponent: int) -> np.ndarray:
    if exponent <= 0:
        return x
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def _sat_left16(x: np.ndarray, shift: int) -> np.ndarray:
    return np.clip(x.astype(np.int64) << shift, -32768, 32767)


def hard_swish(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """HARD_SWISH on a batch."""
    assert isinstance(params, HardSwishParams)
    x = args[0]
    assert x is not None
    if x.dtype == np.float32:
        clamped = np.minimum(np.float32(6.0), np.maximum(np.float32(0.0), x + np.float32(3.0)))
        return ((x * clamped).astype(np.float32) / np.float32(6.0)).astype(np.float32)
    value = x.astype(np.int64) - params.input_zero_point
    hires = _i16(value * (1 << 7))
    preshift = _srdhm16(hires, params.output_multiplier)
    reluish = hires
    if params.reluish_exponent > 0:
        reluish = _sat_left16(reluish, params.reluish_exponent - 1)
    reluish = _srdhm16(reluish, params.reluish_multiplier)
    if params.reluish_exponent > 0:
        reluish = _sat_left16(reluish, 1)
    if params.reluish_exponent < 0:
        reluish = _rdbpot(reluish, -params.reluish_exponent)
    reluish = (reluish + (1 << 15)) >> 1
    out = _rdbpot(_sdhm16(reluish, preshift), -params.output_exponent)
    out = _i16(out + params.output_zero_point)
    return np.clip(out, -128, 127).astype(np.int8)
