"""A sweep on a Ray cluster: every (variant, target) job is one Ray task.

    driver (hilbench sweep --ray ADDRESS)            worker (any node of the cluster)
    recipe -> train + convert + LiteRT check  ──►   model bytes -> own cache (by sha256)
      (cached, once, as the serial sweep)  job +     data set loaded, checksum = the driver's
    one task per (variant, target) ──────  bytes     generate C, build in its own build cache,
    rows written as whole results arrive ◄──────     run, compare with golden, score -> item

How the model gets to the worker: the driver ships the checked .tflite's bytes in the task
(a few kB to a few MB); the worker writes them into its own content-addressed cache under
their sha256 and runs that file. Training is not repeated on every node, so every row of a
sweep comes from the same trained parent and the same checked file, whichever node ran it.

Only the driver writes the results store (no SQLite over a network file system): a row is
written when a task's whole result has arrived, never from a half-finished job. A worker
process that dies or a node that is lost makes Ray run the task again (`MAX_RETRIES`); a
HilbenchError is a result (the item's error, no row) and is not retried, as in the serial
sweep. Every node needs the same hilbench checkout and commit (checked per task), the same
data, and the tools of the targets it runs.
"""
from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .cache import cached_build
from .errors import ClusterError
from .measure import RunContext
from .ray_cluster import ray_session
from .sweep import SweepItem, SweepJob, plan, run_job

__all__ = ["MAX_RETRIES", "ray_sweep"]

MAX_RETRIES = 3       # system failures (dead worker process, lost node) per job


def run_shipped(job: SweepJob, model: bytes, sha256: str, commit: str | None) -> SweepItem:
    """The Ray task: one job on this node, with the model's bytes from the driver."""
    here = RunContext.collect()
    host = socket.gethostname()
    if commit and here.git_commit and here.git_commit != commit:
        return SweepItem(job.variant, job.target, error=(
            f"{job.label}: the worker on {host} runs hilbench commit "
            f"{here.git_commit[:12]}, the driver {commit[:12]}: check out the same commit on "
            "every node"))
    if hashlib.sha256(model).hexdigest() != sha256:
        return SweepItem(job.variant, job.target,
                         error=f"{job.label}: the model arrived corrupted")

    def write(folder: Path) -> None:
        (folder / job.model_path.name).write_bytes(model)

    folder, _ = cached_build("shipped-models", sha256, write)
    item = run_job(job, model_path=folder / job.model_path.name)
    if item.measurement is not None:
        item.measurement.extra["ray_worker"] = f"{host}:{os.getpid()}"
    return item


def ray_sweep(address: str, recipe_path: Path, targets: Sequence[str], *,
              num_cpus: int | None = None, quick: bool = False, seed: int | None = None,
              subset: int | None = None, only: Sequence[str] | None = None,
              eval_seed: int = 0, all_seeds: bool = False,
              progress: Callable[[str], None] | None = None) -> Iterator[SweepItem]:
    """The items of `harness.sweep.sweep` (same arguments), computed on the Ray cluster at
    `address` ('auto': a local Ray with `num_cpus` workers), in the order jobs finish.

    Variants are built here while earlier jobs already run; the target's availability is
    checked where the job runs. Raises ClusterError when the cluster cannot be joined."""
    say = progress or (lambda _msg: None)
    commit = RunContext.collect().git_commit
    with ray_session(address, num_cpus) as ray:
        task = ray.remote(num_cpus=1, max_retries=MAX_RETRIES,
                          retry_exceptions=False)(run_shipped)
        say(f"ray: joined {address} ({_cpus(ray)} CPUs)")
        pending: dict[Any, SweepJob] = {}
        started: dict[Any, float] = {}
        counts = {"submitted": 0, "done": 0}

        def finished(wait: float | None) -> Iterator[SweepItem]:
            refs = list(pending)
            if not refs:
                return
            ready, _ = ray.wait(refs, num_returns=1 if wait is None else len(refs),
                                timeout=wait)
            for ref in ready:
                job = pending.pop(ref)
                item = _result(ray, ref, job)
                counts["done"] += 1
                state = "ok" if item.measurement is not None else "failed, no row"
                say(f"ray: [{counts['done']}/{counts['submitted']}] {job.label}: {state} after "
                    f"{time.perf_counter() - started.pop(ref):.1f} s")
                yield item

        for job in plan(recipe_path, targets, quick=quick, seed=seed, subset=subset, only=only,
                        eval_seed=eval_seed, all_seeds=all_seeds, check_available=False,
                        progress=say):
            if isinstance(job, SweepItem):
                yield job
                continue
            model = job.model_path.read_bytes()
            ref = task.remote(job, model, hashlib.sha256(model).hexdigest(), commit)
            pending[ref], started[ref] = job, time.perf_counter()
            counts["submitted"] += 1
            yield from finished(0)
        say(f"ray: all {counts['submitted']} jobs submitted, {len(pending)} still running")
        while pending:
            yield from finished(None)


def _result(ray: Any, ref: Any, job: SweepJob) -> SweepItem:
    """A finished task's item, or a failed item when the task itself failed for good."""
    try:
        item = ray.get(ref)
    except ray.exceptions.RayError as exc:
        if isinstance(exc, ray.exceptions.RayTaskError):     # a bug: not retried
            cause = exc.cause if exc.cause is not None else exc
            first = (str(cause).strip().splitlines() or [""])[0][:300]
            why = f"the task raised {type(cause).__name__}: {first}"
        else:                                                # the worker or its node died
            why = f"its worker was lost {MAX_RETRIES + 1} times ({type(exc).__name__})"
        return SweepItem(job.variant, job.target, seconds=dict(job.seconds),
                         error=f"{job.label}: {why}")
    if not isinstance(item, SweepItem):
        raise ClusterError(f"a Ray worker returned {type(item).__name__}, not a SweepItem: "
                           "does every node run this hilbench checkout?")
    return item


def _cpus(ray: Any) -> int:
    return int(ray.cluster_resources().get("CPU", 0))
