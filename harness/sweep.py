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
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .datasets import Dataset, load_dataset
from .errors import HilbenchError, RecipeError, RunTimeoutError
from .evaluate import bench_accuracy, eval_set
from .measure import Measurement
from .targets import Target, list_targets, load_target

__all__ = ["SweepItem", "sweep", "subset_for"]


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


def sweep(recipe_path: Path, targets: Sequence[str], *, quick: bool = False,
          seed: int | None = None, subset: int | None = None, only: Sequence[str] | None = None,
          eval_seed: int = 0, all_seeds: bool = False,
          progress: Callable[[str], None] | None = None) -> Iterator[SweepItem]:
    """Build the recipe's variants and run each on every target; yield one item per pair.

    `seed` picks the training seed (default: the recipe's first); `all_seeds` runs every seed
    of the recipe's `seeds` (one row per variant, target and seed, told apart by train_seed).

    Unknown targets, a bad recipe or a missing data set raise before anything is built; an
    unavailable target yields one failed item per variant (with the reason) and no row."""
    from .backends import backend_for
    from .variants import build_variants, load_recipe

    say = progress or (lambda _msg: None)
    from .tokendrop import is_token_drop_recipe
    if is_token_drop_recipe(Path(recipe_path)):   # guide + ViT per input (harness.tokendrop)
        from .tokendrop.run import token_drop_sweep
        yield from token_drop_sweep(Path(recipe_path), targets, quick=quick, subset=subset,
                                    only=only, eval_seed=eval_seed, progress=say)
        return
    recipe = load_recipe(Path(recipe_path))
    subsets = getattr(getattr(recipe, "eval", None), "subset", None) or {}
    known = {t.name for t in list_targets()} | {"default"}
    stray = sorted(set(subsets) - known)
    if stray:
        raise RecipeError(f"{recipe_path}: eval.subset names no target {', '.join(stray)}; "
                          f"use 'default' or a target of `hilbench targets`")
    resolved = [load_target(t) for t in targets]
    unavailable = {t.name: backend_for(t).available() for t in resolved}
    dataset: Dataset = load_dataset(recipe.dataset, quick=quick)
    names = [v.name for v in recipe.variants]
    if only:
        unknown = [p for p in only if not fnmatch.filter(names, p)]
        if unknown:
            raise RecipeError(f"{recipe_path}: no variant {', '.join(unknown)}; "
                              f"the recipe has: {', '.join(names)}")
        only = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in only)]
    if seed is None and not all_seeds:
        seed = recipe.seeds[0]          # one trained parent per sweep unless asked for all
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
        for t in resolved:
            item = SweepItem(built.name, t.name, seconds={**timings, "variant_total": made})
            if unavailable[t.name]:
                item.error = f"target {t.name} is not available: {unavailable[t.name]}"
                item.unavailable = True
                yield item
                continue
            n = subset_for(recipe, t, subset)
            ev = eval_set(dataset, n, eval_seed)
            full = eval_set(dataset) if ev.is_subset else None
            say(f"{built.name} on {t.name}: {ev.describe()}")
            start = time.perf_counter()
            where = f"{built.name} on {t.name}"

            def stage(msg: str, where: str = where) -> None:
                say(f"{where}: {msg}")

            try:
                result = bench_accuracy(Path(built.path), t, ev, full=full, progress=stage)
                m = result.measurement
                m.model, m.variant = recipe.name, str(built.name)
                m.extra.update(_variant_extra(built))
                item.measurement = m
            except HilbenchError as exc:
                item.error = f"{built.name} on {t.name}: {exc}"
                item.timed_out = isinstance(exc, RunTimeoutError)
            if item.measurement is not None:
                stages = item.measurement.extra.get("stage_seconds", {})
                item.seconds.update(stages if isinstance(stages, dict) else {})
                item.measurement.extra["sweep_seconds"] = dict(item.seconds)
            item.seconds["target_total"] = round(time.perf_counter() - start, 3)
            yield item
        clock = time.perf_counter()
