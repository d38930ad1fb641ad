"""Issue 13's operators: SPLIT, SPLIT_V, GATHER, CAST, TRANSPOSE_CONV, hybrid (dynamic-range)
FULLY_CONNECTED and broadcasting int8 ADD. One-op models built with LiteRT's object API on
seeded random weights and inputs (op_models_more.py):
golden vs LiteRT BUILTIN_REF bit for bit (int8, float32, hybrid), generated C on the host vs
golden bit for bit, one build per op on the Cortex-M4 ISS with its default (armv7em) kernels,
and the one-line errors of bad parameters. The `builtin_code`-only import of each op is
tests/test_import_fidelity.py's (it walks every op of OP_TYPES)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from op_models import _Ctx, example
from op_models_more import MORE_EXAMPLES, MORE_VARIANTS, embedding, hybrid_fc, more_variant
from tflite_build import ModelBuilder, options

from harness.bench import bench_model
from harness.errors import ModelError, ModelFormatError, UnsupportedOpError
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.importers.tflite import OP_TYPES
from harness.inputs import random_inputs
from harness.litert_ref import litert_unavailable, run_litert

pytest.importorskip("ai_edge_litert.schema_py_generated")
needs_litert = pytest.mark.skipif(litert_unavailable() is not None,
                                  reason=litert_unavailable() or "")

CASES = [(kind, pair) for kind in MORE_EXAMPLES for pair in sorted(OP_TYPES[kind])]
VARIANT_CASES = [(name, d) for name, (_, dtypes, _) in MORE_VARIANTS.items() for d in dtypes]
SAMPLES = 48


def _id(case: tuple[str, Any]) -> str:
    name, pair = case
    return f"{name}-{'-'.join(pair)}" if isinstance(pair, tuple) else f"{name}-{pair}"


def _save(tmp_path: Path, name: str, built: tuple) -> Path:  # type: ignore[type-arg]
    m, ins, outs = built
    return m.save(tmp_path / f"{name}.tflite", ins, outs)


def _golden_equals_litert(path: Path, inputs: list[np.ndarray] | None = None,
                          seed: int = 0) -> None:
    graph = load_model(path)
    inputs = inputs if inputs is not None else random_inputs(graph, SAMPLES, seed=seed)
    golden = GoldenInterpreter(graph).run(inputs)
    reference = run_litert(path, inputs)
    assert len(golden) == len(reference)
    for got, want in zip(golden, reference):
        assert got.dtype == want.dtype and got.shape == want.shape, (got.shape, want.shape)
        bad = np.count_nonzero(got != want)
        assert bad == 0, f"{bad} of {got.size} values differ"


def _target_bit_exact(path: Path, target: str, inputs: list[np.ndarray] | None = None,
                      n: int = 16) -> Any:
    result = bench_model(path, target, n_inputs=None if inputs else n, inputs=inputs, seed=4)
    c = result.comparison
    assert c.bit_exact and c.mismatches == 0, f"{c.mismatches} values differ from golden"
    assert result.measurement.extra["reference_agreement"] in ("bit-exact", "unavailable")
    return result


def _token_ids(n: int, tokens: int, vocab: int, dtype: str, seed: int) -> list[np.ndarray]:
    """Valid indices of an embedding table, the first and last row included."""
    ids = np.random.default_rng(seed).integers(0, vocab, (n, tokens))
    ids[0, 0], ids[-1, -1] = 0, vocab - 1
    return [ids.astype(dtype)]


def _wide_floats(path: Path, n: int, seed: int) -> list[np.ndarray]:
    """float inputs across [-300, 300] with exact halves, the int8 / int32 / int64 edges,
    NaN and infinities (LiteRT saturates them)."""
    shape = load_model(path).input_tensors()[0].shape[1:]
    x = np.random.default_rng(seed).uniform(-300, 300, (n, *shape)).astype(np.float32)
    edges = np.array([-128.5, -128.0, -127.9, -0.5, -0.0, 0.5, 1.5, 127.9, 128.0, 255.5,
                      np.nan, np.inf, -np.inf, 2.0 ** 31, -2.0 ** 31 - 256, 2.0 ** 63,
                      -2.0 ** 63, 3e9], np.float32)
    x.reshape(n, -1)[0, :edges.size] = edges[:x[0].size]
    return [x]


@needs_litert
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_op_golden_bit_exact_with_litert(case: tuple[str, tuple[str, str]],
                                         tmp_path: Path) -> None:
    kind, pair = case
    for seed in range(3):
        _golden_equals_litert(_save(tmp_path, f"{kind}_{seed}", example(kind, pair, seed)),
                              seed=seed)


@needs_litert
@pytest.mark.parametrize("case", VARIANT_CASES, ids=[_id(c) for c in VARIANT_CASES])
def test_variant_golden_bit_exact_with_litert(case: tuple[str, str], tmp_path: Path) -> None:
    name, dtype = case
    for seed in range(2):
        _golden_equals_litert(_save(tmp_path, f"{name}_{seed}", more_variant(name, dtype, seed)),
                              seed=seed + 10)


@needs_litert
@pytest.mark.parametrize("dtype", ["int8", "float32"])
@pytest.mark.parametrize("index_dtype", ["int32", "int64"])
def test_embedding_lookup_golden_bit_exact(dtype: str, index_dtype: str, tmp_path: Path) -> None:
    path = _save(tmp_path, "embedding", embedding(_Ctx(dtype, 3), index_dtype))
    _golden_equals_litert(path, _token_ids(SAMPLES, 3, 10, index_dtype, seed=1))


@needs_litert
@pytest.mark.parametrize("to", ["int8", "int32", "int64"])
def test_cast_of_wide_floats_truncates_as_litert(to: str, tmp_path: Path) -> None:
    path = _save(tmp_path, f"cast_{to}", example("CAST", ("float32", to), seed=2))
    _golden_equals_litert(path, _wide_floats(path, SAMPLES, seed=5))


@needs_litert
def test_hybrid_fc_zero_and_constant_rows(tmp_path: Path) -> None:
    """Rows of zeros (scaling 1), of one repeated value, and of one sign only."""
    for asymmetric in (False, True):
        path = _save(tmp_path, f"fc_{asymmetric}", hybrid_fc(_Ctx("float32", 4),
                                                             asymmetric=asymmetric, rows=4))
        x = np.random.default_rng(2).uniform(-1, 1, (6, 4, 12)).astype(np.float32)
        x[0] = 0.0
        x[1, 0], x[1, 1], x[1, 2] = 0.25, np.abs(x[1, 1]), -np.abs(x[1, 2])
        _golden_equals_litert(path, [x])


@needs_litert
@pytest.mark.parametrize("name", ["fc_hybrid_asym", "fc_hybrid_per_channel", "add_bcast_c"])
def test_builtin_code_only_variant_imports_as_its_op(name: str, tmp_path: Path) -> None:
    """Hybrid FC and broadcasting int8 ADD written with `builtin_code` only (the ops of
    MORE_EXAMPLES are covered by test_import_fidelity.py, which walks OP_TYPES)."""
    kind, dtypes, _ = MORE_VARIANTS[name]
    m, ins, outs = more_variant(name, dtypes[0], seed=3)
    path = m.save(tmp_path / f"{name}.tflite", ins, outs, builtin_code_only=True)
    graph = load_model(path)
    assert [op.kind for op in graph.ops] == [kind]
    _golden_equals_litert(path, seed=3)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_op_host_bit_exact_with_golden(case: tuple[str, tuple[str, str]], tmp_path: Path) -> None:
    kind, pair = case
    _target_bit_exact(_save(tmp_path, kind.lower(), example(kind, pair, seed=5)), "host")


@pytest.mark.parametrize("case", VARIANT_CASES, ids=[_id(c) for c in VARIANT_CASES])
def test_variant_host_bit_exact_with_golden(case: tuple[str, str], tmp_path: Path) -> None:
    name, dtype = case
    _target_bit_exact(_save(tmp_path, name, more_variant(name, dtype, seed=6)), "host")


@pytest.mark.parametrize("index_dtype", ["int32", "int64"])
def test_embedding_lookup_on_host(index_dtype: str, tmp_path: Path) -> None:
    path = _save(tmp_path, "embedding", embedding(_Ctx("int8", 5), index_dtype, vocab=7))
    _target_bit_exact(path, "host", _token_ids(12, 3, 7, index_dtype, seed=3))


def _chain(dtype: str) -> tuple[ModelBuilder, list[int], list[int]]:
    """One model per dtype with every new op: ADD (broadcast) -> TRANSPOSE_CONV -> SPLIT ->
    GATHER -> SPLIT_V -> CAST (int8 -> int32 -> float32 for int8), plus hybrid FC (float)."""
    c = _Ctx(dtype, 7)
    m = c.m
    x = c.act((1, 3, 3, 2), scale=0.05, zp=1)
    bias_c = (m.tensor((2,), "int8", scale=0.03, zero_point=-2, data=[100, -60]) if c.q
              else m.tensor((2,), "float32", data=[0.3, -0.2]))
    added = c.act((1, 3, 3, 2), scale=0.05, zp=1)
    m.op("ADD", [x, bias_c], [added], options("Add"))
    w, ws = c.weights((4, 3, 3, 2), axis=0)
    up = c.act((1, 6, 6, 4), scale=0.1, zp=-3)
    m.op("TRANSPOSE_CONV", [m.const([1, 6, 6, 4]), w, added, c.bias(4, 0.05, ws)], [up],
         options("TransposeConv", padding=0, strideH=2, strideW=2))
    halves = [c.act((1, 6, 6, 2), scale=0.1, zp=-3) for _ in range(2)]
    m.op("SPLIT", [m.const(np.array(3, np.int32)), up], halves, options("Split", numSplits=2))
    picked = c.act((1, 6, 3, 2), scale=0.1, zp=-3)
    m.op("GATHER", [halves[1], m.const([5, 0, 2])], [picked], options("Gather", axis=2))
    parts = [c.act((1, 6, 1, 2), scale=0.1, zp=-3), c.act((1, 6, 2, 2), scale=0.1, zp=-3)]
    m.op("SPLIT_V", [picked, m.const([1, 2]), m.const(np.array(2, np.int32))], parts,
         options("SplitV", numSplits=2))
    outs = [halves[0], parts[0]]
    if c.q:
        wide, real = m.tensor((1, 6, 2, 2), "int32"), m.tensor((1, 6, 2, 2), "float32")
        m.op("CAST", [parts[1]], [wide])
        m.op("CAST", [wide], [real])
        outs.append(real)
    else:
        flat = m.tensor((1, 24), "float32")
        m.op("RESHAPE", [parts[1], m.const([1, 24])], [flat])
        wq = m.tensor((3, 24), "int8", scale=[0.01, 0.02, 0.005], zero_point=[0] * 3,
                      axis=0, data=c.rng.integers(-127, 128, (3, 24)))
        fc = m.tensor((1, 3), "float32")
        m.op("FULLY_CONNECTED", [flat, wq, -1], [fc],
             options("FullyConnected", asymmetricQuantizeInputs=True))
        outs.append(fc)
    return m, [x], outs


@needs_litert
@pytest.mark.parametrize("dtype", ["int8", "float32"])
def test_chain_golden_and_host(dtype: str, tmp_path: Path) -> None:
    path = _save(tmp_path, f"chain_{dtype}", _chain(dtype))
    _golden_equals_litert(path, seed=3)
    _target_bit_exact(path, "host")


@pytest.mark.sim
@pytest.mark.parametrize("dtype", ["int8", "float32"])
def test_chain_on_cortex_m4_iss(dtype: str, tmp_path: Path) -> None:
    """Every new op in one firmware per dtype on the Cortex-M4 ISS (default kernels: armv7em,
    which falls back to ref for these ops): bit-exact with golden and LiteRT."""
    from harness.backends import backend_for
    from harness.targets import load_target
    reason = backend_for(load_target("cortex-m4-iss")).available()
    if reason:
        pytest.skip(reason)
    result = _target_bit_exact(_save(tmp_path, f"chain_{dtype}", _chain(dtype)),
                               "cortex-m4-iss", n=6)
    assert result.measurement.metrics["cycles_per_inference"].value > 0


@pytest.mark.sim
@pytest.mark.parametrize("name", ["fc_hybrid_per_channel", "tconv_valid_nobias", "cast"])
def test_more_on_cortex_m4_iss(name: str, tmp_path: Path) -> None:
    """Per-channel symmetric hybrid FC, int8 VALID TRANSPOSE_CONV without bias, and CAST of
    wide floats to int8 (truncate, wrap) on the Cortex-M4 ISS."""
    from harness.backends import backend_for
    from harness.targets import load_target
    reason = backend_for(load_target("cortex-m4-iss")).available()
    if reason:
        pytest.skip(reason)
    if name == "cast":
        path = _save(tmp_path, name, example("CAST", ("float32", "int8"), seed=2))
        _target_bit_exact(path, "cortex-m4-iss", _wide_floats(path, 6, seed=7))
        return
    dtype = "float32" if name.startswith("fc") else "int8"
    _target_bit_exact(_save(tmp_path, name, more_variant(name, dtype, seed=6)),
                      "cortex-m4-iss", n=6)


# -- bad parameters: one clear line ---------------------------------------------------------

def _bad_split(m: ModelBuilder) -> tuple[list[int], list[int]]:
    x = m.tensor((1, 5, 4), "float32")
    outs = [m.tensor((1, 5, 2), "float32") for _ in range(2)]
    m.op("SPLIT", [m.const(np.array(1, np.int32)), x], outs, options("Split", numSplits=2))
    return [x], outs


def _bad_split_v(m: ModelBuilder) -> tuple[list[int], list[int]]:
    x = m.tensor((1, 5, 4), "float32")
    outs = [m.tensor((1, 5, 2), "float32") for _ in range(2)]
    m.op("SPLIT_V", [x, m.const([2, 3]), m.const(np.array(2, np.int32))], outs,
         options("SplitV", numSplits=2))
    return [x], outs


def _bad_gather_index(m: ModelBuilder) -> tuple[list[int], list[int]]:
    x, out = m.tensor((1, 5, 4), "float32"), m.tensor((1, 2, 4), "float32")
    m.op("GATHER", [x, m.const([1, 5])], [out], options("Gather", axis=1))
    return [x], [out]


def _gather_batch_dims(m: ModelBuilder) -> tuple[list[int], list[int]]:
    x, out = m.tensor((1, 5, 4), "float32"), m.tensor((1, 2, 4), "float32")
    m.op("GATHER", [x, m.const([[1, 2]])], [out], options("Gather", axis=1, batchDims=1))
    return [x], [out]


def _gather_both_computed(m: ModelBuilder) -> tuple[list[int], list[int]]:
    x, idx, out = (m.tensor((1, 5, 4), "float32"), m.tensor((1, 2), "int32"),
                   m.tensor((1, 1, 2, 4), "float32"))
    m.op("GATHER", [x, idx], [out], options("Gather", axis=1))
    return [x, idx], [out]


def _bad_tconv_shape(m: ModelBuilder) -> tuple[list[int], list[int]]:
    x, out = m.tensor((1, 3, 3, 2), "float32"), m.tensor((1, 6, 6, 3), "float32")
    w = m.tensor((4, 3, 3, 2), "float32", data=np.zeros((4, 3, 3, 2)))
    m.op("TRANSPOSE_CONV", [m.const([1, 6, 6, 3]), w, x], [out],
         options("TransposeConv", padding=0, strideH=2, strideW=2))
    return [x], [out]


def _tconv_wrong_size(m: ModelBuilder) -> tuple[list[int], list[int]]:
    x, out = m.tensor((1, 3, 3, 2), "float32"), m.tensor((1, 4, 9, 4), "float32")
    w = m.tensor((4, 3, 3, 2), "float32", data=np.zeros((4, 3, 3, 2)))
    m.op("TRANSPOSE_CONV", [m.const([1, 4, 9, 4]), w, x], [out],
         options("TransposeConv", padding=1, strideH=2, strideW=2))
    return [x], [out]


def _tconv_zero_stride(m: ModelBuilder) -> tuple[list[int], list[int]]:
    x, out = m.tensor((1, 3, 3, 2), "float32"), m.tensor((1, 6, 6, 4), "float32")
    w = m.tensor((4, 3, 3, 2), "float32", data=np.zeros((4, 3, 3, 2)))
    m.op("TRANSPOSE_CONV", [m.const([1, 6, 6, 4]), w, x], [out],
         options("TransposeConv", padding=0, strideH=0, strideW=2))
    return [x], [out]


def _hybrid_fc_axis1(m: ModelBuilder) -> tuple[list[int], list[int]]:
    x, out = m.tensor((1, 12), "float32"), m.tensor((1, 4), "float32")
    w = m.tensor((4, 12), "int8", scale=[0.01] * 12, zero_point=[0] * 12, axis=1,
                 data=np.ones((4, 12)))
    m.op("FULLY_CONNECTED", [x, w, -1], [out], options("FullyConnected"))
    return [x], [out]


def _split_computed_axis(m: ModelBuilder) -> tuple[list[int], list[int]]:
    x, axis = m.tensor((1, 4, 4), "float32"), m.tensor((1,), "int32")
    outs = [m.tensor((1, 2, 4), "float32") for _ in range(2)]
    m.op("SPLIT", [axis, x], outs, options("Split", numSplits=2))
    return [x, axis], outs


def _add_three_inputs(m: ModelBuilder) -> tuple[list[int], list[int]]:
    a, b, c, out = (m.tensor((1, 4), "float32") for _ in range(4))
    m.op("ADD", [a, b, c], [out], options("Add"))
    return [a, b, c], [out]


BAD = {
    "split_uneven": (_bad_split, ModelFormatError, "does not split into 2 parts"),
    "split_v_sum": (_bad_split_v, ModelFormatError, "do not add up to dimension 4"),
    "gather_index": (_bad_gather_index, ModelFormatError, "index 5 outside [0, 5)"),
    "gather_batch_dims": (_gather_batch_dims, UnsupportedOpError, "batch_dims 1"),
    "gather_both": (_gather_both_computed, UnsupportedOpError, "exactly one constant"),
    "tconv_shape": (_bad_tconv_shape, ModelFormatError, "does not match filter"),
    "tconv_stride": (_tconv_zero_stride, ModelFormatError, "stride (0, 2) must be > 0"),
    "tconv_size": (_tconv_wrong_size, ModelFormatError, "does not come from input"),
    "hybrid_fc_axis": (_hybrid_fc_axis1, UnsupportedOpError, "must be along axis 0"),
    "split_computed_axis": (_split_computed_axis, UnsupportedOpError, "is not a constant"),
    "add_three_inputs": (_add_three_inputs, ModelFormatError, "3 inputs; ADD takes 2"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_parameters_fail_with_one_line(name: str, tmp_path: Path) -> None:
    build, error, text = BAD[name]
    m = ModelBuilder()
    ins, outs = build(m)
    path = m.save(tmp_path / f"{name}.tflite", ins, outs)
    with pytest.raises(error) as info:
        load_model(path)
    message = str(info.value)
    assert text in message and "\n" not in message and len(message) < 200, message


def test_gather_index_out_of_range_at_run_time(tmp_path: Path) -> None:
    """A computed index outside the table: golden refuses the input (LiteRT fails too)."""
    path = _save(tmp_path, "embedding", embedding(_Ctx("float32", 1)))
    interp = GoldenInterpreter(load_model(path))
    with pytest.raises(ModelError, match=r"index 10 outside \[0, 10\)"):
        interp.run([np.array([[1, 10, 2]], np.int32)])


@needs_litert
def test_fuzzed_new_op_models_fail_cleanly_or_agree(tmp_path: Path) -> None:
    """Seeded mutants of models using the new ops: a clean error or a run LiteRT agrees with,
    never a traceback, a hang, a contradicted result or a model LiteRT refuses."""
    import warnings

    from harness.fuzz import BAD_OUTCOMES, fuzz
    models = [_save(tmp_path, "chain_int8", _chain("int8")),
              _save(tmp_path, "chain_f32", _chain("float32")),
              _save(tmp_path, "fc_asym", more_variant("fc_hybrid_asym_rows", "float32", 1)),
              _save(tmp_path, "fc_pc", more_variant("fc_hybrid_per_channel", "float32", 1)),
              _save(tmp_path, "cast", example("CAST", ("int32", "int8"), 1)),
              _save(tmp_path, "gather", more_variant("gather_int64_2d", "int8", 1)),
              _save(tmp_path, "split_v", example("SPLIT_V", ("int8", "int8"), 1)),
              _save(tmp_path, "add_bcast", more_variant("add_bcast_hw", "int8", 1))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        report = fuzz(models, 400, seed=13)
    assert sum(report.counts.values()) == 400
    assert not any(report.counts[o] for o in BAD_OUTCOMES), report.bad[:3]
    assert report.counts["litert-refuses"] == 0, dict(report.counts)
    assert report.counts["agree"] > 0 and report.counts["error"] > 0
