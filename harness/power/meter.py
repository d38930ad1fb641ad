"""One interface for every external power meter (harness/power/: lpm01a.py, ppk2.py,
joulescope.py), the shape of labgrid's drivers: a meter is opened (found, identified,
configured), started (its samples stream into a buffer from a reader thread), then stopped,
which returns the Trace. A meter whose samples stop arriving for stall_s while it should
stream is an error at stop(), never a short trace taken for a whole one."""
from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from typing import ClassVar

from ..errors import RunError
from ..target_schema import MeterSpec
from .trace import Trace

__all__ = ["PowerMeter"]


class PowerMeter(ABC):
    """Base of the meter drivers: the streaming bookkeeping (`_arrived`, `_check_streaming`)
    and the life cycle; a driver implements open / start / _finish / close."""

    kind: ClassVar[str]

    def __init__(self, spec: MeterSpec, port: str | None) -> None:
        self.spec = spec
        self.port = port
        self.samples = 0
        self._last_arrival: float | None = None
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        return f"{self.kind} power meter" + (f" ({self.port})" if self.port else "")

    @abstractmethod
    def open(self) -> None:
        """Find, identify and configure the meter; RunError (with the remedy) when it is
        missing or answers as something else."""

    @abstractmethod
    def start(self) -> None:
        """Start streaming samples (t = 0 of the trace)."""

    @abstractmethod
    def _finish(self) -> Trace:
        """Stop streaming and return what arrived."""

    @abstractmethod
    def close(self) -> None:
        """Release the meter (idempotent)."""

    def stop(self) -> Trace:
        """The trace since start(); RunError when the samples stopped coming."""
        self._check_streaming()
        trace = self._finish()
        if trace.t.size < 2:
            raise RunError(f"{self.where}: {trace.t.size} sample(s) in the capture: the meter "
                           "did not stream; nothing recorded")
        return trace

    def _arrived(self, count: int) -> None:
        """A reader thread got `count` samples now."""
        with self._lock:
            self.samples += count
            self._last_arrival = time.monotonic()

    def _check_streaming(self) -> None:
        with self._lock:
            last, count = self._last_arrival, self.samples
        quiet = time.monotonic() - last if last is not None else None
        if quiet is None or quiet > self.spec.stall_s:
            since = "sent no sample" if quiet is None else \
                f"stopped streaming {quiet:.2f} s before the end of the capture"
            raise RunError(f"{self.where}: the meter {since} (after {count} samples; "
                           f"meter.stall_s {self.spec.stall_s:g} s): check its USB link and "
                           "supply; nothing recorded")
