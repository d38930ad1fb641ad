"""hilbench's runner on the board: `python runner.py job.json` or `python runner.py --probe`.

Shipped by the ssh backend into a fresh per-run directory together with power.py, the model
(always renamed to model.tflite: the user's file name never reaches a shell or a path here),
one .npy per model input (batched: leading dim = sample) and job.json:

    {"model": "model.tflite", "inputs": ["input_0.npy", ...], "repeats": R, "warmup": W,
     "num_threads": T | null, "reference_kernels": bool, "timeout_s": S,
     "stdin_lifeline": bool,
     "power": {"kind": ..., "rail": ..., "idle_s": ..., "min_window_s": ..., ...}}

Relative names are resolved against job.json's directory. It runs, per input: W untimed
invokes, then R invokes each timed with time.perf_counter_ns() around Interpreter.invoke().
With a power sensor (power.py), a sampling thread runs throughout: idle_s of idle first, then
the timed loop, which continues over the inputs (untimed) until the sampled window is at
least min_window_s long. It writes into the directory:

    output_<k>.npy     the outputs of the timed loop, batched like the inputs
    latency_ns.npy     int64, the N*R timed invokes in order
    result.json        {"ok": true, "versions": {...}, "kernels": ..., "num_threads": ...,
                        "n": N, "repeats": R, "warmup": W, "outputs": [...],
                        "power": {"source": ..., "error": ..., "samples": {"t": [...],
                                  "rails": {rail: [W, ...]}}, "idle": [t0, t1],
                                  "active": [t0, t1], "inferences": M}}
                       or {"ok": false, "error": "...", "versions": {...}}

and exits 0 (1 on failure). A watchdog ends it after timeout_s (exit 124) and, when its ssh
session goes away, removes the directory and exits (125), so a dropped connection leaves
nothing running and nothing behind on the board. "Gone" is: the parent process changed (the
command runs under `exec`, so the parent is the session's sshd), or, with stdin_lifeline,
stdin reached EOF: the host keeps the channel's stdin open for the whole run and never
writes to it, so EOF means the session (or its sshd) ended, however early that happened.
`--probe` prints the versions as JSON. Standard library, NumPy and ai-edge-litert (else
tflite-runtime) only; Python >= 3.8.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import threading
import time
import traceback
from typing import Any, Callable, Dict, List, Optional, Tuple

sys.dont_write_bytecode = True  # leave nothing but our own files in the run directory

try:  # run as a script on the board: power.py sits next to this file
    import power  # type: ignore[import-not-found]
except ImportError:  # imported from the harness package (tests)
    from . import power  # type: ignore[no-redef]

_CLEANUPS: List[Callable[[], None]] = []


def _version(dist: str) -> Optional[str]:
    try:
        from importlib import metadata
        return metadata.version(dist)
    except Exception:
        return None


def _runtime() -> Tuple[Any, Any, str]:
    """(Interpreter class, OpResolverType or None, 'name version') of the board's LiteRT."""
    try:
        from ai_edge_litert import interpreter as mod
        name = "ai-edge-litert " + (_version("ai-edge-litert") or "?")
    except ImportError:
        try:
            from tflite_runtime import interpreter as mod  # type: ignore[no-redef]
            name = "tflite-runtime " + str(_version("tflite-runtime") or getattr(
                sys.modules.get("tflite_runtime"), "__version__", "?"))
        except ImportError:
            raise RuntimeError("neither ai_edge_litert nor tflite_runtime can be imported by "
                               f"{sys.executable}: pip install ai-edge-litert on the board") from None
    return mod.Interpreter, getattr(mod, "OpResolverType", None), name


def versions() -> Dict[str, str]:
    out = {
        "python": f"{platform.python_version()} ({sys.executable})",
        "uname": " ".join(os.uname()),
        "numpy": _version("numpy") or "missing",
    }
    try:
        out["runtime"] = _runtime()[2]
    except RuntimeError as exc:
        out["runtime"] = f"missing: {exc}"
    return out


class _Session:
    """Whether our ssh session is still there, and the lock that keeps the final writes and
    the removal of an abandoned directory apart."""

    def __init__(self, workdir: str) -> None:
        self.workdir = workdir
        self.parent = os.getppid()
        self.lock = threading.Lock()

    def orphaned(self) -> bool:
        return os.getppid() != self.parent

    def abandon(self) -> None:
        """Nobody will collect or remove the directory: remove it and leave (lock held)."""
        for cleanup in _CLEANUPS:
            try:
                cleanup()
            except Exception:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)
        os._exit(125)


def _watchdog(deadline: float, session: _Session, lifeline: bool) -> None:
    """Stop at the deadline (exit 124); abandon the run when the ssh session is gone: the
    parent process changed, or (lifeline) stdin, which the host keeps open, reached EOF."""
    def watch() -> None:
        while True:
            time.sleep(0.2)
            if session.orphaned():
                session.lock.acquire(timeout=30)
                session.abandon()
            if time.monotonic() > deadline:
                for cleanup in _CLEANUPS:
                    try:
                        cleanup()
                    except Exception:
                        pass
                sys.stderr.write("runner: timeout_s exceeded, stopping\n")
                sys.stderr.flush()
                os._exit(124)

    def hold() -> None:
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        session.lock.acquire(timeout=30)
        session.abandon()

    threading.Thread(target=watch, name="watchdog", daemon=True).start()
    if lifeline:
        threading.Thread(target=hold, name="lifeline", daemon=True).start()


def _interpreter(model: str, threads: Optional[int], reference: bool) -> Tuple[Any, str]:
    Interpreter, Resolver, _ = _runtime()
    kwargs: Dict[str, Any] = {"model_path": model}
    if threads is not None:
        kwargs["num_threads"] = int(threads)
    if reference:
        if Resolver is None:
            raise RuntimeError("reference_kernels needs OpResolverType (LiteRT / tflite-runtime "
                               ">= 2.7) on the board")
        kwargs["experimental_op_resolver_type"] = Resolver.BUILTIN_REF
        kernels = "reference (OpResolverType.BUILTIN_REF)"
    else:
        kernels = "optimized (default: builtin kernels + XNNPACK delegate)"
    interp = Interpreter(**kwargs)
    interp.allocate_tensors()
    return interp, kernels


def _check(details: List[Dict[str, Any]], arrays: List[Any]) -> int:
    if len(arrays) != len(details):
        raise ValueError(f"the model has {len(details)} input(s), the job {len(arrays)}")
    n = None
    for k, (d, x) in enumerate(zip(details, arrays)):
        want = tuple(int(s) for s in d["shape"][1:])
        if tuple(x.shape[1:]) != want or x.dtype != d["dtype"]:
            raise ValueError(f"input {k} ({d['name']}): the model takes (N, {want}) "
                             f"{d['dtype'].__name__}, the job has {x.shape} {x.dtype}")
        if n is not None and x.shape[0] != n:
            raise ValueError(f"input {k}: {x.shape[0]} samples, input 0 has {n}")
        n = int(x.shape[0])
    return n or 0


def run(job: Dict[str, Any], workdir: str, session: _Session) -> Dict[str, Any]:
    import numpy as np

    def path(name: str) -> str:
        return os.path.join(workdir, name)

    interp, kernels = _interpreter(path(job["model"]), job.get("num_threads"),
                                   bool(job.get("reference_kernels")))
    inputs = [np.load(path(p), allow_pickle=False) for p in job["inputs"]]
    in_details = interp.get_input_details()
    out_details = interp.get_output_details()
    n = _check(in_details, inputs)
    repeats, warmup = int(job.get("repeats", 1)), int(job.get("warmup", 1))
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    cfg = dict(job.get("power") or {})
    sampler, source = power.open_sampler(cfg)
    report: Dict[str, Any] = {"source": source, "error": None}
    if sampler is not None:
        _CLEANUPS.append(sampler.stop)
        sampler.start()
        idle0 = time.perf_counter()
        time.sleep(float(cfg.get("idle_s") or 0.0))
        report["idle"] = [idle0, time.perf_counter()]

    def feed(s: int) -> None:
        for d, x in zip(in_details, inputs):
            interp.set_tensor(d["index"], x[s:s + 1])

    latencies = np.zeros(n * repeats, dtype=np.int64)
    collected: List[List[Any]] = [[] for _ in out_details]
    invoke, clock = interp.invoke, time.perf_counter_ns
    start = time.perf_counter()
    count = 0
    for s in range(n):
        feed(s)
        for _ in range(warmup):
            invoke()
        for r in range(repeats):
            t0 = clock()
            invoke()
            latencies[s * repeats + r] = clock() - t0
        count += warmup + repeats
        for slot, d in enumerate(out_details):
            value = interp.get_tensor(d["index"])
            collected[slot].append(value.reshape(value.shape[1:]) if value.ndim else value)
    if sampler is not None:
        window = float(cfg.get("min_window_s") or 0.0)
        s = 0
        while n and time.perf_counter() - start < window:
            feed(s % n)
            invoke()
            count += 1
            s += 1
        report["active"] = [start, time.perf_counter()]
        report["inferences"] = count
        time.sleep(0.05)  # let a last sample land after the window closes
        sampler.stop()
        report["error"] = sampler.error
        rails = sorted({r for _, sample in sampler.samples for r in sample})
        report["samples"] = {"t": [t for t, _ in sampler.samples],
                             "rails": {r: [sample.get(r) for _, sample in sampler.samples]
                                       for r in rails}}
    outputs = []
    with session.lock:
        for k, (d, values) in enumerate(zip(out_details, collected)):
            name = f"output_{k}.npy"
            stacked = (np.stack(values) if values else
                       np.zeros((0, *[int(v) for v in d["shape"][1:]]), dtype=d["dtype"]))
            np.save(path(name), stacked, allow_pickle=False)
            outputs.append(name)
        np.save(path("latency_ns.npy"), latencies, allow_pickle=False)
    return {"ok": True, "kernels": kernels, "num_threads": job.get("num_threads"), "n": n,
            "repeats": repeats, "warmup": warmup, "outputs": outputs,
            "latency": "latency_ns.npy", "power": report}


def main(argv: List[str]) -> int:
    if argv[1:] == ["--probe"]:
        print(json.dumps({"versions": versions()}))
        return 0
    if len(argv) != 2:
        sys.stderr.write("usage: runner.py job.json | runner.py --probe\n")
        return 2
    job_path = os.path.abspath(argv[1])
    workdir = os.path.dirname(job_path)
    with open(job_path) as f:
        job = json.load(f)
    session = _Session(workdir)
    _watchdog(time.monotonic() + float(job.get("timeout_s") or 300), session,
              bool(job.get("stdin_lifeline")))
    info = versions()
    try:
        result = run(job, workdir, session)
    except Exception as exc:
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc(limit=6)}
    finally:
        for cleanup in _CLEANUPS:
            cleanup()
    result["versions"] = info
    with session.lock:  # the watchdog cannot remove the directory while results are written
        if session.orphaned():
            session.abandon()
        tmp = os.path.join(workdir, "result.json.part")
        with open(tmp, "w") as f:
            json.dump(result, f)
        os.replace(tmp, os.path.join(workdir, "result.json"))
    print("HB_DONE ok" if result["ok"] else f"HB_DONE error: {result['error']}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
