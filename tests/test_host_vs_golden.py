"""Acceptance of the host target: the whole pipeline (import, golden, codegen, gcc build, run,
compare) on every MLPerf Tiny model. int8: bit-exact with the golden interpreter on 100 inputs;
fp32: within the float tolerance with identical top-1."""
from __future__ import annotations

import pytest
from hb_testutil import FLOAT_MODELS, INT8_MODELS, model_path

from harness.bench import bench_model


@pytest.mark.parametrize("stem", INT8_MODELS)
def test_int8_bit_exact_on_host(stem: str) -> None:
    result = bench_model(model_path(stem), "host", n_inputs=100, seed=7)
    c = result.comparison
    assert c.bit_exact and c.mismatches == 0, f"{c.mismatches} elements differ from golden"
    m = result.measurement.metrics
    assert m["latency_ms"].provenance == "wall-clock" and m["latency_ms"].value > 0
    assert m["flash_bytes"].value >= result.measurement.extra["weights_bytes"]
    assert m["ram_bytes"].value >= result.measurement.extra["arena_bytes"]


@pytest.mark.parametrize("stem", FLOAT_MODELS)
def test_fp32_within_tolerance_on_host(stem: str) -> None:
    c = bench_model(model_path(stem), "host", n_inputs=20, seed=7).comparison
    assert c.ok, f"max |diff| {c.max_abs_diff:g}, top-1 agreement {c.top1_agreement:.0%}"
