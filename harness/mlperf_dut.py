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

Every number a device sends is checked before it is used (`parse_infer`, `parse_profile`:
pure functions of the answer's lines): counts are decimal integers from 0 to 2^64-1, a
timed loop reports at least one counter tick, the per-layer ticks add up to no more than
the loop's, and `m-infer-start-<N>` / `m-warmup-start-<W>` repeat what was asked; anything
else is a RunError naming the line, so no figure a board made up is ever recorded.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .errors import RunError, RunTimeoutError

__all__ = ["Dut", "Inference", "Link", "DB_CHUNK_BYTES", "COUNT_MAX", "parse_infer",
           "parse_profile", "check_identity", "firmware_model_id"]

DB_CHUNK_BYTES = 64        # bytes per `db <hex>%` command (128 hex digits: < 256 characters)
COUNT_MAX = 2**64 - 1      # the widest counter a device may report (a 64-bit cycle counter)
_BRACKET = re.compile(r"^m-([a-z-]+?)-?\[(.*)\]$")
_DECIMAL = re.compile(r"[0-9]{1,20}")


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
        return parse_profile(self.command("name") + self.command("profile"))

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
        return parse_infer(self.command(f"infer {n} {warmup}"), n, warmup, self.where)


def parse_profile(lines: list[str]) -> dict[str, str]:
    """The answers to `name%` and `profile%` as {"name", "profile", "model"} ("" when absent)."""
    fields = _fields(lines)
    return {"name": fields.get("name-dut", ""), "profile": fields.get("profile", ""),
            "model": fields.get("model", "")}


def firmware_model_id(firmware_model_id: object, source: object) -> str:
    """The name hilbench's firmware reports in `m-model-[...]`: firmware.model_id, else the
    model file's stem, with anything but letters, digits, `_.-` replaced by `_`."""
    name = str(firmware_model_id or (Path(str(source)).stem if source is not None else "model"))
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def check_identity(profile: dict[str, str], model_id: str, where: str, image: object = None
                   ) -> None:
    """RunError unless the device says it runs `model_id` (its `m-model-[...]` line)."""
    if profile.get("model") != model_id:
        said = repr(profile["model"]) if profile.get("model") else "no model name (no m-model line)"
        raise RunError(f"{where}: the board runs {said}, expected {model_id!r}: flash the image "
                       f"built for this model" + (f" ({image})" if image else "")
                       + " or set serial.model_id to the name its firmware reports")


def _count(text: str, what: str, where: str) -> int:
    """A counter value a device sent: a decimal integer in 0..COUNT_MAX, else a RunError."""
    if not _DECIMAL.fullmatch(text) or int(text) > COUNT_MAX:
        raise RunError(f"{where}: the board sent {what} {text[:40]!r}, which is not a counter "
                       f"value (a decimal integer from 0 to 2^64-1): a corrupted line or a "
                       "foreign firmware; nothing is recorded")
    return int(text)


def parse_infer(lines: list[str], n: int, warmup: int, where: str) -> Inference:
    """The answer to `infer <n> <warmup>%`, every number checked (see the module docstring)."""
    fields = _fields(lines)
    if "m-infer-done" not in lines:
        raise RunError(f"{where}: no m-infer-done after 'infer {n} {warmup}'")
    if "hb-output" not in fields:
        raise RunError(f"{where}: the board prints no m-hb-output line: it is not "
                       "running hilbench's firmware, whose exact outputs are compared")
    for prefix, asked in (("m-infer-start-", n), ("m-warmup-start-", warmup)):
        for line in lines:
            if line.startswith(prefix) and _count(line[len(prefix):], prefix[2:-1], where) != asked:
                raise RunError(f"{where}: asked for {asked}, the board answered {line!r}: it "
                               "did not run what was asked (a foreign or corrupted firmware)")
    laps = [_count(line[len("m-lap-us-"):], "m-lap-us", where)
            for line in lines if line.startswith("m-lap-us-")]
    if len(laps) not in (0, 2):
        raise RunError(f"{where}: {len(laps)} m-lap-us lines after 'infer {n} {warmup}', "
                       "expected two (before and after the timed loop)")
    try:
        output = bytes.fromhex(fields["hb-output"])
        results = [float(v) for v in fields.get("results", "").split(",") if v]
    except ValueError as exc:
        raise RunError(f"{where}: malformed answer to 'infer': {exc}") from None
    count = _count(fields["hb-count"], "m-hb-count", where) if "hb-count" in fields else None
    layers = [_count(v, "an m-hb-layers value", where)
              for v in fields.get("hb-layers", "").split(",") if v]
    if count is not None and n >= 1 and count == 0:
        raise RunError(f"{where}: the board counted 0 ticks over {n} inference(s): its counter "
                       "(firmware.counter) is not running; nothing is recorded")
    if count is not None and sum(layers) > count:
        raise RunError(f"{where}: the per-layer ticks add up to {sum(layers)}, more than the "
                       f"{count} ticks of the whole loop: the counter wrapped (fewer repeats) "
                       "or the line is corrupted; nothing is recorded")
    return Inference(output, count, layers, (laps[0], laps[1]) if laps else None, results, n)


def _fields(lines: list[str]) -> dict[str, str]:
    """`m-<key>-[<value>]` lines as {key: value} (m-name-dut-[x] -> {"name-dut": "x"})."""
    out: dict[str, str] = {}
    for line in lines:
        m = _BRACKET.match(line)
        if m:
            out[m.group(1)] = m.group(2)
    return out
