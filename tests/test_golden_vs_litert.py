"""The golden interpreter against LiteRT's reference kernels (OpResolverType.BUILTIN_REF).

int8 models: 100 random inputs each must agree bit for bit. float models: within the
comparison tolerance with identical top-1. A failure names the first layer whose output
differs, found by re-running the failing samples with every intermediate tensor kept.
Skipped, with the remedy, where ai-edge-litert is not installed (it is in CI).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hb_testutil import FLOAT_MODELS, INT8_MODELS, model_path

from harness.compare import FLOAT_ATOL, FLOAT_RTOL, compare
from harness.errors import TargetUnavailableError
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.inputs import random_inputs
from harness.ir import Graph
from harness.litert_ref import litert_unavailable, run_litert, run_litert_tensors

_REASON = litert_unavailable()
needs_litert = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")

INT8_SAMPLES = 100
FLOAT_SAMPLES = 50
SEED = 20240


def first_divergence(graph: Graph, path: Path, inputs: list[np.ndarray],
                     samples: np.ndarray) -> str:
    """Which op first produces a different output, on the given failing samples."""
    picked = [x[samples] for x in inputs]
    golden = GoldenInterpreter(graph).run_all(picked)
    produced = [op.outputs[0] for op in graph.ops]
    reference = run_litert_tensors(path, picked, produced)
    for k, op in enumerate(graph.ops):
        got, want = golden[op.outputs[0]], reference[op.outputs[0]]
        if np.issubdtype(want.dtype, np.floating):
            bad = np.abs(got.astype(np.float64) - want) > FLOAT_ATOL + FLOAT_RTOL * np.abs(want)
        else:
            bad = got != want
        if np.any(bad):
            diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
            return (f"first differing layer: op #{k} {op.kind} '{op.name}': "
                    f"{int(np.count_nonzero(bad))} of {bad.size} values differ, "
                    f"max |diff| {diff.max():.6g} (samples {samples.tolist()})")
    return "no single layer differs on the failing samples (only their combination?)"


def failing_samples(outputs: list[np.ndarray], reference: list[np.ndarray],
                    exact: bool) -> np.ndarray:
    bad = np.zeros(reference[0].shape[0], dtype=bool)
    for got, want in zip(outputs, reference):
        n = want.shape[0]
        if exact:
            differs = got.reshape(n, -1) != want.reshape(n, -1)
        else:
            diff = np.abs(got.astype(np.float64) - want).reshape(n, -1)
            differs = diff > (FLOAT_ATOL + FLOAT_RTOL * np.abs(want)).reshape(n, -1)
            differs |= (np.argmax(got.reshape(n, -1), 1) !=
                        np.argmax(want.reshape(n, -1), 1))[:, None]
        bad |= differs.any(axis=1)
    return np.flatnonzero(bad)[:4]


@needs_litert
@pytest.mark.parametrize("stem", INT8_MODELS)
def test_int8_model_is_bit_exact(stem: str) -> None:
    path = model_path(stem)
    graph = load_model(path)
    inputs = random_inputs(graph, INT8_SAMPLES, SEED)
    golden = GoldenInterpreter(graph).run(inputs)
    reference = run_litert(path, inputs)
    result = compare(golden, reference)
    if result.mismatches:
        where = first_divergence(graph, path, inputs, failing_samples(golden, reference, True))
        pytest.fail(f"{stem}: {result.mismatches} output values differ from LiteRT "
                    f"BUILTIN_REF (max |diff| {result.max_abs_diff}); {where}")
    assert result.bit_exact and result.top1_agreement == 1.0


@needs_litert
@pytest.mark.parametrize("stem", FLOAT_MODELS)
def test_float_model_within_tolerance(stem: str) -> None:
    path = model_path(stem)
    graph = load_model(path)
    inputs = random_inputs(graph, FLOAT_SAMPLES, SEED)
    golden = GoldenInterpreter(graph).run(inputs)
    reference = run_litert(path, inputs)
    result = compare(golden, reference)
    if not result.ok:
        where = first_divergence(graph, path, inputs, failing_samples(golden, reference, False))
        pytest.fail(f"{stem}: outside tolerance or top-1 differs (max |diff| "
                    f"{result.max_abs_diff:.3g}, top-1 {result.top1_agreement:.2%}); {where}")


@needs_litert
def test_run_litert_shapes_and_validation() -> None:
    path = model_path("kws_ref_model")
    graph = load_model(path)
    inputs = random_inputs(graph, 3, 1)
    out = run_litert(path, inputs)
    assert len(out) == 1 and out[0].shape == (3, 12) and out[0].dtype == np.int8
    tensors = run_litert_tensors(path, inputs, [graph.ops[0].outputs[0]])
    assert tensors[graph.ops[0].outputs[0]].shape == (3, 25, 5, 64)
    with pytest.raises(ValueError, match="expected 1 input"):
        run_litert(path, [])
    with pytest.raises(ValueError, match="float32"):
        run_litert(path, [inputs[0].astype(np.float32)])


def test_unavailable_litert_names_the_remedy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)   # makes the import fail
    reason = litert_unavailable()
    assert reason is not None and "pip install ai-edge-litert" in reason
    with pytest.raises(TargetUnavailableError, match="pip install ai-edge-litert"):
        run_litert(model_path("ad01_int8"), [])
