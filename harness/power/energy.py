"""Energy from a power trace (pure functions).

The inference window comes from the trace's GPIO channel (the firmware holds a pin high
while it runs the timed inferences, as the MLPerf Tiny energy mode does) or from protocol
timing (host times just before the `infer` command and after its answer, placed on the
trace with Trace.host_t0; that window also holds the command's and the answer's time on the
serial line). The idle power is measured on the same trace before the window, then

    energy per inference            = integral of P over the window / N
    energy above idle per inference = (integral of P - P_idle x window length) / N

Integrals are trapezoidal, with P interpolated linearly at the window's ends.
"""
from __future__ import annotations

import numpy as np

from ..errors import RunError
from ..measure import Metric
from .trace import Trace

__all__ = ["integrate", "gpio_window", "energy_metrics"]


def integrate(trace: Trace, t0: float, t1: float) -> float:
    """Joules between t0 and t1 (seconds on the trace's axis), which must lie on the trace."""
    if not trace.t[0] <= t0 < t1 <= trace.t[-1]:
        raise RunError(f"{trace.source}: the window {t0:.6f}..{t1:.6f} s is not inside the "
                       f"trace ({trace.t[0]:.6f}..{trace.t[-1]:.6f} s)")
    inside = (trace.t > t0) & (trace.t < t1)
    t = np.concatenate(([t0], trace.t[inside], [t1]))
    p = np.concatenate(([np.interp(t0, trace.t, trace.watts)], trace.watts[inside],
                        [np.interp(t1, trace.t, trace.watts)]))
    return float(np.sum((p[1:] + p[:-1]) * np.diff(t)) / 2.0)


def gpio_window(trace: Trace) -> tuple[float, float]:
    """(first, last) time the GPIO channel is high: the inference window the firmware
    signalled. Exactly one high pulse is expected."""
    if trace.gpio is None:
        raise RunError(f"{trace.source}: no GPIO channel in the trace (meter.window: gpio "
                       "needs the inference pin wired to the meter's logic input)")
    high = np.flatnonzero(trace.gpio)
    if high.size == 0:
        raise RunError(f"{trace.source}: the inference pin never went high during the "
                       "capture: check its wiring to the meter's logic input")
    if high[-1] - high[0] + 1 != high.size:
        raise RunError(f"{trace.source}: the inference pin went high more than once during "
                       "the capture (one pulse around the timed inferences expected)")
    if high[-1] == trace.t.size - 1:
        raise RunError(f"{trace.source}: the inference pin was still high when the capture "
                       "ended: the meter stopped before the inferences did")
    return float(trace.t[high[0]]), float(trace.t[high[-1] + 1])


def energy_metrics(trace: Trace, active: tuple[float, float], idle: tuple[float, float],
                   inferences: int, how_window: str) -> dict[str, Metric]:
    """Metrics (provenance power-meter) of `inferences` runs in the `active` window, with
    the mean power over `idle` subtracted (both windows in seconds on the trace)."""
    if inferences < 1:
        raise RunError(f"{trace.source}: no inference in the measured window")
    a0, a1 = active
    joules = integrate(trace, a0, a1)
    window = a1 - a0
    i0, i1 = idle
    idle_w = integrate(trace, i0, i1) / (i1 - i0)
    n_active = int(np.count_nonzero((trace.t >= a0) & (trace.t <= a1)))
    how = (f"{trace.source}, {n_active} samples over the {window * 1e3:.3f} ms window of "
           f"{inferences} inferences ({how_window})")
    metrics = {
        "energy_uj_per_inference": Metric(joules / inferences * 1e6, "uJ", "power-meter",
                                          "integral of P over the window / N; " + how),
        "power_active_w": Metric(joules / window, "W", "power-meter", "mean P; " + how),
        "power_idle_w": Metric(idle_w, "W", "power-meter",
                               f"{trace.source}, mean P over {(i1 - i0) * 1e3:.3f} ms idle "
                               "before the inferences"),
        "energy_above_idle_uj_per_inference": Metric(
            (joules - idle_w * window) / inferences * 1e6, "uJ", "power-meter",
            "(integral of P - idle P x window) / N; " + how),
    }
    return metrics
