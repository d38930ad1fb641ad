"""Run an early-exit model on a pipeline target in three placements, per input.

    sensor  the whole model at full depth on the sensor target (threshold 1)
    edge    every raw input sent over the link, the whole model on the edge target
    split   stages through `split_after` on the sensor with the exit policy at `threshold`;
            an input no sensor exit accepts sends its boundary features over the link and the
            edge runs the rest (a .tflite cut from the model, exits/slice.py)

Every stage's outputs are checked against the golden interpreter (bit for bit for int8); a
stage that fails or disagrees raises and nothing is returned, so no partial row exists.
Per input: stage-1 cycles, forwarded or not, bytes sent, link time and TX energy (link.py,
`energy-model`), stage-2 time (edge cycles / clock when the edge counts cycles per input,
else its mean wall-clock latency per inference), sensor energy (cycles x the sensor's
J/cycle + link TX) and total time.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..accuracy import score
from ..bench import BenchResult, bench_model
from ..errors import HilbenchError, ModelError, RunError, TargetConfigError
from ..evaluate import EvalSet, accuracy_extra
from ..exits import build_program, read_exits
from ..exits.program import split_program
from ..exits.slice import edge_model
from ..importers import load_model
from ..inputs import model_inputs
from ..measure import Measurement, Metric
from ..targets import Target, load_target
from .link import describe, transfer

__all__ = ["PLACEMENTS", "PipelineResult", "run_pipeline"]

PLACEMENTS = ("sensor", "edge", "split")


@dataclass
class PipelineResult:
    measurements: dict[str, Measurement] = field(default_factory=dict)   # by placement
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _checked(result: BenchResult, what: str) -> BenchResult:
    if not result.comparison.ok:
        raise RunError(f"{what}: outputs disagree with the golden interpreter "
                       f"({result.comparison.mismatches} elements differ); nothing recorded")
    return result


def _stage(what: str, run: Callable[[], BenchResult]) -> BenchResult:
    try:
        return _checked(run(), what)
    except HilbenchError as exc:
        raise type(exc)(f"{what} failed: {exc}; nothing recorded") from None


def _seconds_per_input(result: BenchResult, target: Target, n: int) -> tuple[np.ndarray, str]:
    cycles = (result.per_input or {}).get("cycles")
    if cycles is not None and target.clock_hz:
        return np.asarray(cycles) / target.clock_hz, "cycles / clock_hz per input"
    per_input = (result.per_input or {}).get("latency_ms")
    if per_input is not None and len(per_input) == n:
        return np.asarray(per_input) / 1e3, "wall-clock latency per input"
    latency = result.measurement.metrics.get("latency_ms")
    if latency is None:
        raise RunError(f"{target.name} reports neither per-input cycles nor a latency")
    return np.full(n, latency.value / 1e3), f"mean {latency.provenance} latency per inference"


def run_pipeline(model_path: Path, target: str | Target, ev: EvalSet, threshold: float,
                 progress: Callable[[str], None] | None = None) -> PipelineResult:
    say = progress or (lambda _m: None)
    pt = target if isinstance(target, Target) else load_target(target)
    spec = pt.spec.pipeline
    if spec is None:
        raise TargetConfigError(f"target {pt.name} is not a pipeline (backend: pipeline)")
    graph = load_model(model_path)        # a missing or broken file: its clear error first
    exits = read_exits(model_path)
    if exits is None:
        raise ModelError(f"{Path(model_path).name} has no hilbench.exits metadata: a pipeline "
                         "splits an early-exit model")
    sensor, edge = load_target(spec.sensor), load_target(spec.edge)
    joules = sensor.joules_per_cycle()
    if joules is None or not sensor.clock_hz:
        raise TargetConfigError(f"sensor target {sensor.name} needs clock_hz and an energy model")
    inputs = model_inputs(graph, ev.split.x)
    n = len(ev.split)
    y = ev.split.y
    sp = split_program(graph, exits, threshold, spec.split_after)
    say(f"split: stages 0..{spec.split_after} on {sensor.name}")
    s1 = _stage(f"stage 1 on {sensor.name}",
                lambda: bench_model(model_path, sensor, inputs=inputs, exits=sp, progress=say))
    taken = np.asarray(s1.outputs[-1]).reshape(-1)
    fwd = taken == sp.exits
    c1 = np.asarray((s1.per_input or {}).get("cycles") or [])
    if len(c1) != n:
        raise RunError(f"sensor target {sensor.name} reports no per-input cycles")
    feats = s1.outputs[sp.exits:-1]
    preds = np.stack([np.asarray(o).reshape(n, -1).argmax(axis=1)
                      for o in s1.outputs[:sp.exits]], axis=1)
    pred_split = np.zeros(n, np.int64)
    pred_split[~fwd] = preds[np.arange(n), np.minimum(taken, sp.exits - 1)][~fwd]
    t2 = np.zeros(n)
    how2 = "no input forwarded"
    with tempfile.TemporaryDirectory(prefix="hilbench-edge-") as tmp:
        cut = edge_model(Path(model_path), exits, spec.split_after,
                         Path(tmp) / f"{Path(model_path).stem}-stage2.tflite")
        if fwd.any():
            say(f"split: {int(fwd.sum())} of {n} inputs forwarded to {edge.name}")
            s2 = _stage(f"stage 2 on {edge.name}", lambda: bench_model(
                cut, edge, inputs=[np.ascontiguousarray(f[fwd]) for f in feats], progress=say))
            t2_fwd, how2 = _seconds_per_input(s2, edge, int(fwd.sum()))
            t2[fwd] = t2_fwd
            pred_split[fwd] = np.asarray(s2.outputs[-1]).reshape(int(fwd.sum()), -1).argmax(1)
    say(f"sensor: full depth on {sensor.name}")
    full = build_program(graph, exits, 1.0)
    s_all = _stage(f"full depth on {sensor.name}", lambda: bench_model(
        model_path, sensor, inputs=inputs, exits=full, progress=say))
    c_all = np.asarray((s_all.per_input or {}).get("cycles") or [])
    if len(c_all) != n:
        raise RunError(f"sensor target {sensor.name} reports no per-input cycles")
    pred_sensor = np.asarray(s_all.outputs[full.exits - 1]).reshape(n, -1).argmax(axis=1)
    say(f"edge: the whole model on {edge.name}")
    e_all = _stage(f"whole model on {edge.name}",
                   lambda: bench_model(model_path, edge, inputs=inputs, progress=say))
    t_edge, how_edge = _seconds_per_input(e_all, edge, n)
    last = graph.outputs.index(exits.exits[-1].tensor)
    pred_edge = np.asarray(e_all.outputs[last]).reshape(n, -1).argmax(axis=1)

    raw_bytes = sum(t.nbytes for t in graph.input_tensors())
    feat_bytes = sum(graph.tensor(t).nbytes for t in sp.forward)
    link = spec.link
    send_raw, send_feat = transfer(link, raw_bytes), transfer(link, feat_bytes)
    rows: dict[str, list[dict[str, Any]]] = {p: [] for p in PLACEMENTS}
    for i in range(n):
        f = bool(fwd[i])
        lk = send_feat if f else transfer(link, 0)
        cases = {
            "sensor": (float(c_all[i]), False, transfer(link, 0), 0.0, int(pred_sensor[i]),
                       full.exits - 1),
            "edge": (0.0, True, send_raw, float(t_edge[i]), int(pred_edge[i]), full.exits - 1),
            "split": (float(c1[i]), f, lk, float(t2[i]), int(pred_split[i]), int(taken[i])),
        }
        for place, (cyc, sent, tr, edge_s, pred, ex) in cases.items():
            rows[place].append({
                "input_index": i, "exit_index": ex, "cycles": cyc, "label": int(y[i]),
                "prediction": pred, "forwarded": sent, "bytes_sent": tr.nbytes,
                "link_ms": tr.seconds * 1e3, "link_uj": tr.joules * 1e6,
                "stage2_ms": edge_s * 1e3,
                "sensor_uj": cyc * joules * 1e6 + tr.joules * 1e6,
                "total_ms": (cyc / sensor.clock_hz + tr.seconds + edge_s) * 1e3})
    result = PipelineResult(rows=rows)
    notes = {"sensor": f"{sensor.name} full depth", "edge": f"raw window to {edge.name} "
             f"({how_edge})", "split": f"{sensor.name} stage 1, {edge.name} stage 2 ({how2})"}
    for place in PLACEMENTS:
        rs = rows[place]
        s = score(y, np.array([r["prediction"] for r in rs]), ev.dataset.classes)
        base = s1.measurement if place != "edge" else e_all.measurement
        m = replace(base, target=pt.name, backend="pipeline", layers=[], per_input=rs,
                    extra=dict(base.extra), metrics={})
        note = f"target outputs on {ev.describe()}"
        mean = {k: float(np.mean([r[k] for r in rs])) for k in
                ("cycles", "link_uj", "link_ms", "stage2_ms", "sensor_uj", "total_ms")}
        m.metrics = {
            "accuracy": Metric(s.accuracy, "fraction", "dataset", note),
            "balanced_accuracy": Metric(s.balanced_accuracy, "fraction", "dataset", note),
            "sensor_cycles_per_inference": Metric(mean["cycles"], "cycles", "iss-cycle-model",
                                                  f"{sensor.name}, mean per input"),
            "link_uj_per_inference": Metric(mean["link_uj"], "uJ", "energy-model",
                                            describe(link)),
            "link_ms_per_inference": Metric(mean["link_ms"], "ms", "energy-model",
                                            describe(link)),
            "energy_uj_per_inference": Metric(
                mean["sensor_uj"], "uJ", "energy-model",
                f"sensor: cycles x {joules:.3g} J/cycle ({sensor.name}) + link TX"),
            "total_ms_per_inference": Metric(
                mean["total_ms"], "ms", "energy-model",
                f"sensor cycles / {sensor.clock_hz / 1e6:g} MHz + link model + stage 2 "
                f"({notes[place]}); a model-derived sum, not one measurement"),
        }
        m.bit_exact = bool(s1.comparison.bit_exact and s_all.comparison.bit_exact
                           and e_all.comparison.bit_exact)
        m.extra.update(accuracy_extra(s, ev))
        m.extra.update({
            "placement": place, "pipeline": {"sensor": sensor.name, "edge": edge.name,
                                             "split_after": spec.split_after},
            "exit_threshold": float(threshold),
            "forwarded_fraction": float(np.mean([r["forwarded"] for r in rs])),
            "bytes_sent_mean": float(np.mean([r["bytes_sent"] for r in rs])),
            "exit_histogram": [float(np.mean([r["exit_index"] == k for r in rs]))
                               for k in range(full.exits)],
            "link_model": link.model_dump(), "placement_note": notes[place]})
        m.validate()
        result.measurements[place] = m
    return result
