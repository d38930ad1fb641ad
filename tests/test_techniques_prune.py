"""Structured and magnitude pruning on the digits CNN (quick): ratio 0 gives the reference back,
50 % of the filters removed shrinks the dense model, magnitude pruning leaves the requested
fraction of exact zeros in the .tflite, bad parameters are one-line errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
from technique_util import (  # noqa: F401
    NEEDS_LITERT,
    PTQ,
    build_all,
    digits_recipe,
    filters,
    out_channels,
    private_cache,
    torch,
)

from harness.datasets import load_dataset
from harness.errors import ModelError, RecipeError
from harness.training import TrainConfig
from harness.variants import TECHNIQUES, BuiltVariant, Context, Stage, parse_recipe
from harness.variants.prune_magnitude import cubic_sparsity
from harness.zoo import build_model, fold_batchnorm

pytestmark = NEEDS_LITERT

VARIANTS = {
    "int8-ptq": [PTQ],
    "pruned-0": [{"prune-structured": {"ratio": 0.0}}, PTQ],
    "pruned-50": [{"prune-structured": {"ratio": 0.5, "epochs": 2, "lr": 0.003}}, PTQ],
    "pruned-taylor": [{"prune-structured": {"ratio": 0.25, "criterion": "taylor",
                                            "epochs": 1}}, PTQ],
    "sparse-80": [{"prune-magnitude": {"sparsity": 0.8, "epochs": 3, "lr": 0.003}}, PTQ],
}


@pytest.fixture(scope="module")
def built(private_cache: object) -> dict[str, BuiltVariant]:
    items = build_all(digits_recipe(VARIANTS))
    assert all(isinstance(b, BuiltVariant) for b in items.values()), items
    return items  # type: ignore[return-value]


def _ctx() -> Context:
    d = load_dataset("digits", quick=True)
    example = torch.from_numpy(np.ascontiguousarray(d.train.x[:1]))
    return Context(d, TrainConfig(epochs=1, batch_size=32, lr=0.01), example, 0, True,
                   lambda _m: None)


def test_ratio_zero_gives_the_reference_back(built: dict[str, BuiltVariant]) -> None:
    torch.manual_seed(0)
    reference = fold_batchnorm(build_model("digits-cnn", {"width": 8}))
    params = TECHNIQUES["prune-structured"].params.model_validate({"ratio": 0.0})
    stage = TECHNIQUES["prune-structured"].apply(Stage(reference), params, _ctx())
    expected = fold_batchnorm(reference).state_dict()
    got = stage.model.state_dict()
    assert got.keys() == expected.keys()
    for k in expected:
        assert torch.equal(got[k], expected[k]), k
    # through the whole build: the same int8 file as int8-ptq alone
    assert built["pruned-0"].path.read_bytes() == built["int8-ptq"].path.read_bytes()
    assert built["pruned-0"].params == built["int8-ptq"].params


def test_half_the_filters_make_a_smaller_dense_model(built: dict[str, BuiltVariant]) -> None:
    ref, pruned = built["int8-ptq"], built["pruned-50"]
    assert pruned.check["bit_exact"] and built["pruned-taylor"].check["bit_exact"]
    ref_out = [out_channels(k, f) for k, f in filters(ref.path)]
    got_out = [out_channels(k, f) for k, f in filters(pruned.path)]
    assert ref_out == [8, 16, 10] and got_out == [4, 8, 10]       # logits layer kept
    assert pruned.macs < 0.3 * ref.macs and pruned.params < 0.35 * ref.params
    assert pruned.model_bytes < ref.model_bytes
    assert pruned.techniques[0]["name"] == "prune-structured"
    assert [t["name"] for t in pruned.techniques] == ["prune-structured", "int8-ptq"]


def test_magnitude_pruning_leaves_exact_zeros_in_the_tflite(
        built: dict[str, BuiltVariant]) -> None:
    b = built["sparse-80"]
    assert b.check["bit_exact"] and b.weight_bits == 8
    layers = filters(b.path)
    sizes = [f.size for _, f in layers]
    floor = sum(math.floor(0.8 * n + 1e-9) for n in sizes) / sum(sizes)
    zeros = sum(int(np.count_nonzero(f == 0)) for _, f in layers) / sum(sizes)
    assert b.sparsity == pytest.approx(zeros)
    assert floor <= b.sparsity <= floor + 0.02, (b.sparsity, floor)
    for _, f in layers:                                  # every layer reaches the target
        assert np.count_nonzero(f == 0) >= math.floor(0.8 * f.size + 1e-9)
    assert built["int8-ptq"].sparsity < 0.05


def test_cubic_schedule_rises_to_the_target() -> None:
    values = [cubic_sparsity(0.9, e, 4) for e in range(6)]
    assert values[3:] == [0.9, 0.9, 0.9]
    assert all(a < b for a, b in zip(values[:4], values[1:4]))
    assert values[0] == pytest.approx(0.9 * (1 - 0.75 ** 3))


@pytest.mark.parametrize("bad, match", [
    ({"prune-magnitude": {"sparsity": 1.0}}, "parameter 'sparsity'.*less than 1"),
    ({"prune-magnitude": {"sparsity": -0.1}}, "parameter 'sparsity'.*greater than or equal"),
    ({"prune-structured": {"ratio": 1.5}}, "parameter 'ratio'"),
    ({"prune-structured": {"ratios": {"body.0.conv": 1.0}}}, "parameter 'ratios.body.0.conv'"),
    ({"prune-structured": {"criterion": "l3"}}, "parameter 'criterion'.*'l1', 'l2' or 'taylor'"),
    ({"prune-magnitude": {"amount": 0.5}}, "unknown key 'amount'.*sparsity"),
])
def test_bad_parameters_are_one_line_recipe_errors(bad: dict[str, object], match: str) -> None:
    with pytest.raises(RecipeError, match=match) as info:
        parse_recipe({"name": "t", "dataset": "digits", "model": {"name": "digits-cnn"},
                      "variants": [{"name": "v", "techniques": [bad, PTQ]}]})
    assert "\n" not in str(info.value) and "variant 'v'" in str(info.value)


def test_unknown_layer_name_is_a_model_error() -> None:
    model = fold_batchnorm(build_model("digits-cnn", {"width": 8}))
    params = TECHNIQUES["prune-structured"].params.model_validate({"ratios": {"conv9": 0.5}})
    with pytest.raises(ModelError, match="no weighted layer 'conv9'.*body.0.conv"):
        TECHNIQUES["prune-structured"].apply(Stage(model), params, _ctx())
