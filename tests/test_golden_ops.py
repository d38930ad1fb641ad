"""Golden kernels on small single-op graphs built directly in the IR, against hand-computed
values and a naive loop-per-output NumPy transcription of the reference kernels."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from harness import fixedpoint as fp
from harness.errors import ModelFormatError, UnsupportedOpError
from harness.golden import KERNELS, GoldenInterpreter, run_golden
from harness.ir import Graph, Op, Quantization, Tensor
from harness.lower import quantize_multiplier

# -- building graphs ---------------------------------------------------------------------------


def q(scale: float | list[float], zero_point: int | list[int] = 0,
      axis: int | None = None) -> Quantization:
    scales = tuple(float(np.float32(s)) for s in np.atleast_1d(scale))
    zps = tuple(int(z) for z in np.atleast_1d(zero_point))
    if len(zps) == 1 and len(scales) > 1:
        zps = zps * len(scales)
    return Quantization(scales, zps, axis if len(scales) > 1 else None)


class GraphBuilder:
    """Tensors and one op; activations are graph inputs, arrays given as `data` constants."""

    def __init__(self) -> None:
        self.tensors: list[Tensor] = []
        self.inputs: list[int] = []

    def activation(self, shape: tuple[int, ...], dtype: str,
                   quant: Quantization | None = None) -> int:
        index = len(self.tensors)
        self.tensors.append(Tensor(index, f"t{index}", shape, dtype, quant))
        return index

    def constant(self, data: np.ndarray, quant: Quantization | None = None) -> int:
        index = len(self.tensors)
        self.tensors.append(Tensor(index, f"c{index}", tuple(data.shape), str(data.dtype),
                                   quant, data))
        return index

    def graph(self, kind: str, inputs: list[int], output: int, **attrs: Any) -> Graph:
        op = Op(kind, f"{kind.lower()}_op", inputs, [output], attrs)
        graph_inputs = [i for i in inputs if i >= 0 and not self.tensors[i].is_constant]
        return Graph("synthetic", self.tensors, [op], graph_inputs, [output], source="test")


def run1(graph: Graph, *inputs: np.ndarray) -> np.ndarray:
    return run_golden(graph, list(inputs))[0]


Pair = tuple[int, int]


def conv_geometry(in_hw: Pair, k_hw: Pair, stride: Pair, dilation: Pair,
                  padding: str) -> tuple[Pair, Pair]:
    """Output size and (top, left) padding, written out independently of harness.lower."""
    out, pad = [], []
    for i in range(2):
        eff = (k_hw[i] - 1) * dilation[i] + 1
        o = -(-in_hw[i] // stride[i]) if padding == "SAME" else (in_hw[i] - eff) // stride[i] + 1
        out.append(o)
        pad.append(max((o - 1) * stride[i] + eff - in_hw[i], 0) // 2)
    return (out[0], out[1]), (pad[0], pad[1])


def naive_conv_acc(x: np.ndarray, w: np.ndarray, stride: tuple[int, int],
                   dilation: tuple[int, int], pad: tuple[int, int], out_hw: tuple[int, int],
                   depthwise: bool = False, multiplier: int = 1) -> np.ndarray:
    """Loop-per-output sum of w * x over taps inside the image (float64 or int64 x)."""
    n, h, wd, cin = x.shape
    cout = w.shape[3] if depthwise else w.shape[0]
    acc = np.zeros((n, out_hw[0], out_hw[1], cout), dtype=x.dtype)
    for b in range(n):
        for oy in range(out_hw[0]):
            for ox in range(out_hw[1]):
                for oc in range(cout):
                    total = x.dtype.type(0)
                    for fy in range(w.shape[1]):
                        for fx in range(w.shape[2]):
                            iy = oy * stride[0] - pad[0] + fy * dilation[0]
                            ix = ox * stride[1] - pad[1] + fx * dilation[1]
                            if not (0 <= iy < h and 0 <= ix < wd):
                                continue
                            if depthwise:
                                total += w[0, fy, fx, oc] * x[b, iy, ix, oc // multiplier]
                            else:
                                total += np.dot(w[oc, fy, fx, :], x[b, iy, ix, :])
                    acc[b, oy, ox, oc] = total
    return acc


# -- float convolutions, hand-computed ---------------------------------------------------------

GRID = np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3, 1)   # [[1,2,3],[4,5,6],[7,8,9]]


def float_conv(x: np.ndarray, w: np.ndarray, out_shape: tuple[int, ...], *, stride=(1, 1),
               dilation=(1, 1), padding="SAME", activation="NONE", bias=None) -> np.ndarray:
    b = GraphBuilder()
    xi = b.activation((1, *x.shape[1:]), "float32")
    wi = b.constant(w)
    bi = b.constant(bias) if bias is not None else -1
    oi = b.activation(out_shape, "float32")
    g = b.graph("CONV_2D", [xi, wi, bi], oi, stride=stride, dilation=dilation,
                padding=padding, activation=activation)
    return run1(g, x)


def test_conv_float_same_and_valid_by_hand() -> None:
    ones = np.ones((1, 3, 3, 1), np.float32)
    same = float_conv(GRID, ones, (1, 3, 3, 1))
    assert same[0, :, :, 0].tolist() == [[12, 21, 16], [27, 45, 33], [24, 39, 28]]
    valid = float_conv(GRID, ones, (1, 1, 1, 1), padding="VALID")
    assert valid.ravel().tolist() == [45]


def test_conv_float_stride2_same_by_hand() -> None:
    out = float_conv(GRID, np.ones((1, 3, 3, 1), np.float32), (1, 2, 2, 1), stride=(2, 2))
    # total padding (2-1)*2+3-3 = 2 -> 1 on top/left: windows centred on (0,0),(0,2),(2,0),(2,2)
    assert out[0, :, :, 0].tolist() == [[12, 16], [24, 28]]


def test_conv_float_dilation_by_hand() -> None:
    x = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)
    out = float_conv(x, np.ones((1, 3, 3, 1), np.float32), (1, 1, 1, 1), padding="VALID",
                     dilation=(2, 2))
    assert out.ravel().tolist() == [float(x[0, ::2, ::2, 0].sum())]


def test_conv_float_bias_and_relu6() -> None:
    w = np.ones((2, 1, 1, 1), np.float32)
    w[1] = -1.0
    out = float_conv(GRID, w, (1, 3, 3, 2), activation="RELU6",
                     bias=np.array([-2.0, 1.0], np.float32))
    assert out[0, :, :, 0].ravel().tolist() == [0, 0, 1, 2, 3, 4, 5, 6, 6]
    assert out[0, :, :, 1].ravel().tolist() == [0.0] * 9


@pytest.mark.parametrize("padding, stride, dilation", [
    ("SAME", (1, 1), (1, 1)), ("SAME", (2, 2), (1, 1)), ("VALID", (2, 1), (1, 1)),
    ("SAME", (1, 1), (2, 2)), ("VALID", (1, 2), (2, 1)),
])
def test_conv_float_random_against_naive(padding: str, stride: tuple[int, int],
                                         dilation: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 7, 6, 3)).astype(np.float32)
    w = rng.standard_normal((4, 3, 2, 3)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    out_hw, pad = conv_geometry((7, 6), (3, 2), stride, dilation, padding)
    got = float_conv(x, w, (1, *out_hw, 4), stride=stride, dilation=dilation,
                     padding=padding, bias=bias)
    want = naive_conv_acc(x.astype(np.float64), w.astype(np.float64), stride, dilation, pad,
                          out_hw) + bias
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# -- int8 convolutions ---------------------------------------------------------------------------

def test_conv_int8_per_channel_by_hand() -> None:
    b = GraphBuilder()
    xi = b.activation((1, 1, 1, 2), "int8", q(0.5, 0))
    wi = b.constant(np.array([[[[1, 2]]], [[[3, -1]]]], np.int8), q([0.1, 0.2], 0, axis=0))
    oi = b.activation((1, 1, 1, 2), "int8", q(1.0, 5))
    g = b.graph("CONV_2D", [xi, wi, -1], oi, stride=(1, 1), dilation=(1, 1), padding="VALID",
                activation="NONE")
    out = run1(g, np.array([[[[10, -21]]]], np.int8))
    # acc0 = 10 - 42 = -32 -> * 0.05 = -1.6 -> -2 (+5 = 3); acc1 = 30 + 21 = 51 -> * 0.1 -> 5 (+5)
    assert out.ravel().tolist() == [3, 10]


def int8_conv_case(depthwise: bool, padding: str, stride: tuple[int, int],
                   dilation: tuple[int, int], activation: str, per_channel: bool,
                   multiplier: int = 1) -> None:
    rng = np.random.default_rng(2)
    n, h, wd, cin = 3, 7, 6, 2
    cout = cin * multiplier if depthwise else 3
    x = rng.integers(-128, 128, size=(n, h, wd, cin), dtype=np.int8)
    wshape = (1, 3, 3, cout) if depthwise else (cout, 3, 3, cin)
    w = rng.integers(-127, 128, size=wshape, dtype=np.int8)
    bias = rng.integers(-3000, 3000, size=cout).astype(np.int32)
    in_q, out_q = q(0.05, -7), q(0.2, 11)
    w_scales = [0.01 + 0.003 * i for i in range(cout)] if per_channel else 0.012
    w_q = q(w_scales, 0, axis=3 if depthwise else 0)
    out_hw, pad = conv_geometry((h, wd), (3, 3), stride, dilation, padding)
    b = GraphBuilder()
    xi = b.activation((1, h, wd, cin), "int8", in_q)
    wi, bi = b.constant(w, w_q), b.constant(bias)
    oi = b.activation((1, *out_hw, cout), "int8", out_q)
    attrs = dict(stride=stride, dilation=dilation, padding=padding, activation=activation)
    if depthwise:
        attrs["depth_multiplier"] = multiplier
    g = b.graph("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", [xi, wi, bi], oi, **attrs)
    got = run1(g, x)

    acc = naive_conv_acc(x.astype(np.int64) + 7, w.astype(np.int64), stride, dilation, pad,
                         out_hw, depthwise, multiplier) + bias
    scales = np.broadcast_to(np.float32(w_scales), (cout,))
    mult, shift = zip(*(quantize_multiplier(float(np.float32(0.05)) * float(s) /
                                            float(np.float32(0.2))) for s in scales))
    want = fp.multiply_by_quantized_multiplier(acc, np.array(mult), np.array(shift)) + 11
    lo = {"NONE": -128, "RELU": 11, "RELU6": 11}[activation]
    hi = {"NONE": 127, "RELU": 127, "RELU6": 11 + round(6.0 / 0.2)}[activation]
    np.testing.assert_array_equal(got, np.clip(want, lo, min(hi, 127)).astype(np.int8))


@pytest.mark.parametrize("padding, stride, dilation, activation, per_channel", [
    ("SAME", (1, 1), (1, 1), "NONE", True),
    ("VALID", (1, 1), (1, 1), "RELU", True),
    ("SAME", (2, 2), (1, 1), "RELU6", False),
    ("SAME", (1, 1), (2, 2), "RELU", True),
    ("VALID", (2, 1), (1, 2), "NONE", False),
])
def test_conv_int8_against_naive(padding: str, stride: tuple[int, int],
                                 dilation: tuple[int, int], activation: str,
                                 per_channel: bool) -> None:
    int8_conv_case(False, padding, stride, dilation, activation, per_channel)


@pytest.mark.parametrize("padding, stride, dilation, activation, multiplier", [
    ("SAME", (1, 1), (1, 1), "RELU", 1),
    ("SAME", (2, 2), (1, 1), "RELU6", 1),
    ("VALID", (1, 1), (2, 2), "NONE", 1),
    ("SAME", (1, 2), (1, 1), "NONE", 2),
    ("VALID", (2, 2), (1, 1), "RELU", 2),
])
def test_depthwise_int8_against_naive(padding: str, stride: tuple[int, int],
                                      dilation: tuple[int, int], activation: str,
                                      multiplier: int) -> None:
    int8_conv_case(True, padding, stride, dilation, activation, True, multiplier)


def test_depthwise_float_depth_multiplier_2_by_hand() -> None:
    b = GraphBuilder()
    xi = b.activation((1, 1, 2, 2), "float32")
    wi = b.constant(np.array([1, 2, 3, 4], np.float32).reshape(1, 1, 1, 4))
    oi = b.activation((1, 1, 2, 4), "float32")
    g = b.graph("DEPTHWISE_CONV_2D", [xi, wi, -1], oi, stride=(1, 1), dilation=(1, 1),
                padding="VALID", activation="NONE", depth_multiplier=2)
    x = np.array([[[[1.0, 10.0], [2.0, 20.0]]]], np.float32)
    out = run1(g, x)
    # output channel ic * 2 + m reads input channel ic
    assert out[0, 0].tolist() == [[1, 2, 30, 40], [2, 4, 60, 80]]


def test_depthwise_float_random_against_naive() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 5, 3)).astype(np.float32)
    w = rng.standard_normal((1, 3, 3, 6)).astype(np.float32)
    bias = rng.standard_normal(6).astype(np.float32)
    out_hw, pad = conv_geometry((6, 5), (3, 3), (2, 2), (1, 1), "SAME")
    b = GraphBuilder()
    xi = b.activation((1, 6, 5, 3), "float32")
    wi, bi = b.constant(w), b.constant(bias)
    oi = b.activation((1, *out_hw, 6), "float32")
    g = b.graph("DEPTHWISE_CONV_2D", [xi, wi, bi], oi, stride=(2, 2), dilation=(1, 1),
                padding="SAME", activation="RELU", depth_multiplier=2)
    want = naive_conv_acc(x.astype(np.float64), w.astype(np.float64), (2, 2), (1, 1), pad,
                          out_hw, depthwise=True, multiplier=2) + bias
    np.testing.assert_allclose(run1(g, x), np.maximum(want, 0), rtol=1e-5, atol=1e-5)


def test_hybrid_conv_matches_its_formula() -> None:
    rng = np.random.default_rng(4)
    x = rng.uniform(-2, 2, size=(2, 4, 4, 2)).astype(np.float32)
    x[1] = 0.0                                              # all-zero sample: scaling 1, q = 0
    w = rng.integers(-127, 128, size=(3, 3, 3, 2), dtype=np.int8)
    bias = np.array([0.5, -0.25, 0.0], np.float32)
    b = GraphBuilder()
    xi = b.activation((1, 4, 4, 2), "float32")
    wi, bi = b.constant(w, q(0.02)), b.constant(bias)
    oi = b.activation((1, 4, 4, 3), "float32")
    g = b.graph("CONV_2D", [xi, wi, bi], oi, stride=(1, 1), dilation=(1, 1), padding="SAME",
                activation="NONE", hybrid=True)
    got = run1(g, x)
    rng0 = np.float32(np.abs(x[0]).max())
    qx = np.clip(np.round(x[0] * (np.float32(127) / rng0)), -127, 127)  # no exact .5 ties here
    scale = (rng0 / np.float32(127)) * np.float32(0.02)
    dot = naive_conv_acc(qx[None].astype(np.int64), w.astype(np.int64), (1, 1), (1, 1),
                         (1, 1), (4, 4))
    want0 = dot.astype(np.float32) * np.float32(scale) + bias
    np.testing.assert_array_equal(got[0], want0[0])
    np.testing.assert_array_equal(got[1], np.broadcast_to(bias, (4, 4, 3)))


# -- fully connected ---------------------------------------------------------------------------

def test_fully_connected_int8_by_hand() -> None:
    b = GraphBuilder()
    xi = b.activation((1, 3), "int8", q(0.5, 1))
    wi = b.constant(np.array([[1, 2, 3], [-4, 0, 4]], np.int8), q(0.25))
    bi = b.constant(np.array([4, -2], np.int32))
    oi = b.activation((1, 2), "int8", q(1.0, -3))
    g = b.graph("FULLY_CONNECTED", [xi, wi, bi], oi, activation="NONE", keep_num_dims=False)
    x = np.array([[3, -1, 11], [1, 1, 1]], np.int8)          # two samples
    out = run1(g, x)
    # sample 0: (x - 1) = [2, -2, 10]; acc = [2-4+30+4, -8+0+40-2] = [32, 30]; * 0.125 = [4, 3.75]
    # sample 1: x - 1 = 0; acc = bias = [4, -2] -> [0.5, -0.25] -> round away: [1, 0]
    assert out.tolist() == [[4 - 3, 4 - 3], [1 - 3, 0 - 3]]


def test_fully_connected_float_flattens_and_relu() -> None:
    b = GraphBuilder()
    xi = b.activation((1, 2, 2), "float32")
    wi = b.constant(np.array([[1, 1, 1, 1], [1, -1, 1, -1]], np.float32))
    oi = b.activation((1, 2), "float32")
    g = b.graph("FULLY_CONNECTED", [xi, wi, -1], oi, activation="RELU", keep_num_dims=False)
    out = run1(g, np.array([[[1, 2], [3, 4]]], np.float32))
    assert out.tolist() == [[10.0, 0.0]]


# -- pooling -------------------------------------------------------------------------------------

POOL_X = np.array([[1, 2, 3], [4, 5, 6], [7, 8, -9]], np.int8).reshape(1, 3, 3, 1)


def pool_graph(kind: str, dtype: str, activation: str = "NONE", quant: Any = None,
               padding: str = "SAME") -> Graph:
    b = GraphBuilder()
    xi = b.activation((1, 3, 3, 1), dtype, quant)
    shape = (1, 3, 3, 1) if padding == "SAME" else (1, 2, 2, 1)
    oi = b.activation(shape, dtype, quant)
    return b.graph(kind, [xi], oi, filter=(2, 2), stride=(1, 1), padding=padding,
                   activation=activation)


def test_average_pool_int8_border_counts_and_rounding() -> None:
    out = run1(pool_graph("AVERAGE_POOL_2D", "int8", quant=q(1.0, 0)), POOL_X)[0, :, :, 0]
    # SAME 2x2 stride 1: padding only at the bottom/right; border windows average fewer cells.
    # (0,2): (3+6)/2 = 4.5 -> 5; (1,2): (6-9)/2 = -1.5 -> -2; (2,1): (8-9)/2 = -0.5 -> -1
    # (1,1): (5+6+8-9)/4 = 2.5 -> 3; (2,2): -9 alone
    assert out.tolist() == [[3, 4, 5], [6, 3, -2], [8, -1, -9]]


def test_average_pool_float_divides_by_valid_cells() -> None:
    out = run1(pool_graph("AVERAGE_POOL_2D", "float32"), POOL_X.astype(np.float32))
    assert out[0, :, :, 0].tolist() == [[3.0, 4.0, 4.5], [6.0, 2.5, -1.5], [7.5, -0.5, -9.0]]


def test_average_pool_valid() -> None:
    out = run1(pool_graph("AVERAGE_POOL_2D", "int8", quant=q(1.0, 0), padding="VALID"), POOL_X)
    assert out[0, :, :, 0].tolist() == [[3, 4], [6, 3]]


def test_max_pool_ignores_padding_and_clamps() -> None:
    x = -np.arange(100, 109, dtype=np.int8).reshape(1, 3, 3, 1)
    out = run1(pool_graph("MAX_POOL_2D", "int8", quant=q(1.0, 0)), x)
    assert out[0, :, :, 0].tolist() == [[-100, -101, -102], [-103, -104, -105],
                                        [-106, -107, -108]]
    relu = run1(pool_graph("MAX_POOL_2D", "int8", "RELU", quant=q(0.5, -5)), POOL_X)
    assert relu[0, :, :, 0].tolist() == [[5, 6, 6], [8, 8, 6], [8, 8, -5]]
    flt = run1(pool_graph("MAX_POOL_2D", "float32"), x.astype(np.float32))
    assert flt[0, 2, 2, 0] == -108.0


# -- add, softmax, reshape -----------------------------------------------------------------------

def test_add_int8_by_hand() -> None:
    b = GraphBuilder()
    ai = b.activation((1, 4), "int8", q(0.5, 0))
    bi = b.activation((1, 4), "int8", q(0.25, 0))
    oi = b.activation((1, 4), "int8", q(1.0, 0))
    g = b.graph("ADD", [ai, bi], oi, activation="NONE")
    out = run_golden(g, [np.array([[4, -3, 100, 1]], np.int8),
                         np.array([[4, -2, 127, 1]], np.int8)])[0]
    # 2.0 + 1.0 = 3; -1.5 - 0.5 = -2; 50 + 31.75 = 81.75 -> 82; 0.5 + 0.25 = 0.75 -> 1
    assert out.tolist() == [[3, -2, 82, 1]]
    g_relu = b.graph("ADD", [ai, bi], oi, activation="RELU")
    out = run_golden(g_relu, [np.array([[4, -3]], np.int8).repeat(2, 1),
                              np.array([[4, -2]], np.int8).repeat(2, 1)])[0]
    assert out.tolist() == [[3, 3, 0, 0]]


def test_add_float() -> None:
    b = GraphBuilder()
    ai, bi = b.activation((1, 3), "float32"), b.activation((1, 3), "float32")
    oi = b.activation((1, 3), "float32")
    g = b.graph("ADD", [ai, bi], oi, activation="RELU6")
    out = run_golden(g, [np.array([[1, 5, -4]], np.float32), np.array([[2, 3, 1]], np.float32)])
    assert out[0].tolist() == [[3, 6, 0]]


def softmax_graph(dtype: str, depth: int, beta: float = 1.0) -> Graph:
    b = GraphBuilder()
    in_q = q(0.1, 3) if dtype == "int8" else None
    out_q = q(1 / 256, -128) if dtype == "int8" else None
    xi = b.activation((1, depth), dtype, in_q)
    oi = b.activation((1, depth), dtype, out_q)
    return b.graph("SOFTMAX", [xi], oi, beta=beta)


def test_softmax_int8_uniform_and_close_to_float() -> None:
    g = softmax_graph("int8", 4)
    assert run1(g, np.full((1, 4), 17, np.int8)).tolist() == [[-64] * 4]   # 0.25 * 256 - 128
    rng = np.random.default_rng(5)
    x = rng.integers(-128, 128, size=(50, 10), dtype=np.int8)
    got = run1(softmax_graph("int8", 10), x).astype(np.float64)
    real = (x.astype(np.float64) - 3) * np.float32(0.1)
    e = np.exp(real - real.max(1, keepdims=True))
    want = np.clip(np.round(e / e.sum(1, keepdims=True) * 256) - 128, -128, 127)
    assert np.max(np.abs(got - want)) <= 1


def test_softmax_float() -> None:
    x = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, -1e9]], np.float32)
    got = run1(softmax_graph("float32", 4, beta=0.5), x)
    e = np.exp(0.5 * (x.astype(np.float64) - x.max(1, keepdims=True)))
    np.testing.assert_allclose(got, e / e.sum(1, keepdims=True), rtol=1e-6, atol=1e-7)
    assert got.dtype == np.float32


def test_reshape_keeps_batch() -> None:
    b = GraphBuilder()
    xi = b.activation((1, 1, 2, 3), "int8", q(1.0))
    oi = b.activation((1, 6), "int8", q(1.0))
    g = b.graph("RESHAPE", [xi], oi)
    x = np.arange(12, dtype=np.int8).reshape(2, 1, 2, 3)
    assert run1(g, x).tolist() == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]


# -- quantize / dequantize -----------------------------------------------------------------------

def quantize_graph(in_dtype: str, in_q: Quantization | None, out_q: Quantization) -> Graph:
    b = GraphBuilder()
    xi = b.activation((1, 6), in_dtype, in_q)
    oi = b.activation((1, 6), "int8", out_q)
    return b.graph("QUANTIZE", [xi], oi)


def test_quantize_float_rounds_half_away_and_saturates() -> None:
    g = quantize_graph("float32", None, q(0.5, -1))
    x = np.array([[0.25, -0.25, 100.0, 1.0, -100.0, 0.7499]], np.float32)
    # 0.5 -> 1 (-1 = 0); -0.5 -> -1 (-2); 200 -> 127; 2 -> 1; -200 -> -128; 1.4998 -> 1 -> 0
    assert run1(g, x).tolist() == [[0, -2, 127, 1, -128, 0]]


def test_requantize_int8() -> None:
    g = quantize_graph("int8", q(0.5, 3), q(0.25, -2))
    x = np.array([[3, 4, -128, 127, 0, 66]], np.int8)
    assert run1(g, x).tolist() == [[-2, 0, -128, 127, -8, 124]]


def test_dequantize_and_round_trip() -> None:
    b = GraphBuilder()
    xi = b.activation((1, 3), "int8", q(0.1, -3))
    oi = b.activation((1, 3), "float32")
    g = b.graph("DEQUANTIZE", [xi], oi)
    out = run1(g, np.array([[-128, -3, 127]], np.int8))
    scale = np.float64(np.float32(0.1))
    assert out.tolist() == [[np.float32(scale * -125), 0.0, np.float32(scale * 130)]]
    # float -> int8 -> float recovers every in-range value to within half a step
    rng = np.random.default_rng(6)
    x = rng.uniform(-12.5, 13.0, size=(40, 6)).astype(np.float32)
    qx = run1(quantize_graph("float32", None, q(0.1, -3)), x)
    b = GraphBuilder()
    xi = b.activation((1, 6), "int8", q(0.1, -3))
    oi = b.activation((1, 6), "float32")
    back = run1(b.graph("DEQUANTIZE", [xi], oi), qx)
    assert np.max(np.abs(back - x)) <= 0.05 + 1e-6


# -- the interpreter itself ----------------------------------------------------------------------

def small_int8_conv() -> Graph:
    rng = np.random.default_rng(7)
    b = GraphBuilder()
    xi = b.activation((1, 5, 5, 2), "int8", q(0.1, 2))
    wi = b.constant(rng.integers(-127, 128, size=(3, 3, 3, 2), dtype=np.int8), q(0.02))
    bi = b.constant(rng.integers(-100, 100, size=3).astype(np.int32))
    oi = b.activation((1, 3, 3, 3), "int8", q(0.3, -4))
    return b.graph("CONV_2D", [xi, wi, bi], oi, stride=(2, 2), dilation=(1, 1),
                   padding="SAME", activation="RELU")


def test_batch_equals_samples_one_by_one() -> None:
    g = small_int8_conv()
    x = np.random.default_rng(8).integers(-128, 128, size=(5, 5, 5, 2), dtype=np.int8)
    interp = GoldenInterpreter(g)
    batched = interp.run([x])[0]
    single = np.concatenate([interp.run([x[i:i + 1]])[0] for i in range(5)])
    np.testing.assert_array_equal(batched, single)


def test_run_all_and_keep() -> None:
    g = small_int8_conv()
    x = np.zeros((2, 5, 5, 2), np.int8)
    interp = GoldenInterpreter(g)
    values = interp.run_all([x])
    assert set(values) == {0, 3}
    assert values[3].shape == (2, 3, 3, 3)
    interp.run([x])
    assert interp.values == {}
    interp.run([x], keep=True)
    assert set(interp.values) == {0, 3}


@pytest.mark.parametrize("inputs, message", [
    ([], "expected 1 input array"),
    ([np.zeros((2, 5, 5, 2), np.float32)],
     r"expected \(N, 5, 5, 2\) int8, got \(2, 5, 5, 2\) float32"),
    ([np.zeros((2, 5, 2), np.int8)], r"expected \(N, 5, 5, 2\) int8, got \(2, 5, 2\) int8"),
    ([np.zeros((2, 5, 4, 2), np.int8)], r"got \(2, 5, 4, 2\) int8"),
])
def test_input_validation(inputs: list[np.ndarray], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GoldenInterpreter(small_int8_conv()).run(inputs)


def test_bare_array_is_rejected() -> None:
    with pytest.raises(ValueError, match="list of 1 array"):
        bare = np.zeros((1, 5, 5, 2), np.int8)
        GoldenInterpreter(small_int8_conv()).run(bare)  # type: ignore[arg-type]


def test_unknown_op_lists_the_choices() -> None:
    b = GraphBuilder()
    xi = b.activation((1, 4), "float32")
    oi = b.activation((1, 4), "float32")
    g = b.graph("LOG_SOFTMAX", [xi], oi)
    with pytest.raises(UnsupportedOpError) as info:
        GoldenInterpreter(g)
    assert "LOG_SOFTMAX" in str(info.value)
    for kind in KERNELS:
        assert kind in str(info.value)


def two_op_graph(reverse: bool = False) -> Graph:
    """int8 conv -> reshape, optionally listed in the wrong order."""
    conv = small_int8_conv()
    tensors = list(conv.tensors)
    tensors.append(Tensor(4, "flat", (1, 27), "int8", q(0.3, -4)))
    ops = [conv.ops[0], Op("RESHAPE", "flatten", [3], [4])]
    if reverse:
        ops.reverse()
    return Graph("two_ops", tensors, ops, [0], [4], source="test")


def test_intermediates_are_dropped_unless_kept() -> None:
    g = two_op_graph()
    x = np.random.default_rng(9).integers(-128, 128, size=(4, 5, 5, 2), dtype=np.int8)
    interp = GoldenInterpreter(g)
    out = interp.run([x])[0]
    assert out.shape == (4, 27) and interp.values == {}
    values = interp.run_all([x])
    assert set(values) == {0, 3, 4}
    np.testing.assert_array_equal(values[4], values[3].reshape(4, 27))
    np.testing.assert_array_equal(out, values[4])


def test_ops_out_of_order_are_rejected() -> None:
    with pytest.raises(ModelFormatError, match="before any op produces it"):
        GoldenInterpreter(two_op_graph(reverse=True))
