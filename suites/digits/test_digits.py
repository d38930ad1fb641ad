"""Digits (scikit-learn 8x8): every variant of recipe.yaml on the selected targets
(`--hil-target`), scored on the data set's test split from the target's own outputs, recorded.

    pytest suites/digits --hil-target host --hil-target cortex-m4-iss [--hil-quick] [--hil-subset N]
"""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.variants import load_recipe

RECIPE = Path(__file__).with_name("recipe.yaml")
VARIANTS = [v.name for v in load_recipe(RECIPE).variants]
MIN_SCORE = 0.85   # accuracy a working model keeps; chance is 0.10


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant(variant: str, hil_variant) -> None:  # type: ignore[no-untyped-def]
    m = hil_variant(RECIPE, variant)
    assert m.bit_exact or m.extra.get("within_tolerance"), "outputs disagree with golden"
    score = m.metrics[m.extra.get("primary_metric", "accuracy")].value   # type: ignore[index]
    assert score >= MIN_SCORE, f"{variant}: accuracy {score:.3f} on {m.extra['n_eval']} samples"
