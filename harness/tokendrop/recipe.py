"""A token-dropping recipe (`kind: token-drop`): a ViT, a guide model, how to train both, and
variants that each keep a ratio of the patches.

    name: vit
    kind: token-drop
    dataset: fashion-mnist
    model: {name: tiny-vit, params: {}}
    guide: {name: guide-cnn, params: {}}
    train: {epochs: 6, lr: 0.002, quick: {epochs: 1}}          # the ViT
    guide_train: {epochs: 4, lr: 0.003, quick: {epochs: 1}}
    eval: {subset: {default: 1000}}
    variants:
      - name: keep0.5
        techniques: [{token-drop: {keep: 0.5}}]                  # training-free
      - name: keep0.5-ft
        techniques: [{token-drop: {keep: 0.5, finetune_epochs: 1}}]
      - name: keep0.5-after2
        techniques: [{token-drop: {keep: 0.5, after_block: 2}}]     # blocks 0-1 see all
      - name: keep0.5-int8
        techniques: [{token-drop: {keep: 0.5, precision: int8}}]
    seeds: [0, 1, 2]          # optional: train (ViT and guide) with each; --all-seeds runs all

Checked with pydantic like every recipe: one `RecipeError` line on bad input.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..datasets import DATASETS
from ..errors import RecipeError
from ..variants.recipe import EvalSpec, ModelSpec, TrainSpec
from ..zoo import MODELS

__all__ = ["TokenDropRecipe", "TokenDrop", "DropVariant", "load_token_drop_recipe",
           "is_token_drop_recipe", "PRECISIONS"]

PRECISIONS = ("fp32",)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TokenDrop(_Strict):
    """The `token-drop` technique: keep `keep` of the patches (top-k of the guide's saliency)
    at the ViT's input, or with `after_block` b after block b (blocks 0..b-1 see every token;
    b <= the ViT's depth); `finetune_epochs` > 0 fine-tunes the ViT on kept tokens first.
    `precision: int8`: the ViT quantized post-training (PT2E, per-channel int8 weights,
    activations calibrated on `calibration_samples` training images' kept tokens); litert-torch
    leaves layer norm, the attention matmuls and SOFTMAX in float (mixed precision). The
    guide stays fp32.
    Adaptive mode: `confident_keep` is the ratio kept for inputs whose guide softmax
    confidence reaches `confidence` (a second static-shape ViT file; training-free only)."""

    keep: float = Field(gt=0.0, le=1.0)
    after_block: int | None = Field(None, ge=0)
    finetune_epochs: int = Field(0, ge=0)
    finetune_lr: float = Field(3e-4, gt=0)
    precision: Literal["fp32", "int8"] = "fp32"
    calibration_samples: int = Field(200, ge=1)
    confident_keep: float | None = Field(None, gt=0.0, le=1.0)
    confidence: float = Field(0.9, gt=0.0, lt=1.0)

    @model_validator(mode="after")
    def _adaptive(self) -> TokenDrop:
        if self.confident_keep is not None and (self.finetune_epochs or
                                                self.confident_keep >= self.keep):
            raise ValueError("confident_keep must be below keep, and the adaptive mode is "
                             "training-free (finetune_epochs 0)")
        if self.confident_keep is not None and (self.after_block is not None or
                                                self.precision != "fp32"):
            raise ValueError("the adaptive mode (confident_keep) drops at the input, in fp32")
        return self


class _RawVariant(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
    techniques: list[dict[Literal["token-drop"], TokenDrop]] = Field(min_length=1, max_length=1)


class _RawRecipe(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
    kind: Literal["token-drop"]
    dataset: str
    model: ModelSpec
    guide: ModelSpec
    train: TrainSpec = Field(default_factory=lambda: TrainSpec.model_validate({}))
    guide_train: TrainSpec = Field(default_factory=lambda: TrainSpec.model_validate({}))
    eval: EvalSpec = Field(default_factory=lambda: EvalSpec.model_validate({}))
    seeds: list[int] | None = Field(None, min_length=1)
    variants: list[_RawVariant] = Field(min_length=1)


@dataclass(frozen=True)
class DropVariant:
    name: str
    drop: TokenDrop

    @property
    def techniques(self) -> list[dict[str, Any]]:
        return [{"name": "token-drop", "params": self.drop.model_dump()}]


@dataclass(frozen=True)
class TokenDropRecipe:
    name: str
    path: Path | None
    dataset: str
    model: ModelSpec
    guide: ModelSpec
    train: TrainSpec
    guide_train: TrainSpec
    eval: EvalSpec
    variants: tuple[DropVariant, ...]
    seeds: tuple[int, ...] = ()     # training seeds (ViT and guide); () = train.seed only

    def __post_init__(self) -> None:
        if not self.seeds:
            object.__setattr__(self, "seeds", (self.train.seed,))

    @property
    def label(self) -> str:
        return f"{self.name} ({self.path})" if self.path else self.name


def _read(path: Path) -> Any:
    if not path.is_file():
        raise RecipeError(f"{path}: recipe file not found")
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise RecipeError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None


def is_token_drop_recipe(path: Path) -> bool:
    """Whether the recipe file says `kind: token-drop` (False for anything unreadable: the
    ordinary recipe parser then reports it)."""
    try:
        data = _read(Path(path))
    except RecipeError:
        return False
    return isinstance(data, dict) and data.get("kind") == "token-drop"


def load_token_drop_recipe(path: Path) -> TokenDropRecipe:
    """Read and check a token-drop recipe; RecipeError (one line) on any problem."""
    path = Path(path)
    data = _read(path)
    try:
        raw = _RawRecipe.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        known = ", ".join(TokenDrop.model_fields) if "token-drop" in key else \
            ", ".join(_RawRecipe.model_fields)
        raise RecipeError(f"{path}: key {key!r}: {err['msg']}; known keys here: {known}") \
            from None
    if raw.dataset not in DATASETS:
        raise RecipeError(f"{path}: unknown data set {raw.dataset!r}; known: {', '.join(DATASETS)}")
    for spec in (raw.model, raw.guide):
        if spec.name not in MODELS:
            raise RecipeError(f"{path}: unknown model {spec.name!r}; known: {', '.join(MODELS)}")
    names = [v.name for v in raw.variants]
    if len(set(names)) != len(names):
        raise RecipeError(f"{path}: variant names must be unique")
    variants = tuple(DropVariant(v.name, v.techniques[0]["token-drop"]) for v in raw.variants)
    depth = int(raw.model.params.get("depth", 4))
    for v in variants:
        if v.drop.after_block is not None and v.drop.after_block > depth:
            raise RecipeError(f"{path}: variant {v.name}: after_block {v.drop.after_block} is "
                              f"past the ViT's last block (depth {depth})")
    return TokenDropRecipe(raw.name, path, raw.dataset, raw.model, raw.guide, raw.train,
                           raw.guide_train, raw.eval, variants,
                           tuple(raw.seeds) if raw.seeds else ())
