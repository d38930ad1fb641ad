"""The runner's answer on the host: result.json and the files it names, checked before any
figure is made of them (runner.py writes them; see its docstring for the format).

    parse_result(raw, fetch, n=, repeats=, output_specs=, where=) -> RunnerResult
    runner_timed_out(exit_status, stderr, seconds, timeout_s) -> bool

A board is another computer: its files may be truncated, of another version, or made up.
Everything is checked: result.json is a JSON object with the keys of its format and the
types they must have; `n` and `repeats` are those of the job; every file name is a plain name
inside the run directory (no `/`, no `..`); every output is a numeric array of n samples (of
the model's shape and dtype when known); the latencies are n x repeats finite, non-negative
numbers; the power trace has one time per sample, finite non-negative watts and windows
[t0, t1] with t0 <= t1. Anything else is a RunError naming the field, and nothing is recorded.
"""
from __future__ import annotations

import io
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import RunError

__all__ = ["RunnerResult", "parse_result", "runner_timed_out", "TIMEOUT_EXIT"]

TIMEOUT_EXIT = 124                                     # runner.py's watchdog exit status ...
_TIMEOUT_LINE = "runner: timeout_s exceeded"           # ... and the line it prints first
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


@dataclass(frozen=True)
class RunnerResult:
    outputs: list[np.ndarray]       # batched like the inputs (leading dim = sample)
    latency_ns: np.ndarray          # float64, the n x repeats timed invokes, each >= 0
    n: int
    repeats: int
    warmup: int
    kernels: str
    num_threads: int | None
    power: dict[str, Any] = field(default_factory=dict)   # checked; see power_figures


def runner_timed_out(exit_status: int, stderr: str, seconds: float, timeout_s: float) -> bool:
    """Whether the runner stopped itself at timeout_s: its watchdog's status and line, after
    at least timeout_s. Another program exiting 124 (`timeout`, a wrapper) is not a timeout."""
    return exit_status == TIMEOUT_EXIT and _TIMEOUT_LINE in stderr and seconds >= timeout_s


def _fail(where: str, what: str) -> RunError:
    return RunError(f"the runner on {where} returned {what}; nothing is recorded (is runner.py "
                    "on the board the one shipped with this hilbench?)")


def _int(result: dict[str, Any], key: str, where: str, *, optional: bool = False) -> int | None:
    value = result.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(where, f"a result.json whose {key!r} is {value!r}, not a count")
    return value


def _name(value: object, what: str, where: str) -> str:
    if not isinstance(value, str) or not _FILE_NAME.fullmatch(value) or ".." in value:
        raise _fail(where, f"{what} {value!r}, which is not a plain file name in its run directory")
    return value


def _array(data: bytes, name: str, where: str) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:  # numpy raises ValueError, EOFError, OSError, zip errors, ...
        raise _fail(where, f"{name}, which is not a .npy array ({type(exc).__name__}: "
                           f"{str(exc)[:100]})") from None
    if not isinstance(array, np.ndarray):
        if hasattr(array, "close"):
            array.close()
        raise _fail(where, f"{name}, which is an archive (.npz), not a .npy array")
    if array.dtype.kind not in "biuf":
        raise _fail(where, f"{name} of dtype {array.dtype}, not numbers")
    return array


def _finite(value: object) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float))
            and math.isfinite(value))


def check_power(power: object, where: str) -> dict[str, Any]:
    """The runner's `power` section, checked (see the module docstring); {} when absent."""
    if power is None:
        return {}
    if not isinstance(power, dict):
        raise _fail(where, f"a power section that is a {type(power).__name__}")
    for key in ("source", "error"):
        if power.get(key) is not None and not isinstance(power[key], str):
            raise _fail(where, f"a power.{key} of {power[key]!r}, not text")
    samples = power.get("samples")
    if samples is not None:
        if not isinstance(samples, dict) or not isinstance(samples.get("t"), list) \
                or not isinstance(samples.get("rails"), dict):
            raise _fail(where, "a power trace without a list of times and a mapping of rails")
        t, rails = samples["t"], samples["rails"]
        if not all(_finite(x) for x in t) or any(b < a for a, b in zip(t, t[1:])):
            raise _fail(where, "a power trace whose times are not increasing finite numbers")
        for rail, watts in rails.items():
            if not isinstance(rail, str) or not isinstance(watts, list) or len(watts) != len(t):
                raise _fail(where, f"power rail {rail!r} without one reading per sample time")
            if not all(w is None or (_finite(w) and w >= 0) for w in watts):
                raise _fail(where, f"power rail {rail!r} with a reading that is not a finite, "
                                   "non-negative number of watts")
    for key in ("idle", "active"):
        span = power.get(key)
        if span is not None and not (isinstance(span, list) and len(span) == 2
                                     and all(_finite(x) for x in span) and span[0] <= span[1]):
            raise _fail(where, f"a power.{key} window of {span!r}, not [t0, t1] with t0 <= t1")
    if power.get("inferences") is not None:
        _int(power, "inferences", where)
    return power


def parse_result(raw: bytes, fetch: Callable[[str], bytes], *, n: int, repeats: int,
                 output_specs: Sequence[tuple[tuple[int, ...], str]] | None,
                 where: str) -> RunnerResult:
    """Check result.json (`raw`) and load the arrays it names with `fetch(name) -> bytes`."""
    try:
        result = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _fail(where, f"a result.json that is not JSON ({str(exc)[:80]})") from None
    if not isinstance(result, dict):
        raise _fail(where, f"a result.json that is a {type(result).__name__}, not an object")
    if result.get("ok") is not True:
        error = result.get("error")
        if result.get("ok") is False and isinstance(error, str):
            trace = result.get("traceback")
            raise RunError(f"the runner on {where} failed: {error}"
                           + (f"\n{trace}".rstrip() if isinstance(trace, str) else ""))
        raise _fail(where, f"a result.json whose 'ok' is {result.get('ok')!r}")
    got_n, got_repeats = _int(result, "n", where), _int(result, "repeats", where)
    warmup = _int(result, "warmup", where)
    threads = _int(result, "num_threads", where, optional=True)
    if (got_n, got_repeats) != (n, repeats):
        raise _fail(where, f"{got_n} inputs x {got_repeats} repeats for a job of {n} x {repeats}")
    kernels = result.get("kernels")
    if not isinstance(kernels, str):
        raise _fail(where, f"a result.json whose 'kernels' is {kernels!r}, not text")
    names = result.get("outputs")
    if not isinstance(names, list) or not names:
        raise _fail(where, f"a result.json whose 'outputs' is {names!r}, not a list of files")
    if output_specs is not None and len(names) != len(output_specs):
        raise _fail(where, f"{len(names)} outputs for a model with {len(output_specs)}")
    outputs = []
    for k, name in enumerate(names):
        array = _array(fetch(_name(name, f"output {k} named", where)), name, where)
        if array.ndim == 0 or array.shape[0] != n:
            raise _fail(where, f"{name} of shape {array.shape} for {n} inputs")
        if output_specs is not None:
            shape, dtype = output_specs[k]
            if array.shape[1:] != tuple(shape) or array.dtype != np.dtype(dtype):
                raise _fail(where, f"{name} of {array.shape[1:]} {array.dtype} per input; the "
                                   f"model's output {k} is {tuple(shape)} {np.dtype(dtype)}")
        outputs.append(array)
    latency = _array(fetch(_name(result.get("latency"), "latencies named", where)),
                     str(result.get("latency")), where).astype(np.float64)
    if latency.shape != (n * repeats,):
        raise _fail(where, f"latencies of shape {latency.shape} for {n} inputs x {repeats} repeats")
    if not np.all(np.isfinite(latency)) or np.any(latency < 0):
        raise _fail(where, "a latency that is negative or not a number")
    power = check_power(result.get("power"), where)
    return RunnerResult(outputs, latency, n, repeats, warmup or 0, kernels, threads, power)
