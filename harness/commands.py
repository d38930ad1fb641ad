"""Commands are data: every tool run (compiler, simulator, runner) is built as a `Command`
first and executed by `execute`, the one place that runs subprocesses. Tests check argv without
the tool; results store the exact argv."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError, HilbenchError, RunTimeoutError

__all__ = ["Command", "Completed", "execute", "tool_version", "which"]


@dataclass(frozen=True)
class Command:
    """One argv to run, where, with which extra environment and how long at most."""

    argv: tuple[str, ...]
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    timeout_s: float | None = None
    stdin: bytes | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "argv", tuple(str(a) for a in self.argv))

    def __str__(self) -> str:
        return " ".join(self.argv)


@dataclass(frozen=True)
class Completed:
    command: Command
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def execute(cmd: Command, *, check: bool = True, error: type[HilbenchError] = BuildError) -> Completed:
    """Run `cmd`. A missing tool, a non-zero exit (when `check`) or a timeout raise `error`
    (RunTimeoutError for timeouts) with the command and the tail of its output."""
    env = {**os.environ, **cmd.env} if cmd.env else None
    start = time.monotonic()
    try:
        proc = subprocess.run(
            cmd.argv, cwd=cmd.cwd, env=env, input=cmd.stdin, capture_output=True,
            timeout=cmd.timeout_s, check=False,
        )
    except FileNotFoundError:
        raise error(f"{cmd.argv[0]}: command not found (needed for: {cmd})") from None
    except subprocess.TimeoutExpired as exc:
        tail = _tail(exc.stdout) + _tail(exc.stderr)
        raise RunTimeoutError(
            f"{Path(cmd.argv[0]).name} did not finish within {cmd.timeout_s:g} s and was killed"
            + (f"; last output: {tail}" if tail else "")
        ) from None
    done = Completed(cmd, proc.returncode, _text(proc.stdout), _text(proc.stderr),
                     time.monotonic() - start)
    if check and proc.returncode != 0:
        raise error(
            f"{Path(cmd.argv[0]).name} exited with {proc.returncode}: "
            f"{_tail(proc.stderr) or _tail(proc.stdout) or '(no output)'}\n  command: {cmd}"
        )
    return done


def which(tool: str) -> str | None:
    return shutil.which(tool)


def tool_version(argv: list[str]) -> str:
    """First line of `tool --version`-style output, or 'unavailable'."""
    try:
        out = subprocess.run(argv, capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = _text(out.stdout) or _text(out.stderr)
    return text.strip().splitlines()[0] if text.strip() else "unavailable"


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


def _tail(data: bytes | str | None, lines: int = 8) -> str:
    text = _text(data).strip()
    return "\n".join(text.splitlines()[-lines:])


