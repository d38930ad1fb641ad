"""Recipe parsing: every mistake is one RecipeError line naming the file, the variant, the key
and the known choices; the suites' recipes parse."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch", reason="needs the compress extra: pip install -e '.[compress]'")

import yaml

from harness.errors import RecipeError
from harness.variants import TECHNIQUES, load_recipe, parse_recipe

ROOT = Path(__file__).resolve().parent.parent
SUITE_RECIPES = ["suites/digits/recipe.yaml", "suites/fashion_mnist/recipe.yaml",
                 "suites/har/recipe.yaml"]


def _recipe(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "t", "dataset": "digits", "model": {"name": "digits-cnn", "params": {"width": 4}},
        "train": {"epochs": 2, "batch_size": 16, "lr": 0.01, "quick": {"epochs": 1}},
        "variants": [{"name": "fp32", "techniques": [{"fp32": {}}]},
                     {"name": "ptq", "techniques": [{"int8-ptq": {"samples": 10}}]}],
    }
    data.update(changes)
    return data


def _error(data: Any, tmp_path: Path) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    message = str(info.value)
    assert "\n" not in message, message
    assert str(path) in message, message
    return message


@pytest.mark.parametrize("rel", SUITE_RECIPES)
def test_suite_recipes_parse(rel: str) -> None:
    recipe = load_recipe(ROOT / rel)
    assert {"fp32", "int8-ptq", "int8-qat"} <= {v.name for v in recipe.variants}
    assert recipe.train.config(quick=True).epochs <= recipe.train.config().epochs


def test_parsed_recipe_values() -> None:
    recipe = parse_recipe(_recipe(seeds=[3, 4], eval={"subset": {"rv32-nnx": 50, "default": None}}))
    assert recipe.seeds == (3, 4)
    assert recipe.eval.subset == {"rv32-nnx": 50, "default": None}
    assert recipe.train.config(quick=True).epochs == 1
    assert recipe.train.config(quick=False, seed=7).seed == 7
    ptq = recipe.variants[1]
    assert ptq.techniques == [{"name": "int8-ptq", "params": {
        "calibration": "minmax", "percentile": 99.99, "samples": 10, "batch_size": 64}}]


def test_unknown_technique_lists_the_known_ones(tmp_path: Path) -> None:
    data = _recipe(variants=[{"name": "v1", "techniques": [{"int4-magic": {}}]}])
    message = _error(data, tmp_path)
    assert "variant 'v1'" in message and "'int4-magic'" in message
    for name in TECHNIQUES:
        assert name in message


def test_unknown_parameter_lists_the_known_ones(tmp_path: Path) -> None:
    data = _recipe(variants=[{"name": "v2", "techniques": [{"int8-ptq": {"sampels": 5}}]}])
    message = _error(data, tmp_path)
    assert "variant 'v2'" in message and "'sampels'" in message
    assert "calibration" in message and "samples" in message


def test_bad_parameter_value(tmp_path: Path) -> None:
    data = _recipe(variants=[{"name": "v3", "techniques": [
        {"int8-ptq": {"calibration": "kl-divergence"}}]}])
    message = _error(data, tmp_path)
    assert "variant 'v3'" in message and "calibration" in message and "minmax" in message
    data = _recipe(variants=[{"name": "v4", "techniques": [{"int8-ptq": {"percentile": 120}}]}])
    assert "percentile" in _error(data, tmp_path)


def test_missing_key(tmp_path: Path) -> None:
    data = _recipe()
    del data["model"]
    message = _error(data, tmp_path)
    assert "'model'" in message and "required" in message.lower()


def test_wrong_type(tmp_path: Path) -> None:
    message = _error(_recipe(train={"epochs": "many"}), tmp_path)
    assert "train.epochs" in message and "many" in message
    message = _error(_recipe(variants=[{"name": "v5", "techniques": "fp32"}]), tmp_path)
    assert "variant 'v5'" in message and "techniques" in message


def test_unknown_top_level_and_train_keys(tmp_path: Path) -> None:
    assert "known keys" in _error(_recipe(optimiser="sgd"), tmp_path)
    message = _error(_recipe(train={"epochs": 2, "momentum": 0.9}), tmp_path)
    assert "'momentum'" in message and "batch_size" in message


def test_unknown_dataset_and_model(tmp_path: Path) -> None:
    assert "digits" in _error(_recipe(dataset="mnist-9"), tmp_path)
    message = _error(_recipe(model={"name": "resnet-999"}), tmp_path)
    assert "digits-cnn" in message and "har-cnn" in message
    message = _error(_recipe(model={"name": "digits-cnn", "params": {"depth": 3}}), tmp_path)
    assert "'model.params.depth'" in message and "width" in message


def test_quantizing_step_must_be_last(tmp_path: Path) -> None:
    data = _recipe(variants=[{"name": "v6", "techniques": [{"int8-ptq": {}}, {"fp32": {}}]}])
    assert "last" in _error(data, tmp_path)


def test_duplicate_variant_names_and_bad_yaml(tmp_path: Path) -> None:
    data = _recipe(variants=[{"name": "a", "techniques": [{"fp32": {}}]},
                             {"name": "a", "techniques": [{"fp32": {}}]}])
    assert "unique" in _error(data, tmp_path)
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(RecipeError, match="YAML"):
        load_recipe(path)
    with pytest.raises(RecipeError, match="not found"):
        load_recipe(tmp_path / "absent.yaml")
