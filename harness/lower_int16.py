"""Lowering of the int16x8 activations LiteRT computes with tables: LOGISTIC, TANH (its
TanhPrepare / SigmoidPrepare for int16) and SOFTMAX (SoftmaxPrepare for int16), and the tables
themselves, built once here for the golden interpreter and the C generator alike.

LOGISTIC / TANH: the output scale must be 2^-15 (zero point 0). A power-of-two input scale
2^-12 (TANH also 2^-11) keeps input_multiplier 0 (the kernel then uses 3 << input_left_shift);
any other scale s gets multiplier = s * 4096 * 3 doubled until it exceeds 32767 / 2, the
number of doublings being input_left_shift. The table: sigmoid(i / 24) in units of 2^-16 for
i = 0..255 with a midpoint correction (LiteRT's sigmoid_table_uint16, rebuilt from that
definition and checked against LiteRT over the whole int16 range in tests/test_int16.py).
ADD / SUB with pot_scale_int16: power-of-two scales, see lower_int16_pot_add.
SOFTMAX: the output scale must be 2^-15; QuantizeMultiplier(float(scale * beta) /
(10 / 65535)), and two 513-entry int16 tables (LUTPopulate<int16_t> in double): exp on
[-10, 0] and 1 / (1 + x) on [0, 1], both with outputs in [-1, 1].
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .errors import ModelFormatError, UnsupportedOpError
from .ir import Graph, Op
from .op_params import AddPotParams, Int16LutParams, OpParams, SoftmaxParams

__all__ = ["lower_int16_table_op", "lower_int16_pot_add", "sigmoid_table", "softmax_exp_table",
           "softmax_reciprocal_table"]

_INT16_RANGE = 65535   # int16 max - min


def _log2_rounded(x: float) -> tuple[int, bool]:
    """CheckedLog2 (in float32): the rounded log2 and whether x is a power of two (1e-3)."""
    value = float(np.float32(math.log(x)) * (np.float32(1.0) / np.float32(math.log(2.0))))
    rounded = _round(value)
    return int(rounded), abs(value - rounded) < 1e-3


def _round(x: float) -> float:
    """std::round: half away from zero, exactly."""
    whole = math.floor(abs(x))
    return math.copysign(whole + (abs(x) - whole >= 0.5), x)


def _scale(g: Graph, index: int) -> float:
    q = g.tensor(index).quant
    assert q is not None
    return q.scale[0]


def lower_int16_table_op(g: Graph, op: Op) -> OpParams:
    """Int16LutParams of an int16 LOGISTIC / TANH, SoftmaxParams of an int16 SOFTMAX."""
    out_log2, out_pot = _log2_rounded(_scale(g, op.outputs[0]))
    if not out_pot or out_log2 != -15:
        raise UnsupportedOpError(f"{g.source}: op '{op.name}' ({op.kind}) int16 output must "
                                 f"have scale 1/32768, got {_scale(g, op.outputs[0]):g}")
    scale = _scale(g, op.inputs[0])
    if op.kind == "SOFTMAX":
        beta = float(op.attrs["beta"])
        real = float(np.float32(scale) * np.float32(beta)) / (10.0 / _INT16_RANGE)
        from .lower import quantize_multiplier  # here: lower.py imports this module
        multiplier, shift = quantize_multiplier(real)
        return SoftmaxParams(beta, multiplier, shift, 0)
    log2, pot = _log2_rounded(scale)
    left_shift = 12 + log2
    if pot and (left_shift == 0 or (op.kind == "TANH" and left_shift == 1)):
        return Int16LutParams(0, left_shift)
    real, shift = scale * 4096.0 * 3.0, 0
    while real <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        real *= 2.0
    return Int16LutParams(int(real), shift)


def lower_int16_pot_add(g: Graph, op: Op, act_range: tuple[int, int]) -> AddPotParams | None:
    """AddPotParams of an int16 ADD / SUB with pot_scale_int16 (add.cc / sub.cc Prepare), None
    when a scale is not a power of two (LiteRT then takes the general path). Input shifts are
    log2(input scale) - log2(output scale): one of them 0, neither > 0, else LiteRT refuses
    the model; equal shapes (hilbench's limit)."""
    logs = [_log2_rounded(_scale(g, i)) for i in (op.inputs[0], op.inputs[1], op.outputs[0])]
    if not all(pot for _, pot in logs):
        return None
    where = f"{g.source}: op '{op.name}' ({op.kind}) int16 with pot_scale_int16"
    shift1, shift2 = logs[0][0] - logs[2][0], logs[1][0] - logs[2][0]
    if (shift1 != 0 and shift2 != 0) or shift1 > 0 or shift2 > 0:
        raise ModelFormatError(f"{where}: one input must have the output's scale and the "
                               "other a smaller one (LiteRT refuses others)")
    if g.tensor(op.inputs[0]).shape != g.tensor(op.inputs[1]).shape:
        raise UnsupportedOpError(f"{where}: broadcasting is not supported")
    return AddPotParams(shift1, shift2, act_range[0], act_range[1])


@lru_cache(maxsize=1)
def sigmoid_table() -> tuple[int, ...]:
    """LiteRT's sigmoid_table_uint16: f(i) = 65536 * sigmoid(i / 24) for i = 0..255, moved by
    half the linear interpolation's error at the midpoint (the table is read with
    interpolation), rounded; the last entry is 65535 (the table's top, as LiteRT's):
        T[i] = round(f(i) + (f(i + 1/2) - (f(i) + f(i + 1)) / 2) / 2),  i < 255"""
    def f(i: float) -> float:
        return 65536.0 / (1.0 + math.exp(-i / 24.0))

    body = (int(_round(f(i) + (f(i + 0.5) - (f(i) + f(i + 1)) / 2) / 2)) for i in range(255))
    return (*body, 65535)


def _lut_int16(input_scale: float, input_zero_point: int, output_scale: float,
               transform: object) -> tuple[int, ...]:
    """LUTPopulate<int16_t> with FloatT = double (LiteRT's int16 SOFTMAX tables): 512 samples
    with a midpoint bias correction and the end value, clamped to int16."""
    assert callable(transform)
    lo, hi = -32768, 32767
    input_min = input_scale * (lo - input_zero_point)
    input_max = input_scale * (hi - input_zero_point)
    output_min, output_max = output_scale * lo, output_scale * hi
    steps = 512
    step = (input_max - input_min) / steps
    half_step = step / 2
    inverse = float(hi - lo + 1) / (output_max - output_min)
    table = []
    for i in range(steps):
        val = transform(input_min + i * step)
        midpoint = transform(input_min + i * step + half_step)
        after = transform(input_min + (i + 1) * step)
        sample = _round(val * inverse)
        interpolated = _round((after * inverse + _round(val * inverse)) / 2)
        bias = _round((interpolated - _round(midpoint * inverse)) / 2)
        table.append(int(min(max(sample - bias, lo), hi)))
    table.append(int(min(max(_round(transform(input_max) * inverse), lo), hi)))
    return tuple(table)


@lru_cache(maxsize=1)
def softmax_exp_table() -> tuple[int, ...]:
    """exp on [-10, 0] -> [-1, 1] (input zero point 32767: the table's top is exp(0))."""
    return _lut_int16(10.0 / _INT16_RANGE, 32767, 2.0 / _INT16_RANGE, math.exp)


@lru_cache(maxsize=1)
def softmax_reciprocal_table() -> tuple[int, ...]:
    """1 / (1 + x) on [0, 1] -> [-1, 1] (input zero point -32768)."""
    return _lut_int16(1.0 / _INT16_RANGE, -32768, 2.0 / _INT16_RANGE,
                      lambda v: 1.0 / (1.0 + v))
