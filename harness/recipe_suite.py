"""The test of a recipe suite (`suites/<name>/`): one test per variant x `--hil-target`.

    # suites/digits/test_digits.py
    test_variant = variant_tests(Path(__file__).with_name("recipe.yaml"), min_score=0.85)

Each test trains and converts through the cache (`--hil-quick` for the CI-sized setting), runs
the variant on the target with the data set's test split (`--hil-subset N` for fewer), records
the row, and checks that the outputs agree with the golden interpreter and that the data set's
primary score (accuracy or balanced accuracy) reaches `min_score`.
"""
from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import pytest

from .variants import load_recipe

__all__ = ["variant_tests"]


def variant_tests(recipe: Path, min_score: float,
                  slow: Collection[str] = ()) -> Callable[..., None]:
    """A pytest test function parametrised over the recipe's variants; those named in `slow`
    are marked `slow` (left out of the quick selection, `-m "not slow"`)."""
    names = [v.name for v in load_recipe(recipe).variants]
    unknown = sorted(set(slow) - set(names))
    if unknown:
        raise ValueError(f"{recipe}: slow names no variant {', '.join(unknown)}")
    params = [pytest.param(n, marks=pytest.mark.slow) if n in slow else n for n in names]

    @pytest.mark.hil_recipe(str(recipe))
    @pytest.mark.parametrize("variant", params)
    def test_variant(variant: str, hil_variant: Callable[..., Any]) -> None:
        m = hil_variant(recipe, variant)
        assert m.bit_exact or m.extra.get("within_tolerance"), "outputs disagree with golden"
        primary = str(m.extra.get("primary_metric", "accuracy"))
        score = m.metrics[primary].value
        assert score >= min_score, (f"{variant}: {primary} {score:.3f} on "
                                    f"{m.extra['n_eval']} samples, below {min_score}")

    return test_variant
