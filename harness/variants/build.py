"""Recipe -> trained reference (cached) -> each variant's checked .tflite (cached).

A variant's cache key is the hash of the trained parent's weights, the technique chain with
its parameters, the data the steps may use (data set checksum, split sizes, quick), the seed
and the converter versions; its entry holds the .tflite and `variant.json` (facts, the
check's result, per-stage seconds of the build that made it).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..cache import cached_build, content_key
from ..datasets import Dataset, load_dataset, stratified_indices, training_fingerprint
from ..errors import HilbenchError, ModelError, RecipeError
from ..training import Trained, train_cached
from ..zoo import fold_batchnorm
from .check import check_against_litert
from .convert import to_tflite
from .exits import attach_exits
from .recipe import Recipe, Variant
from .stats import model_stats
from .technique import Context, Stage
from .techniques import TECHNIQUES

__all__ = ["BuiltVariant", "VariantFailure", "build_variants", "VARIANT_VERSION"]

# Bump when techniques, conversion or the check change what a cached variant would be.
VARIANT_VERSION = "hilbench-variant-1"
CHECK_SAMPLES = 16      # real validation samples (plus 16 random inputs) in the LiteRT check


@dataclass
class BuiltVariant:
    """A checked variant model file and the facts every result row of it carries."""

    name: str
    path: Path
    techniques: list[dict[str, Any]]
    recipe: str
    parent_sha256: str
    params: int
    macs: int
    weight_bits: int
    sparsity: float
    model_bytes: int
    dataset: str
    dataset_sha256: str
    train_seed: int
    timings: dict[str, float] = field(default_factory=dict)
    cached: bool = False
    check: dict[str, Any] = field(default_factory=dict)


@dataclass
class VariantFailure:
    """A variant that could not be trained, converted or checked: reported, never a row."""

    name: str
    error: str
    train_seed: int | None = None


def _versions() -> str:
    import litert_torch
    return f"torch {torch.__version__}, litert-torch {litert_torch.__version__}"


def _apply_chain(trained: Trained, variant: Variant, ctx: Context) -> Stage:
    stage = Stage(fold_batchnorm(trained.model))
    for step in variant.steps:
        try:
            stage = TECHNIQUES[step.name].apply(stage, step.params, ctx)
        except HilbenchError:
            raise
        except Exception as exc:  # torch / torchao fail in many ways
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            raise ModelError(f"variant {variant.name}: technique {step.name} failed "
                             f"({type(exc).__name__}: {first})") from None
    return stage


def _build_one(recipe: Recipe, variant: Variant, trained: Trained, dataset: Dataset,
               seed: int, quick: bool, say: Callable[[str], None]) -> BuiltVariant:
    chain = json.dumps(variant.techniques, sort_keys=True)
    key = content_key([VARIANT_VERSION, trained.sha256, chain, dataset.name, dataset.sha256,
                       training_fingerprint(dataset),
                       f"{len(dataset.train)}/{len(dataset.val)}", f"quick={quick}",
                       f"seed={seed}", _versions()])
    file_name = f"{recipe.name}-{variant.name}.tflite"
    pick = stratified_indices(dataset.val.y, CHECK_SAMPLES, seed=seed)
    check_x = dataset.val.x[pick]

    def build(folder: Path) -> None:
        start = time.perf_counter()
        ctx = Context(dataset, recipe.train.config(quick, seed),
                      torch.from_numpy(np.ascontiguousarray(dataset.train.x[:1])), seed, quick,
                      say)
        stage = _apply_chain(trained, variant, ctx)
        path = to_tflite(stage, ctx.example, folder / file_name, variant.name)
        exits = attach_exits(path, dataset, say)
        converted = time.perf_counter()
        graph, result = check_against_litert(path, check_x, variant.name, seed=seed)
        checked = time.perf_counter()
        meta = {"stats": model_stats(graph, path).as_dict(), "techniques": variant.techniques,
                "check": {"samples": result.samples, "bit_exact": result.bit_exact,
                          "max_abs_diff": result.max_abs_diff, "reference": "LiteRT BUILTIN_REF"},
                "timings": {"convert": round(converted - start, 3),
                            "check": round(checked - converted, 3)},
                "weight_bits_stage": stage.weight_bits, "notes": stage.notes,
                "parent_sha256": trained.sha256, "versions": _versions(),
                **({"exits": json.loads(exits.as_json())} if exits is not None else {})}
        (folder / "variant.json").write_text(json.dumps(meta, indent=1, default=str))

    say(f"{variant.name}: building ({' -> '.join(s.name for s in variant.steps)})")
    folder, hit = cached_build("variants", key, build)
    meta = json.loads((folder / "variant.json").read_text())
    stats = meta["stats"]
    timings = {"convert": 0.0, "check": 0.0} if hit else dict(meta["timings"])
    say(f"{variant.name}: {'from the cache' if hit else 'built'}, {stats['params']} params, "
        f"{stats['macs']} MACs, {stats['model_bytes']} bytes, checked on "
        f"{meta['check']['samples']} inputs against LiteRT")
    return BuiltVariant(
        name=variant.name, path=folder / file_name, techniques=variant.techniques,
        recipe=recipe.label, parent_sha256=trained.sha256, params=int(stats["params"]),
        macs=int(stats["macs"]), weight_bits=int(stats["weight_bits"]),
        sparsity=float(stats["sparsity"]), model_bytes=int(stats["model_bytes"]),
        dataset=dataset.name, dataset_sha256=dataset.sha256, train_seed=seed,
        timings=timings, cached=hit, check=meta["check"])


def build_variants(recipe: Recipe, *, quick: bool = False, seed: int | None = None,
                   only: list[str] | None = None,
                   progress: Callable[[str], None] | None = None
                   ) -> Iterator[BuiltVariant | VariantFailure]:
    """Yield each selected variant, per training seed, as a checked file or a failure.

    A bad `only` or a missing data set raises before anything is built; a variant (or a
    training run) that fails yields a VariantFailure and the others go on."""
    say = progress or (lambda _msg: None)
    names = [v.name for v in recipe.variants]
    unknown = [n for n in (only or []) if n not in names]
    if unknown:
        raise RecipeError(f"{recipe.label}: no variant {', '.join(unknown)}; "
                          f"the recipe has: {', '.join(names)}")
    selected = [v for v in recipe.variants if not only or v.name in only]
    dataset = load_dataset(recipe.dataset, quick=quick)
    for s in ([seed] if seed is not None else list(recipe.seeds)):
        try:
            trained = train_cached(recipe.model.name, recipe.model.params, dataset,
                                   recipe.train.config(quick, s), quick=quick, progress=say)
        except HilbenchError as exc:
            for v in selected:
                yield VariantFailure(v.name, f"training (seed {s}) failed: {exc}", s)
            continue
        say(f"{recipe.model.name} (seed {s}): best val {trained.history['metric']} "
            f"{trained.history['best_val']:.4f} at epoch {trained.history['best_epoch']}")
        train_seconds = trained.seconds
        for v in selected:
            try:
                built = _build_one(recipe, v, trained, dataset, s, quick, say)
            except HilbenchError as exc:
                yield VariantFailure(v.name, str(exc), s)
                continue
            built.timings = {"train": round(train_seconds, 3), **built.timings}
            train_seconds = 0.0          # the parent's training is counted once per seed
            yield built
