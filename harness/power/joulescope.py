"""Joulescope JS220 / JS110 through `pyjoulescope_driver` (PyPI): the device's current
(s/i) and voltage (s/v) streams, published in blocks to a subscription callback as
{'data': samples, 'sample_id', 'sample_rate', 'decimate_factor', 'utc'} (sample_id //
decimate_factor indexes the samples at sample_rate // decimate_factor; utc is time64, 2^30
per second since 2018-01-01). Power = i x v per sample. The window is protocol timing: the
host's marks placed on the trace through the first block's utc.

`driver_factory` builds the driver object (pyjoulescope_driver.Driver by default); tests
give one replaying recorded blocks, which is the boundary this module is tested at."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

import numpy as np

from ..errors import RunError
from ..target_schema import MeterSpec
from .meter import PowerMeter
from .trace import Trace

__all__ = ["Joulescope", "TIME64_EPOCH_UNIX"]

TIME64_EPOCH_UNIX = 1514764800          # 2018-01-01T00:00:00Z
_TIME64_PER_S = 2 ** 30


def _default_driver() -> Any:
    try:
        from pyjoulescope_driver import Driver
    except ImportError:
        raise RunError("Joulescope power meter: pyjoulescope_driver not found: pip install "
                       "pyjoulescope_driver") from None
    return Driver()


class Joulescope(PowerMeter):
    kind = "Joulescope"

    def __init__(self, spec: MeterSpec, port: str | None,
                 driver_factory: Callable[[], Any] = _default_driver) -> None:
        super().__init__(spec, port)
        self._factory = driver_factory
        self.driver: Any = None
        self.device: str | None = None
        self._blocks: dict[str, list[tuple[int, np.ndarray, float, float]]] = {"i": [], "v": []}
        self._block_lock = threading.Lock()

    def open(self) -> None:
        self.driver = self._factory()
        paths = list(self.driver.device_paths())
        wanted = [p for p in paths if self.port is None or self.port in p]
        if not wanted:
            raise RunError(f"{self.where}: no Joulescope found"
                           + (f" matching {self.port!r}" if self.port else "")
                           + f" (devices: {', '.join(paths) or 'none'}): plug it in")
        self.device = wanted[0]
        self.driver.open(self.device, "restore")
        self.driver.publish(f"{self.device}/s/i/range/mode", "auto")
        for signal in ("i", "v"):
            self.driver.subscribe(f"{self.device}/s/{signal}/!data", "pub", self._on_data)

    def _on_data(self, topic: str, value: dict[str, Any]) -> None:
        signal = "i" if "/s/i/" in topic else "v"
        decimate = int(value["decimate_factor"])
        block = (int(value["sample_id"]) // decimate, np.asarray(value["data"], np.float64),
                 float(value["sample_rate"]) / decimate, float(value["utc"]))
        with self._block_lock:
            self._blocks[signal].append(block)
        if signal == "i":
            self._arrived(len(block[1]))

    def start(self) -> None:
        self._unix_ref, self._mono_ref = time.time(), time.monotonic()
        for signal in ("i", "v"):
            self.driver.publish(f"{self.device}/s/{signal}/ctrl", 1)

    def _finish(self) -> Trace:
        for signal in ("i", "v"):
            self.driver.publish(f"{self.device}/s/{signal}/ctrl", 0)
        with self._block_lock:
            i_blocks, v_blocks = list(self._blocks["i"]), list(self._blocks["v"])
        if not i_blocks or not v_blocks:
            raise RunError(f"{self.where}: no current or no voltage samples arrived")
        rate = i_blocks[0][2]
        first = max(i_blocks[0][0], v_blocks[0][0])
        current = _series(i_blocks, first)
        volts = _series(v_blocks, first)
        n = min(current.size, volts.size)
        offset = (first - i_blocks[0][0]) / rate
        utc_s = i_blocks[0][3] / _TIME64_PER_S + TIME64_EPOCH_UNIX + offset
        host_t0 = self._mono_ref + (utc_s - self._unix_ref)
        return Trace.from_samples(current[:n] * volts[:n], rate,
                                  f"Joulescope {self.device}", host_t0=host_t0)

    def close(self) -> None:
        if self.driver is None:
            return
        try:
            if self.device is not None:
                for signal in ("i", "v"):
                    self.driver.unsubscribe(f"{self.device}/s/{signal}/!data", self._on_data)
                self.driver.close(self.device)
            self.driver.finalize()
        except Exception:  # noqa: BLE001 - the device may be gone; closing is all that is left
            pass
        self.driver = None


def _series(blocks: list[tuple[int, np.ndarray, float, float]], first: int) -> np.ndarray:
    """The samples from index `first` on, blocks joined in order; a gap is an error."""
    out: list[np.ndarray] = []
    expected = None
    for start, data, _, _ in sorted(blocks, key=lambda b: b[0]):
        if expected is not None and start != expected:
            raise RunError(f"Joulescope: samples {expected}..{start - 1} are missing from the "
                           "stream (USB overrun?); nothing recorded")
        expected = start + data.size
        skip = max(0, first - start)
        out.append(data[skip:])
    return np.concatenate(out) if out else np.zeros(0)
