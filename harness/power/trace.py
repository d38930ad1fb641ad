"""What a power meter returns: power samples on the meter's time axis, optionally a GPIO
channel sampled with them, and where t = 0 lies on the host's clock (time.monotonic), so
that host-side marks (protocol timing) can be placed on the trace."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Trace"]


@dataclass(frozen=True)
class Trace:
    """`t` seconds from the first sample, `watts` the power at each sample (supply voltage x
    current), `gpio` the logic level of the inference pin at each sample (None: not wired),
    `host_t0` the host's time.monotonic() at t = 0 (None: unknown), `source` the meter."""

    t: np.ndarray
    watts: np.ndarray
    source: str
    gpio: np.ndarray | None = None
    host_t0: float | None = None

    def __post_init__(self) -> None:
        if self.t.shape != self.watts.shape or self.t.ndim != 1:
            raise ValueError(f"a trace needs one time per power sample: {self.t.shape} times, "
                             f"{self.watts.shape} samples")
        if self.gpio is not None and self.gpio.shape != self.t.shape:
            raise ValueError(f"{self.gpio.shape} GPIO samples for {self.t.shape} power samples")

    @classmethod
    def from_samples(cls, watts: list[float] | np.ndarray, rate_hz: float, source: str,
                     gpio: list[int] | np.ndarray | None = None,
                     host_t0: float | None = None) -> Trace:
        """A trace of evenly spaced samples at `rate_hz`."""
        p = np.asarray(watts, dtype=np.float64)
        g = None if gpio is None else np.asarray(gpio, dtype=bool)
        return cls(np.arange(p.size, dtype=np.float64) / rate_hz, p, source, g, host_t0)

    @property
    def duration_s(self) -> float:
        return float(self.t[-1] - self.t[0]) if self.t.size > 1 else 0.0
