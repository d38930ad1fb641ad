"""The ops of a small vision transformer (issue 13/19): BATCH_MATMUL, SQUARED_DIFFERENCE,
RSQRT, GELU, SLICE and broadcasting float ADD, one-op models built with LiteRT's object API:
golden vs LiteRT BUILTIN_REF (bit for bit except GELU, whose tanh/erf come from libm), and the
generated C on the host vs golden."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from op_models import FLOAT_VARIANTS, _binary, _Ctx, _float_unary, example, float_variant

from harness.bench import bench_model
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.inputs import random_inputs
from harness.litert_ref import litert_unavailable, run_litert

pytest.importorskip("ai_edge_litert.schema_py_generated")
needs_litert = pytest.mark.skipif(litert_unavailable() is not None,
                                  reason=litert_unavailable() or "")

CASES = [("BATCH_MATMUL", "float32"), ("SQUARED_DIFFERENCE", "float32"), ("RSQRT", "float32"),
         ("GELU", "float32"), ("SLICE", "float32"), ("SLICE", "int8")]
INEXACT = {"GELU"}          # libm tanhf / erff: within the float tolerance


def _golden_vs_litert(path: Path, kind: str, seed: int) -> None:
    graph = load_model(path)
    inputs = random_inputs(graph, 32, seed=seed)
    golden = GoldenInterpreter(graph).run(inputs)
    reference = run_litert(path, inputs)
    for got, want in zip(golden, reference):
        assert got.dtype == want.dtype and got.shape == want.shape
        if kind in INEXACT:
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
        else:
            same = (got == want) | (np.isnan(got) & np.isnan(want)) if got.dtype.kind == "f" \
                else got == want
            assert same.all(), f"{np.count_nonzero(~same)} of {got.size} values differ"


@needs_litert
@pytest.mark.parametrize("kind,dtype", CASES)
def test_transformer_op_golden_vs_litert(kind: str, dtype: str, tmp_path: Path) -> None:
    for seed in range(2):
        m, ins, outs = example(kind, (dtype, dtype), seed)
        path = m.save(tmp_path / f"{kind}_{seed}.tflite", ins, outs)
        _golden_vs_litert(path, kind, seed)


@needs_litert
@pytest.mark.parametrize("name", list(FLOAT_VARIANTS))
def test_transformer_variant_golden_vs_litert(name: str, tmp_path: Path) -> None:
    kind = FLOAT_VARIANTS[name][0]
    m, ins, outs = float_variant(name, seed=3)
    path = m.save(tmp_path / f"{name}.tflite", ins, outs)
    _golden_vs_litert(path, kind, seed=5)


def _host_agrees(path: Path, kind: str) -> None:
    result = bench_model(path, "host", n_inputs=16, seed=4)
    c = result.comparison
    assert c.ok, f"host vs golden: max |diff| {c.max_abs_diff:g}"
    if kind not in INEXACT:
        assert c.bit_exact, f"{c.mismatches} values differ from golden"


# RSQRT of random inputs is NaN for x < 0 (the run's reference check counts NaN as a
# difference); the host runs it on positive inputs in the `rsqrt_positive` variant.
@pytest.mark.parametrize("kind,dtype", [c for c in CASES if c[0] != "RSQRT"])
def test_transformer_op_host_vs_golden(kind: str, dtype: str, tmp_path: Path) -> None:
    m, ins, outs = example(kind, (dtype, dtype), 1)
    _host_agrees(m.save(tmp_path / f"{kind}.tflite", ins, outs), kind)


@pytest.mark.parametrize("name", list(FLOAT_VARIANTS))
def test_transformer_variant_host_vs_golden(name: str, tmp_path: Path) -> None:
    m, ins, outs = float_variant(name, seed=2)
    _host_agrees(m.save(tmp_path / f"{name}.tflite", ins, outs), FLOAT_VARIANTS[name][0])


# int8 ops of litert-torch's int8 ViT (issue 19): GELU through LiteRT's 256-entry table and ADD
# with broadcasting (the layer norm's bias): golden and host C bit for bit.
INT8_MODELS = {
    "gelu": lambda c: _float_unary(c, "GELU"),
    "gelu_exact": lambda c: _float_unary(c, "GELU", approximate=False),
    "add_bcast_const": lambda c: _binary(c, "ADD", (3,), const_b=True),
    "add_bcast_act": lambda c: _binary(c, "ADD", (1, 1, 4, 1)),
}


@needs_litert
@pytest.mark.parametrize("name", list(INT8_MODELS))
def test_int8_transformer_op_golden_vs_litert_and_host(name: str, tmp_path: Path) -> None:
    m, ins, outs = INT8_MODELS[name](_Ctx("int8", 7))
    path = m.save(tmp_path / f"{name}_int8.tflite", ins, outs)
    _golden_vs_litert(path, "int8", seed=5)
    _host_agrees(path, "int8")
