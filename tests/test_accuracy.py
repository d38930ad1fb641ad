"""Accuracy scores on known predictions, and the evaluation helpers that feed a target real
samples: quantization of data set samples, stratified subsets, metrics with provenance."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.accuracy import predictions, score
from harness.bench import bench_model
from harness.datasets import Dataset, Split, stratified_indices
from harness.errors import ModelError
from harness.evaluate import accuracy_extra, accuracy_metrics, eval_set, model_inputs
from harness.importers import load_model

MODELS = Path(__file__).resolve().parent.parent / "models" / "mlperf-tiny"


def test_scores_on_known_predictions() -> None:
    y = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 2])
    p = np.array([0, 0, 0, 1, 1, 0, 2, 2, 2, 0])
    s = score(y, p, ("N", "S", "V"))
    assert s.n == 10
    assert s.accuracy == pytest.approx(7 / 10)
    assert s.sensitivity == {"N": pytest.approx(3 / 4), "S": pytest.approx(1 / 2), "V": pytest.approx(3 / 4)}
    assert s.ppv == {"N": pytest.approx(3 / 5), "S": pytest.approx(1 / 2), "V": pytest.approx(1.0)}
    assert s.balanced_accuracy == pytest.approx((3 / 4 + 1 / 2 + 3 / 4) / 3)
    assert s.confusion == [[3, 1, 0], [1, 1, 0], [1, 0, 3]]


def test_always_majority_scores_high_accuracy_but_low_balanced_accuracy() -> None:
    y = np.array([0] * 90 + [1] * 6 + [2] * 4)
    s = score(y, np.zeros_like(y), ("N", "S", "V"))
    assert s.accuracy == pytest.approx(0.9)
    assert s.balanced_accuracy == pytest.approx(1 / 3)
    assert s.ppv["S"] is None   # never predicted


def test_absent_class_is_left_out_of_balanced_accuracy() -> None:
    s = score(np.array([0, 0, 1]), np.array([0, 1, 1]), ("a", "b", "c"))
    assert s.sensitivity["c"] is None
    assert s.balanced_accuracy == pytest.approx((0.5 + 1.0) / 2)


@pytest.mark.parametrize("y,p", [([0, 1], [0]), ([], []), ([0, 3], [0, 0]), ([0, 1], [0, -1])])
def test_bad_scores_input_is_refused(y: list[int], p: list[int]) -> None:
    with pytest.raises(ValueError):
        score(np.array(y, dtype=np.int64), np.array(p, dtype=np.int64), ("a", "b", "c"))


def test_predictions_are_argmax_of_int8_and_float_outputs() -> None:
    out = np.array([[[-128, 5, 4]], [[7, -3, 7]]], dtype=np.int8)
    assert predictions(out).tolist() == [1, 0]
    assert predictions(out.astype(np.float32)).tolist() == [1, 0]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 57, 99, 100, 150])
def test_stratified_subset_keeps_every_class_and_is_seeded(n: int) -> None:
    y = np.array([0] * 90 + [1] * 8 + [2] * 2)
    idx = stratified_indices(y, n, seed=3)
    assert len(idx) == min(n, 100) and len(set(idx.tolist())) == len(idx)
    counts = np.bincount(y[idx], minlength=3)
    if n >= 3:
        assert (counts >= 1).all()
    if n >= 10:   # roughly proportional
        assert counts[0] >= counts[1] >= counts[2]
    assert np.array_equal(idx, stratified_indices(y, n, seed=3))


def _dataset(n: int = 40) -> Dataset:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(n, 49, 10, 1)).astype(np.float32)
    y = np.arange(n) % 12
    split = Split(x, y.astype(np.int64))
    return Dataset("synthetic", tuple(f"c{i}" for i in range(12)), split, split, split,
                   "ab" * 32, "made up in the test")


def test_model_inputs_quantize_with_the_input_scale_and_round_half_away_from_zero() -> None:
    graph = load_model(MODELS / "kws_ref_model.tflite")
    t = graph.input_tensors()[0]
    scale, zp = t.quant.scale[0], t.quant.zero_point[0]
    x = np.zeros((4, 49, 10, 1), dtype=np.float32)
    x[0, 0, 0, 0] = 0.5 * scale       # exactly half a step: away from zero
    x[1, 0, 0, 0] = -0.5 * scale
    x[2, 0, 0, 0] = 1e6               # saturates
    x[3, 0, 0, 0] = -1e6
    q = model_inputs(graph, x)[0]
    assert q.dtype == np.int8 and q.shape == (4, 49, 10, 1)
    assert q[0, 0, 0, 0] == min(zp + 1, 127)
    assert q[1, 0, 0, 0] == max(zp - 1, -128)
    assert q[2, 0, 0, 0] == 127 and q[3, 0, 0, 0] == -128
    assert (q[:, 1:] == zp).all()


def test_model_inputs_refuse_samples_of_the_wrong_size() -> None:
    graph = load_model(MODELS / "kws_ref_model.tflite")
    with pytest.raises(ModelError, match="shaped"):
        model_inputs(graph, np.zeros((2, 8, 8, 1), dtype=np.float32))


def test_accuracy_on_the_host_target_scores_the_targets_own_outputs() -> None:
    graph = load_model(MODELS / "kws_ref_model.tflite")
    ds = _dataset()
    ev = eval_set(ds, subset=24, seed=1)
    assert ev.is_subset and len(ev.split) == 24 and ev.full_size == 40
    result = bench_model(MODELS / "kws_ref_model.tflite", "host",
                         inputs=model_inputs(graph, ev.split.x))
    assert result.comparison.bit_exact and result.measurement.n_inputs == 24
    metrics, s = accuracy_metrics(result.outputs, ev)
    expected = float(np.mean(predictions(result.outputs[0]) == ev.split.y))
    assert metrics["accuracy"].value == pytest.approx(expected)
    assert metrics["accuracy"].provenance == "dataset"
    assert "24 samples of synthetic/test" in metrics["accuracy"].note
    extra = accuracy_extra(s, ev)
    assert extra["n_eval"] == 24 and extra["dataset_sha256"] == "ab" * 32
    assert {"import", "golden", "build", "run"} <= set(result.measurement.extra["stage_seconds"])


def test_bench_refuses_inputs_of_the_wrong_dtype_or_shape() -> None:
    bad = [np.zeros((3, 49, 10, 1), dtype=np.float32)]
    with pytest.raises(ModelError, match="needs int8 samples"):
        bench_model(MODELS / "kws_ref_model.tflite", "host", inputs=bad)
