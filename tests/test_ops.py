"""The operators beyond the MLPerf Tiny set (PAD, PADV2, CONCATENATION, TRANSPOSE, MEAN, MUL,
SUB, MAXIMUM, MINIMUM, RELU, RELU6, LEAKY_RELU), one-op models built with LiteRT's object API
on seeded random weights and inputs:
golden vs LiteRT BUILTIN_REF (int8 and float32 bit for bit), generated C on the host vs golden
(bit for bit), and one op on the Cortex-M4 ISS."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from op_models import EXAMPLES, VARIANTS, example, variant

from harness.bench import bench_model
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.inputs import random_inputs
from harness.litert_ref import litert_unavailable, run_litert

pytest.importorskip("ai_edge_litert.schema_py_generated")
needs_litert = pytest.mark.skipif(litert_unavailable() is not None,
                                  reason=litert_unavailable() or "")

NEW_OPS = ["PAD", "PADV2", "CONCATENATION", "TRANSPOSE", "MEAN", "MUL", "SUB", "MAXIMUM",
           "MINIMUM", "RELU", "RELU6", "LEAKY_RELU", "LOGISTIC", "TANH", "STRIDED_SLICE",
           "HARD_SWISH"]
# float32 ops through libm (expf, tanhf): within the float tolerance, not bit for bit.
TRANSCENDENTAL = {("LOGISTIC", "float32"), ("TANH", "float32")}
CASES = [(k, d) for k in NEW_OPS for d in ("int8", "float32")]
VARIANT_CASES = [(v, d) for v in VARIANTS for d in ("int8", "float32")]
SAMPLES = 64


def _save(tmp_path: Path, name: str, built: tuple) -> Path:  # type: ignore[type-arg]
    m, ins, outs = built
    return m.save(tmp_path / f"{name}.tflite", ins, outs)


def _golden_equals_litert(path: Path, seed: int, exact: bool = True) -> None:
    graph = load_model(path)
    inputs = random_inputs(graph, SAMPLES, seed=seed)
    golden = GoldenInterpreter(graph).run(inputs)
    reference = run_litert(path, inputs)
    for got, want in zip(golden, reference):
        assert got.dtype == want.dtype and got.shape == want.shape
        if not exact:
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
            continue
        bad = np.count_nonzero(got != want)
        assert bad == 0, f"{bad} of {got.size} values differ (max |diff| " \
            f"{np.abs(got.astype(np.float64) - want).max():g})"


@needs_litert
@pytest.mark.parametrize("kind,dtype", CASES)
def test_op_golden_bit_exact_with_litert(kind: str, dtype: str, tmp_path: Path) -> None:
    for seed in range(3):
        path = _save(tmp_path, f"{kind}_{seed}", example(kind, (dtype, dtype), seed))
        _golden_equals_litert(path, seed, exact=(kind, dtype) not in TRANSCENDENTAL)


@needs_litert
@pytest.mark.parametrize("name,dtype", VARIANT_CASES)
def test_op_variant_golden_bit_exact_with_litert(name: str, dtype: str, tmp_path: Path) -> None:
    for seed in range(2):
        path = _save(tmp_path, f"{name}_{seed}", variant(name, dtype, seed))
        _golden_equals_litert(path, seed + 10)





def _host_bit_exact(path: Path, exact: bool = True) -> None:
    result = bench_model(path, "host", n_inputs=24, seed=4)
    c = result.comparison
    if not exact:
        assert c.ok, f"max |diff| {c.max_abs_diff:g}"
        return
    assert c.bit_exact and c.mismatches == 0, f"{c.mismatches} values differ from golden"
    assert result.measurement.extra["reference_agreement"] in ("bit-exact", "unavailable")


@pytest.mark.parametrize("kind,dtype", CASES)
def test_op_host_bit_exact_with_golden(kind: str, dtype: str, tmp_path: Path) -> None:
    _host_bit_exact(_save(tmp_path, kind.lower(), example(kind, (dtype, dtype), seed=5)),
                    exact=(kind, dtype) not in TRANSCENDENTAL)


@pytest.mark.parametrize("name,dtype", VARIANT_CASES)
def test_op_variant_host_bit_exact_with_golden(name: str, dtype: str, tmp_path: Path) -> None:
    _host_bit_exact(_save(tmp_path, name, variant(name, dtype, seed=6)))
assert set(NEW_OPS) <= set(EXAMPLES)


@needs_litert
@pytest.mark.parametrize("dtype", ["int8", "float32"])
def test_chain_of_new_ops_on_host(dtype: str, tmp_path: Path) -> None:
    from op_models import chain
    path = _save(tmp_path, f"chain_{dtype}", chain(dtype, seed=8))
    _golden_equals_litert(path, seed=8)
    _host_bit_exact(path)


@pytest.mark.sim
@pytest.mark.parametrize("dtype", ["int8", "float32"])
def test_chain_of_new_ops_on_cortex_m4_iss(dtype: str, tmp_path: Path) -> None:
    """The same ref kernels on the MCU firmware path (Cortex-M4 ISS): bit-exact with golden."""
    from op_models import chain

    from harness.backends import backend_for
    from harness.targets import load_target
    reason = backend_for(load_target("cortex-m4-iss")).available()
    if reason:
        pytest.skip(reason)
    path = _save(tmp_path, f"chain_{dtype}", chain(dtype, seed=8))
    result = bench_model(path, "cortex-m4-iss", n_inputs=4, seed=2)
    c = result.comparison
    assert c.bit_exact if dtype == "int8" else c.ok, f"{c.mismatches} values differ"
    assert result.measurement.metrics["cycles_per_inference"].value > 0
