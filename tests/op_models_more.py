"""One-op models of issue 13's ops (SPLIT, SPLIT_V, GATHER, CAST, TRANSPOSE_CONV, hybrid
FULLY_CONNECTED, broadcasting int8 ADD), built like op_models.py's: `MORE_EXAMPLES` (one per
op, reached through op_models.example) and `MORE_VARIANTS` (edge shapes and options)."""
from __future__ import annotations

from typing import Callable

import numpy as np
from op_models import Example, _Ctx
from tflite_build import options


def _split(c: _Ctx) -> Example:
    x = c.act((1, 4, 6, 3), scale=0.05, zp=3)
    outs = [c.act((1, 4, 2, 3), scale=0.05, zp=3) for _ in range(3)]
    c.m.op("SPLIT", [c.m.const(np.array(2, np.int32)), x], outs, options("Split", numSplits=3))
    return c.m, [x], outs


def _split_v(c: _Ctx, sizes: list[int], axis: int, shapes: list[tuple[int, ...]]) -> Example:
    x = c.act((1, 5, 7), scale=0.04, zp=-9)
    outs = [c.act(s, scale=0.04, zp=-9) for s in shapes]
    c.m.op("SPLIT_V", [x, c.m.const(sizes), c.m.const(np.array(axis, np.int32))], outs,
           options("SplitV", numSplits=len(sizes)))
    return c.m, [x], outs


def _gather(c: _Ctx, indices: np.ndarray, axis: int, dtype: str = "int32") -> Example:
    x = c.act((1, 5, 6), scale=0.05, zp=2)
    idx = c.m.const(indices, dtype)
    out_shape = (1, 5, 6)[:axis] + indices.shape + (1, 5, 6)[axis + 1:]
    out = c.act(out_shape, scale=0.05, zp=2)
    c.m.op("GATHER", [x, idx], [out], options("Gather", axis=axis))
    return c.m, [x], [out]


def embedding(c: _Ctx, dtype: str = "int32", vocab: int = 10, tokens: int = 3) -> Example:
    """An embedding lookup: a constant (vocab, 4) table, computed indices (1, tokens)."""
    shape = (vocab, 4)
    table = (c.m.tensor(shape, "int8", scale=0.02, zero_point=-3,
                        data=c.rng.integers(-128, 128, shape)) if c.q
             else c.m.tensor(shape, "float32", data=c.rng.normal(0, 1, shape)))
    idx = c.m.tensor((1, tokens), dtype)
    out = c.act((1, tokens, 4), scale=0.02, zp=-3)
    c.m.op("GATHER", [table, idx], [out], options("Gather", axis=0))
    return c.m, [idx], [out]


def _cast(c: _Ctx, pair: tuple[str, str]) -> Example:
    def tensor(dtype: str) -> int:
        if dtype == "int8":
            return c.m.tensor((1, 4, 5), "int8", scale=0.05, zero_point=0)
        return c.m.tensor((1, 4, 5), dtype)
    x, out = tensor(pair[0]), tensor(pair[1])
    c.m.op("CAST", [x], [out])
    return c.m, [x], [out]


def _transpose_conv(c: _Ctx, x_shape: tuple[int, ...] = (1, 4, 3, 3),
                    w_shape: tuple[int, ...] = (5, 3, 3, 3), stride: tuple[int, int] = (2, 2),
                    padding: int = 0, out_hw: tuple[int, int] = (8, 6), bias: bool = True,
                    act: int = 0) -> Example:
    x = c.act(x_shape, scale=0.05)
    w, ws = c.weights(w_shape, axis=0)
    b = c.bias(w_shape[0], 0.05, ws) if bias else -1
    out_shape = (1, *out_hw, w_shape[0])
    out = c.act(out_shape, scale=0.1)
    inputs = [c.m.const(list(out_shape)), w, x] + ([b] if bias else [])
    c.m.op("TRANSPOSE_CONV", inputs, [out],
           options("TransposeConv", padding=padding, strideH=stride[0], strideW=stride[1],
                   fusedActivationFunction=act))
    return c.m, [x], [out]


def hybrid_fc(c: _Ctx, asymmetric: bool = False, per_channel: bool = False,
              rows: int = 0, bias: bool = True, act: int = 0) -> Example:
    """float32 input, int8 weights (per tensor or per channel), float32 output."""
    x_shape = (1, rows, 12) if rows else (1, 12)
    x = c.m.tensor(x_shape, "float32")
    scales = c.rng.uniform(0.002, 0.02, 4) if per_channel else [0.01]
    w = c.m.tensor((4, 12), "int8", scale=scales, zero_point=[0] * len(scales), axis=0,
                   data=c.rng.integers(-127, 128, (4, 12)))
    b = c.m.tensor((4,), "float32", data=c.rng.normal(0, 0.1, 4)) if bias else -1
    out = c.m.tensor((1, rows, 4) if rows else (1, 4), "float32")
    c.m.op("FULLY_CONNECTED", [x, w, b], [out],
           options("FullyConnected", asymmetricQuantizeInputs=asymmetric,
                   keepNumDims=bool(rows), fusedActivationFunction=act))
    return c.m, [x], [out]


def _add_bcast(c: _Ctx, shape_b: tuple[int, ...], const_b: bool = False, act: int = 0) -> Example:
    a = c.act((1, 4, 4, 3))
    b = (c.m.tensor(shape_b, "int8", scale=0.03, zero_point=1,
                    data=c.rng.integers(-128, 128, shape_b)) if const_b else c.act(shape_b))
    out = c.act((1, 4, 4, 3), scale=0.1)
    c.m.op("ADD", [a, b], [out], options("Add", fusedActivationFunction=act))
    return c.m, [a] if const_b else [a, b], [out]


# kind -> builder(ctx, (input dtype, output dtype)), merged into op_models.EXAMPLES
MORE_EXAMPLES: dict[str, Callable[[_Ctx, tuple[str, str]], Example]] = {
    "SPLIT": lambda c, _: _split(c),
    "SPLIT_V": lambda c, _: _split_v(c, [2, -1, 1], -1, [(1, 5, 2), (1, 5, 4), (1, 5, 1)]),
    "GATHER": lambda c, _: _gather(c, np.array([4, 0, 2, 2]), 1),
    "CAST": _cast,
    "TRANSPOSE_CONV": lambda c, _: _transpose_conv(c),
}

# name -> (kind, dtypes, builder(ctx)); inputs of the embedding variants must be passed.
MORE_VARIANTS: dict[str, tuple[str, tuple[str, ...], Callable[[_Ctx], Example]]] = {
    "add_bcast_c": ("ADD", ("int8",), lambda c: _add_bcast(c, (1, 1, 1, 3), act=1)),
    "add_bcast_hw": ("ADD", ("int8",), lambda c: _add_bcast(c, (1, 4, 1, 3))),
    "add_bcast_const_vec": ("ADD", ("int8",), lambda c: _add_bcast(c, (3,), const_b=True)),
    "add_bcast_scalar": ("ADD", ("int8",), lambda c: _add_bcast(c, (1,), const_b=True, act=3)),
    "split_channels": ("SPLIT", ("int8", "float32"), lambda c: _split_v(
        c, [7], 2, [(1, 5, 7)])),
    "split_v_rows": ("SPLIT_V", ("int8", "float32"), lambda c: _split_v(
        c, [1, 2, 2], 1, [(1, 1, 7), (1, 2, 7), (1, 2, 7)])),
    "gather_int64_2d": ("GATHER", ("int8", "float32"), lambda c: _gather(
        c, np.array([[1, 5], [0, 0], [3, 2]]), 2, "int64")),
    "gather_last": ("GATHER", ("int8", "float32"), lambda c: _gather(c, np.array(4), 1)),
    "tconv_valid_nobias": ("TRANSPOSE_CONV", ("int8", "float32"), lambda c: _transpose_conv(
        c, (1, 3, 4, 2), (4, 3, 2, 2), (2, 1), 1, (7, 5), bias=False)),
    "tconv_same_s1_relu": ("TRANSPOSE_CONV", ("int8", "float32"), lambda c: _transpose_conv(
        c, (1, 5, 4, 3), (2, 3, 3, 3), (1, 1), 0, (5, 4), act=1)),
    "tconv_same_odd": ("TRANSPOSE_CONV", ("int8", "float32"), lambda c: _transpose_conv(
        c, (1, 3, 3, 2), (3, 2, 4, 2), (3, 2), 0, (9, 6))),
    "fc_hybrid": ("FULLY_CONNECTED", ("float32",), lambda c: hybrid_fc(c)),
    "fc_hybrid_asym": ("FULLY_CONNECTED", ("float32",), lambda c: hybrid_fc(c, asymmetric=True)),
    "fc_hybrid_rows_relu": ("FULLY_CONNECTED", ("float32",), lambda c: hybrid_fc(
        c, rows=3, bias=False, act=1)),
    "fc_hybrid_asym_rows": ("FULLY_CONNECTED", ("float32",), lambda c: hybrid_fc(
        c, asymmetric=True, rows=5)),
    "fc_hybrid_per_channel": ("FULLY_CONNECTED", ("float32",), lambda c: hybrid_fc(
        c, per_channel=True)),
}


def more_variant(name: str, dtype: str, seed: int = 0) -> Example:
    return MORE_VARIANTS[name][2](_Ctx(dtype, seed))
