"""A compression recipe: YAML naming a data set, a zoo model, how to train it, and variants,
each a chain of techniques with parameters.

    name: digits
    dataset: digits
    model: {name: digits-cnn, params: {width: 8}}
    train: {epochs: 20, batch_size: 64, lr: 0.003, seed: 0, quick: {epochs: 3}}
    seeds: [0]                                       # optional: several training seeds
    eval: {subset: {rv32-nnx: 200, default: null}}   # optional per-target test subset sizes
    variants:
      - name: int8-ptq
        techniques: [{int8-ptq: {calibration: minmax, samples: 200}}]

Everything is checked at load time with pydantic (unknown keys forbidden): a bad recipe is
one `RecipeError` line naming the file, the variant, the key, and the known choices.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..datasets import DATASETS
from ..errors import RecipeError
from ..training.config import TrainConfig
from ..zoo import MODELS, model_parameters
from .technique import Params
from .techniques import TECHNIQUES

__all__ = ["Recipe", "Variant", "Step", "ModelSpec", "TrainSpec", "EvalSpec", "load_recipe",
           "parse_recipe"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSpec(_Strict):
    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class QuickTrain(_Strict):
    """Overrides of `train` in quick (CI) mode."""

    epochs: int | None = Field(None, ge=1)
    batch_size: int | None = Field(None, ge=1)
    lr: float | None = Field(None, gt=0)
    weight_decay: float | None = Field(None, ge=0)


class TrainSpec(_Strict):
    epochs: int = Field(10, ge=1)
    batch_size: int = Field(64, ge=1)
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    schedule: Literal["cosine", "constant"] = "cosine"
    class_weights: Literal["balanced"] | list[float] | None = None
    sampling: Literal["shuffle", "balanced"] = "shuffle"
    seed: int = 0
    quick: QuickTrain | None = None

    def config(self, quick: bool = False, seed: int | None = None) -> TrainConfig:
        """The TrainConfig to use (quick overrides applied, seed replaced when given)."""
        values = self.model_dump(exclude={"quick"})
        if quick and self.quick is not None:
            values.update({k: v for k, v in self.quick.model_dump().items() if v is not None})
        if isinstance(values["class_weights"], list):
            values["class_weights"] = tuple(values["class_weights"])
        if seed is not None:
            values["seed"] = seed
        return TrainConfig(**values)


class EvalSpec(_Strict):
    # target name (or "default") -> test samples to run there; None: the whole test split
    subset: dict[str, Annotated[int, Field(ge=1)] | None] = Field(default_factory=dict)


class _RawVariant(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
    techniques: list[dict[str, dict[str, Any] | None]] = Field(min_length=1)


class _RawRecipe(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
    dataset: str
    model: ModelSpec
    train: TrainSpec = Field(default_factory=lambda: TrainSpec.model_validate({}))
    seeds: list[int] | None = Field(None, min_length=1)
    eval: EvalSpec = Field(default_factory=lambda: EvalSpec.model_validate({}))
    variants: list[_RawVariant] = Field(min_length=1)
    # early-exit models: the thresholds (calibrated max-softmax, 0..1) a sweep runs
    exit_thresholds: list[Annotated[float, Field(ge=0.0, le=1.0)]] | None = None


@dataclass(frozen=True)
class Step:
    """One technique of a chain with its checked parameters."""

    name: str
    params: Params

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "params": self.params.model_dump()}


@dataclass(frozen=True)
class Variant:
    name: str
    steps: tuple[Step, ...]

    @property
    def techniques(self) -> list[dict[str, Any]]:
        return [s.as_dict() for s in self.steps]


@dataclass(frozen=True)
class Recipe:
    name: str
    path: Path | None
    dataset: str
    model: ModelSpec
    train: TrainSpec
    seeds: tuple[int, ...]
    eval: EvalSpec
    variants: tuple[Variant, ...] = field(default_factory=tuple)
    exit_thresholds: tuple[float, ...] = ()

    @property
    def label(self) -> str:
        """The recipe's name and file, as variant rows record it."""
        return f"{self.name} ({self.path})" if self.path else self.name


def load_recipe(path: Path) -> Recipe:
    """Read and check a recipe file; RecipeError (one line) on any problem."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"{path}: recipe file not found")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise RecipeError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None
    return parse_recipe(data, str(path), path)


def _unknown_keys(where: str, data: Any, cls: type[BaseModel], what: str = "keys") -> None:
    if isinstance(data, dict):
        extra = [k for k in data if k not in cls.model_fields]
        if extra:
            raise RecipeError(f"{where}: unknown key {extra[0]!r}; known {what}: "
                              f"{', '.join(cls.model_fields) or 'none'}")


def _one_line(where: str, exc: ValidationError, data: Any) -> RecipeError:
    err = exc.errors()[0]
    loc = list(err["loc"])
    prefix = where
    if len(loc) >= 2 and loc[0] == "variants" and isinstance(loc[1], int):
        try:
            prefix += f": variant {data['variants'][loc[1]]['name']!r}"
        except (KeyError, IndexError, TypeError):
            prefix += f": variant #{loc[1] + 1}"
        loc = loc[2:]
    key = ".".join(str(p) for p in loc) or "(top level)"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    got = f", got {err['input']!r}" if err["type"] != "missing" and not isinstance(
        err.get("input"), (dict, list)) else ""
    return RecipeError(f"{prefix}: key {key!r}: {err['msg']}{got}{more}")


def _check_structure(where: str, data: Any) -> None:
    if not isinstance(data, dict):
        raise RecipeError(f"{where}: a recipe is a mapping with keys "
                          f"{', '.join(_RawRecipe.model_fields)}, got {type(data).__name__}")
    _unknown_keys(where, data, _RawRecipe)
    _unknown_keys(f"{where}: model", data.get("model"), ModelSpec)
    train = data.get("train")
    _unknown_keys(f"{where}: train", train, TrainSpec)
    if isinstance(train, dict):
        _unknown_keys(f"{where}: train.quick", train.get("quick"), QuickTrain)
    _unknown_keys(f"{where}: eval", data.get("eval"), EvalSpec)
    for k, v in enumerate(data.get("variants") or []):
        name = v.get("name", f"#{k + 1}") if isinstance(v, dict) else f"#{k + 1}"
        _unknown_keys(f"{where}: variant {name!r}", v, _RawVariant)


def _step(where: str, entry: dict[str, Any]) -> Step:
    known = ", ".join(TECHNIQUES)
    if len(entry) != 1:
        raise RecipeError(f"{where}: each technique is a one-key mapping {{name: {{params}}}}, "
                          f"got keys {list(entry)}; known techniques: {known}")
    name, raw = next(iter(entry.items()))
    if name not in TECHNIQUES:
        raise RecipeError(f"{where}: unknown technique {name!r}; known techniques: {known}")
    cls = TECHNIQUES[name].params
    raw = raw or {}
    _unknown_keys(f"{where}: technique {name!r}", raw, cls, "parameters")
    try:
        return Step(name, cls.model_validate(raw))
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        what = f"parameter {key!r}" if key else "parameters"     # "" : a check of several
        raise RecipeError(f"{where}: technique {name!r}: {what}: {err['msg']}, got "
                          f"{err.get('input')!r}; known parameters: "
                          f"{', '.join(cls.model_fields)}") from None


def _variant(where: str, raw: _RawVariant) -> Variant:
    here = f"{where}: variant {raw.name!r}"
    steps = tuple(_step(here, entry) for entry in raw.techniques)
    for k, s in enumerate(steps[:-1]):
        if TECHNIQUES[s.name].quantizes:
            raise RecipeError(f"{here}: technique {s.name!r} quantizes, so it must be the last "
                              f"of the chain; put {steps[k + 1].name!r} before it")
    return Variant(raw.name, steps)


def parse_recipe(data: Any, where: str = "<recipe>", path: Path | None = None) -> Recipe:
    """Check a recipe already read from YAML; `where` names it in errors."""
    _check_structure(where, data)
    try:
        raw = _RawRecipe.model_validate(data)
    except ValidationError as exc:
        raise _one_line(where, exc, data) from None
    if raw.dataset not in DATASETS:
        raise RecipeError(f"{where}: key 'dataset': unknown data set {raw.dataset!r}; "
                          f"known: {', '.join(DATASETS)}")
    if raw.model.name not in MODELS:
        raise RecipeError(f"{where}: key 'model.name': unknown model {raw.model.name!r}; "
                          f"known models: {', '.join(MODELS)}")
    accepted = model_parameters(raw.model.name)
    for key in raw.model.params:
        if key not in accepted:
            raise RecipeError(f"{where}: key 'model.params.{key}': model {raw.model.name!r} has "
                              f"no such parameter; known parameters: {', '.join(accepted)}")
    try:
        raw.train.config()
    except ValueError as exc:
        raise RecipeError(f"{where}: key 'train': {exc}") from None
    variants = tuple(_variant(where, v) for v in raw.variants)
    names = [v.name for v in variants]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RecipeError(f"{where}: variant names must be unique; repeated: {', '.join(dupes)}")
    seeds = tuple(raw.seeds) if raw.seeds else (raw.train.seed,)
    return Recipe(raw.name, path, raw.dataset, raw.model, raw.train, seeds, raw.eval, variants,
                  tuple(raw.exit_thresholds or ()))
