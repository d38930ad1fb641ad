"""An early-exit model on a target, measured per input: which exit each input took, what it
cost, and what the target's answers are worth.

    bench_exits(model, target, eval_set, threshold) -> BenchResult whose measurement has
      metrics: accuracy, balanced_accuracy (the taken exit's top-1, provenance dataset),
               cycles_per_inference (mean), cycles_p50, cycles_p90, cycles_max (the backend's
               own per-input counter, its provenance), energy from the mean cycles
      extra:   exit_threshold, exit_histogram (fraction per exit, sums to 1), accuracy_per_exit
               (accuracy of the inputs that left at each exit, with their count),
               exit_temperatures and exit_calibration (from the file's metadata)
    per_input_rows(result) -> one (input index, exit, cycles, label, prediction) per input

The outputs and exit decisions are compared with the staged golden run (bench_model with
`exits`); a disagreement raises RunError and no score is reported.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .accuracy import score
from .bench import BenchResult, bench_model
from .errors import ModelError, RunError
from .evaluate import EvalSet, accuracy_extra
from .exits import build_program, exit_index, read_exits
from .importers import load_model
from .inputs import model_inputs
from .measure import Metric
from .targets import Target

__all__ = ["ExitOutcome", "exit_outcome", "bench_exits", "per_input_rows", "cycle_metrics"]


@dataclass(frozen=True)
class ExitOutcome:
    """Per input: the exit taken and the prediction of that exit's logits."""

    exits: np.ndarray            # (N,) exit index
    predictions: np.ndarray      # (N,) class index
    n_exits: int

    def histogram(self) -> list[float]:
        counts = np.bincount(self.exits, minlength=self.n_exits)
        return [float(c) / len(self.exits) for c in counts]


def exit_outcome(outputs: Sequence[np.ndarray]) -> ExitOutcome:
    """Decode an exit model's output record (logits per exit, then the exit index)."""
    taken = exit_index(outputs)
    logits = [np.asarray(o).reshape(len(taken), -1) for o in outputs[:-1]]
    if taken.min(initial=0) < 0 or taken.max(initial=0) >= len(logits):
        raise RunError(f"exit indices outside 0..{len(logits) - 1}: the output is not an exit "
                       "model's record")
    stacked = np.stack([lg.argmax(axis=1) for lg in logits], axis=1)
    return ExitOutcome(taken, stacked[np.arange(len(taken)), taken], len(logits))


def cycle_metrics(cycles: Sequence[float], provenance: str, where: str) -> dict[str, Metric]:
    """Mean, median, 90th percentile and maximum of per-input cycle counts."""
    c = np.asarray(cycles, dtype=np.float64)
    note = f"{where}, per input over {len(c)} inputs"
    return {
        "cycles_per_inference": Metric(float(c.mean()), "cycles", provenance, "mean; " + note),
        "cycles_p50": Metric(float(np.percentile(c, 50)), "cycles", provenance, "median; " + note),
        "cycles_p90": Metric(float(np.percentile(c, 90)), "cycles", provenance,
                             "90th percentile; " + note),
        "cycles_max": Metric(float(c.max()), "cycles", provenance, "maximum; " + note),
    }


def _per_exit_accuracy(out: ExitOutcome, y: np.ndarray) -> list[dict[str, Any]]:
    rows = []
    for k in range(out.n_exits):
        sel = out.exits == k
        n = int(sel.sum())
        rows.append({"exit": k, "n": n, "accuracy":
                     float((out.predictions[sel] == y[sel]).mean()) if n else None})
    return rows


def bench_exits(model_path: Path, target: str | Target, ev: EvalSet,
                threshold: float | Sequence[float], *, repeats: int = 1,
                progress: Callable[[str], None] | None = None, kernels: str | None = None,
                reference_check: bool = True) -> BenchResult:
    """Run an exit model on `ev`'s samples at `threshold`; see the module doc."""
    model_path = Path(model_path)
    graph = load_model(model_path)        # a missing or broken file: its clear error first
    spec = read_exits(model_path)
    if spec is None:
        raise ModelError(f"{model_path.name} has no hilbench.exits metadata: build it from a "
                         "multi-exit zoo model (a recipe with e.g. ecg-cnn-exits)")
    program = build_program(graph, spec, threshold)
    result = bench_model(model_path, target, inputs=model_inputs(graph, ev.split.x),
                         repeats=repeats, progress=progress, kernels=kernels,
                         reference_check=reference_check, exits=program)
    c = result.comparison
    if not c.ok:
        raise RunError(f"{model_path.name} on {result.measurement.target}: outputs or exit "
                       f"decisions disagree with the staged golden run ({c.mismatches} elements "
                       "differ); no accuracy is reported for it")
    out = exit_outcome(result.outputs)
    s = score(ev.split.y, out.predictions, ev.dataset.classes)
    m = result.measurement
    note = f"target outputs (the exit each input took) on {ev.describe()}"
    m.metrics["accuracy"] = Metric(s.accuracy, "fraction", "dataset", note)
    m.metrics["balanced_accuracy"] = Metric(s.balanced_accuracy, "fraction", "dataset", note)
    cycles = (result.per_input or {}).get("cycles")
    mean = m.metrics.get("cycles_per_inference")
    if cycles and mean is not None:
        m.metrics.update(cycle_metrics(cycles, mean.provenance, f"{m.target} firmware counter"))
        joules = result.artifact.target.joules_per_cycle()
        if joules is not None:
            m.metrics["energy_uj_per_inference"] = Metric(
                float(np.mean(cycles)) * joules * 1e6, "uJ", "energy-model",
                f"mean {mean.provenance} cycles x {joules:.3g} J/cycle from the target's YAML")
    latency = (result.per_input or {}).get("latency_ms")
    if latency and not cycles:           # host: the wall clock per input
        lat = np.asarray(latency)
        note = f"{m.target} CLOCK_MONOTONIC per input over {len(lat)} inputs"
        m.metrics.update({
            "latency_ms_p50": Metric(float(np.percentile(lat, 50)), "ms", "wall-clock",
                                     "median; " + note),
            "latency_ms_p90": Metric(float(np.percentile(lat, 90)), "ms", "wall-clock",
                                     "90th percentile; " + note),
            "latency_ms_max": Metric(float(lat.max()), "ms", "wall-clock", "maximum; " + note)})
    m.extra.update(accuracy_extra(s, ev))
    m.extra.update({
        "exit_threshold": [r.threshold for r in program.rules[:-1]],
        "exit_histogram": out.histogram(),
        "accuracy_per_exit": _per_exit_accuracy(out, ev.split.y),
        "exit_temperatures": [e.temperature for e in spec.exits],
        "exit_calibration": spec.calibration,
        "exit_stage_macs": program.stage_macs(),
    })
    m.per_input = per_input_rows(result, ev.split.y)
    m.validate()
    return result


def per_input_rows(result: BenchResult, labels: np.ndarray | None = None) -> list[dict[str, Any]]:
    """One row per input: index, exit taken, cycles (None without a counter), label,
    prediction, and latency_ms where the target times each input (host)."""
    out = exit_outcome(result.outputs)
    cycles = (result.per_input or {}).get("cycles")
    latency = (result.per_input or {}).get("latency_ms")
    rows: list[dict[str, Any]] = []
    for i in range(len(out.exits)):
        row = {"input_index": i, "exit_index": int(out.exits[i]),
               "cycles": None if cycles is None else float(cycles[i]),
               "label": None if labels is None else int(labels[i]),
               "prediction": int(out.predictions[i])}
        if latency is not None:
            row["latency_ms"] = float(latency[i])
        rows.append(row)
    return rows
