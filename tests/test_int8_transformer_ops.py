"""int8 BATCH_MATMUL, SQUARED_DIFFERENCE and RSQRT, and int16 BATCH_MATMUL (issue 13): one-op
models built with LiteRT's object API, golden vs LiteRT BUILTIN_REF bit for bit on random
inputs with the dtype's extremes
(edge shapes, adj flags, broadcast batch axes, constant operands, zero points at the range
ends, large and tiny multipliers; RSQRT on all 256 inputs), the generated C vs golden bit for
bit on `host` and `cortex-m4-iss`, and one clear line for what LiteRT refuses."""
from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from tflite_build import ModelBuilder, options

from harness.bench import bench_model
from harness.errors import ModelError
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.litert_ref import litert_unavailable, run_litert

pytest.importorskip("ai_edge_litert.schema_py_generated")
needs_litert = pytest.mark.skipif(litert_unavailable() is not None,
                                  reason=litert_unavailable() or "")

Built = tuple[ModelBuilder, list[int], list[int]]
Q = tuple[float, int]       # (scale, zero point)


def _bmm(lhs: tuple[int, ...], rhs: tuple[int, ...], adj_x: bool = False, adj_y: bool = False,
         const: str = "", ql: Q = (0.05, 3), qr: Q = (0.04, -2), qo: Q = (0.3, 5),
         seed: int = 0, dtype: str = "int8") -> Built:
    """BATCH_MATMUL lhs x rhs; `const` names the operand ("lhs" / "rhs") stored as a constant."""
    m, rng = ModelBuilder(), np.random.default_rng(seed)
    info = np.iinfo(dtype)

    def operand(shape: tuple[int, ...], q: Q, is_const: bool) -> int:
        data = rng.integers(info.min, info.max + 1, shape) if is_const else None
        return m.tensor(shape, dtype, scale=q[0], zero_point=q[1], data=data)

    a, b = operand(lhs, ql, const == "lhs"), operand(rhs, qr, const == "rhs")
    rows = lhs[-1] if adj_x else lhs[-2]
    cols = rhs[-2] if adj_y else rhs[-1]
    out = m.tensor((*np.broadcast_shapes(lhs[:-2], rhs[:-2]), rows, cols), dtype,
                   scale=qo[0], zero_point=qo[1])
    m.op("BATCH_MATMUL", [a, b], [out], options("BatchMatMul", adjX=adj_x, adjY=adj_y))
    return m, [t for t, name in ((a, "lhs"), (b, "rhs")) if name != const], [out]


def _bmm_unbatched_rhs() -> Built:
    """(1, 7, 6) x RESHAPE((1, 6, 5) -> (6, 5)): litert-torch's rank-2 rhs."""
    m = ModelBuilder()
    a = m.tensor((1, 7, 6), "int8", scale=0.05, zero_point=-7)
    b = m.tensor((1, 6, 5), "int8", scale=0.02, zero_point=4)
    flat = m.tensor((6, 5), "int8", scale=0.02, zero_point=4)
    out = m.tensor((1, 7, 5), "int8", scale=0.1, zero_point=-1)
    m.op("RESHAPE", [b, m.const([6, 5])], [flat])
    m.op("BATCH_MATMUL", [a, flat], [out], options("BatchMatMul"))
    return m, [a, b], [out]


def _sqdiff(shape_a: tuple[int, ...], shape_b: tuple[int, ...], q1: Q = (0.05, 3),
            q2: Q = (0.08, -7), qo: Q = (2.0, -100), const_b: bool = False) -> Built:
    m = ModelBuilder()
    a = m.tensor(shape_a, "int8", scale=q1[0], zero_point=q1[1])
    data = np.random.default_rng(1).integers(-128, 128, shape_b) if const_b else None
    b = m.tensor(shape_b, "int8", scale=q2[0], zero_point=q2[1], data=data)
    out = m.tensor(np.broadcast_shapes(shape_a, shape_b), "int8", scale=qo[0], zero_point=qo[1])
    m.op("SQUARED_DIFFERENCE", [a, b], [out])
    return m, [a] if const_b else [a, b], [out]


def _rsqrt(qi: Q, qo: Q, dtype: str = "int8", shape: tuple[int, ...] = (1, 8, 32)) -> Built:
    m = ModelBuilder()
    x = m.tensor(shape, dtype, scale=qi[0], zero_point=qi[1])
    out = m.tensor(shape, dtype, scale=qo[0], zero_point=qo[1])
    m.op("RSQRT", [x], [out])
    return m, [x], [out]


def _sqdiff_limit() -> Built:
    """An output scale just above the smallest LiteRT takes: output multiplier close to 1."""
    return _sqdiff((1, 6, 5), (1, 6, 5), (0.05, 0), (0.03, 0), (0.1 * 0.1 / 16384 * 1.001, -128))


BMM: dict[str, Callable[[], Built]] = {
    "plain": lambda: _bmm((1, 2, 5, 4), (1, 2, 4, 3)),
    "adj_x": lambda: _bmm((1, 4, 6), (1, 4, 5), adj_x=True),
    "adj_y": lambda: _bmm((1, 6, 4), (1, 5, 4), adj_y=True),
    "adj_xy": lambda: _bmm((1, 2, 4, 6), (1, 2, 5, 4), adj_x=True, adj_y=True),
    "const_rhs_rank2": lambda: _bmm((1, 3, 7, 6), (6, 5), const="rhs"),
    "const_rhs_adj_y": lambda: _bmm((1, 7, 6), (1, 5, 6), adj_y=True, const="rhs"),
    "const_lhs": lambda: _bmm((5, 4), (1, 4, 3), const="lhs"),
    "bcast_rhs_batch": lambda: _bmm((1, 3, 5, 4), (1, 1, 4, 2)),
    "bcast_rhs_batch_adj_x": lambda: _bmm((1, 3, 4, 5), (1, 1, 4, 2), adj_x=True),
    "bcast_lhs_batch": lambda: _bmm((1, 1, 5, 4), (1, 3, 4, 2)),
    "size_one": lambda: _bmm((1, 1, 1), (1, 1, 1)),
    "k_one": lambda: _bmm((1, 3, 1), (1, 1, 4)),
    "rank5": lambda: _bmm((1, 2, 2, 3, 4), (1, 2, 1, 4, 3)),
    "zp_ends": lambda: _bmm((1, 4, 8), (1, 8, 3), ql=(0.02, -128), qr=(0.03, 127),
                            qo=(0.5, 127)),
    "zp_ends_low_out": lambda: _bmm((1, 4, 8), (1, 8, 3), ql=(0.02, 127), qr=(0.03, 127),
                                    qo=(0.5, -128)),
    "large_multiplier": lambda: _bmm((1, 3, 4), (1, 4, 3), ql=(0.5, 0), qr=(0.25, 1),
                                     qo=(0.001, 0)),
    "small_multiplier": lambda: _bmm((1, 3, 16), (1, 16, 3), ql=(1e-3, 0), qr=(1e-3, 1),
                                     qo=(50.0, 0)),
    "unbatched_rhs": _bmm_unbatched_rhs,
}
S16: Callable[..., Built] = partial(_bmm, dtype="int16", ql=(5e-4, 0), qr=(4e-4, 0),
                                    qo=(3e-3, 0))
BMM16: dict[str, Callable[[], Built]] = {
    "plain": lambda: S16((1, 2, 5, 4), (1, 2, 4, 3)),
    "adj_xy": lambda: S16((1, 4, 6), (1, 5, 4), adj_x=True, adj_y=True),
    "const_rhs_rank2": lambda: S16((1, 3, 7, 6), (6, 5), const="rhs"),
    "bcast_rank5": lambda: S16((1, 2, 1, 3, 4), (1, 1, 3, 4, 2)),
    "deep_saturating": lambda: S16((1, 3, 64), (1, 64, 5), ql=(0.5, 0), qr=(0.5, 0),
                                   qo=(0.9, 0)),
    "small_multiplier": lambda: S16((1, 3, 6), (1, 6, 5), ql=(1e-5, 0), qr=(1e-5, 0),
                                    qo=(0.5, 0)),
}
SQDIFF: dict[str, Callable[[], Built]] = {
    "same_shape": lambda: _sqdiff((1, 4, 5, 3), (1, 4, 5, 3)),
    "bcast": lambda: _sqdiff((1, 4, 5, 3), (1, 4, 1, 3)),
    "bcast_first": lambda: _sqdiff((1, 1, 5, 3), (1, 4, 5, 1)),
    "const_rank2": lambda: _sqdiff((1, 4, 5, 3), (5, 3), const_b=True),
    "rank5": lambda: _sqdiff((1, 2, 4, 5, 3), (1, 2, 1, 1, 3)),
    "size_one": lambda: _sqdiff((1, 1), (1, 1)),
    "zp_ends": lambda: _sqdiff((1, 6, 5), (1, 6, 5), (0.05, -128), (0.05, 127), (10.0, -128)),
    "scale_ratio": lambda: _sqdiff((1, 6, 5), (1, 6, 5), (0.001, 5), (0.5, -3), (30.0, -128)),
    "fine_output": lambda: _sqdiff((1, 6, 5), (1, 6, 5), (0.01, 0), (0.01, 0), (1e-4, -128)),
    "multiplier_near_one": _sqdiff_limit,
}
RSQRT: dict[str, Callable[[], Built]] = {
    "zp_min": lambda: _rsqrt((0.01, -128), (0.05, -128)),
    "small_in_scale": lambda: _rsqrt((1e-4, -128), (0.5, -100)),
    "large_in_scale": lambda: _rsqrt((3.0, -128), (0.001, 10)),
    "zp_zero": lambda: _rsqrt((0.5, 0), (0.01, 0)),
    "zp_max": lambda: _rsqrt((0.1, 127), (0.02, 3)),
}
KIND = {"bmm": "BATCH_MATMUL", "bmm16": "BATCH_MATMUL", "sqdiff": "SQUARED_DIFFERENCE",
        "rsqrt": "RSQRT", "rsqrt16": "RSQRT"}
# one output value by design: a 1x1 product of two extremes, requantized to almost nothing,
# RSQRT whose only valid input is its zero point 127 (1/sqrt(0): the largest output)
CONSTANT_OUTPUT = {"bmm_size_one", "sqdiff_size_one", "bmm_small_multiplier", "rsqrt_zp_max",
                   "bmm16_small_multiplier"}
RSQRT16: dict[str, Callable[[], Built]] = {   # zero points 0 (int16x8)
    "fine": lambda: _rsqrt((1e-4, 0), (1e-3, 0), "int16"),
    "pot_scales": lambda: _rsqrt((1 / 32768, 0), (1 / 1024, 0), "int16"),
    "large_in_scale": lambda: _rsqrt((0.5, 0), (1e-4, 0), "int16"),
    "saturating": lambda: _rsqrt((0.01, 0), (3e-5, 0), "int16"),
}
ALL = {**{f"bmm_{k}": v for k, v in BMM.items()}, **{f"bmm16_{k}": v for k, v in BMM16.items()},
       **{f"sqdiff_{k}": v for k, v in SQDIFF.items()},
       **{f"rsqrt_{k}": v for k, v in RSQRT.items()},
       **{f"rsqrt16_{k}": v for k, v in RSQRT16.items()}}


def _save(tmp_path: Path, name: str, built: Built) -> Path:
    m, ins, outs = built
    return m.save(tmp_path / f"{name}.tflite", ins, outs)


def _inputs(path: Path, n: int, seed: int) -> list[np.ndarray]:
    """Random inputs with an all-minimum and an all-maximum sample; RSQRT models get every
    value at or above the input zero point (LiteRT fails below it), each once."""
    graph = load_model(path)
    rng = np.random.default_rng(seed)
    out = []
    for t in graph.input_tensors():
        info = np.iinfo(t.dtype)
        low = int(info.min)
        if graph.ops[-1].kind == "RSQRT":
            assert t.quant is not None
            low = t.quant.zero_point[0]
        x = rng.integers(low, int(info.max) + 1, (n, *t.shape[1:]))
        x[0], x[-1] = low, info.max
        if graph.ops[-1].kind == "RSQRT" and x[0].size >= 128 - low:
            x[1].reshape(-1)[:128 - low] = np.arange(low, 128)
        out.append(x.astype(t.dtype))
    return out


@needs_litert
@pytest.mark.parametrize("name", list(ALL))
def test_golden_bit_exact_with_litert(name: str, tmp_path: Path) -> None:
    path = _save(tmp_path, name, ALL[name]())
    inputs = _inputs(path, 40, seed=len(name))
    golden = GoldenInterpreter(load_model(path)).run(inputs)
    reference = run_litert(path, inputs)
    for got, want in zip(golden, reference, strict=True):
        assert got.dtype == want.dtype and got.dtype.kind == "i" and got.shape == want.shape
        bad = np.count_nonzero(got != want)
        assert bad == 0, f"{bad} of {got.size} values differ"
        assert len(np.unique(got)) > 1 or name in CONSTANT_OUTPUT, "a constant output tests nothing"


@needs_litert
@pytest.mark.parametrize("name", ["bmm_plain", "bmm16_plain", "sqdiff_bcast", "rsqrt_zp_min",
                                  "rsqrt16_fine"])
def test_builtin_code_only_model_imports_as_its_op(name: str, tmp_path: Path) -> None:
    """Op code only in `builtin_code` (the deprecated field reads ADD): still this op, int8 /
    int16 (tests/test_import_fidelity.py builds its int16 cases in float32)."""
    m, ins, outs = ALL[name]()
    path = m.save(tmp_path / f"{name}.tflite", ins, outs, builtin_code_only=True)
    graph = load_model(path)
    assert [op.kind for op in graph.ops] == [KIND[name.split("_")[0]]]
    inputs = _inputs(path, 8, seed=9)
    for got, want in zip(GoldenInterpreter(graph).run(inputs), run_litert(path, inputs),
                         strict=True):
        assert got.dtype == want.dtype != np.float32 and np.array_equal(got, want)


@needs_litert
@pytest.mark.parametrize("scales", [(1e-4, 1e-3), (0.5, 1e-4), (0.01, 3e-5)])
def test_rsqrt16_every_input_golden_and_host(scales: tuple[float, float], tmp_path: Path) -> None:
    """int16 RSQRT on all 32768 non-negative inputs: golden == LiteRT, and the host C (first
    scales) == golden."""
    path = _save(tmp_path, "rsqrt16", _rsqrt((scales[0], 0), (scales[1], 0), "int16",
                                              (1, 128, 256)))
    inputs = [np.arange(32768, dtype=np.int16).reshape(1, 128, 256)]
    golden = GoldenInterpreter(load_model(path)).run(inputs)[0]
    want = run_litert(path, inputs)[0]
    assert np.count_nonzero(golden != want) == 0 and len(np.unique(golden)) > 500
    if scales == (1e-4, 1e-3):
        _bit_exact_on(path, "host", inputs)


def _chain(seed: int = 0) -> Built:
    """lhs (1, 4, 6) x rhs (1, 6, 5) -> SQUARED_DIFFERENCE with a constant row -> RSQRT, and
    lhs x a constant (5, 6) with adj_y: the three ops in one firmware."""
    m, rng = ModelBuilder(), np.random.default_rng(seed)
    lhs = m.tensor((1, 4, 6), "int8", scale=0.05, zero_point=-9)
    rhs = m.tensor((1, 6, 5), "int8", scale=0.04, zero_point=11)
    mm = m.tensor((1, 4, 5), "int8", scale=0.08, zero_point=2)
    m.op("BATCH_MATMUL", [lhs, rhs], [mm], options("BatchMatMul"))
    row = m.tensor((5,), "int8", scale=0.08, zero_point=0, data=rng.integers(-128, 128, 5))
    sq = m.tensor((1, 4, 5), "int8", scale=0.5, zero_point=-128)
    m.op("SQUARED_DIFFERENCE", [mm, row], [sq])
    inv = m.tensor((1, 4, 5), "int8", scale=0.01, zero_point=-128)
    m.op("RSQRT", [sq], [inv])
    w = m.tensor((5, 6), "int8", scale=0.02, zero_point=0, data=rng.integers(-128, 128, (5, 6)))
    proj = m.tensor((1, 4, 5), "int8", scale=0.06, zero_point=-4)
    m.op("BATCH_MATMUL", [lhs, w], [proj], options("BatchMatMul", adjY=True))
    return m, [lhs, rhs], [inv, proj]


def _bit_exact_on(path: Path, target: str, inputs: list[np.ndarray]) -> None:
    result = bench_model(path, target, inputs=inputs, seed=4)
    c = result.comparison
    assert c.bit_exact and c.mismatches == 0, f"{c.mismatches} values differ from golden"
    assert result.measurement.extra["reference_agreement"] in ("bit-exact", "unavailable")


HOST = ["bmm_adj_xy", "bmm_const_rhs_rank2", "bmm_bcast_lhs_batch", "bmm_rank5",
        "bmm_zp_ends", "bmm_unbatched_rhs", "sqdiff_bcast_first", "sqdiff_const_rank2",
        "sqdiff_rank5", "sqdiff_multiplier_near_one", "rsqrt_small_in_scale", "rsqrt_zp_max",
        "bmm16_adj_xy", "bmm16_const_rhs_rank2", "bmm16_bcast_rank5", "rsqrt16_fine"]


@pytest.mark.parametrize("name", HOST)
def test_host_c_bit_exact_with_golden(name: str, tmp_path: Path) -> None:
    path = _save(tmp_path, name, ALL[name]())
    _bit_exact_on(path, "host", _inputs(path, 8, seed=2))


def test_chain_golden_and_host(tmp_path: Path) -> None:
    path = _save(tmp_path, "chain", _chain())
    inputs = _inputs(path, 24, seed=5)
    if litert_unavailable() is None:
        golden = GoldenInterpreter(load_model(path)).run(inputs)
        for got, want in zip(golden, run_litert(path, inputs), strict=True):
            assert np.array_equal(got, want)
    _bit_exact_on(path, "host", inputs)


@pytest.mark.sim
@pytest.mark.parametrize("name", ["chain", "bmm16_bcast_rank5", "rsqrt16_saturating"])
def test_on_cortex_m4_iss(name: str, tmp_path: Path) -> None:
    """The three int8 ops in one firmware, int16 BATCH_MATMUL and RSQRT, on the Cortex-M4 ISS
    (armv7em kernels, which fall back to ref for these)."""
    from harness.backends import backend_for
    from harness.targets import load_target
    reason = backend_for(load_target("cortex-m4-iss")).available()
    if reason:
        pytest.skip(reason)
    path = _save(tmp_path, name, _chain(seed=3) if name == "chain" else ALL[name]())
    _bit_exact_on(path, "cortex-m4-iss", _inputs(path, 6, seed=6))


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_rsqrt_below_zero_point_fails_at_run_time(dtype: str, tmp_path: Path) -> None:
    """An input below the zero point is a negative value: golden refuses it, as LiteRT does."""
    zp = -5 if dtype == "int8" else 0
    path = _save(tmp_path, "rsqrt", _rsqrt((0.1, zp), (0.02, 0), dtype))
    interp = GoldenInterpreter(load_model(path))
    x = np.full((1, 1, 8, 32), 10, dtype)
    interp.run([x[0]])
    x[0, 0, 3, 7] = zp - 1
    with pytest.raises(ModelError, match=rf"input {zp - 1} is below the zero point {zp}"):
        interp.run([x[0]])
    if litert_unavailable() is None:
        with pytest.raises(Exception):       # noqa: B017 - LiteRT's RuntimeError on invoke
            run_litert(path, [x[0]])


def _per_channel_rhs() -> Built:
    m = ModelBuilder()
    a = m.tensor((1, 4, 6), "int8", scale=0.05, zero_point=0)
    w = m.tensor((6, 5), "int8", scale=[0.01] * 5, zero_point=[0] * 5, axis=1,
                 data=np.ones((6, 5)))
    out = m.tensor((1, 4, 5), "int8", scale=0.1, zero_point=0)
    m.op("BATCH_MATMUL", [a, w], [out], options("BatchMatMul"))
    return m, [a], [out]


def _int32_output() -> Built:
    m = ModelBuilder()
    a = m.tensor((1, 4, 6), "int8", scale=0.05, zero_point=0)
    b = m.tensor((1, 6, 5), "int8", scale=0.05, zero_point=0)
    out = m.tensor((1, 4, 5), "int32")
    m.op("BATCH_MATMUL", [a, b], [out], options("BatchMatMul"))
    return m, [a, b], [out]


def _mixed_inputs() -> Built:
    m = ModelBuilder()
    a = m.tensor((1, 4, 6), "int8", scale=0.05, zero_point=0)
    b = m.tensor((1, 6, 5), "float32")
    out = m.tensor((1, 4, 5), "int8", scale=0.05, zero_point=0)
    m.op("BATCH_MATMUL", [a, b], [out], options("BatchMatMul"))
    return m, [a, b], [out]


BAD: dict[str, tuple[Callable[[], Built], str]] = {
    "bmm16_zero_point": (lambda: S16((1, 3, 4), (1, 4, 2), qr=(1e-3, 5)),
                         "has zero point 5; the 16x8 spec requires 0"),   # the validator's
    "bmm16_shift": (lambda: S16((1, 3, 4), (1, 4, 2), ql=(1.0, 0), qr=(1.0, 0), qo=(1e-3, 0)),
                    "int16 rescale by 2^10"),
    "sqdiff_output_scale_too_small": (
        lambda: _sqdiff((1, 6, 5), (1, 6, 5), (0.05, 0), (0.03, 0), (1e-7, 0)),
        "output scale 1e-07 is too small"),
    "bmm_per_channel_rhs": (_per_channel_rhs, "must be quantized per tensor"),
    "bmm_int32_output": (_int32_output, "BATCH_MATMUL(int8->int32)"),
    "bmm_int8_float_inputs": (_mixed_inputs, "inputs of int8 and float32"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_refusals_are_one_line(name: str, tmp_path: Path) -> None:
    build, text = BAD[name]
    path = _save(tmp_path, name, build())
    with pytest.raises(ModelError) as info:     # UnsupportedOpError or ModelFormatError
        load_model(path)
    message = str(info.value)
    assert text in message and "\n" not in message and len(message) < 200, message
