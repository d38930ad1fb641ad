"""Accuracy measured on the target: labelled samples in, the target's own outputs scored.

A data set's float samples become the model's input tensors (quantized with the input
tensor's scale and zero point for int8 models, exactly as a deployed pre-processing step
would), the target runs them, and `accuracy_metrics` scores what the target returned. The
numbers carry the `dataset` provenance and say on which split, which subset and how many
samples; the golden interpreter's score on a larger set is a separate, `golden-dataset` figure.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .accuracy import Scores, predictions, score
from .bench import BenchResult, bench_model
from .datasets import Dataset, Split, stratified_indices
from .errors import ModelError, RunError
from .golden import GoldenInterpreter
from .importers import load_model
from .inputs import model_inputs
from .measure import Metric
from .targets import Target

__all__ = ["EvalSet", "eval_set", "model_inputs", "accuracy_metrics", "accuracy_extra",
           "bench_accuracy"]


@dataclass(frozen=True)
class EvalSet:
    """The labelled samples a target runs: a split of a data set, whole or a seeded subset."""

    dataset: Dataset
    split_name: str              # "test" (or "val")
    split: Split                 # the samples actually run
    full_size: int               # size of the whole split
    subset_seed: int | None      # None: the whole split

    @property
    def is_subset(self) -> bool:
        return self.subset_seed is not None

    def describe(self) -> str:
        what = (f"class-stratified subset (seed {self.subset_seed}) of {self.full_size}"
                if self.is_subset else "whole split")
        return (f"{len(self.split)} samples of {self.dataset.name}/{self.split_name} "
                f"({what}; sha256 {self.dataset.sha256[:12]})")


def eval_set(dataset: Dataset, subset: int | None = None, seed: int = 0,
             split_name: str = "test") -> EvalSet:
    """The whole split, or a fixed, seeded, class-stratified subset of `subset` samples."""
    split: Split = getattr(dataset, split_name)
    if subset is None or subset >= len(split):
        return EvalSet(dataset, split_name, split, len(split), None)
    if subset < 1:
        raise ValueError(f"an evaluation subset needs at least 1 sample, got {subset}")
    return EvalSet(dataset, split_name, split.take(stratified_indices(split.y, subset, seed)),
                   len(split), seed)


def _scores(outputs: list[np.ndarray], ev: EvalSet) -> Scores:
    if len(outputs) != 1:
        raise ModelError(f"accuracy needs a model with one output, this one has {len(outputs)}")
    out = outputs[0]
    classes = ev.dataset.classes
    if int(np.prod(out.shape[1:], dtype=np.int64)) != len(classes):
        raise ModelError(f"the model outputs {tuple(out.shape[1:])} values per sample, the data "
                         f"set has {len(classes)} classes")
    return score(ev.split.y, predictions(out), classes)


def accuracy_metrics(outputs: list[np.ndarray], ev: EvalSet,
                     provenance: str = "dataset") -> tuple[dict[str, Metric], Scores]:
    """`accuracy` and `balanced_accuracy` of the given outputs (the target's, by default)."""
    s = _scores(outputs, ev)
    whose = "target outputs" if provenance == "dataset" else "golden interpreter outputs"
    note = f"{whose} on {ev.describe()}"
    metrics = {
        "accuracy": Metric(s.accuracy, "fraction", provenance, note),
        "balanced_accuracy": Metric(s.balanced_accuracy, "fraction", provenance, note),
    }
    return metrics, s


def accuracy_extra(s: Scores, ev: EvalSet) -> dict[str, object]:
    """JSON-able facts of an evaluation for Measurement.extra (see measure.VARIANT_KEYS)."""
    return {
        "dataset": ev.dataset.name,
        "dataset_sha256": ev.dataset.sha256,
        "eval_split": ev.split_name,
        "n_eval": s.n,
        "eval_full_size": ev.full_size,
        "eval_subset_seed": ev.subset_seed,
        "accuracy_provenance_note": f"target outputs on {ev.describe()}",
        "primary_metric": ev.dataset.primary_metric,
        "classes": list(ev.dataset.classes),
        "sensitivity": s.sensitivity,
        "ppv": s.ppv,
        "confusion": s.confusion,
    }


def bench_accuracy(model_path: Path, target: str | Target, ev: EvalSet, *,
                   full: EvalSet | None = None, repeats: int = 1,
                   progress: Callable[[str], None] | None = None,
                   kernels: str | None = None, reference_check: bool = True,
                   weight_format: str = "auto") -> BenchResult:
    """Run a model file on a target with the evaluation samples, check the outputs against the
    golden interpreter, and score the target's own outputs.

    Raises RunError when the outputs disagree with golden (no score of a wrong computation
    is reported). When `full` is given and the target ran a subset bit-exactly, the golden
    interpreter's score on `full` is added as `*_golden_full` under `golden-dataset`."""
    say = progress or (lambda _msg: None)
    graph = load_model(Path(model_path))
    result = bench_model(model_path, target, inputs=model_inputs(graph, ev.split.x),
                         repeats=repeats, progress=say, kernels=kernels,
                         weight_format=weight_format,
                         reference_check=reference_check)
    c = result.comparison
    if not c.ok:
        raise RunError(
            f"{Path(model_path).name} on {result.measurement.target}: outputs disagree with the "
            f"golden interpreter ({c.mismatches} elements differ, max |diff| {c.max_abs_diff:g}); "
            "no accuracy is reported for it")
    metrics, scores = accuracy_metrics(result.outputs, ev)
    m = result.measurement
    m.metrics.update(metrics)
    m.extra.update(accuracy_extra(scores, ev))
    if full is not None and ev.is_subset and c.bit_exact:
        say(f"golden interpreter on the whole {full.split_name} split ({len(full.split)})")
        outputs = GoldenInterpreter(graph).run(model_inputs(graph, full.split.x))
        golden, gscores = accuracy_metrics(outputs, full, provenance="golden-dataset")
        m.metrics["accuracy_golden_full"] = golden["accuracy"]
        m.metrics["balanced_accuracy_golden_full"] = golden["balanced_accuracy"]
        m.extra["golden_full_n"] = gscores.n
    m.validate()
    return result
