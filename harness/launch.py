"""A simulator started in the background for one run, standing in for a board on a serial
line: QEMU with `-serial pty` prints the pseudo-terminal it created, the serial backend reads
that name from its output and talks to it as to a board's port. The process is stopped (and
killed if it does not stop) when the run ends, whatever happens in it.

    with launched(options, elf, target) as (port, command): ...
"""
from __future__ import annotations

import contextlib
import os
import re
import selectors
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from .commands import Command
from .errors import RunError

if TYPE_CHECKING:
    from .backends.serial import SerialOptions

__all__ = ["launched"]


@contextlib.contextmanager
def launched(options: SerialOptions, elf: Path, target: str
             ) -> Iterator[tuple[str | None, Command | None]]:
    """(port, command): serial.port as it is, or serial.launch started in the background
    (its output read until port_pattern names the port) and stopped when the block ends."""
    if not options.launch:
        yield options.port, None
        return
    cmd = Command(tuple(a.replace("{elf}", str(elf)) for a in options.launch))
    try:
        proc = subprocess.Popen(cmd.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
    except OSError as exc:
        raise RunError(f"{target}: cannot start {cmd.argv[0]} (serial.launch): {exc}") from None
    try:
        port = _port_from(proc, re.compile(options.port_pattern), target)
        yield port, cmd
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _port_from(proc: subprocess.Popen[bytes], pattern: re.Pattern[str], target: str,
               timeout_s: float = 30.0) -> str:
    """The first match of `pattern` in the launched program's output, within timeout_s."""
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    seen = b""
    try:
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
            found = pattern.search(seen.decode("utf-8", "replace"))
            if found:
                return found.group(1)
    finally:
        selector.close()
    raise RunError(f"{target}: serial.launch printed no port matching {pattern.pattern!r} "
                   f"within {timeout_s:g} s (exit status {proc.poll()}): "
                   f"{seen.decode('utf-8', 'replace').strip()[-300:] or '(no output)'}")
