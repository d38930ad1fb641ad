"""Nordic Power Profiler Kit II through `ppk2-api` (PyPI): the PPK2 supplies the DUT at
meter.volts (source meter, meter.mode: source) or measures the current of a supplied DUT
(ampere meter, meter.mode: ampere), streaming 100 000 samples/s as 4-byte little-endian
frames (14-bit ADC value, 3-bit range, 8 logic inputs in the top byte), which ppk2-api turns
into microamperes with the calibration the device reports (GetMetadata). Logic input D0 is
the inference pin (meter.window: gpio)."""
from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from ..errors import RunError
from .meter import PowerMeter
from .trace import Trace

__all__ = ["Ppk2", "PPK2_RATE_HZ"]

PPK2_RATE_HZ = 100_000


class Ppk2(PowerMeter):
    kind = "PPK2"

    api: Any = None
    _thread: threading.Thread | None = None

    def open(self) -> None:
        try:
            from ppk2_api.ppk2_api import PPK2_API
        except ImportError:
            raise RunError(f"{self.where}: ppk2-api not found: pip install 'ppk2-api>=0.9' "
                           "(extra 'boards')") from None
        import serial

        if self.port is None:
            raise RunError(f"{self.where}: no port: set meter.port (or meter.port_env; "
                           "PPK2_API.list_devices() lists the PPK2s plugged in)")
        try:
            self.api = PPK2_API(self.port, timeout=1, write_timeout=1)
        except (serial.SerialException, OSError) as exc:
            raise RunError(f"{self.where}: cannot open the PPK2's port: {exc} (is it plugged "
                           "in?)") from None
        if not self.api.get_modifiers():
            raise RunError(f"{self.where}: no calibration metadata from the device: is this "
                           "port a PPK2?")
        if self.spec.mode == "source":
            self.api.use_source_meter()
        else:
            self.api.use_ampere_meter()
        self.api.set_source_voltage(round(self.spec.volts * 1000))
        if self.spec.mode == "source":
            self.api.toggle_DUT_power("ON")
        self._micro_amps: list[float] = []
        self._logic: list[int] = []
        self._stop = threading.Event()

    def start(self) -> None:
        self.api.start_measuring()
        self.host_t0 = time.monotonic()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            if not self._take():
                time.sleep(0.002)

    def _take(self) -> bool:
        """Convert what the port holds; False when it held nothing."""
        data = self.api.get_data()
        if not data:
            return False
        samples, logic = self.api.get_samples(data)
        self._micro_amps += samples
        self._logic += logic
        self._arrived(len(samples))
        return True

    def _finish(self) -> Trace:
        self.api.stop_measuring()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        quiet, deadline = time.monotonic(), time.monotonic() + 10.0
        while time.monotonic() - quiet < 0.05 and time.monotonic() < deadline:
            if self._take():            # samples still in flight when the stream stopped
                quiet = time.monotonic()
            else:
                time.sleep(0.002)
        n = min(len(self._micro_amps), len(self._logic))
        amps = np.asarray(self._micro_amps[:n]) * 1e-6
        d0 = np.asarray(self._logic[:n], dtype=np.int64) & 1
        return Trace.from_samples(amps * self.spec.volts, PPK2_RATE_HZ,
                                  f"PPK2 ({self.spec.mode} meter) at {self.spec.volts:g} V",
                                  gpio=d0, host_t0=self.host_t0)

    def close(self) -> None:
        if self.api is None:
            return
        self._stop.set()
        try:
            if self.spec.mode == "source":
                self.api.toggle_DUT_power("OFF")
            self.api.ser.close()
        except Exception:  # noqa: BLE001 - the port may be gone; closing is all that is left
            pass
        self.api = None
