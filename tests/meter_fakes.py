"""Simulated power meters for the tests, each speaking its device's real protocol: an LPM01A
and a PPK2 behind pseudo-terminals (the drivers open them with pyserial exactly as the USB
serial ports), and a Joulescope driver object replaying recorded blocks through the
pyjoulescope_driver calls the driver makes.

Each draws a current that a test switches with `active` (the board running inferences):
`idle_a` otherwise. `stop_after_s` makes the device stop streaming that long after start."""
from __future__ import annotations

import os
import select
import threading
import time
import tty
from typing import Any, Callable

import numpy as np


class Switched:
    """`active` as a record of when it changed, so that each sample a fake sends carries the
    level at its own nominal time (the fake may send late, when its thread was held up)."""

    _changes: list[tuple[float, bool]]

    @property
    def active(self) -> bool:
        return self._changes[-1][1]

    @active.setter
    def active(self, value: bool) -> None:
        self._changes.append((time.monotonic(), value))

    def active_at(self, t: np.ndarray) -> np.ndarray:
        """Whether the board was active at monotonic times `t`."""
        times = np.array([c[0] for c in self._changes])
        states = np.array([c[1] for c in self._changes])
        return states[np.searchsorted(times, t, side="right") - 1]


class PtyDevice(Switched):
    """A thread serving a pseudo-terminal; `port` is the path a driver opens."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)
        self._changes = [(0.0, False)]
        self.commands: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> PtyDevice:
        self._thread.start()
        return self

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        os.close(self.master)
        os.close(self.slave)

    def _serve(self) -> None:
        buf = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.001)
            if ready:
                buf += os.read(self.master, 4096)
                buf = self.received(buf)
            self.tick()

    def received(self, buf: bytes) -> bytes:
        """Handle what arrived; return what is left unparsed."""
        return b""

    streaming_since: float | None = None
    stop_after_s: float | None = None
    sent = 0

    def due_samples(self, rate: float) -> np.ndarray | None:
        """Whether the board was active at each sample due since the last call (at `rate`
        from streaming_since), None when nothing is due or the device has stopped."""
        if self.streaming_since is None:
            return None
        elapsed = time.monotonic() - self.streaming_since
        if self.stop_after_s is not None and elapsed > self.stop_after_s:
            return None
        due = int(elapsed * rate)
        if due <= self.sent:
            return None
        on = self.active_at(self.streaming_since + np.arange(self.sent, due) / rate)
        self.sent = due
        return on

    def tick(self) -> None:
        """Called about every millisecond (streaming)."""


class FakeLpm01a(PtyDevice):
    """X-NUCLEO-LPM01A: newline-terminated ASCII commands answered `ack <command>` (with the
    `PowerShield > ` prompt the firmware prints), samples as `dddd-ee` lines at `freq`."""

    def __init__(self, idle_a: float = 200e-6, active_a: float = 5e-3, answer: bool = True,
                 stop_after_s: float | None = None) -> None:
        super().__init__()
        self.idle_a, self.active_a, self.answer = idle_a, active_a, answer
        self.stop_after_s = stop_after_s
        self.rate = 100
        self.streaming_since: float | None = None
        self.sent = 0
        self.volts = 3.3

    def received(self, buf: bytes) -> bytes:
        *lines, rest = buf.split(b"\n")
        for raw in lines:
            command = raw.decode().strip()
            self.commands.append(raw)
            if not self.answer:
                continue
            word, _, arg = command.partition(" ")
            if word == "freq":
                self.rate = int(arg[:-1]) * 1000 if arg.endswith("k") else int(arg)
            if word == "volt":
                self.volts = int(arg.rstrip("m")) / 1000
            if word == "stop":
                self.streaming_since = None
                self.write(b"PowerShield > Acquisition completed\r\n")
                continue
            if word == "bogus":
                self.write(b"PowerShield > error: unknown command\r\n")
                continue
            self.write(f"PowerShield > ack {command}\r\n".encode())
            if word == "start":
                self.streaming_since = time.monotonic()
                self.sent = 0
        return rest

    def tick(self) -> None:
        on = self.due_samples(self.rate)
        for active in on if on is not None else []:
            amps = self.active_a if active else self.idle_a
            exponent = -7
            mantissa = round(amps / 10.0 ** exponent)
            while mantissa > 9999:
                mantissa, exponent = round(mantissa / 10), exponent + 1
            self.write(f"{mantissa:04d}{exponent:+03d}\r\n".encode())
        if on is not None and self.sent // 200 != (self.sent - on.size) // 200:
            self.write(f"TimeStamp: {self.sent // self.rate:04d}s 000ms, buff 00%\r\n".encode())


# PPK2 commands (ppk2_api.PPK2_Command) and the argument bytes each takes
GET_META_DATA, AVERAGE_START, AVERAGE_STOP = 0x19, 0x06, 0x07
_PPK2_ARGS = {0x0D: 2, 0x0C: 1, 0x11: 1, 0x08: 1, 0x25: 5}    # regulator, running, mode, range
_PPK2_R1 = 101.65          # range 1 resistor in the metadata below


def ppk2_adc_for(amps: float) -> int:
    """The 14-bit ADC value a PPK2 reports in range 1 for `amps` (inverse of ppk2-api's
    conversion with the metadata FakePpk2 sends: GS = 0, GI = 1, O = S = I = 0, UG = 1)."""
    return round(amps * _PPK2_R1 / (1.8 / 163840) / 4)


class FakePpk2(PtyDevice):
    """PPK2: one-byte commands (+ arguments); GetMetadata answered with the calibration text
    ending in END; after AverageStart, 4-byte little-endian frames at 100 kHz: ADC value
    (bits 0-13), range 1 (bits 14-16), logic inputs (bits 24-31; D0 = `active`)."""

    RATE = 100_000

    def __init__(self, idle_a: float = 200e-6, active_a: float = 3e-3, metadata: bool = True,
                 stop_after_s: float | None = None) -> None:
        super().__init__()
        self.idle_a, self.active_a, self.metadata = idle_a, active_a, metadata
        self.stop_after_s = stop_after_s
        self.streaming_since: float | None = None
        self.sent = 0
        self.active_frames = 0

    def received(self, buf: bytes) -> bytes:
        while buf:
            size = 1 + _PPK2_ARGS.get(buf[0], 0)
            if len(buf) < size:
                return buf
            self.command(buf[:size])
            buf = buf[size:]
        return b""

    def command(self, cmd: bytes) -> None:
        self.commands.append(cmd)
        if cmd[0] == GET_META_DATA and self.metadata:
            text = "".join(f"R{i}: {r}\n" for i, r in enumerate(
                (1031.64, _PPK2_R1, 10.15, 0.94, 0.043)))
            text += "".join(f"{k}{i}: {v}\n" for k, v in (("GS", 0), ("GI", 1), ("O", 0),
                                                          ("S", 0), ("I", 0), ("UG", 1))
                            for i in range(5))
            self.write(f"Calibrated: 0\n{text}HW: 9173\nIA: 56\nEND\n".encode())
        if cmd[0] == AVERAGE_START:
            self.streaming_since, self.sent = time.monotonic(), 0
        if cmd[0] == AVERAGE_STOP:
            self.tick()                     # what was due until now is still sent
            self.streaming_since = None

    def frames(self, active: np.ndarray) -> bytes:
        """One 4-byte frame per sample: ADC value, range 1, D0 = active."""
        idle = ppk2_adc_for(self.idle_a) | (1 << 14)
        busy = ppk2_adc_for(self.active_a) | (1 << 14) | (1 << 24)
        return np.where(active, busy, idle).astype("<u4").tobytes()

    def tick(self) -> None:
        on = self.due_samples(self.RATE)
        if on is not None:
            self.write(self.frames(on))
            self.active_frames += int(np.count_nonzero(on))


class FakeJoulescopeDriver(Switched):
    """The pyjoulescope_driver.Driver calls the Joulescope driver makes, publishing blocks
    of current and voltage (1 MHz, 1000 samples, decimate_factor 1, utc in time64) from a
    thread once `s/i/ctrl` is set, like the device's data topics."""

    RATE = 1_000_000

    def __init__(self, devices: tuple[str, ...] = ("u/js220/001234",), idle_a: float = 1e-3,
                 active_a: float = 8e-3, volts: float = 1.8,
                 stop_after_s: float | None = None) -> None:
        self.devices, self.idle_a, self.active_a, self.volts = devices, idle_a, active_a, volts
        self.stop_after_s = stop_after_s
        self._changes = [(0.0, False)]
        self.subscribers: dict[str, Callable[[str, dict[str, Any]], None]] = {}
        self.published: list[tuple[str, Any]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.closed = False

    def device_paths(self) -> list[str]:
        return list(self.devices)

    def open(self, path: str, mode: str = "restore") -> None:
        assert path in self.devices and mode == "restore"

    def publish(self, topic: str, value: Any, timeout: float | None = None) -> None:
        self.published.append((topic, value))
        if topic.endswith("/s/i/ctrl") and value == 1:
            self._thread = threading.Thread(target=self._stream, args=(topic[:-len("/s/i/ctrl")],),
                                            daemon=True)
            self._thread.start()
        if topic.endswith("/s/i/ctrl") and value == 0:
            self._stop.set()
            if self._thread is not None:
                self._thread.join(timeout=5)

    def subscribe(self, topic: str, flags: Any, fn: Callable[[str, dict[str, Any]], None]) -> None:
        self.subscribers[topic] = fn

    def unsubscribe(self, topic: str, fn: Any) -> None:
        self.subscribers.pop(topic, None)

    def close(self, path: str) -> None:
        self.closed = True

    def finalize(self) -> None:
        pass

    def _stream(self, device: str) -> None:
        block, sample_id = 1000, 5_000_000
        start = time.monotonic()
        unix0 = time.time() - (time.monotonic() - start)
        while not self._stop.is_set():
            elapsed = time.monotonic() - start
            if self.stop_after_s is not None and elapsed > self.stop_after_s:
                time.sleep(0.001)
                continue
            if (sample_id - 5_000_000 + block) / self.RATE > elapsed:
                time.sleep(0.0005)
                continue
            offset = (sample_id - 5_000_000) / self.RATE
            on = self.active_at(start + offset + np.arange(block) / self.RATE)
            amps = np.where(on, self.active_a, self.idle_a)
            utc = int((unix0 + offset - 1514764800) * 2 ** 30)
            for signal, level in (("i", amps), ("v", np.full(block, self.volts))):
                fn = self.subscribers.get(f"{device}/s/{signal}/!data")
                if fn is not None:
                    fn(f"{device}/s/{signal}/!data", {
                        "data": level.astype(np.float32),
                        "sample_id": sample_id, "sample_rate": self.RATE,
                        "decimate_factor": 1, "utc": utc})
            sample_id += block
