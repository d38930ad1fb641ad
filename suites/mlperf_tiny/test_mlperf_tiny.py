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


IC_SUBSET_OFF_HOST = 200   # a ResNet-8 inference is ~1e8 simulated cycles on the MCU targets


def test_ic_top1_on_cifar10(hil_target: str, hil_record, pytestconfig) -> None:  # type: ignore[no-untyped-def]
    """The int8 image-classification model's top-1 on the CIFAR-10 test set, from the target's
    own outputs: the whole set on host, a class-stratified subset elsewhere (--hil-subset)."""
    from harness.datasets import load_dataset
    from harness.errors import DatasetError
    from harness.evaluate import bench_accuracy, eval_set

    try:
        dataset = load_dataset("cifar10")
    except DatasetError as exc:
        pytest.skip(str(exc))
    subset = pytestconfig.getoption("--hil-subset")
    if subset is None and hil_target != "host":
        subset = IC_SUBSET_OFF_HOST
    ev = eval_set(dataset, subset)
    model = next(m for m in MODELS if m.workload == "ic" and m.variant == "int8")
    result = bench_accuracy(model.path, hil_target, ev,
                            full=eval_set(dataset) if ev.is_subset else None)
    hil_record(result.measurement)
    assert result.comparison.bit_exact
    assert result.measurement.metrics["accuracy"].value > 0.5   # the reference reaches ~0.87
