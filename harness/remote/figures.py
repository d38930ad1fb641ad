"""The runner's raw numbers -> Metrics: latency statistics and power/energy per inference.

Latency (`wall-clock`): every timed Interpreter.invoke() on the board, time.perf_counter_ns()
around the call alone, reduced to mean / median / p90 / p99 (numpy linear percentiles).

Power (`power-sensor`): the samples of the board's sensor (power.py), the chosen rail(s)
added up per sample, averaged over the idle phase and over the inference window. The window
runs from the first timed invoke to the last invoke (warm-ups, timed repeats and the extra
invokes that stretch it to min_window_s), so

    energy per inference            = mean active power x window / invokes in the window
    energy above idle per inference = (mean active - mean idle power) x window / invokes

The sensors average over their own conversion time and the samples are periodic, so these are
time averages of a sampled signal, good to the sensor's accuracy over windows much longer
than the sampling period; nothing is modelled.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..measure import Metric
from .power import choose_rails

__all__ = ["latency_metrics", "power_figures"]


def latency_metrics(latency_ns: np.ndarray, n: int, repeats: int, warmup: int,
                    kernels: str, threads: object) -> dict[str, Metric]:
    if latency_ns.size == 0:
        return {}
    ms = latency_ns.astype(np.float64) / 1e6
    how = (f"time.perf_counter_ns() around Interpreter.invoke() on the board, {n} inputs x "
           f"{repeats} repeats after {warmup} warm-up(s) each; {kernels}, num_threads={threads}")
    return {
        "latency_ms": Metric(float(ms.mean()), "ms", "wall-clock", "mean, " + how),
        "latency_median_ms": Metric(float(np.median(ms)), "ms", "wall-clock", "median, " + how),
        "latency_p90_ms": Metric(float(np.percentile(ms, 90)), "ms", "wall-clock", "p90, " + how),
        "latency_p99_ms": Metric(float(np.percentile(ms, 99)), "ms", "wall-clock", "p99, " + how),
    }


def _within(t: list[float], watts: list[float | None], span: list[float] | None) -> list[float]:
    if not span:
        return []
    lo, hi = span
    return [w for ti, w in zip(t, watts) if w is not None and lo <= ti <= hi]


def power_figures(report: dict[str, Any], rail: str | None) -> tuple[dict[str, Metric], dict[str, Any]]:
    """(metrics, summary for Measurement.extra) of the runner's `power` section.

    Without a sensor, or when sampling failed, the metrics are empty and the summary says why."""
    source = str(report.get("source") or "none")
    samples = report.get("samples")
    if not samples:
        return {}, {"power_sensor": "none", "power_note": source}
    if report.get("error"):
        return {}, {"power_sensor": source, "power_note": f"sampling failed: {report['error']}"}
    t: list[float] = samples["t"]
    rails: dict[str, list[float | None]] = samples["rails"]
    try:
        label, chosen = choose_rails(sorted(rails), rail)
    except ValueError as exc:
        return {}, {"power_sensor": source, "power_note": str(exc)}
    watts: list[float | None] = []
    for i in range(len(t)):
        values = [rails[r][i] for r in chosen]
        known = [v for v in values if v is not None]
        watts.append(float(sum(known)) if len(known) == len(values) else None)
    active = _within(t, watts, report.get("active"))
    idle = _within(t, watts, report.get("idle"))
    inferences = int(report.get("inferences") or 0)
    summary: dict[str, Any] = {"power_sensor": source, "power_rail": label,
                               "power_samples_active": len(active), "power_samples_idle": len(idle)}
    if not active or not inferences:
        summary["power_note"] = ("no power sample fell inside the inference window; raise "
                                 "power.min_window_s or lower power.interval_s")
        return {}, summary
    lo, hi = report["active"]
    window = hi - lo
    p_active = sum(active) / len(active)
    how = (f"{label} from {source}; mean of {len(active)} samples over the {window:.2f} s "
           f"window of {inferences} invokes")
    metrics = {
        "power_active_w": Metric(p_active, "W", "power-sensor", how),
        "energy_uj_per_inference": Metric(p_active * window / inferences * 1e6, "uJ",
                                          "power-sensor", "mean power x window / invokes; " + how),
    }
    if idle:
        p_idle = sum(idle) / len(idle)
        idle_s = report["idle"][1] - report["idle"][0]
        idle_how = f"{label}; mean of {len(idle)} samples over {idle_s:.2f} s idle before the run"
        metrics["power_idle_w"] = Metric(p_idle, "W", "power-sensor", idle_how)
        if p_active >= p_idle:
            metrics["energy_above_idle_uj_per_inference"] = Metric(
                (p_active - p_idle) * window / inferences * 1e6, "uJ", "power-sensor",
                "(mean active - mean idle power) x window / invokes; " + how)
        else:  # the inferences are lost in the sensor's noise: no negative energy is shown
            summary["power_note"] = (f"mean active power {p_active:.4g} W is below the idle "
                                     f"{p_idle:.4g} W: no energy above idle; lengthen "
                                     "power.min_window_s")
    return metrics, summary
