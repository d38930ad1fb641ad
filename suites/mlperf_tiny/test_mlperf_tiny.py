"""MLPerf Tiny reference models (KWS, VWW, IC, AD; int8 and fp32) on the selected targets.

int8 variants must be bit-exact to the golden interpreter; fp32 variants must agree within
the stated float tolerance with identical top-1. Run: `pytest suites/mlperf_tiny --hil-target host`.
"""
from __future__ import annotations

import pytest

from harness.catalog import ModelInfo, mlperf_tiny_models

MODELS = mlperf_tiny_models()


@pytest.mark.parametrize("model", MODELS, ids=[f"{m.workload}-{m.variant}" for m in MODELS])
def test_mlperf_tiny(model: ModelInfo, hil_bench) -> None:  # type: ignore[no-untyped-def]
    result = hil_bench(model.path)
    c = result.comparison
    if model.variant == "int8":
        assert c.bit_exact, f"{c.mismatches} output elements differ from golden"
    else:
        assert c.ok, (f"max |diff| {c.max_abs_diff:g}, top-1 agreement {c.top1_agreement:.0%}")
