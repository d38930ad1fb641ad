"""The digits recipe end to end in quick mode: fp32, int8-ptq and int8-qat files that import,
agree bit for bit with LiteRT's reference kernels (int8), and keep the fp32 accuracy; the
caches; a failing technique becomes a VariantFailure while the others go on."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="needs the compress extra: pip install -e '.[compress]'")
pytest.importorskip("litert_torch", reason="needs the compress extra: pip install -e '.[compress]'")

from harness.accuracy import predictions, score
from harness.datasets import load_dataset
from harness.errors import ModelError, RecipeError
from harness.evaluate import model_inputs
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.litert_ref import litert_unavailable, run_litert
from harness.variants import (
    TECHNIQUES,
    BuiltVariant,
    Params,
    Technique,
    VariantFailure,
    build_variants,
    load_recipe,
    parse_recipe,
)

pytestmark = pytest.mark.skipif(litert_unavailable() is not None,
                                reason=litert_unavailable() or "")

RECIPE = Path(__file__).resolve().parent.parent / "suites" / "digits" / "recipe.yaml"


@pytest.fixture(scope="session")
def variant_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One private cache for the session: later tests reuse the trained and converted files."""
    cache = tmp_path_factory.mktemp("hilbench-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HILBENCH_CACHE", str(cache))
        yield cache


@pytest.fixture(scope="session")
def digits_variants(variant_cache: Path) -> dict[str, BuiltVariant]:
    built = list(build_variants(load_recipe(RECIPE), quick=True))
    failures = [b for b in built if isinstance(b, VariantFailure)]
    assert not failures, failures
    return {b.name: b for b in built if isinstance(b, BuiltVariant)}


def _test_accuracy(path: Path) -> float:
    d = load_dataset("digits", quick=True)
    graph = load_model(path)
    out = GoldenInterpreter(graph).run(model_inputs(graph, d.test.x))
    return score(d.test.y, predictions(out[0]), d.classes).accuracy


def test_three_variants_with_their_facts(digits_variants: dict[str, BuiltVariant],
                                         variant_cache: Path) -> None:
    assert set(digits_variants) == {"fp32", "int8-ptq", "int8-qat"}
    parents = {b.parent_sha256 for b in digits_variants.values()}
    assert len(parents) == 1
    for b in digits_variants.values():
        assert b.path.is_file() and variant_cache in b.path.parents
        graph = load_model(b.path)
        assert b.macs == graph.macs() > 0 and b.params > 0
        assert b.model_bytes == b.path.stat().st_size
        assert b.dataset == "digits" and len(b.dataset_sha256) == 64
        assert b.techniques[0]["name"] == b.name and b.train_seed == 0
        assert set(b.timings) == {"train", "convert", "check"}
        ops = {op.kind for op in graph.ops}
        assert "CONV_2D" in ops and not ops & {"PAD", "TRANSPOSE", "MEAN"}
    assert digits_variants["fp32"].weight_bits == 32
    for name in ("int8-ptq", "int8-qat"):
        b = digits_variants[name]
        assert b.weight_bits == 8 and b.check["bit_exact"]
        assert load_model(b.path).dtype == "int8"
        assert b.model_bytes < digits_variants["fp32"].model_bytes


def test_int8_variants_bit_exact_with_litert(digits_variants: dict[str, BuiltVariant]) -> None:
    d = load_dataset("digits", quick=True)
    for name in ("int8-ptq", "int8-qat"):
        path = digits_variants[name].path
        graph = load_model(path)
        inputs = model_inputs(graph, d.test.x[:40])
        golden = GoldenInterpreter(graph).run(inputs)
        reference = run_litert(path, inputs, reference_kernels=True)
        np.testing.assert_array_equal(golden[0], reference[0])


def test_int8_accuracy_close_to_fp32(digits_variants: dict[str, BuiltVariant]) -> None:
    fp32 = _test_accuracy(digits_variants["fp32"].path)
    assert fp32 > 0.88, fp32
    for name in ("int8-ptq", "int8-qat"):
        acc = _test_accuracy(digits_variants[name].path)
        assert acc > 0.85 and abs(acc - fp32) <= 0.03, (name, acc, fp32)


def test_second_build_comes_from_the_cache(digits_variants: dict[str, BuiltVariant]) -> None:
    again = [b for b in build_variants(load_recipe(RECIPE), quick=True, only=["int8-ptq"])]
    assert len(again) == 1 and isinstance(again[0], BuiltVariant)
    b = again[0]
    assert b.cached and b.path == digits_variants["int8-ptq"].path
    assert b.timings == {"train": 0.0, "convert": 0.0, "check": 0.0}


def test_unknown_only_is_a_recipe_error(variant_cache: Path) -> None:
    with pytest.raises(RecipeError, match="int8-ptq"):
        next(build_variants(load_recipe(RECIPE), quick=True, only=["int4"]))


def test_failing_technique_is_reported_and_skipped(digits_variants: dict[str, BuiltVariant],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(stage: object, params: object, ctx: object) -> object:
        raise RuntimeError("no such kernel")

    monkeypatch.setitem(TECHNIQUES, "explode", Technique("explode", Params, explode))
    recipe = parse_recipe({
        "name": "digits", "dataset": "digits", "model": {"name": "digits-cnn",
                                                         "params": {"width": 8}},
        "train": load_recipe(RECIPE).train.model_dump(exclude_none=True),
        "variants": [{"name": "bad", "techniques": [{"explode": {}}]},
                     {"name": "fp32", "techniques": [{"fp32": {}}]}]})
    items = list(build_variants(recipe, quick=True))
    assert isinstance(items[0], VariantFailure) and items[0].name == "bad"
    assert "explode" in items[0].error and "no such kernel" in items[0].error
    assert isinstance(items[1], BuiltVariant) and items[1].name == "fp32"
    assert not any((Path(os.environ["HILBENCH_CACHE"]) / "variants").glob(".*"))


def test_percentile_calibration_ignores_outliers() -> None:
    import torch

    from harness.variants.observers import PercentileObserver

    obs = PercentileObserver(percentile=99.0, dtype=torch.int8, quant_min=-128, quant_max=127,
                             eps=2 ** -12)
    values = torch.linspace(-1.0, 1.0, 10001)
    values[0] = -100.0                                   # one outlier
    obs(values)
    scale, _ = obs.calculate_qparams()
    assert float(scale) < 2.5 / 255                      # min/max would give ~101 / 255


def test_conversion_failure_is_a_model_error(tmp_path: Path) -> None:
    import torch

    from harness.variants.convert import to_tflite
    from harness.variants.technique import Stage

    class Broken(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.nonzero(x)                     # data-dependent shape: not exportable

    with pytest.raises(ModelError, match="variant broken: conversion to TFLite failed"):
        to_tflite(Stage(Broken()), torch.ones(1, 2, 2, 1), tmp_path / "b.tflite", "broken")
