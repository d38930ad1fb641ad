"""A compression sweep: every variant of a recipe on every target, scored on real data.

    recipe.yaml -> trained reference (cached) -> variants (.tflite, checked against LiteRT)
      -> per target: the data set's test samples through bench_model (bit-exact check against
         the golden interpreter) -> the target's own outputs scored -> one row per
         (variant, target) with the variant's facts (techniques, parent hash, params, MACs, bits,
         sparsity, bytes) and the evaluation's (data set, checksum, split, N)

A variant that fails to build, convert or check, or whose target outputs disagree with the
golden interpreter, is reported and skipped: no row is written for it.
"""
from __future__ import annotations

import fnmatch
import functools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .datasets import Dataset, load_dataset
from .errors import (
    DatasetError,
    HilbenchError,
    RecipeError,
    RunTimeoutError,
    TargetUnavailableError,
)
from .evaluate import bench_accuracy, eval_set
from .exit_bench import bench_exits
from .measure import Measurement
from .targets import Target, list_targets, load_target

__all__ = ["SweepItem", "SweepJob", "plan", "run_job", "sweep", "subset_for"]


@dataclass
class SweepItem:
    """One (variant, target) of a sweep: its measurement, or why there is none."""

    variant: str
    target: str
    measurement: Measurement | None = None
    error: str | None = None
    unavailable: bool = False     # the target cannot run here (error says why and the fix)
    timed_out: bool = False       # the target hung and was stopped
    seconds: dict[str, float] = field(default_factory=dict)   # per stage


def subset_for(recipe: object, target: Target, override: int | None) -> int | None:
    """How many test samples `target` runs: the override, else the recipe's `eval.subset`
    for the target (or its `default`), else the whole split (None)."""
    if override is not None:
        return override
    subsets = getattr(getattr(recipe, "eval", None), "subset", None) or {}
    if target.name in subsets:
        return subsets[target.name]
    return subsets.get("default")


def _variant_extra(built: object) -> dict[str, object]:
    keys = ("recipe", "techniques", "parent_sha256", "params", "macs", "weight_bits",
            "sparsity", "model_bytes")
    extra = {k: getattr(built, k) for k in keys if hasattr(built, k)}
    if hasattr(built, "train_seed"):
        extra["train_seed"] = built.train_seed
    return extra


@dataclass(frozen=True)
class SweepJob:
    """One (variant, target) of a sweep to run: all a worker needs, small and picklable.

    The model travels as the path of the checked .tflite on the machine that built it; a
    remote executor ships its bytes (harness.sweep_ray) and the worker runs its own copy."""

    variant: str
    target: str
    model_path: Path
    recipe: str                   # the recipe's name: the rows' `model`
    dataset: str
    dataset_sha256: str
    quick: bool
    subset: int | None            # test samples to run (None: the whole split)
    eval_seed: int
    threshold: float | None = None     # an early-exit recipe: one job per exit threshold
    extra: dict[str, object] = field(default_factory=dict)      # the variant's facts
    seconds: dict[str, float] = field(default_factory=dict)     # building it, per stage

    @property
    def label(self) -> str:
        """'int8-ptq on host' (and the exit threshold, if any) for progress and errors."""
        at = f" at exit threshold {self.threshold:g}" if self.threshold is not None else ""
        return f"{self.variant} on {self.target}{at}"


def plan(recipe_path: Path, targets: Sequence[str], *, quick: bool = False,
         seed: int | None = None, subset: int | None = None, only: Sequence[str] | None = None,
         eval_seed: int = 0, all_seeds: bool = False, check_available: bool = True,
         progress: Callable[[str], None] | None = None) -> Iterator[SweepJob | SweepItem]:
    """Build the recipe's variants (training and conversion cached) and yield, per variant and
    target, the job to run, or the failed item when there is nothing to run.

    Jobs come as soon as their variant is built, so an executor can run them while the next
    variant builds. `check_available=False` leaves the target's availability to whoever runs
    the job (a cluster worker has the tools the driver may lack). The rest: see `sweep`."""
    from .backends import backend_for
    from .variants import build_variants, load_recipe

    say = progress or (lambda _msg: None)
    from .tokendrop import is_token_drop_recipe
    if is_token_drop_recipe(Path(recipe_path)):   # guide + ViT per input (harness.tokendrop)
        from .tokendrop.run import token_drop_sweep
        yield from token_drop_sweep(Path(recipe_path), targets, quick=quick, subset=subset,
                                    only=only, eval_seed=eval_seed, seed=seed,
                                    all_seeds=all_seeds, progress=say)
        return
    recipe = load_recipe(Path(recipe_path))
    subsets = getattr(getattr(recipe, "eval", None), "subset", None) or {}
    known = {t.name for t in list_targets()} | {"default"}
    stray = sorted(set(subsets) - known)
    if stray:
        raise RecipeError(f"{recipe_path}: eval.subset names no target {', '.join(stray)}; "
                          f"use 'default' or a target of `hilbench targets`")
    resolved = [load_target(t) for t in targets]
    unavailable = {t.name: backend_for(t).available() if check_available else None
                   for t in resolved}
    dataset = _dataset(recipe.dataset, quick)
    names = [v.name for v in recipe.variants]
    if only:
        unknown = [p for p in only if not fnmatch.filter(names, p)]
        if unknown:
            raise RecipeError(f"{recipe_path}: no variant {', '.join(unknown)}; "
                              f"the recipe has: {', '.join(names)}")
        only = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in only)]
    if seed is None and not all_seeds:
        seed = recipe.seeds[0]          # one trained parent per sweep unless asked for all
    thresholds: list[float | None] = list(getattr(recipe, "exit_thresholds", ()) or [None])
    clock = time.perf_counter()
    for built in build_variants(recipe, quick=quick, seed=seed, only=list(only) if only else None,
                                progress=say):
        made = round(time.perf_counter() - clock, 3)
        if not hasattr(built, "path"):   # a VariantFailure
            for t in resolved:
                yield SweepItem(built.name, t.name, error=f"variant {built.name} failed: {built.error}")
            clock = time.perf_counter()
            continue
        timings = dict(getattr(built, "timings", {}) or {})
        for t, threshold in [(t, x) for t in resolved for x in thresholds]:
            seconds = {**timings, "variant_total": made}
            if unavailable[t.name]:
                yield SweepItem(built.name, t.name, seconds=seconds, unavailable=True,
                                error=f"target {t.name} is not available: {unavailable[t.name]}")
                continue
            yield SweepJob(str(built.name), t.name, Path(built.path), recipe.name, dataset.name,
                           dataset.sha256, quick, subset_for(recipe, t, subset), eval_seed,
                           threshold, _variant_extra(built), seconds)
        clock = time.perf_counter()


def run_job(job: SweepJob, *, model_path: Path | None = None, dataset: Dataset | None = None,
            progress: Callable[[str], None] | None = None) -> SweepItem:
    """Run one job: its variant on its target with the test samples, scored; never raises a
    HilbenchError (the item carries it, and has no measurement). `model_path` is where this
    process finds the model (default: the job's); the row keeps the job's path."""
    say = progress or (lambda _msg: None)
    item = SweepItem(job.variant, job.target, seconds=dict(job.seconds))
    start = time.perf_counter()
    where = job.label
    try:
        data = dataset if dataset is not None else _dataset(job.dataset, job.quick)
        if data.sha256 != job.dataset_sha256:
            raise DatasetError(
                f"data set {job.dataset} here has sha256 {data.sha256[:12]}, the sweep's has "
                f"{job.dataset_sha256[:12]}: give every machine the same data (see README)")
        ev = eval_set(data, job.subset, job.eval_seed)
        full = eval_set(data) if ev.is_subset else None
        say(f"{where}: {ev.describe()}")
        path = model_path or job.model_path
        if job.threshold is not None:    # an early-exit recipe: one row per threshold
            result = bench_exits(path, job.target, ev, job.threshold,
                                 progress=lambda msg: say(f"{where}: {msg}"))
        else:
            result = bench_accuracy(path, job.target, ev, full=full,
                                    progress=lambda msg: say(f"{where}: {msg}"))
        m = result.measurement
        m.model, m.variant, m.model_path = job.recipe, job.variant, str(job.model_path)
        m.extra.update(job.extra)
        item.measurement = m
    except HilbenchError as exc:
        item.error = f"{where}: {exc}"
        item.timed_out = isinstance(exc, RunTimeoutError)
        item.unavailable = isinstance(exc, TargetUnavailableError)
    if item.measurement is not None:
        stages = item.measurement.extra.get("stage_seconds", {})
        item.seconds.update(stages if isinstance(stages, dict) else {})
        item.measurement.extra["sweep_seconds"] = dict(item.seconds)
    item.seconds["target_total"] = round(time.perf_counter() - start, 3)
    return item


@functools.lru_cache(maxsize=2)
def _dataset(name: str, quick: bool) -> Dataset:
    """A process runs many jobs of one sweep: it loads (and checks) the data set once."""
    return load_dataset(name, quick=quick)


def sweep(recipe_path: Path, targets: Sequence[str], *, quick: bool = False,
          seed: int | None = None, subset: int | None = None, only: Sequence[str] | None = None,
          eval_seed: int = 0, all_seeds: bool = False,
          progress: Callable[[str], None] | None = None) -> Iterator[SweepItem]:
    """Build the recipe's variants and run each on every target; yield one item per pair.

    `seed` picks the training seed (default: the recipe's first); `all_seeds` runs every seed
    of the recipe's `seeds` (one row per variant, target and seed, told apart by train_seed).

    Unknown targets, a bad recipe or a missing data set raise before anything is built; an
    unavailable target yields one failed item per variant (with the reason) and no row."""
    for job in plan(recipe_path, targets, quick=quick, seed=seed, subset=subset, only=only,
                    eval_seed=eval_seed, all_seeds=all_seeds, progress=progress):
        yield run_job(job, progress=progress) if isinstance(job, SweepJob) else job
