"""ST X-NUCLEO-LPM01A (PowerShield), the meter of the MLPerf Tiny energy mode, over its
ASCII serial protocol (UM2269; pyserial): commands end in a newline and are answered
`ack <command> ...` or `error ...` (the firmware may prefix `PowerShield > `).

    htc                   host takes control          powershield   identity check
    volt 3300m            supply voltage to the DUT   freq 1k       sampling rate
    acqtime 0             acquire until stop          trigsrc sw    start on the command
    output current        instantaneous current       format ascii_dec
    start ... stop        samples, one per line       hrc           release control

With `format ascii_dec` a sample is four digits, a sign and two digits: `6409-07` is
6409 x 10^-7 A = 640.9 uA. Lines starting `TimeStamp` and other messages are skipped; `stop`
ends with a line containing `Acquisition completed`. Power = current x the set voltage.
"""
from __future__ import annotations

import re
import threading
import time
from typing import Any

from ..errors import RunError
from .meter import PowerMeter
from .trace import Trace

__all__ = ["Lpm01a", "parse_sample", "rate_argument"]

_SAMPLE = re.compile(r"^(\d{4})([+-]\d{2})$")
_PROMPT = "PowerShield > "
# freq arguments the LPM01A accepts, Hz
RATES = (100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1)


def parse_sample(line: str) -> float | None:
    """Amperes of one ascii_dec sample line, None for any other line."""
    m = _SAMPLE.match(line.strip())
    return int(m.group(1)) * 10.0 ** int(m.group(2)) if m else None


def rate_argument(hz: int) -> str:
    """`freq` argument: 1000 -> '1k', 100000 -> '100k', 500 -> '500'."""
    if hz not in RATES:
        raise RunError(f"LPM01A: meter.rate_hz {hz} is not one of {', '.join(map(str, RATES))}")
    return f"{hz // 1000}k" if hz >= 1000 else str(hz)


class Lpm01a(PowerMeter):
    kind = "LPM01A"

    link: Any = None
    _thread: threading.Thread | None = None

    def open(self) -> None:
        import serial

        if self.port is None:
            raise RunError(f"{self.where}: no port: set meter.port (or meter.port_env)")
        try:
            self.link = serial.serial_for_url(self.port, baudrate=self.spec.baud, timeout=0.2)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise RunError(f"{self.where}: cannot open the meter's port: {exc} (is the "
                           "LPM01A plugged in?)") from None
        self._currents: list[float] = []
        self._partial = b""
        self._done = threading.Event()
        self._command("htc")
        self._command("powershield")
        mv = round(self.spec.volts * 1000)
        for command in (f"volt {mv}m", f"freq {rate_argument(self.spec.rate_hz)}",
                        "acqtime 0", "trigsrc sw", "output current", "format ascii_dec"):
            self._command(command)

    def start(self) -> None:
        sent = time.monotonic()
        self._command("start")
        # the first sample: between the command leaving and its ack arriving
        self.host_t0 = (sent + time.monotonic()) / 2
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _finish(self) -> Trace:
        self.link.write(b"stop\n")
        if not self._done.wait(timeout=max(2.0, self.spec.stall_s)):
            raise RunError(f"{self.where}: no 'Acquisition completed' after stop: the meter "
                           "is not answering; nothing recorded")
        volts = self.spec.volts
        return Trace.from_samples([a * volts for a in self._currents], self.spec.rate_hz,
                                  f"LPM01A at {volts:g} V, {self.spec.rate_hz} Hz",
                                  host_t0=self.host_t0)

    def close(self) -> None:
        if self.link is None:
            return
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        try:
            self.link.write(b"hrc\n")
        except Exception:  # noqa: BLE001 - the port may be gone; closing is all that is left
            pass
        self.link.close()
        self.link = None

    # -- the serial line -------------------------------------------------------------------

    def _line(self, deadline: float) -> str | None:
        """The next line (prompt and blanks stripped), None at the deadline."""
        while time.monotonic() < deadline:
            self._partial += self.link.readline()
            if self._partial.endswith(b"\n"):
                line, self._partial = self._partial, b""
                return line.decode("ascii", "replace").replace(_PROMPT, "").strip()
        return None

    def _command(self, command: str) -> str:
        """Send `command`, return the rest of its `ack` line; RunError on error / silence."""
        self.link.write(command.encode("ascii") + b"\n")
        deadline = time.monotonic() + 2.0
        while True:
            line = self._line(deadline)
            if line is None:
                raise RunError(f"{self.where}: no answer to {command!r} within 2 s: is this "
                               "an LPM01A (and meter.baud its baud rate)?")
            if line.startswith("error"):
                raise RunError(f"{self.where}: {command!r} refused: {line}")
            word = command.split()[0]
            if line.startswith("ack") and word in line:
                return line.split(word, 1)[1].strip()

    def _read(self) -> None:
        while not self._done.is_set():
            line = self._line(time.monotonic() + 0.2)
            if line is None:
                continue
            amps = parse_sample(line)
            if amps is not None:
                self._currents.append(amps)
                self._arrived(1)
            elif "Acquisition completed" in line:
                self._done.set()
