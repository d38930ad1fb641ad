"""One energy measurement: the meter streams while the board sits idle for meter.idle_s,
then while it runs N timed inferences (`run`, which returns N), then a short tail; the
trace becomes Metrics (energy.py) with the idle power subtracted and reported."""
from __future__ import annotations

import time
from typing import Any, Callable

from .energy import energy_metrics, gpio_window
from .meter import PowerMeter

__all__ = ["capture_energy"]

_TAIL_S = 0.05   # after the inferences, so that the trace covers the window's end


def capture_energy(meter: PowerMeter, run: Callable[[], int]
                   ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metrics, facts) of `run` measured with `meter` (opened, started, stopped, closed
    here); RunError when the meter is missing, stops streaming or the window is off the
    trace. facts: meter, samples, window and idle intervals (JSON-able)."""
    spec = meter.spec
    meter.open()
    try:
        meter.start()
        idle_from = time.monotonic()
        time.sleep(spec.idle_s)
        idle_to = t0 = time.monotonic()
        inferences = run()
        t1 = time.monotonic()
        time.sleep(_TAIL_S)
        trace = meter.stop()
    finally:
        meter.close()
    if spec.window == "gpio":
        active = gpio_window(trace)
        idle = (trace.t[0], max(trace.t[0] + 1e-9, active[0] - spec.idle_margin_s))
        how = "window: the inference pin high"
    else:
        assert trace.host_t0 is not None
        active = (t0 - trace.host_t0, t1 - trace.host_t0)
        idle = (max(trace.t[0], idle_from - trace.host_t0 + spec.idle_margin_s),
                idle_to - trace.host_t0 - spec.idle_margin_s)
        how = "window: host time from the infer command to its answer"
    metrics = energy_metrics(trace, active, idle, inferences, how)
    facts = {"power_meter": trace.source, "power_samples": int(trace.t.size),
             "power_window_s": [round(active[0], 6), round(active[1], 6)],
             "power_idle_window_s": [round(float(idle[0]), 6), round(float(idle[1]), 6)],
             "power_inferences": inferences}
    return metrics, facts
