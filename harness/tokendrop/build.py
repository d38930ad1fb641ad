"""A token-drop recipe's model files: the trained ViT and guide (cached training), an optional
fine-tuning of the ViT on kept tokens (cached), and per variant a static-shape .tflite of the
ViT for its k kept tokens plus the guide's class-map model, each converted with litert-torch
and checked against LiteRT's reference kernels (within the float tolerance) before use.

The split of work: the guide model (on the target) computes the class maps; the host picks
the predicted class's map, takes the top-k patches and builds the tokens (select.py); the ViT
model (on the target) classifies the k tokens. Keep ratio 1.0 needs no guide: every patch is
kept, and the ViT runs alone (its cost is the baseline's).
"""
from __future__ import annotations

import copy
import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..cache import cached_build, content_key
from ..datasets import Dataset, Split, stratified_indices
from ..errors import HilbenchError, ModelError
from ..training import Trained, fit, train_cached
from ..variants.check import check_against_litert
from ..variants.convert import to_tflite
from ..variants.stats import model_stats
from ..variants.technique import Stage
from ..zoo import fold_batchnorm
from ..zoo.guide_cnn import ClassMaps, GuideCNN
from .int8 import quantized_stage
from .recipe import DropVariant, TokenDropRecipe
from .select import keep_count, kept_first, saliency, tokens, top_k

__all__ = ["BuiltDrop", "DropFailure", "build_drop_variants", "guide_positions", "vit_tokens",
           "TOKENDROP_VERSION"]

TOKENDROP_VERSION = "hilbench-tokendrop-1"
CHECK_SAMPLES = 16


@dataclass
class BuiltDrop:
    """The files of one keep ratio and the facts its rows carry."""

    name: str
    keep_ratio: float
    kept_tokens: int
    vit_path: Path
    guide_path: Path | None          # None at keep 1.0: no guide runs
    vit_macs: int
    guide_macs: int
    vit_params: int
    guide_params: int
    model_bytes: int
    techniques: list[dict[str, Any]]
    parent_sha256: str
    guide_sha256: str
    timings: dict[str, float] = field(default_factory=dict)
    # adaptive mode: the ViT for confident inputs (fewer tokens)
    confident_vit_path: Path | None = None
    confident_tokens: int = 0
    confident_vit_macs: int = 0
    confidence: float = 0.0
    precision: str = "fp32"               # the ViT's; the guide is fp32
    after_block: int | None = None        # None: dropped at the input
    positions: int = 49                   # patches per image (the ViT's input when after_block)
    train_seed: int = 0


@dataclass
class DropFailure:
    name: str
    error: str


class _Tokens(nn.Module):
    """The ViT on tokens (the deployed model's signature); with `after_block`, it keeps the
    class token and the first `keep` tokens after that block."""

    def __init__(self, vit: nn.Module, after_block: int | None = None, keep: int = 0) -> None:
        super().__init__()
        self.vit, self.after_block, self.keep = vit, after_block, keep

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.vit.forward_tokens(  # type: ignore[operator]
            t, self.after_block, self.keep)
        return out


def vit_tokens(images: np.ndarray, maps: np.ndarray, k: int, after_block: int | None,
               positions: int = 49) -> tuple[np.ndarray, np.ndarray]:
    """The ViT's input for `images` given the guide's class maps, and the kept positions:
    the k kept tokens, or (after_block) every token with the kept ones first."""
    kept = guide_positions(maps, k)
    order = kept if after_block is None else kept_first(kept, positions)
    return tokens(images, order), kept


def _deployed_guide(guide: nn.Module) -> ClassMaps:
    """The guide's class-map model, BatchNorm folded."""
    folded = fold_batchnorm(guide)
    if not isinstance(folded, GuideCNN):
        raise ModelError(f"the guide must be a class-map model (guide-cnn), got "
                         f"{type(folded).__name__}")
    return ClassMaps(folded)


def _class_maps(guide: nn.Module, x: np.ndarray) -> np.ndarray:
    maps = _deployed_guide(guide).eval()
    with torch.no_grad():
        return np.concatenate([maps(torch.from_numpy(x[i:i + 512])).numpy()
                               for i in range(0, len(x), 512)])


def guide_positions(maps: np.ndarray, k: int) -> np.ndarray:
    """The kept positions (N, k) of class maps (N, 7, 7, classes): the host's selection."""
    return top_k(saliency(maps), k)


def _token_split(guide: nn.Module, split: Split, k: int, after_block: int | None) -> Split:
    return Split(vit_tokens(split.x, _class_maps(guide, split.x), k, after_block)[0], split.y)


def _finetuned(recipe: TokenDropRecipe, v: DropVariant, vit: Trained, guide: Trained,
               dataset: Dataset, k: int, quick: bool, say: Callable[[str], None]) -> nn.Module:
    cfg = dataclasses.replace(recipe.train.config(quick), epochs=v.drop.finetune_epochs,
                              lr=v.drop.finetune_lr)
    after = v.drop.after_block
    key = content_key([TOKENDROP_VERSION, "finetune", vit.sha256, guide.sha256, str(k),
                       cfg.canonical(), dataset.sha256, f"quick={quick}"]
                      + ([] if after is None else [f"after_block={after}"]))

    def build(folder: Path) -> None:
        data = dataclasses.replace(
            dataset, train=_token_split(guide.model, dataset.train, k, after),
            val=_token_split(guide.model, dataset.val, k, after))
        model, history = fit(_Tokens(copy.deepcopy(vit.model), after, k), data, cfg, say,
                             label=f"{v.name} fine-tune")
        torch.save(model.vit.state_dict(), folder / "state_dict.pt")
        (folder / "history.json").write_text(json.dumps(history.as_dict()))

    folder, _ = cached_build("tokendrop-finetune", key, build)
    model = copy.deepcopy(vit.model)
    model.load_state_dict(torch.load(folder / "state_dict.pt", weights_only=True))
    return model.eval()


def _convert(module: nn.Module | Stage, example: torch.Tensor, out: Path, name: str,
             check_x: np.ndarray) -> tuple[Path, dict[str, Any]]:
    """To .tflite, checked against LiteRT's reference kernels (int8: bit for bit)."""
    stage = module if isinstance(module, Stage) else Stage(module.eval())
    path = to_tflite(stage, example, out, name)
    graph, check = check_against_litert(path, check_x, name)
    stats = model_stats(graph, path).as_dict()
    stats["bit_exact_check"] = check.bit_exact
    return path, stats


def _calibration(guide: nn.Module, dataset: Dataset, samples: int, k: int,
                 after_block: int | None) -> np.ndarray:
    """The ViT's input for `samples` stratified training images (int8 calibration)."""
    x = dataset.train.x[stratified_indices(dataset.train.y, samples, seed=0)]
    return vit_tokens(x, _class_maps(guide, x), k, after_block)[0]


def _build_one(recipe: TokenDropRecipe, v: DropVariant, vit: Trained, guide: Trained,
               dataset: Dataset, quick: bool, say: Callable[[str], None]) -> BuiltDrop:
    import litert_torch
    positions = int(vit.model.positions)   # type: ignore[arg-type]
    k = keep_count(v.drop.keep, positions)
    key = content_key([TOKENDROP_VERSION, vit.sha256, guide.sha256, json.dumps(v.techniques),
                       dataset.sha256, f"quick={quick}", torch.__version__,
                       litert_torch.__version__])
    pick = stratified_indices(dataset.val.y, CHECK_SAMPLES, seed=0)
    images = dataset.val.x[pick]

    def build(folder: Path) -> None:
        start = time.perf_counter()
        model = (_finetuned(recipe, v, vit, guide, dataset, k, quick, say)
                 if v.drop.finetune_epochs and k < positions else vit.model)
        tuned = time.perf_counter()
        after = v.drop.after_block
        check_x = vit_tokens(images, _class_maps(guide.model, images), k, after)[0]
        width = int(model.token_size)   # type: ignore[arg-type]
        module = _Tokens(model, after, k).eval()
        deployed: nn.Module | Stage = module
        if v.drop.precision == "int8":
            say(f"{v.name}: int8 (PT2E) calibrated on {v.drop.calibration_samples} images")
            deployed = quantized_stage(module, _calibration(
                guide.model, dataset, v.drop.calibration_samples, k, after))
        vit_path, vit_stats = _convert(deployed, torch.zeros(1, check_x.shape[1], width),
                                       folder / f"{recipe.name}-{v.name}-vit.tflite", v.name,
                                       check_x)
        meta: dict[str, Any] = {"vit": vit_stats, "k": k}
        if v.drop.confident_keep is not None:
            low = keep_count(v.drop.confident_keep, positions)
            _, meta["confident_vit"] = _convert(
                _Tokens(model), torch.zeros(1, low, width),
                folder / f"{recipe.name}-{v.name}-confident-vit.tflite", v.name,
                tokens(images, guide_positions(_class_maps(guide.model, images), low)))
            meta["confident_k"] = low
        if k < positions or v.drop.confident_keep is not None:
            _, guide_stats = _convert(_deployed_guide(guide.model),
                                      torch.zeros(1, *dataset.sample_shape),
                                      folder / f"{recipe.name}-guide.tflite", "guide", images)
            meta["guide"] = guide_stats
        meta["timings"] = {"finetune": round(tuned - start, 3),
                           "convert_check": round(time.perf_counter() - tuned, 3)}
        (folder / "tokendrop.json").write_text(json.dumps(meta, indent=1, default=str))

    say(f"{v.name}: keep {v.drop.keep} = {k} of {positions} tokens")
    folder, hit = cached_build("tokendrop", key, build)
    meta = json.loads((folder / "tokendrop.json").read_text())
    guide_stats = meta.get("guide")
    guide_path = folder / f"{recipe.name}-guide.tflite" if guide_stats else None
    return BuiltDrop(
        name=v.name, keep_ratio=v.drop.keep, kept_tokens=k,
        vit_path=folder / f"{recipe.name}-{v.name}-vit.tflite", guide_path=guide_path,
        vit_macs=int(meta["vit"]["macs"]), guide_macs=int(guide_stats["macs"]) if guide_stats else 0,
        vit_params=int(meta["vit"]["params"]),
        guide_params=int(guide_stats["params"]) if guide_stats else 0,
        model_bytes=int(meta["vit"]["model_bytes"]) + (int(guide_stats["model_bytes"])
                                                       if guide_stats else 0),
        techniques=v.techniques, parent_sha256=vit.sha256, guide_sha256=guide.sha256,
        timings={"convert_check": 0.0} if hit else dict(meta["timings"]),
        confident_vit_path=(folder / f"{recipe.name}-{v.name}-confident-vit.tflite"
                            if "confident_vit" in meta else None),
        confident_tokens=int(meta.get("confident_k", 0)),
        confident_vit_macs=int(meta["confident_vit"]["macs"]) if "confident_vit" in meta else 0,
        confidence=v.drop.confidence, precision=v.drop.precision,
        after_block=v.drop.after_block, positions=positions)


def build_drop_variants(recipe: TokenDropRecipe, dataset: Dataset, *, quick: bool = False,
                        only: list[str] | None = None, seed: int | None = None,
                        progress: Callable[[str], None] | None = None
                        ) -> list[BuiltDrop | DropFailure]:
    """Train (cached) the ViT and the guide (with `seed`, default: each one's `train.seed`),
    then build every selected variant's files."""
    say = progress or (lambda _msg: None)
    selected = [v for v in recipe.variants if not only or v.name in only]
    try:
        vit = train_cached(recipe.model.name, recipe.model.params, dataset,
                           recipe.train.config(quick, seed), quick=quick, progress=say)
        guide = train_cached(recipe.guide.name, recipe.guide.params, dataset,
                             recipe.guide_train.config(quick, seed), quick=quick, progress=say)
    except HilbenchError as exc:
        return [DropFailure(v.name, f"training failed: {exc}") for v in selected]
    say(f"ViT best val {vit.history['best_val']:.4f}, guide best val "
        f"{guide.history['best_val']:.4f}")
    out: list[BuiltDrop | DropFailure] = []
    for v in selected:
        try:
            built = _build_one(recipe, v, vit, guide, dataset, quick, say)
            out.append(dataclasses.replace(
                built, train_seed=recipe.train.seed if seed is None else seed))
        except (HilbenchError, ModelError) as exc:
            out.append(DropFailure(v.name, str(exc)))
    return out
