"""One Renode process for one firmware image: started headless, watched, always stopped.

Renode is driven over its standard input and output: `--disable-xwt --console --plain
<run.resc>`. It opens no socket for that (no `--port` monitor, no `--robot-server-port`, whose
XML-RPC server listens on all interfaces in Renode 1.15 and runs any Python it is sent), and
only hilbench holds the pipe to its monitor. In console mode Renode stops when its standard
input reaches end of file, so the pipe stays open for the whole run and `quit` ends it.

While the firmware runs, three files in the run's folder are watched (every 50 ms):
    exit.txt     written by the hook on hb_exit (`hb_exit r0=<code> end`): the firmware ended
    uart.txt     UART0's file backend: the firmware's console (HB_ lines)
    console.txt  Renode's standard output and error: monitor and log, searched for the errors
                 the monitor prints when a command of the script fails
The run ends when the hook reports; if the firmware printed its last line (HB_END, HB_FAULT,
HB_TIMEOUT) and the hook stays silent for 2 s, the run ends without an exit code. Renode
exiting first, a monitor error or the wall-clock deadline end it with an error.

Renode is then sent `quit`, given 5 s, and its whole process group is killed whatever it did
(it starts in a session of its own; up to 2 s are given for the group to be gone), so no
simulator outlives a run.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..commands import Command
from ..errors import RunError, RunTimeoutError

__all__ = ["SessionFiles", "SessionOutcome", "run_renode", "monitor_error"]

POLL_S = 0.05
HOOK_GRACE_S = 2.0
QUIT_WAIT_S = 5.0
KILL_WAIT_S = 2.0

# What Renode's monitor prints when a command of a script fails (it then skips the rest of the
# script but keeps running), and what its C# compiler prints for `include @file.cs`; log lines
# below the ERROR level never count.
MONITOR_ERRORS = re.compile(
    r"There was an error executing command|No such command or device|"
    r"Could not (?:find|resolve|load|tokenize|compile)|\bError E\d+:|Fatal error|"
    r"Unhandled exception|\berror CS\d{4}\b")
_BENIGN = re.compile(r"\[(?:NOISY|DEBUG|INFO|WARNING)\]")
_EXIT = re.compile(r"^hb_exit r0=(\d+) end\s*$")
_LAST_LINE = re.compile(r"^(?:HB_END|HB_FAULT |HB_TIMEOUT )", re.M)


@dataclass(frozen=True)
class SessionFiles:
    """The files of one run, in one folder (absolute paths: a .resc needs them)."""

    folder: Path

    @property
    def script(self) -> Path:
        return self.folder / "run.resc"

    @property
    def uart(self) -> Path:
        return self.folder / "uart.txt"

    @property
    def exit(self) -> Path:
        return self.folder / "exit.txt"

    @property
    def console(self) -> Path:
        return self.folder / "console.txt"


@dataclass(frozen=True)
class SessionOutcome:
    uart: str
    console: str
    exit_code: int | None     # r0 at hb_exit; None: the hook did not report
    seconds: float


def run_renode(cmd: Command, files: SessionFiles, where: str) -> SessionOutcome:
    """Run `cmd` (Renode with files.script) until the firmware ends; raise RunError when
    Renode fails or exits first, RunTimeoutError at cmd.timeout_s of wall-clock time."""
    start = time.monotonic()
    timeout_s = cmd.timeout_s if cmd.timeout_s is not None else float("inf")
    with open(files.console, "wb") as out:
        try:
            proc = subprocess.Popen(cmd.argv, cwd=cmd.cwd, stdin=subprocess.PIPE, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    env={**os.environ, **cmd.env} if cmd.env else None)
        except OSError as exc:
            raise RunError(f"{where}: cannot start Renode ({cmd.argv[0]}): {exc}") from None
        try:
            code = _watch(proc, files, where, start + timeout_s, timeout_s)
        finally:
            _stop(proc)
    return SessionOutcome(_read(files.uart), _read(files.console), code,
                          time.monotonic() - start)


def _watch(proc: subprocess.Popen[bytes], files: SessionFiles, where: str, deadline: float,
           timeout_s: float) -> int | None:
    """The firmware's exit code (None: it ended but the hook did not report)."""
    last_line_at: float | None = None
    while True:
        code = _exit_code(files.exit)
        if code is not None:
            return code
        console = _read(files.console)
        error = monitor_error(console)
        if error:
            raise RunError(f"{where}: Renode could not run {files.script}: {error[:300]}"
                           f"{_tail(console)}")
        now = time.monotonic()
        if _LAST_LINE.search(_read(files.uart)):
            last_line_at = last_line_at or now
            if now - last_line_at > HOOK_GRACE_S:
                return None
        status = proc.poll()
        if status is not None:
            code = _exit_code(files.exit)
            if code is not None or _LAST_LINE.search(_read(files.uart)):
                return code
            raise RunError(f"{where}: Renode exited with status {status} before the firmware "
                           f"ended{_tail(_read(files.console))}")
        if now > deadline:
            raise RunTimeoutError(
                f"{where}: firmware did not end within {timeout_s:g} s of wall-clock time "
                f"(timeout_s in the target.yaml); Renode was stopped{_tail(console)}")
        time.sleep(POLL_S)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """`quit` on the monitor, then the whole process group killed."""
    assert proc.stdin is not None
    try:
        if proc.poll() is None:
            proc.stdin.write(b"quit\n")
            proc.stdin.flush()
        proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout=QUIT_WAIT_S)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    gone_by = time.monotonic() + KILL_WAIT_S
    while time.monotonic() < gone_by:       # its children, reaped by init, are gone too
        try:
            os.killpg(proc.pid, 0)
        except (ProcessLookupError, PermissionError):
            break
        time.sleep(0.02)


def monitor_error(console: str) -> str | None:
    """The first line of Renode's output that reports a failed command (with the line after
    it: the reason), or None."""
    lines = [line.strip() for line in console.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if MONITOR_ERRORS.search(line) and not _BENIGN.search(line):
            return ": ".join(lines[i:i + 2])
    return None


def _exit_code(path: Path) -> int | None:
    found = _EXIT.match(_read(path))
    return int(found.group(1)) if found else None


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def _tail(console: str) -> str:
    lines = [line.strip() for line in console.strip().splitlines() if line.strip()]
    return f"; Renode's last lines: {' | '.join(lines[-3:])[-400:]}" if lines else ""
