"""ECG beats with an early exit (issue 12): each variant of recipe.yaml at every threshold of
its `exit_thresholds`, on the selected targets (`--hil-target`), scored on the DS2 patients
from the target's own outputs (the exit each beat took), recorded with each beat's exit and
cycles.

    pytest suites/ecg_exits --hil-target host --hil-target cortex-m4-iss [--hil-quick] [--hil-subset N]

The goal (>= 50 % of DS2 beats leave early at <= 1 point balanced-accuracy loss, mean of
three seeds) is measured by benchmarks/early_exit.py; this suite guards the mechanism:
decisions bit-exact with golden, a histogram that sums to 1, fewer beats leaving early as the
threshold rises, and a working model (chance is 0.25 balanced accuracy).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from harness.sweep import sweep
from harness.variants import load_recipe

RECIPE = Path(__file__).with_name("recipe.yaml")
VARIANTS = [v.name for v in load_recipe(RECIPE).variants]


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_over_exit_thresholds(variant: str, hil_target: str,
                                      hil_record: Callable[..., Any],
                                      pytestconfig: pytest.Config) -> None:
    items = list(sweep(RECIPE, [hil_target], only=[variant],
                       quick=pytestconfig.getoption("--hil-quick"),
                       subset=pytestconfig.getoption("--hil-subset")))
    if items[0].unavailable:
        pytest.skip(items[0].error or "target unavailable")
    early = []
    for item in items:
        m = item.measurement
        assert m is not None, item.error
        assert m.bit_exact or m.extra.get("within_tolerance"), "outputs disagree with golden"
        hist = m.extra["exit_histogram"]
        assert abs(sum(hist) - 1) < 1e-9
        assert m.metrics["balanced_accuracy"].value >= 0.5
        early.append(hist[0])
        hil_record(m)
    assert early[0] == 1.0 and early[-1] == 0.0
    assert all(a >= b for a, b in zip(early, early[1:]))
