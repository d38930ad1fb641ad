"""One-op int16x8 models (int16 activations with zero point 0, int8 weights, int64 or int32
biases), built with LiteRT's object API on seeded random weights and scales chosen so that
outputs spread over the int16 range: `example16(name, seed)` -> (ModelBuilder, inputs, outputs).
Names: the op kind, or kind:variant for edge cases (per-channel FC weights, SAME padding with
odd sizes and stride, a fused activation, broadcasting). `bias` also writes int32 biases, which the
importer refuses for int16x8 (tests/test_int16.py)."""
from __future__ import annotations

from typing import Callable

import numpy as np
from tflite_build import ModelBuilder, options

Example = tuple[ModelBuilder, list[int], list[int]]


class _Ctx:
    def __init__(self, seed: int) -> None:
        self.m = ModelBuilder()
        self.rng = np.random.default_rng(seed)

    def act(self, shape: tuple[int, ...], scale: float | None = None) -> int:
        scale = scale if scale is not None else float(self.rng.uniform(1e-4, 1e-3))
        return self.m.tensor(shape, "int16", scale=scale, zero_point=0)

    def weights(self, shape: tuple[int, ...], axis: int, per_channel: bool = True
                ) -> tuple[int, np.ndarray]:
        n = shape[axis] if per_channel else 1
        scales = self.rng.uniform(0.002, 0.02, n)
        w = self.rng.integers(-127, 128, shape).astype(np.int8)
        return self.m.tensor(shape, "int8", scale=scales, zero_point=[0] * n, axis=axis,
                             data=w), scales

    def bias(self, n: int, in_scale: float, w_scales: np.ndarray, dtype: str) -> int:
        scales = list(in_scale * np.resize(w_scales, n))
        limit = 1 << 20 if dtype == "int64" else 1 << 16
        return self.m.tensor((n,), dtype, scale=scales, zero_point=[0] * n,
                             data=self.rng.integers(-limit, limit, n))

    def out_scale(self, in_scale: float, w_scales: np.ndarray, depth: int) -> float:
        """An output scale that puts a typical sum of `depth` products near 2^13."""
        typical = in_scale * float(np.mean(w_scales)) * 18000 * 70 * np.sqrt(depth)
        return typical / 8192


def _conv(c: _Ctx, variant: str) -> Example:
    depthwise = variant.startswith("dw")
    bias_dtype = "int64"
    same = "same" in variant
    x_shape = (1, 7, 6, 3) if not same else (1, 9, 7, 5)
    in_scale = 5e-4
    x = c.act(x_shape, in_scale)
    ic = x_shape[3]
    if depthwise:
        mult = 2
        w, ws = c.weights((1, 3, 3, ic * mult), axis=3)
        stride = (2, 2) if same else (1, 2)
        opt = options("DepthwiseConv2D", strideH=stride[0], strideW=stride[1],
                      padding=0 if same else 1, depthMultiplier=mult, dilationHFactor=1,
                      dilationWFactor=1, fusedActivationFunction=1 if same else 0)
        oc, depth = ic * mult, 9
    else:
        oc = 5 if not same else 7
        w, ws = c.weights((oc, 3, 3, ic), axis=0)
        stride = (2, 2) if same else (2, 1)
        opt = options("Conv2D", strideH=stride[0], strideW=stride[1], padding=0 if same else 1,
                      dilationHFactor=1, dilationWFactor=1,
                      fusedActivationFunction=3 if same else 0)
        depth = 9 * ic
    if same:
        oh, ow = -(-x_shape[1] // stride[0]), -(-x_shape[2] // stride[1])
    else:
        oh, ow = (x_shape[1] - 3) // stride[0] + 1, (x_shape[2] - 3) // stride[1] + 1
    b = c.bias(oc, in_scale, ws, bias_dtype)
    out = c.act((1, oh, ow, oc), c.out_scale(in_scale, ws, depth))
    c.m.op("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", [x, w, b], [out], opt)
    return c.m, [x], [out]


def _fc(c: _Ctx, variant: str) -> Example:
    in_scale = 4e-4
    x = c.act((1, 13), in_scale)
    w, ws = c.weights((6, 13), axis=0, per_channel=variant == "pc")
    b = c.bias(6, in_scale, ws, "int64")
    out = c.act((1, 6), c.out_scale(in_scale, ws, 13))
    act = 1 if variant == "relu" else 0
    c.m.op("FULLY_CONNECTED", [x, w, b], [out],
           options("FullyConnected", fusedActivationFunction=act))
    return c.m, [x], [out]


def _binary(c: _Ctx, kind: str, broadcast: bool = False) -> Example:
    s1, s2 = float(c.rng.uniform(1e-4, 5e-4)), float(c.rng.uniform(1e-4, 5e-4))
    a, b = c.act((1, 4, 5, 3), s1), c.act((1, 1, 5, 1) if broadcast else (1, 4, 5, 3), s2)
    if kind == "MUL":
        out = c.act((1, 4, 5, 3), s1 * s2 * 32768 * 32768 / 24000)
        opt = options("Mul", fusedActivationFunction=0)
    else:
        out = c.act((1, 4, 5, 3), (s1 + s2) * 1.1)
        opt = options("Add" if kind == "ADD" else "Sub", fusedActivationFunction=0,
                      potScaleInt16=False)
    c.m.op(kind, [a, b], [out], opt)
    return c.m, [a, b], [out]


def _pot(c: _Ctx, kind: str, log2_scales: tuple[int, int, int]) -> Example:
    """ADD / SUB with pot_scale_int16: power-of-two scales 2^log2 (input 1, input 2, output)."""
    a, b, out = (c.act((1, 4, 5, 3), 2.0 ** e) for e in log2_scales)
    opt = options("Add" if kind == "ADD" else "Sub", fusedActivationFunction=0,
                  potScaleInt16=True)
    c.m.op(kind, [a, b], [out], opt)
    return c.m, [a, b], [out]


def _pool(c: _Ctx, kind: str, variant: str) -> Example:
    x = c.act((1, 7, 6, 5), 3e-4)
    same = variant == "same"
    fh, fw, sh, sw = (3, 2, 2, 2) if same else (2, 3, 2, 1)
    oh, ow = ((-(-7 // sh), -(-6 // sw)) if same else ((7 - fh) // sh + 1, (6 - fw) // sw + 1))
    out = c.m.tensor((1, oh, ow, 5), "int16", scale=3e-4, zero_point=0)
    opt = options("Pool2D", filterHeight=fh, filterWidth=fw, strideH=sh, strideW=sw,
                  padding=0 if same else 1, fusedActivationFunction=1 if same else 0)
    c.m.op(kind, [x], [out], opt)
    return c.m, [x], [out]


def _quantize(c: _Ctx, pair: str) -> Example:
    src, dst = pair.split("_")
    shape = (1, 5, 7)
    if src == "f32":
        x = c.m.tensor(shape, "float32")
    elif src == "s8":
        x = c.m.tensor(shape, "int8", scale=0.02, zero_point=-7)
    else:
        x = c.act(shape, 4e-4)
    out = (c.act(shape, 1 / 20000 if src == "f32" else 7e-4) if dst == "s16"
           else c.m.tensor(shape, "int8", scale=0.05, zero_point=3))
    c.m.op("QUANTIZE", [x], [out])
    return c.m, [x], [out]


def _dequantize(c: _Ctx) -> Example:
    x = c.act((1, 5, 7), 3e-4)
    out = c.m.tensor((1, 5, 7), "float32")
    c.m.op("DEQUANTIZE", [x], [out])
    return c.m, [x], [out]


def _table_op(c: _Ctx, kind: str, in_scale: float, beta: float = 1.0) -> Example:
    shape = (1, 3, 11) if kind == "SOFTMAX" else (1, 4, 9, 5)
    x = c.act(shape, in_scale)
    out = c.act(shape, 1 / 32768)
    c.m.op(kind, [x], [out], options("Softmax", beta=beta) if kind == "SOFTMAX" else None)
    return c.m, [x], [out]


EXAMPLES16: dict[str, Callable[[_Ctx], Example]] = {
    "LOGISTIC": lambda c: _table_op(c, "LOGISTIC", 3.7e-4),
    "LOGISTIC:pot": lambda c: _table_op(c, "LOGISTIC", 2.0 ** -12),
    "LOGISTIC:coarse": lambda c: _table_op(c, "LOGISTIC", 1.1e-3),
    "TANH": lambda c: _table_op(c, "TANH", 2.3e-4),
    "TANH:pot": lambda c: _table_op(c, "TANH", 2.0 ** -12),
    "TANH:pot11": lambda c: _table_op(c, "TANH", 2.0 ** -11),
    "SOFTMAX": lambda c: _table_op(c, "SOFTMAX", 2.1e-4),
    "SOFTMAX:beta": lambda c: _table_op(c, "SOFTMAX", 9e-5, beta=0.7),
    "QUANTIZE:f32_s16": lambda c: _quantize(c, "f32_s16"),
    "QUANTIZE:s8_s16": lambda c: _quantize(c, "s8_s16"),
    "QUANTIZE:s16_s8": lambda c: _quantize(c, "s16_s8"),
    "QUANTIZE:s16_s16": lambda c: _quantize(c, "s16_s16"),
    "DEQUANTIZE": _dequantize,
    "FULLY_CONNECTED": lambda c: _fc(c, ""),
    "FULLY_CONNECTED:pc": lambda c: _fc(c, "pc"),
    "FULLY_CONNECTED:relu": lambda c: _fc(c, "relu"),
    "CONV_2D": lambda c: _conv(c, ""),
    "CONV_2D:same": lambda c: _conv(c, "same"),
    "DEPTHWISE_CONV_2D": lambda c: _conv(c, "dw"),
    "DEPTHWISE_CONV_2D:same": lambda c: _conv(c, "dw_same"),
    "ADD": lambda c: _binary(c, "ADD"),
    "SUB": lambda c: _binary(c, "SUB"),
    "MUL": lambda c: _binary(c, "MUL"),
    "SUB:broadcast": lambda c: _binary(c, "SUB", broadcast=True),
    "ADD:broadcast": lambda c: _binary(c, "ADD", broadcast=True),
    "ADD:pot": lambda c: _pot(c, "ADD", (-12, -14, -12)),
    "SUB:pot": lambda c: _pot(c, "SUB", (-13, -11, -11)),
    "SUB:pot_same": lambda c: _pot(c, "SUB", (-12, -12, -12)),
    "MUL:broadcast": lambda c: _binary(c, "MUL", broadcast=True),
    "AVERAGE_POOL_2D": lambda c: _pool(c, "AVERAGE_POOL_2D", ""),
    "AVERAGE_POOL_2D:same": lambda c: _pool(c, "AVERAGE_POOL_2D", "same"),
    "MAX_POOL_2D": lambda c: _pool(c, "MAX_POOL_2D", ""),
    "MAX_POOL_2D:same": lambda c: _pool(c, "MAX_POOL_2D", "same"),
}


def example16(name: str, seed: int) -> Example:
    """The one-op int16x8 model `name` (a key of EXAMPLES16) with seeded weights."""
    return EXAMPLES16[name](_Ctx(seed))


def net16(seed: int = 0) -> Example:
    """A small int16x8 conv net with float input and output: QUANTIZE -> CONV_2D (SAME, RELU)
    -> DEPTHWISE_CONV_2D (stride 2) -> MAX_POOL_2D and AVERAGE_POOL_2D -> ADD -> MUL -> TANH
    -> RESHAPE -> FULLY_CONNECTED -> SOFTMAX -> QUANTIZE (int16 -> int8) -> DEQUANTIZE."""
    c = _Ctx(seed)
    m = c.m
    x = m.tensor((1, 8, 8, 3), "float32")
    q = c.act((1, 8, 8, 3), 1 / 30000)
    m.op("QUANTIZE", [x], [q])
    w, ws = c.weights((8, 3, 3, 3), axis=0)
    h1 = c.act((1, 8, 8, 8), c.out_scale(1 / 30000, ws, 27))
    m.op("CONV_2D", [q, w, c.bias(8, 1 / 30000, ws, "int64")], [h1],
         options("Conv2D", strideH=1, strideW=1, padding=0, dilationHFactor=1,
                 dilationWFactor=1, fusedActivationFunction=1))
    s1 = m.tensors[h1].quantization.scale[0]
    dw, dws = c.weights((1, 3, 3, 8), axis=3)
    h2 = c.act((1, 4, 4, 8), c.out_scale(s1, dws, 9) * 0.5)
    m.op("DEPTHWISE_CONV_2D", [h1, dw, c.bias(8, s1, dws, "int64")], [h2],
         options("DepthwiseConv2D", strideH=2, strideW=2, padding=0, depthMultiplier=1,
                 dilationHFactor=1, dilationWFactor=1, fusedActivationFunction=0))
    s2 = m.tensors[h2].quantization.scale[0]
    peak = m.tensor((1, 2, 2, 8), "int16", scale=s2, zero_point=0)
    mean = m.tensor((1, 2, 2, 8), "int16", scale=s2, zero_point=0)
    for kind, out in (("MAX_POOL_2D", peak), ("AVERAGE_POOL_2D", mean)):
        m.op(kind, [h2], [out], options("Pool2D", filterHeight=2, filterWidth=2, strideH=2,
                                        strideW=2, padding=1, fusedActivationFunction=0))
    both = c.act((1, 2, 2, 8), 2.2 * s2)
    m.op("ADD", [peak, mean], [both], options("Add", potScaleInt16=False))
    squared = c.act((1, 2, 2, 8), (2.2 * s2) ** 2 * 32768 / 4)
    m.op("MUL", [both, both], [squared], options("Mul"))
    squashed = c.act((1, 2, 2, 8), 1 / 32768)
    m.op("TANH", [squared], [squashed])
    flat = c.act((1, 32), 1 / 32768)
    m.op("RESHAPE", [squashed, m.const([1, 32])], [flat])
    fw, fws = c.weights((10, 32), axis=0, per_channel=False)
    logits = c.act((1, 10), c.out_scale(1 / 32768, fws, 32))
    m.op("FULLY_CONNECTED", [flat, fw, c.bias(10, 1 / 32768, fws, "int64")], [logits],
         options("FullyConnected"))
    probs = c.act((1, 10), 1 / 32768)
    m.op("SOFTMAX", [logits], [probs], options("Softmax", beta=1.0))
    small = m.tensor((1, 10), "int8", scale=1 / 256, zero_point=-128)
    m.op("QUANTIZE", [probs], [small])
    y = m.tensor((1, 10), "float32")
    m.op("DEQUANTIZE", [small], [y])
    return m, [x], [y]


def mix16(seed: int = 0) -> Example:
    """The int16 ops net16 leaves out, in one float-in, float-out model: QUANTIZE (float32 ->
    int16, 2^-12) -> LOGISTIC -> SUB and ADD with pot_scale_int16 -> SUB (general) -> QUANTIZE
    int16 -> int16 -> int16 -> int8 -> int8 -> int16 -> DEQUANTIZE."""
    c = _Ctx(seed)
    m = c.m
    x = m.tensor((1, 6, 7), "float32")
    q = c.act((1, 6, 7), 2.0 ** -12)
    m.op("QUANTIZE", [x], [q])
    lg = c.act((1, 6, 7), 2.0 ** -15)
    m.op("LOGISTIC", [q], [lg])
    d = c.act((1, 6, 7), 2.0 ** -12)
    m.op("SUB", [q, lg], [d], options("Sub", potScaleInt16=True))
    s = c.act((1, 6, 7), 2.0 ** -12)
    m.op("ADD", [d, q], [s], options("Add", potScaleInt16=True))
    g = c.act((1, 6, 7), 3e-4)
    m.op("SUB", [s, lg], [g], options("Sub", potScaleInt16=False))
    r = c.act((1, 6, 7), 7e-5)
    m.op("QUANTIZE", [g], [r])
    r8 = m.tensor((1, 6, 7), "int8", scale=0.03, zero_point=5)
    m.op("QUANTIZE", [r], [r8])
    r16 = c.act((1, 6, 7), 1e-4)
    m.op("QUANTIZE", [r8], [r16])
    y = m.tensor((1, 6, 7), "float32")
    m.op("DEQUANTIZE", [r16], [y])
    return m, [x], [y]
