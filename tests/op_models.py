"""One small model per (op, dtype) hilbench supports, built with LiteRT's object API on
seeded random weights: the models the op tests run through golden, LiteRT BUILTIN_REF and the
generated C. `example(kind, dtype, seed)` -> (ModelBuilder, inputs, outputs)."""
from __future__ import annotations

from typing import Callable

import numpy as np
from seq_models import lstm, svdf
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


def _pad(c: _Ctx, kind: str) -> Example:
    x = c.act((1, 5, 4, 3), scale=0.05, zp=-7)
    pads = c.m.const([[0, 0], [1, 2], [0, 3], [2, 0]])
    inputs = [x, pads]
    if kind == "PADV2":
        value = (c.m.tensor((1,), "int8", scale=0.05, zero_point=-7, data=[23]) if c.q
                 else c.m.tensor((1,), "float32", data=[1.5]))
        inputs.append(value)
    out = c.act((1, 8, 7, 5), scale=0.05, zp=-7)
    c.m.op(kind, inputs, [out])
    return c.m, [x], [out]


def _concat(c: _Ctx) -> Example:
    a = c.act((1, 4, 3, 2), scale=0.05, zp=3)
    b = c.act((1, 4, 3, 5), scale=0.05, zp=3)
    k = (c.m.tensor((1, 4, 3, 1), "int8", scale=0.05, zero_point=3,
                    data=c.rng.integers(-128, 128, (1, 4, 3, 1))) if c.q
         else c.m.tensor((1, 4, 3, 1), "float32", data=c.rng.normal(0, 1, (1, 4, 3, 1))))
    out = c.act((1, 4, 3, 8), scale=0.05, zp=3)
    c.m.op("CONCATENATION", [a, k, b], [out], options("Concatenation", axis=-1))
    return c.m, [a, b], [out]


def _transpose(c: _Ctx) -> Example:
    x = c.act((1, 2, 3, 4), scale=0.05, zp=2)
    perm = c.m.const([0, 3, 1, 2])
    out = c.act((1, 4, 2, 3), scale=0.05, zp=2)
    c.m.op("TRANSPOSE", [x, perm], [out])
    return c.m, [x], [out]


def _mean(c: _Ctx, axes: tuple[int, ...] = (1, 2), keep: bool = True,
          same: bool = False) -> Example:
    x = c.act((1, 5, 6, 4), scale=0.05, zp=-3)
    out_shape = tuple(1 if (k in axes or k - 4 in axes) else d
                      for k, d in enumerate((1, 5, 6, 4)))
    if not keep:
        out_shape = tuple(d for k, d in enumerate((1, 5, 6, 4)) if k not in axes and k - 4 not in axes)
    out = c.act(out_shape, scale=0.05 if same else 0.02, zp=-3 if same else 5)
    c.m.op("MEAN", [x, c.m.const(axes)], [out], options("Reducer", keepDims=keep))
    return c.m, [x], [out]


def _binary(c: _Ctx, kind: str, shape_b: tuple[int, ...] = (1, 4, 4, 3),
            const_b: bool = False, act: int = 0) -> Example:
    a = c.act((1, 4, 4, 3))
    if const_b:
        b = (c.m.tensor(shape_b, "int8", scale=0.03, zero_point=1,
                        data=c.rng.integers(-128, 128, shape_b)) if c.q
             else c.m.tensor(shape_b, "float32", data=c.rng.normal(0, 1, shape_b)))
    else:
        b = c.act(shape_b)
    out = c.act((1, 4, 4, 3), scale=0.1 if kind != "MUL" else 0.01)
    opts = {"MUL": options("Mul", fusedActivationFunction=act),
            "SUB": options("Sub", fusedActivationFunction=act)}.get(kind)
    c.m.op(kind, [a, b], [out], opts)
    return c.m, [a] if const_b else [a, b], [out]


def _unary(c: _Ctx, kind: str) -> Example:
    x = c.act((1, 6, 5), scale=0.08, zp=10)
    out = c.act((1, 6, 5), scale=0.05 if kind != "RELU" else 0.04, zp=-128 if kind != "LEAKY_RELU" else 20)
    if kind == "LOGISTIC":
        out = c.act((1, 6, 5), scale=1 / 256, zp=-128)
    elif kind == "TANH":
        out = c.act((1, 6, 5), scale=1 / 128, zp=0)
    c.m.op(kind, [x], [out], options("LeakyRelu", alpha=0.2) if kind == "LEAKY_RELU" else None)
    return c.m, [x], [out]


def _unary_q(c: _Ctx, kind: str, si: float, zi: int, so: float, zo: int) -> Example:
    x = c.act((1, 8, 9), scale=si, zp=zi)
    out = c.act((1, 8, 9), scale=so, zp=zo)
    c.m.op(kind, [x], [out])
    return c.m, [x], [out]


def _slice(c: _Ctx, begin: list[int], end: list[int], strides: list[int],
           out_shape: tuple[int, ...], **masks: int) -> Example:
    x = c.act((1, 6, 7, 5), scale=0.05, zp=2)
    out = c.act(out_shape, scale=0.05, zp=2)
    c.m.op("STRIDED_SLICE", [x, c.m.const(begin), c.m.const(end), c.m.const(strides)], [out],
           options("StridedSlice", **masks))
    return c.m, [x], [out]


def _batch_matmul(c: _Ctx, lhs: tuple[int, ...] = (1, 2, 5, 4),
                  rhs: tuple[int, ...] = (1, 2, 4, 3), adj_x: bool = False,
                  adj_y: bool = False, const_rhs: bool = False) -> Example:
    a = c.act(lhs)
    b = (c.m.tensor(rhs, "float32", data=c.rng.normal(0, 1, rhs)) if const_rhs
         else c.act(rhs))
    m = lhs[-1] if adj_x else lhs[-2]
    n = rhs[-2] if adj_y else rhs[-1]
    batch = np.broadcast_shapes(lhs[:-2], rhs[:-2])
    out = c.act((*batch, m, n))
    c.m.op("BATCH_MATMUL", [a, b], [out], options("BatchMatMul", adjX=adj_x, adjY=adj_y))
    return c.m, [a] if const_rhs else [a, b], [out]


def _bmm_unbatched_rhs(c: _Ctx) -> Example:
    """(1, 7, 6) x RESHAPE((1, 6, 5) -> (6, 5)): the rank-2 rhs litert-torch exports."""
    a, b = c.act((1, 7, 6)), c.act((1, 6, 5))
    flat, out = c.act((6, 5)), c.act((1, 7, 5))
    c.m.op("RESHAPE", [b, c.m.const([6, 5])], [flat])
    c.m.op("BATCH_MATMUL", [a, flat], [out], options("BatchMatMul"))
    return c.m, [a, b], [out]


def _float_binary(c: _Ctx, kind: str, shape_b: tuple[int, ...] = (1, 4, 1, 3),
                  const_b: bool = False) -> Example:
    a = c.act((1, 4, 5, 3))
    b = (c.m.tensor(shape_b, "float32", data=c.rng.normal(0, 1, shape_b)) if const_b
         else c.act(shape_b))
    out = c.act((1, 4, 5, 3))
    c.m.op(kind, [a, b], [out], options("Add") if kind == "ADD" else None)
    return c.m, [a] if const_b else [a, b], [out]


def _float_unary(c: _Ctx, kind: str, approximate: bool = True) -> Example:
    x = c.act((1, 6, 7))
    out = c.act((1, 6, 7))
    c.m.op(kind, [x], [out], options("Gelu", approximate=approximate) if kind == "GELU" else None)
    return c.m, [x], [out]


def _rsqrt(c: _Ctx) -> Example:
    """RSQRT of x * x + 0.01 (positive inputs, as after a variance): MUL, ADD, RSQRT."""
    x = c.act((1, 5, 6))
    sq, pos, out = c.act((1, 5, 6)), c.act((1, 5, 6)), c.act((1, 5, 6))
    c.m.op("MUL", [x, x], [sq], options("Mul"))
    eps = c.m.tensor((), "float32", data=np.array(0.01, np.float32))
    c.m.op("ADD", [sq, eps], [pos], options("Add"))
    c.m.op("RSQRT", [pos], [out])
    return c.m, [x], [out]


def _plain_slice(c: _Ctx, begin: list[int], size: list[int], out_shape: tuple[int, ...]) -> Example:
    x = c.act((1, 6, 7, 5), scale=0.05, zp=2)
    out = c.act(out_shape, scale=0.05, zp=2)
    c.m.op("SLICE", [x, c.m.const(begin), c.m.const(size)], [out])
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
    "PAD": lambda c, _: _pad(c, "PAD"),
    "PADV2": lambda c, _: _pad(c, "PADV2"),
    "CONCATENATION": lambda c, _: _concat(c),
    "TRANSPOSE": lambda c, _: _transpose(c),
    "MEAN": lambda c, _: _mean(c),
    "MUL": lambda c, _: _binary(c, "MUL"),
    "SUB": lambda c, _: _binary(c, "SUB"),
    "MAXIMUM": lambda c, _: _binary(c, "MAXIMUM"),
    "MINIMUM": lambda c, _: _binary(c, "MINIMUM"),
    "RELU": lambda c, _: _unary(c, "RELU"),
    "RELU6": lambda c, _: _unary(c, "RELU6"),
    "LEAKY_RELU": lambda c, _: _unary(c, "LEAKY_RELU"),
    "LOGISTIC": lambda c, _: _unary(c, "LOGISTIC"),
    "TANH": lambda c, _: _unary(c, "TANH"),
    "HARD_SWISH": lambda c, _: _unary(c, "HARD_SWISH"),
    "STRIDED_SLICE": lambda c, _: _slice(c, [0, 1, 0, 1], [1, 5, 7, 4], [1, 1, 2, 1],
                                         (1, 4, 4, 3)),
    "BATCH_MATMUL": lambda c, _: _batch_matmul(c),
    "SQUARED_DIFFERENCE": lambda c, _: _float_binary(c, "SQUARED_DIFFERENCE"),
    # float32: NaN for x < 0, as LiteRT; int8: zero point -128, so every input is >= 0
    "RSQRT": lambda c, _: (_unary_q(c, "RSQRT", 0.02, -128, 0.05, -128) if c.q
                           else _float_unary(c, "RSQRT")),
    "GELU": lambda c, _: _float_unary(c, "GELU"),
    "SLICE": lambda c, _: _plain_slice(c, [0, 1, 2, 0], [1, 4, -1, 3], (1, 4, 5, 3)),
    # the stateful sequence ops (tests/seq_models.py, tests/test_seq_ops.py)
    "SVDF": lambda c, pair: svdf(pair[0], int(c.rng.integers(1 << 30))),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": lambda c, _: lstm(int(c.rng.integers(1 << 30))),
}

# Transformer-op shapes and options (float32 only): name -> (kind, builder(ctx)).
FLOAT_VARIANTS: dict[str, tuple[str, Callable[[_Ctx], Example]]] = {
    "bmm_adj_y": ("BATCH_MATMUL", lambda c: _batch_matmul(c, (1, 6, 4), (1, 5, 4), adj_y=True)),
    "bmm_adj_x": ("BATCH_MATMUL", lambda c: _batch_matmul(c, (1, 4, 6), (1, 4, 5), adj_x=True)),
    "bmm_unbatched_rhs": ("BATCH_MATMUL", _bmm_unbatched_rhs),
    "bmm_const_rhs": ("BATCH_MATMUL", lambda c: _batch_matmul(c, (1, 3, 7, 6), (6, 5),
                                                              const_rhs=True)),
    "bmm_bcast_batch": ("BATCH_MATMUL", lambda c: _batch_matmul(c, (1, 3, 5, 4), (1, 1, 4, 2))),
    "add_bcast": ("ADD", lambda c: _float_binary(c, "ADD", (3,), const_b=True)),
    "add_bcast_act": ("ADD", lambda c: _float_binary(c, "ADD", (1, 1, 5, 1))),
    "sqdiff_const": ("SQUARED_DIFFERENCE", lambda c: _float_binary(
        c, "SQUARED_DIFFERENCE", (5, 3), const_b=True)),
    "rsqrt_positive": ("RSQRT", lambda c: _rsqrt(c)),
    "gelu_exact": ("GELU", lambda c: _float_unary(c, "GELU", approximate=False)),
    "slice_last": ("SLICE", lambda c: _plain_slice(c, [0, 5, 6, 4], [-1, -1, -1, -1],
                                                   (1, 1, 1, 1))),
}


def float_variant(name: str, seed: int = 0) -> Example:
    return FLOAT_VARIANTS[name][1](_Ctx("float32", seed))

# More shapes and options per op: name -> (kind, builder(ctx)).
VARIANTS: dict[str, tuple[str, Callable[[_Ctx], Example]]] = {
    "mean_hw_nokeep": ("MEAN", lambda c: _mean(c, [1, 2], keep=False)),
    "mean_hw_same": ("MEAN", lambda c: _mean(c, [2, 1], keep=False, same=True)),
    "mean_c": ("MEAN", lambda c: _mean(c, [-1], keep=True)),
    "mean_h_same": ("MEAN", lambda c: _mean(c, [1], keep=False, same=True)),
    "mean_hwc": ("MEAN", lambda c: _mean(c, [1, 2, 3], keep=False)),
    "mul_bcast_c": ("MUL", lambda c: _binary(c, "MUL", (1, 1, 1, 3), act=1)),
    "mul_const_vec": ("MUL", lambda c: _binary(c, "MUL", (3,), const_b=True)),
    "mul_relu6": ("MUL", lambda c: _binary(c, "MUL", act=3)),
    "sub_bcast_hw": ("SUB", lambda c: _binary(c, "SUB", (1, 4, 1, 3))),
    "sub_const": ("SUB", lambda c: _binary(c, "SUB", (1, 1, 4, 3), const_b=True, act=1)),
    "max_bcast": ("MAXIMUM", lambda c: _binary(c, "MAXIMUM", (1, 1, 1, 3), const_b=True)),
    "min_bcast": ("MINIMUM", lambda c: _binary(c, "MINIMUM", (1, 4, 1, 1))),
    "hard_swish_wide": ("HARD_SWISH", lambda c: _unary_q(c, "HARD_SWISH", 0.5, 7, 0.3, -100)),
    "hard_swish_narrow": ("HARD_SWISH", lambda c: _unary_q(c, "HARD_SWISH", 0.004, -5, 0.01, 3)),
    "slice_reverse": ("STRIDED_SLICE", lambda c: _slice(
        c, [0, -1, 0, 4], [1, 0, 7, -6], [1, -2, 3, -1], (1, 3, 3, 5), endMask=4)),
    "slice_masks_shrink": ("STRIDED_SLICE", lambda c: _slice(
        c, [0, 2, 1, 0], [1, 3, 99, 5], [1, 1, 1, 2], (1, 6, 3), beginMask=1,
        shrinkAxisMask=2)),
}


def variant(name: str, dtype: str, seed: int = 0) -> Example:
    return VARIANTS[name][1](_Ctx(dtype, seed))


def example(kind: str, pair: tuple[str, str], seed: int = 0) -> Example:
    """The example model of `kind` for (input dtype, output dtype) `pair`."""
    if kind not in EXAMPLES:   # issue 13's ops (op_models_more imports this module)
        from op_models_more import MORE_EXAMPLES
        return MORE_EXAMPLES[kind](_Ctx(pair[0], seed), pair)
    return EXAMPLES[kind](_Ctx(pair[0] if pair[0] != pair[1] else pair[1], seed), pair)


def chain(dtype: str, seed: int = 0) -> Example:
    """PAD -> TRANSPOSE -> CONCATENATION -> MUL (constant) -> SUB -> MEAN -> LEAKY_RELU ->
    RELU6: the new ops in one model, the shape of a small PyTorch export."""
    c = _Ctx(dtype, seed)
    m = c.m
    x = c.act((1, 6, 5, 3), scale=0.05, zp=-4)
    padded = c.act((1, 8, 7, 3), scale=0.05, zp=-4)
    m.op("PAD", [x, m.const([[0, 0], [1, 1], [2, 0], [0, 0]])], [padded])
    moved = c.act((1, 7, 8, 3), scale=0.05, zp=-4)
    m.op("TRANSPOSE", [padded, m.const([0, 2, 1, 3])], [moved])
    joined = c.act((1, 7, 8, 6), scale=0.05, zp=-4)
    m.op("CONCATENATION", [moved, moved], [joined], options("Concatenation", axis=3))
    k = (m.tensor((6,), "int8", scale=0.02, zero_point=0, data=c.rng.integers(-127, 128, 6))
         if c.q else m.tensor((6,), "float32", data=c.rng.normal(0, 1, 6)))
    scaled = c.act((1, 7, 8, 6), scale=0.01, zp=3)
    m.op("MUL", [joined, k], [scaled], options("Mul"))
    diff = c.act((1, 7, 8, 6), scale=0.04, zp=0)
    m.op("SUB", [scaled, joined], [diff], options("Sub"))
    pooled = c.act((1, 1, 1, 6), scale=0.02, zp=1)
    m.op("MEAN", [diff, m.const([1, 2])], [pooled], options("Reducer", keepDims=True))
    leaky = c.act((1, 1, 1, 6), scale=0.02, zp=1)
    m.op("LEAKY_RELU", [pooled], [leaky], options("LeakyRelu", alpha=0.1))
    out = c.act((1, 1, 1, 6), scale=0.03, zp=-128)
    m.op("RELU6", [leaky], [out])
    return m, [x], [out]
