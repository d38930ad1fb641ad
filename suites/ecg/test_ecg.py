"""ECG beats (MIT-BIH, inter-patient): every variant of recipe.yaml on the selected targets
(`--hil-target`), scored by balanced accuracy on the DS2 patients from the target's own
outputs, recorded.

    pytest suites/ecg --hil-target host --hil-target cortex-m4-iss [--hil-quick] [--hil-subset N]

The goal of issue 10 (balanced accuracy >= 0.65, S sensitivity >= 50 %, int8 within 1 point,
mean of three seeds) is measured by benchmarks/ecg_accuracy.py; this suite guards against a
broken model or target: chance is 0.25 and a working model scores about 0.7.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.variants import load_recipe

RECIPE = Path(__file__).with_name("recipe.yaml")
VARIANTS = [v.name for v in load_recipe(RECIPE).variants]
MIN_SCORE = 0.5    # balanced accuracy over N/S/V/F a working model keeps, even on a subset


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant(variant: str, hil_variant) -> None:  # type: ignore[no-untyped-def]
    m = hil_variant(RECIPE, variant)
    assert m.bit_exact or m.extra.get("within_tolerance"), "outputs disagree with golden"
    score = m.metrics[m.extra.get("primary_metric", "accuracy")].value   # type: ignore[index]
    assert score >= MIN_SCORE, (f"{variant}: balanced accuracy {score:.3f} on "
                                f"{m.extra['n_eval']} samples")
