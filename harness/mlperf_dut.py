"""The host side of the MLPerf Tiny / EEMBC device-under-test protocol over a serial line.

The firmware side is targets/mcu-common/runner_mlperf.c (which documents the commands); any
MLPerf Tiny firmware answers the standard part (`name`, `profile`, `db load`, `db`, `infer`,
`results`), hilbench's firmware adds its exact output bytes and counter lines
(`m-hb-output-[..]`, `m-hb-count-[..]`, `m-hb-layers-[..]`).

    dut = Dut(link, timeout_s=60, where="board")  # link: a pyserial Serial (or any object
    dut.sync()                                     #   with write(), read_until(), timeout)
    dut.profile() -> {"name": ..., "model": ...}
    dut.load(input_bytes)
    r = dut.infer(n=1, warmup=0)  -> Inference(output, count, layers, lap_us, results)

Every command waits for `m-ready` within `timeout_s`; an `e-[...]` answer is a RunError, a
silent device a RunTimeoutError, and the firmware's own HB_FAULT / HB_TIMEOUT lines (a
HardFault, the per-inference budget) are reported as they are.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Protocol

from .errors import RunError, RunTimeoutError

__all__ = ["Dut", "Inference", "Link", "DB_CHUNK_BYTES"]

DB_CHUNK_BYTES = 64        # bytes per `db <hex>%` command (128 hex digits: < 256 characters)
_BRACKET = re.compile(r"^m-([a-z-]+?)-?\[(.*)\]$")


class Link(Protocol):
    timeout: float | None

    def write(self, data: bytes) -> int | None: ...

    def read_until(self, expected: bytes = b"\n", size: int | None = None) -> bytes: ...


@dataclass
class Inference:
    output: bytes                  # the exact output bytes of the last inference
    count: int | None              # hb_cycles() over the n timed inferences (hilbench only)
    layers: list[int]              # per-layer counts summed over the n inferences
    lap_us: tuple[int, int] | None  # the two m-lap-us timestamps around the timed loop
    results: list[float] = field(default_factory=list)   # m-results, as the runner reads it
    n: int = 1


class Dut:
    def __init__(self, link: Link, *, timeout_s: float, where: str) -> None:
        self.link = link
        self.timeout_s = timeout_s
        self.where = where
        self.transcript: list[str] = []
        self._partial = b""      # a line's start, read before a timeout cut it

    # -- lines ----------------------------------------------------------------------------

    def _line(self, deadline: float, after: str) -> str:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                tail = " | ".join(self.transcript[-3:])
                raise RunTimeoutError(
                    f"{self.where}: no m-ready within {self.timeout_s:g} s after {after!r}: the "
                    "board is silent (wrong port, not running the hilbench firmware, or hung)"
                    + (f"; last lines: {tail[-300:]}" if tail else ""))
            self.link.timeout = min(left, 1.0)
            try:
                raw = self.link.read_until(b"\n")
            except OSError as exc:  # pyserial's SerialException is an OSError
                raise RunError(f"{self.where}: the serial line failed after {after!r}: "
                               f"{exc}") from None
            if not raw.endswith(b"\n"):
                self._partial += raw
                continue
            raw, self._partial = self._partial + raw, b""
            text = raw.decode("ascii", "replace").strip()
            if text:
                self.transcript.append(text)
                return text

    def command(self, text: str) -> list[str]:
        """Send `text%` and return the lines up to m-ready (m-ready itself left out)."""
        try:
            self.link.write(text.encode("ascii") + b"%")
        except OSError as exc:
            raise RunError(f"{self.where}: cannot write to the serial line: {exc}") from None
        deadline = time.monotonic() + self.timeout_s
        lines: list[str] = []
        while True:
            line = self._line(deadline, text[:40])
            if line == "m-ready":
                break
            if line.startswith("HB_FAULT") or line.startswith("HB_TIMEOUT"):
                raise RunError(f"{self.where}: the firmware stopped during {text[:40]!r}: "
                               f"{line}")
            lines.append(line)
        errors = [line for line in lines if line.startswith("e-")]
        if errors:
            raise RunError(f"{self.where}: the board refused {text[:40]!r}: {errors[0]}")
        return lines

    # -- commands -------------------------------------------------------------------------

    def sync(self) -> None:
        """Get in step with the board: send `name%` and skip every line up to its answer and
        the m-ready after it (a board that is still booting prints its own m-ready first,
        which must not be taken for the answer to a later command)."""
        try:
            self.link.write(b"name%")
        except OSError as exc:
            raise RunError(f"{self.where}: cannot write to the serial line: {exc}") from None
        deadline = time.monotonic() + self.timeout_s
        while not self._line(deadline, "name").startswith("m-name-"):
            pass
        while self._line(deadline, "name") != "m-ready":
            pass

    def profile(self) -> dict[str, str]:
        fields = _fields(self.command("name") + self.command("profile"))
        return {"name": fields.get("name-dut", ""), "profile": fields.get("profile", ""),
                "model": fields.get("model", "")}

    def load(self, data: bytes) -> None:
        self.command(f"db load {len(data)}")
        done = False
        for start in range(0, len(data), DB_CHUNK_BYTES):
            done = "m-load-done" in self.command("db " + data[start:start + DB_CHUNK_BYTES].hex())
        if not done:
            tail = " | ".join(self.transcript[-4:])
            raise RunError(f"{self.where}: the board did not confirm the {len(data)}-byte input "
                           f"(no m-load-done; last lines: {tail[-300:]})")

    def infer(self, n: int = 1, warmup: int = 0) -> Inference:
        lines = self.command(f"infer {n} {warmup}")
        fields = _fields(lines)
        laps = [int(line[len("m-lap-us-"):]) for line in lines if line.startswith("m-lap-us-")]
        if "m-infer-done" not in lines:
            raise RunError(f"{self.where}: no m-infer-done after 'infer {n} {warmup}'")
        if "hb-output" not in fields:
            raise RunError(f"{self.where}: the board prints no m-hb-output line: it is not "
                           "running hilbench's firmware, whose exact outputs are compared")
        try:
            output = bytes.fromhex(fields["hb-output"])
            count = int(fields["hb-count"]) if "hb-count" in fields else None
            layers = [int(v) for v in fields.get("hb-layers", "").split(",") if v]
            results = [float(v) for v in fields.get("results", "").split(",") if v]
        except ValueError as exc:
            raise RunError(f"{self.where}: malformed answer to 'infer': {exc}") from None
        return Inference(output, count, layers, (laps[0], laps[1]) if len(laps) >= 2 else None,
                         results, n)


def _fields(lines: list[str]) -> dict[str, str]:
    """`m-<key>-[<value>]` lines as {key: value} (m-name-dut-[x] -> {"name-dut": "x"})."""
    out: dict[str, str] = {}
    for line in lines:
        m = _BRACKET.match(line)
        if m:
            out[m.group(1)] = m.group(2)
    return out
