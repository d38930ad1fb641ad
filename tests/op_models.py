"""One small model per (op, dtype) hilbench supports, built with LiteRT's object API on
seeded random weights: the models the op tests run through golden, LiteRT BUILTIN_REF and the
generated C. `example(kind, dtype, seed)` -> (ModelBuilder, inputs, outputs)."""
from __future__ import annotations

from typing import Callable

import numpy as np
from tflite_build import ModelBuilder, options

Example = tuple[ModelBuilder, list[int], list[int]]


class _Ctx:
    def __init__(self, dtype: str, seed: int) -> None:
        self.m = ModelBuilder()
        self.dtype = dtype
        self.rng = np.random.default_rng(seed)

    @property
    def q(self) -> bool:
        return self.dtype == "int8"

    def act(self, shape: tuple[int, ...], scale: float | None = None, zp: int | None = None,
            name: str | None = None) -> int:
        """An activation tensor: int8 with a random (or given) scale and zero point."""
        if not self.q:
            return self.m.tensor(shape, "float32", name=name)
        scale = scale if scale is not None else float(self.rng.uniform(0.01, 0.1))
        zp = zp if zp is not None else int(self.rng.integers(-20, 20))
        return self.m.tensor(shape, "int8", scale=scale, zero_point=zp, name=name)

    def weights(self, shape: tuple[int, ...], axis: int) -> tuple[int, np.ndarray]:
        if not self.q:
            w = self.rng.normal(0, 0.3, shape).astype(np.float32)
            return self.m.tensor(shape, "float32", data=w), w
        scales = self.rng.uniform(0.002, 0.02, shape[axis])
        w = self.rng.integers(-127, 128, shape).astype(np.int8)
        return self.m.tensor(shape, "int8", scale=scales, zero_point=[0] * len(scales),
                             axis=axis, data=w), scales

    def bias(self, n: int, in_scale: float, w_scales: np.ndarray) -> int:
        if not self.q:
            return self.m.tensor((n,), "float32", data=self.rng.normal(0, 0.1, n))
        return self.m.tensor((n,), "int32", scale=list(in_scale * w_scales), zero_point=[0] * n,
                             data=self.rng.integers(-2000, 2000, n))


def _conv(c: _Ctx, depthwise: bool) -> Example:
    x = c.act((1, 7, 6, 3), scale=0.05)
    if depthwise:
        w, ws = c.weights((1, 3, 3, 6), axis=3)
        opt = options("DepthwiseConv2D", strideH=1, strideW=2, padding=0, depthMultiplier=2,
                      dilationHFactor=1, dilationWFactor=1, fusedActivationFunction=1)
        out = c.act((1, 7, 3, 6), scale=0.1)
    else:
        w, ws = c.weights((5, 3, 3, 3), axis=0)
        opt = options("Conv2D", strideH=2, strideW=1, padding=1, dilationHFactor=1,
                      dilationWFactor=1, fusedActivationFunction=0)
        out = c.act((1, 3, 4, 5), scale=0.2)
    b = c.bias(6 if depthwise else 5, 0.05, ws)
    c.m.op("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", [x, w, b], [out], opt)
    return c.m, [x], [out]


def _fc(c: _Ctx) -> Example:
    x = c.act((1, 12), scale=0.05)
    w, ws = c.weights((4, 12), axis=0)
    if c.q:   # FC weights per tensor, as converters write them
        w = c.m.tensor((4, 12), "int8", scale=0.01, zero_point=0,
                       data=c.rng.integers(-127, 128, (4, 12)))
        ws = np.array([0.01] * 4)
    b = c.bias(4, 0.05, ws)
    out = c.act((1, 4), scale=0.1)
    c.m.op("FULLY_CONNECTED", [x, w, b], [out], options("FullyConnected"))
    return c.m, [x], [out]


def _pool(c: _Ctx, kind: str) -> Example:
    x = c.act((1, 6, 5, 4), scale=0.05, zp=3)
    out = c.act((1, 3, 3, 4), scale=0.05, zp=3)
    c.m.op(kind, [x], [out], options("Pool2D", padding=0, strideH=2, strideW=2,
                                     filterHeight=2, filterWidth=3))
    return c.m, [x], [out]


def _add(c: _Ctx) -> Example:
    a, b = c.act((1, 4, 4, 3)), c.act((1, 4, 4, 3))
    out = c.act((1, 4, 4, 3), scale=0.15)
    c.m.op("ADD", [a, b], [out], options("Add"))
    return c.m, [a, b], [out]


def _reshape(c: _Ctx) -> Example:
    x = c.act((1, 2, 3, 4), scale=0.05, zp=1)
    shape = c.m.const([1, 24])
    out = c.act((1, 24), scale=0.05, zp=1)
    c.m.op("RESHAPE", [x, shape], [out])
    return c.m, [x], [out]


def _softmax(c: _Ctx) -> Example:
    x = c.act((1, 10), scale=0.1)
    out = c.act((1, 10), scale=1 / 256, zp=-128)
    c.m.op("SOFTMAX", [x], [out], options("Softmax", beta=1.0))
    return c.m, [x], [out]


def _quantize(c: _Ctx, pair: tuple[str, str]) -> Example:
    m = c.m
    x = (m.tensor((1, 8), "float32") if pair[0] == "float32"
         else m.tensor((1, 8), "int8", scale=0.03, zero_point=4))
    out = m.tensor((1, 8), "int8", scale=0.05, zero_point=-2)
    m.op("QUANTIZE", [x], [out])
    return m, [x], [out]


def _dequantize(c: _Ctx) -> Example:
    x = c.m.tensor((1, 8), "int8", scale=0.03, zero_point=4)
    out = c.m.tensor((1, 8), "float32")
    c.m.op("DEQUANTIZE", [x], [out])
    return c.m, [x], [out]


# kind -> builder(ctx, (input dtype, output dtype))
EXAMPLES: dict[str, Callable[[_Ctx, tuple[str, str]], Example]] = {
    "CONV_2D": lambda c, _: _conv(c, False),
    "DEPTHWISE_CONV_2D": lambda c, _: _conv(c, True),
    "FULLY_CONNECTED": lambda c, _: _fc(c),
    "AVERAGE_POOL_2D": lambda c, _: _pool(c, "AVERAGE_POOL_2D"),
    "MAX_POOL_2D": lambda c, _: _pool(c, "MAX_POOL_2D"),
    "ADD": lambda c, _: _add(c),
    "RESHAPE": lambda c, _: _reshape(c),
    "SOFTMAX": lambda c, _: _softmax(c),
    "QUANTIZE": _quantize,
    "DEQUANTIZE": lambda c, _: _dequantize(c),
}


def example(kind: str, pair: tuple[str, str], seed: int = 0) -> Example:
    """The example model of `kind` for (input dtype, output dtype) `pair`."""
    return EXAMPLES[kind](_Ctx(pair[0] if pair[0] != pair[1] else pair[1], seed), pair)
