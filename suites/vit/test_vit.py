"""ViT token dropping (issue 19): every keep ratio of recipe.yaml on the selected targets
(`--hil-target`), guide + ViT per input, scored on Fashion-MNIST's test split from the
target's own outputs, recorded.

    pytest suites/vit --hil-target host --hil-target ssh-localhost [--hil-quick] [--hil-subset N]
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.tokendrop import load_token_drop_recipe

RECIPE = Path(__file__).with_name("recipe.yaml")
VARIANTS = [v.name for v in load_token_drop_recipe(RECIPE).variants]
MIN_ACCURACY = 0.30     # quick training (3000 images) and dropping 3/4 of the patches; chance 0.10


@pytest.mark.parametrize("variant", VARIANTS)
def test_keep_ratio(variant: str, hil_variant: Callable[..., Any]) -> None:
    m = hil_variant(RECIPE, variant)
    assert m.extra["within_tolerance"], "ViT outputs disagree with golden"
    if m.extra["precision"] == "int8":       # the mixed-precision int8 ViT: bit for bit
        assert m.bit_exact, f"{variant}: int8 ViT outputs differ from golden"
    assert m.extra["macs"] == m.extra["vit_macs"] + m.extra["guide_macs"]
    assert m.metrics["accuracy"].value >= MIN_ACCURACY, (
        f"{variant}: accuracy {m.metrics['accuracy'].value:.3f} on {m.extra['n_eval']} samples")
