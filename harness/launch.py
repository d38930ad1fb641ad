"""A program started in the background for one run, e.g. a simulator standing in for a board
on a serial line: QEMU with `-serial pty` prints the pseudo-terminal it created; the caller
waits for that line and talks to the port as to a board's. The process is stopped (and killed
if it does not stop) when the block ends, whatever happens in it, with every process it
started (it runs in its own session: `pio run -t upload` starts QEMU through SCons and a
shell, and all of them end with it).

    with launched(argv, r"redirected to (/dev/pts/[0-9]+)", "where") as (found, command): ...

`found` is the first group of the first match of the pattern in the program's output.
"""
from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import subprocess
import time
from typing import Iterator, Mapping, Sequence

from .commands import Command
from .errors import RunError

__all__ = ["launched"]


@contextlib.contextmanager
def launched(argv: Sequence[str], wait_for: str, where: str, timeout_s: float = 30.0,
             env: Mapping[str, str] | None = None) -> Iterator[tuple[str, Command]]:
    """(found, command): `argv` started in the background (with `env` added to the
    environment), its output read until the regular expression `wait_for` matches (its
    first group is `found`), stopped with its children when the block ends."""
    cmd = Command(tuple(argv), env=dict(env or {}))
    try:
        proc = subprocess.Popen(cmd.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, **cmd.env} if cmd.env else None)
    except OSError as exc:
        raise RunError(f"{where}: cannot start {cmd.argv[0]}: {exc}") from None
    try:
        found = _wait_for(proc, cmd.argv[0], re.compile(wait_for), where, timeout_s)
        yield found, cmd
    finally:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        _signal_group(proc, signal.SIGKILL)     # children that outlived the leader
        if proc.stdout is not None:
            proc.stdout.close()


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Send `sig` to the process group the launched program leads (gone: nothing to do)."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_for(proc: subprocess.Popen[bytes], program: str, pattern: re.Pattern[str],
              where: str, timeout_s: float) -> str:
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
    raise RunError(f"{where}: {program} printed nothing matching {pattern.pattern!r} "
                   f"within {timeout_s:g} s (exit status {proc.poll()}): "
                   f"{seen.decode('utf-8', 'replace').strip()[-300:] or '(no output)'}")
