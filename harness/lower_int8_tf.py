"""Lowering of the quantized transformer ops (BATCH_MATMUL int8 and int16, SQUARED_DIFFERENCE
and RSQRT int8): the constants LiteRT's Prepare derives, and the refusals where its Prepare
fails or aborts. lower.py dispatches here for int8 / int16 inputs (`lower_op`).

BATCH_MATMUL (batch_matmul.cc): real = float32(lhs_scale * rhs_scale) / out_scale
    (GetQuantizedConvolutionMultipler), QuantizeMultiplier; per-tensor operands only; int16
    (EvalInt16) with zero points 0, as LiteRT's Prepare requires.
SQUARED_DIFFERENCE (squared_difference.cc): left_shift 7, twice_max = 2 * max(s1, s2),
    input_i multiplier = s_i / twice_max, output = twice_max^2 / (2^14 * out_scale), all
    through QuantizeMultiplierSmallerThanOneExp (LiteRT aborts on an output multiplier >= 1).
RSQRT (elementwise.cc): multiplier = QuantizeMultiplier(1 / (sqrtf(in_scale) * out_scale)),
    the float product in float32; the int8 kernel is a pure function of the input byte, so it
    is tabulated here for all 256 inputs with LiteRT's integer steps
    (GetInvSqrtQuantizedMultiplierExp, two MultiplyByQuantizedMultiplier).
"""
from __future__ import annotations

import numpy as np

from . import fixedpoint as fp
from .errors import UnsupportedOpError
from .ir import Graph, Op, Tensor
from .lower import quantize_multiplier, tflite_round
from .op_params import AddParams, BatchMatMulIntParams, OpParams, RsqrtLutParams, RsqrtS16Params

__all__ = ["INT8_TF_KINDS", "lower_int8_tf_op", "inv_sqrt_quantized_multiplier_exp"]

INT8_TF_KINDS = frozenset({"BATCH_MATMUL", "SQUARED_DIFFERENCE", "RSQRT"})
_RSQRT_SHIFT = 20           # elementwise.cc kShift: keeps 1/sqrt(x) an integer
_HALF_THREE = (1 << 28) + (1 << 27)     # FixedPoint<int32, 3>: 1.5
_HALF_SQRT_2 = 1518500250               # FixedPoint<int32, 0>: sqrt(2) / 2
_MAX_INT16_SHIFT = 7                    # int16 BATCH_MATMUL: MBQM(int64) shift < 8 ...
_MAX_INT16_DEPTH = 1 << 16              # ... and sums of < 2^16 products of 2^30 below 2^47


def _f32(x: float) -> float:
    return float(np.float32(x))


def _per_tensor(g: Graph, op: Op, t: Tensor) -> tuple[float, int]:
    """(scale, zero point) of a per-tensor quantized operand; refuses per-axis ones (LiteRT's
    kernels read the legacy per-tensor parameters, which a per-axis tensor does not have)."""
    if t.quant is None or not t.quant.per_tensor or len(t.quant.scale) != 1:
        raise UnsupportedOpError(f"{g.source}: op '{op.name}' ({op.kind}): int8 tensor "
                                 f"'{t.name[:40]}' must be quantized per tensor")
    return float(t.quant.scale[0]), int(t.quant.zero_point[0])


def _batch_matmul(g: Graph, op: Op) -> BatchMatMulIntParams:
    (sl, zl), (sr, zr), (so, zo) = (_per_tensor(g, op, g.tensor(i))
                                    for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    multiplier, shift = quantize_multiplier(_f32(sl * sr) / so)
    if g.tensor(op.inputs[0]).dtype == "int16":
        where = f"{g.source}: op '{op.name}' (BATCH_MATMUL)"
        if (zl, zr, zo) != (0, 0, 0):   # batch_matmul.cc Prepare: TF_LITE_ENSURE_EQ
            raise UnsupportedOpError(f"{where}: int16 zero points must be 0, got lhs {zl}, "
                                     f"rhs {zr}, output {zo} (LiteRT refuses them)")
        lhs = g.tensor(op.inputs[0]).shape
        depth = lhs[-2] if op.attrs["adj_x"] else lhs[-1]
        if shift > _MAX_INT16_SHIFT or depth > _MAX_INT16_DEPTH:
            # MultiplyByQuantizedMultiplier(int64): shift < 8 and |sum| < 2^47 (its DCHECKs)
            raise UnsupportedOpError(f"{where}: int16 rescale by 2^{shift} over depth {depth} "
                                     "is outside LiteRT's int64 requantization range")
    return BatchMatMulIntParams(bool(op.attrs["adj_x"]), bool(op.attrs["adj_y"]), -zl, -zr, zo,
                               multiplier, shift)


def _squared_difference(g: Graph, op: Op) -> AddParams:
    """ADD's parameter set (the same rescaling scheme, on a 2^-7 grid, int8 clamps)."""
    (s1, z1), (s2, z2), (so, zo) = (_per_tensor(g, op, g.tensor(i))
                                    for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    left_shift = 7
    twice_max = _f32(2 * max(s1, s2))
    m1, e1 = quantize_multiplier(s1 / twice_max)
    m2, e2 = quantize_multiplier(s2 / twice_max)
    mo, eo = quantize_multiplier(twice_max * twice_max / _f32((1 << 2 * left_shift) * so))
    if eo > 0:   # QuantizeMultiplierSmallerThanOneExp: TFLITE_CHECK fails, LiteRT aborts
        raise UnsupportedOpError(
            f"{g.source}: op '{op.name}' (SQUARED_DIFFERENCE): output scale {so:g} is too small "
            f"for input scales {s1:g}, {s2:g} (needs >= {twice_max * twice_max / 16384:g}); "
            "LiteRT aborts on it")
    return AddParams(left_shift, -z1, -z2, zo, m1, e1, m2, e2, mo, eo, -128, 127)


def inv_sqrt_quantized_multiplier_exp(value: int) -> tuple[int, int]:
    """TFLite GetInvSqrtQuantizedMultiplierExp(value, kReverseShift = -1): (multiplier, shift)
    with 1/sqrt(value) = multiplier * 2^(shift - 31); a Newton-Raphson iteration in gemmlowp
    fixed point (5 steps from 1, FixedPoint<int32, 3>)."""
    if value <= 1:
        return fp.INT32_MAX, 0
    shift = 11
    while value >= 1 << 29:
        value //= 4
        shift += 1
    pairs = (int(fp.count_leading_zeros(value)) - 1) // 2 - 1
    shift -= pairs
    value <<= 2 * pairs
    half_input = int(fp.rounding_divide_by_pot(value >> 1, 1))
    x = 1 << 28                                            # F3 one
    for _ in range(5):
        x3 = int(fp.rescale(fp.saturating_rounding_doubling_high_mul(
            fp.saturating_rounding_doubling_high_mul(x, x), x), 9, 3))
        a = int(fp.saturating_rounding_doubling_high_mul(_HALF_THREE, x))
        b = int(fp.saturating_rounding_doubling_high_mul(half_input, x3))
        x = int(fp.rescale(fp.wrap_int32(a - b), 6, 3))
    x = int(fp.saturating_rounding_doubling_high_mul(x, _HALF_SQRT_2))
    if shift < 0:
        x = int(fp.wrap_int32(x << -shift))
        shift = 0
    return x, -shift


def _rsqrt_table(g: Graph, op: Op) -> RsqrtLutParams:
    (si, zi), (so, zo) = (_per_tensor(g, op, g.tensor(i)) for i in (op.inputs[0], op.outputs[0]))
    root = float(np.sqrt(np.float32(si)))                  # std::sqrt(float): sqrtf
    multiplier, shift = quantize_multiplier(1.0 / _f32(root * so))
    if shift - _RSQRT_SHIFT < -31:
        raise UnsupportedOpError(f"{g.source}: op '{op.name}' (RSQRT): scales {si:g} -> {so:g} "
                                 "need a rescale below 2^-31 (out of LiteRT's fixed-point range)")
    table = []
    for q in range(-128, 128):
        value = q - zi
        if value <= 0:       # 0: the largest output (LiteRT); < 0: LiteRT fails (golden too)
            table.append(127)
            continue
        inv, inv_shift = inv_sqrt_quantized_multiplier_exp(value)
        data = int(fp.multiply_by_quantized_multiplier(1, inv, inv_shift + _RSQRT_SHIFT))
        out = int(fp.multiply_by_quantized_multiplier(data, multiplier,
                                                      shift - _RSQRT_SHIFT)) + zo
        table.append(min(max(out, -128), 127))
    return RsqrtLutParams(tuple(table), zi)


def _rsqrt_s16_transform(x: np.float32, output_scale: np.float32) -> np.float32:
    """elementwise.cc's int16 RSQRT table function, in float32."""
    if x <= 0:
        return np.float32(32767) * output_scale
    return np.float32(1.0) / np.sqrt(x)


def rsqrt_s16_table(input_scale: float, output_scale: float) -> tuple[int, ...]:
    """LUTPopulateInt16<float> (zero points 0): 512 samples of the function over the int16
    input range, each less half its midpoint interpolation error, and the end value; every
    step in float32 (std::round: half away from zero)."""
    f32 = np.float32
    si, so = f32(input_scale), f32(output_scale)
    lo, hi = f32(-32768), f32(32767)
    input_min, input_max = si * lo, si * hi
    step = (input_max - input_min) / f32(512)
    half_step = step / f32(2)
    inverse = f32(65536) / (so * hi - so * lo)

    def rnd(v: np.float32) -> np.float32:     # roundf, through an exact double
        return f32(tflite_round(float(v))) if np.isfinite(v) else v

    def f(x: np.float32) -> np.float32:
        return f32(_rsqrt_s16_transform(f32(x), so))

    table = []
    with np.errstate(over="ignore"):
        for i in range(512):
            start = input_min + f32(i) * step
            val, mid = f(start), f(start + half_step)
            after = f(input_min + f32(i + 1) * step)
            sample = rnd(val * inverse)
            interpolated = rnd((after * inverse + rnd(val * inverse)) / f32(2))
            bias = rnd((interpolated - rnd(mid * inverse)) / f32(2))
            table.append(int(min(max(sample - bias, lo), hi)))
        table.append(int(min(max(rnd(f(input_max) * inverse), lo), hi)))
    return tuple(table)


def lower_int8_tf_op(g: Graph, op: Op) -> OpParams:
    """The parameters of an int8 / int16 BATCH_MATMUL, an int8 SQUARED_DIFFERENCE or RSQRT."""
    if op.kind == "BATCH_MATMUL":
        return _batch_matmul(g, op)
    if op.kind == "SQUARED_DIFFERENCE":
        return _squared_difference(g, op)
    if g.tensor(op.inputs[0]).dtype == "int16":    # zero points 0 (the importer checks)
        (si, _), (so, _) = (_per_tensor(g, op, g.tensor(i)) for i in (op.inputs[0], op.outputs[0]))
        return RsqrtS16Params(rsqrt_s16_table(si, so))
    return _rsqrt_table(g, op)
