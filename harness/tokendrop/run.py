"""A token-drop sweep: every keep ratio on every target, guide + ViT per input, scored.

Per (variant, target): the guide model runs on the target with the test images and its
outputs are checked against the golden interpreter (a guide that fails or disagrees: a clear
error and no row); the host selects the top-k patches from the target's own class maps; the
ViT for k tokens runs on the target with those tokens, is checked against golden and scored.
The row's `macs` are guide + ViT; `latency_*` are the sum of the guide's and the ViT's (each
stage timed on the target separately; `guide_latency_*` and `vit_latency_*` keep them apart).
Adaptive variants run two ViT files (confident inputs with fewer tokens): MACs and the mean
latency are averaged over the inputs, the accuracy scored on the combined outputs.
"""
from __future__ import annotations

import dataclasses
import fnmatch
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from ..bench import bench_model
from ..datasets import Split, load_dataset
from ..errors import HilbenchError, RecipeError, RunError, RunTimeoutError
from ..evaluate import EvalSet, accuracy_extra, accuracy_metrics, bench_accuracy, eval_set
from ..measure import Measurement, Metric
from ..sweep import SweepItem, subset_for
from ..targets import Target, load_target
from .build import BuiltDrop, build_drop_variants, guide_positions, vit_tokens
from .recipe import load_token_drop_recipe
from .select import confidence, tokens

__all__ = ["token_drop_sweep", "run_pipeline"]

EXAMPLES = 6      # test samples whose kept positions each row records


def _combine(m: Measurement, guide: Measurement | None) -> None:
    """Latency metrics of the pipeline: ViT's as vit_*, guide's as guide_*, sums as the plain
    names (the ViT's alone when no guide runs)."""
    for name in [n for n in m.metrics if n.startswith("latency")]:
        vit = m.metrics[name]
        m.metrics[f"vit_{name}"] = vit
        if guide is None or name not in guide.metrics:
            continue
        g = guide.metrics[name]
        m.metrics[f"guide_{name}"] = g
        m.metrics[name] = Metric(vit.value + g.value, vit.unit, vit.provenance,
                                 f"guide + ViT, each timed on the target: {vit.note}")


def _adaptive(built: BuiltDrop, target: Target, ev: EvalSet, images: np.ndarray,
              maps: np.ndarray, say: Callable[[str], None]
              ) -> tuple[Measurement, np.ndarray, int]:
    """Confident inputs through the ViT with fewer tokens, the others through the ViT with
    `kept_tokens`; the combined outputs scored. Returns the Measurement and the positions of
    the first samples (for the figure) and the ViT MACs averaged over the inputs."""
    assert built.confident_vit_path is not None
    sure = confidence(maps) >= built.confidence
    groups = [(~sure, built.vit_path, built.kept_tokens), (sure, built.confident_vit_path,
                                                            built.confident_tokens)]
    outputs: np.ndarray | None = None
    runs: list[tuple[int, Measurement]] = []
    shown = np.zeros((min(EXAMPLES, len(images)), built.kept_tokens), np.int64) - 1
    for mask, path, k in groups:
        if not mask.any():
            continue
        positions = guide_positions(maps[mask], k)
        part = dataclasses.replace(ev, split=Split(tokens(images[mask], positions),
                                                   ev.split.y[mask]))
        say(f"ViT on {k} tokens for {int(mask.sum())} inputs")
        result = bench_accuracy(path, target, part, progress=say)
        out = result.outputs[0]
        if outputs is None:
            outputs = np.zeros((len(images), *out.shape[1:]), out.dtype)
        outputs[mask] = out
        runs.append((int(mask.sum()), result.measurement))
        where = np.flatnonzero(mask[:len(shown)])
        shown[where, :k] = positions[:len(where)]
    assert outputs is not None
    m = runs[0][1]
    metrics, scores = accuracy_metrics([outputs], ev)
    n = len(images)
    mean_ms = sum(c * r.metrics["latency_ms"].value for c, r in runs) / n
    first = m.metrics["latency_ms"]
    m.metrics = {k: v for k, v in m.metrics.items()
                 if not k.startswith(("latency", "balanced_accuracy", "accuracy"))}
    m.metrics.update(metrics)
    m.metrics["latency_ms"] = Metric(mean_ms, "ms", first.provenance,
                                     f"ViT latency averaged over both ViT models by input: "
                                     f"{first.note}")
    m.n_inputs = n
    m.max_abs_diff = max(float(r.max_abs_diff or 0.0) for _, r in runs)
    m.bit_exact = all(bool(r.bit_exact) for _, r in runs)
    m.extra.update(accuracy_extra(scores, ev))
    m.extra["within_tolerance"] = all(bool(r.extra.get("within_tolerance", True))
                                      for _, r in runs)
    low = float(sure.mean())
    m.extra.update({"confident_fraction": low, "confident_tokens": built.confident_tokens,
                    "confidence_threshold": built.confidence})
    return m, shown, int(round(low * built.confident_vit_macs + (1 - low) * built.vit_macs))


def run_pipeline(built: BuiltDrop, target: Target, ev: EvalSet,
                 say: Callable[[str], None]) -> Measurement:
    """Guide (if any) -> host top-k -> ViT on one target; the ViT's Measurement with the
    pipeline's facts. Raises RunError when the guide fails or disagrees with golden."""
    images = ev.split.x.astype(np.float32)
    guide_m: Measurement | None = None
    maps: np.ndarray | None = None
    if built.guide_path is not None:
        say("guide model")
        try:
            g = bench_model(built.guide_path, target, inputs=[images], progress=say)
        except HilbenchError as exc:
            raise RunError(f"guide model failed on {target.name}: {exc}") from None
        if not g.comparison.ok:
            raise RunError(f"guide model on {target.name}: outputs disagree with the golden "
                           f"interpreter (max |diff| {g.comparison.max_abs_diff:g}); no row")
        maps = g.outputs[0]
        guide_m = g.measurement
    vit_macs = built.vit_macs
    if built.confident_vit_path is not None and maps is not None:
        m, shown, vit_macs = _adaptive(built, target, ev, images, maps, say)
    else:
        if maps is not None:
            x, positions = vit_tokens(images, maps, built.kept_tokens, built.after_block,
                                      built.positions)
        else:       # keep 1.0: every patch in raster order, no guide
            positions = np.broadcast_to(np.arange(built.positions),
                                        (len(images), built.positions)).copy()
            x = tokens(images, positions)
        kept = dataclasses.replace(ev, split=Split(x, ev.split.y))
        after = "" if built.after_block is None else f" after block {built.after_block}"
        say(f"ViT ({built.precision}) on {built.kept_tokens} tokens{after}")
        m = bench_accuracy(built.vit_path, target, kept, progress=say).measurement
        shown = positions[:EXAMPLES]
    _combine(m, guide_m)
    m.extra.update({
        "keep_ratio": built.keep_ratio, "kept_tokens": built.kept_tokens,
        "precision": built.precision, "after_block": built.after_block,
        "train_seed": built.train_seed,
        "macs": vit_macs + built.guide_macs, "vit_macs": vit_macs,
        "guide_macs": built.guide_macs, "params": built.vit_params + built.guide_params,
        "guide_params": built.guide_params, "model_bytes": built.model_bytes,
        "weight_bits": 8 if built.precision == "int8" else 32, "sparsity": 0.0, "techniques": built.techniques,
        "parent_sha256": built.parent_sha256, "guide_sha256": built.guide_sha256,
        "guide_model": str(built.guide_path) if built.guide_path else None,
        "guide_within_tolerance": None if guide_m is None else True,
        "guide_max_abs_diff": None if guide_m is None else guide_m.max_abs_diff,
        "selection": "host: argmax class of the guide's maps, top-k of its map, sorted",
        "example_positions": [[int(p) for p in row if p >= 0] for row in shown.tolist()],
        "within_tolerance": bool(m.extra.get("within_tolerance", True)),
    })
    return m


def token_drop_sweep(recipe_path: Path, targets: Sequence[str], *, quick: bool = False,
                     subset: int | None = None, only: Sequence[str] | None = None,
                     eval_seed: int = 0, seed: int | None = None, all_seeds: bool = False,
                     progress: Callable[[str], None] | None = None) -> Iterator[SweepItem]:
    """Like harness.sweep.sweep, for a `kind: token-drop` recipe: training seed `seed`
    (default: the recipe's first), or every seed of the recipe's `seeds` with `all_seeds`
    (rows told apart by train_seed)."""
    from ..backends import backend_for

    say = progress or (lambda _msg: None)
    recipe = load_token_drop_recipe(Path(recipe_path))
    names = [v.name for v in recipe.variants]
    unknown = [p for p in (only or []) if not fnmatch.filter(names, p)]
    if unknown:
        raise RecipeError(f"{recipe_path}: no variant {', '.join(unknown)}; the recipe has: "
                          f"{', '.join(names)}")
    if only:
        only = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in only)]
    resolved = [load_target(t) for t in targets]
    unavailable = {t.name: backend_for(t).available() for t in resolved}
    dataset = load_dataset(recipe.dataset, quick=quick)
    seeds = list(recipe.seeds) if all_seeds else [recipe.seeds[0] if seed is None else seed]
    for built in (b for s in seeds for b in build_drop_variants(
            recipe, dataset, quick=quick, only=list(only) if only else None, seed=s,
            progress=say)):
        for t in resolved:
            if not isinstance(built, BuiltDrop):
                yield SweepItem(built.name, t.name, error=f"variant {built.name} failed: "
                                f"{built.error}")
                continue
            item = SweepItem(built.name, t.name, seconds=dict(built.timings))
            if unavailable[t.name]:
                item.error = f"target {t.name} is not available: {unavailable[t.name]}"
                item.unavailable = True
                yield item
                continue
            ev = eval_set(dataset, subset_for(recipe, t, subset), eval_seed)
            where = f"{built.name} on {t.name}"
            say(f"{where}: {ev.describe()}")
            start = time.perf_counter()
            def stage(msg: str, w: str = where) -> None:
                say(f"{w}: {msg}")

            try:
                m = run_pipeline(built, t, ev, stage)
                m.model, m.variant = recipe.name, built.name
                m.extra["recipe"] = recipe.label
                item.measurement = m
            except HilbenchError as exc:
                item.error = f"{where}: {exc}"
                item.timed_out = isinstance(exc, RunTimeoutError)
            item.seconds["target_total"] = round(time.perf_counter() - start, 3)
            yield item
