"""External power meters on a board's supply (provenance `power-meter`), one small driver
each behind one interface (meter.py), chosen by a target's `meter:` section:

    trace.py      Trace: power samples on the meter's clock (+ GPIO channel, host time of t=0)
    energy.py     integral over the inference window, idle subtracted (pure functions)
    meter.py      PowerMeter: open / start / stop -> Trace / close; a stalled stream is an error
    lpm01a.py     ST X-NUCLEO-LPM01A, ASCII serial protocol (pyserial)
    ppk2.py       Nordic PPK2 (ppk2-api; binary 4-byte frames)
    joulescope.py Joulescope (pyjoulescope_driver)
    capture.py    capture_energy(meter, run) -> (metrics, facts)

Target YAML, section `meter:` (harness/target_schema.py: MeterSpec):

    kind: lpm01a              or ppk2, joulescope
    port: /dev/ttyACM1        or port_env: HILBENCH_METER_PORT (joulescope: part of its path)
    volts: 3.3                the supply the meter gives the board (power = V x I)
    rate_hz: 1000             LPM01A sampling rate (PPK2: 100 kHz; Joulescope: its own)
    window: protocol          or gpio: the firmware's inference pin on the meter's logic input
    inferences: 100           timed inferences in the window
    idle_s: 0.5               idle capture before them
"""
from __future__ import annotations

import os

from ..errors import TargetConfigError
from ..target_schema import MeterSpec
from .capture import capture_energy
from .energy import energy_metrics, gpio_window, integrate
from .joulescope import Joulescope
from .lpm01a import Lpm01a
from .meter import PowerMeter
from .ppk2 import Ppk2
from .trace import Trace

__all__ = ["METERS", "PowerMeter", "Trace", "open_meter", "meter_port", "capture_energy",
           "energy_metrics", "gpio_window", "integrate"]

METERS: dict[str, type[PowerMeter]] = {
    "lpm01a": Lpm01a,
    "ppk2": Ppk2,
    "joulescope": Joulescope,
}


def meter_port(spec: MeterSpec) -> str | None:
    """meter.port, or the environment variable meter.port_env names when it is set."""
    if spec.port_env and os.environ.get(spec.port_env):
        return os.environ[spec.port_env]
    return spec.port


def open_meter(spec: MeterSpec) -> PowerMeter:
    """The driver of `spec.kind`, not yet opened."""
    cls = METERS.get(spec.kind)
    if cls is None:
        raise TargetConfigError(f"meter.kind {spec.kind!r} is not in the supported list: "
                                f"{', '.join(METERS)}")
    return cls(spec, meter_port(spec))
