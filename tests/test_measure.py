"""Measurement rows: provenance validation, the flat JSON record, the run context."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from harness.measure import (
    PROVENANCES,
    STANDARD_METRICS,
    LayerMetric,
    Measurement,
    Metric,
    RunContext,
    to_json_record,
)


def _measurement(**metrics: Metric) -> Measurement:
    return Measurement(
        model="kws", variant="int8", target="host", backend="host", model_path="models/kws.tflite",
        model_sha256="0" * 64, n_inputs=8, bit_exact=True, mismatches=0, max_abs_diff=0.0,
        metrics=dict(metrics),
    )


def test_invalid_provenance_is_rejected_with_the_choices() -> None:
    with pytest.raises(ValueError) as info:
        Metric(1.0, "ms", "stopwatch")
    message = str(info.value)
    assert "stopwatch" in message
    assert all(p in message for p in PROVENANCES)
    with pytest.raises(ValueError):
        LayerMetric(0, "conv", "CONV_2D", 10.0, "guess")


@pytest.mark.parametrize("value", [True, "3", None, float("nan"), float("inf")])
def test_metric_value_must_be_a_finite_number(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        Metric(value, "ms", "wall-clock")  # type: ignore[arg-type]


def test_numpy_scalars_become_plain_python_numbers() -> None:
    assert type(Metric(np.int64(7), "cycles", "rtl-cycle-exact").value) is int
    assert type(Metric(np.float32(1.5), "ms", "wall-clock").value) is float
    assert LayerMetric(np.int32(2), "fc", "FULLY_CONNECTED", np.int64(40), "iss-cycle-model") == LayerMetric(
        2, "fc", "FULLY_CONNECTED", 40.0, "iss-cycle-model"
    )


@pytest.mark.parametrize("name", ["model", "latency_ms_provenance", "flash_bytes_unit", "cycles_provenance", "1x", ""])
def test_metric_names_that_would_clash_with_columns_are_rejected(name: str) -> None:
    with pytest.raises(ValueError):
        _measurement(**{name: Metric(1, "x", "dataset")})


def test_metrics_added_after_construction_are_validated_before_use() -> None:
    m = _measurement()
    m.metrics["variant"] = Metric(1, "x", "dataset")
    with pytest.raises(ValueError):
        to_json_record(m)


def test_duplicate_layer_index_is_rejected() -> None:
    layer = LayerMetric(0, "conv", "CONV_2D", 1.0, "rtl-cycle-exact")
    with pytest.raises(ValueError, match="twice"):
        Measurement("kws", "int8", "host", "host", "p", "0" * 64, 1, None, None, None, layers=[layer, layer])


def test_json_record_has_every_standard_key_with_none_where_absent() -> None:
    record = to_json_record(_measurement(latency_ms=Metric(np.float64(1.25), "ms", "wall-clock")))
    for key in ("model", "variant", "target", "backend", "bit_exact", "mismatches", "max_abs_diff", "n_inputs",
                *STANDARD_METRICS, "cycles_provenance", "energy_provenance"):
        assert key in record
    assert record["latency_ms"] == 1.25
    assert record["latency_ms_provenance"] == "wall-clock"
    assert all(record[name] is None for name in STANDARD_METRICS if name != "latency_ms")
    assert record["cycles_provenance"] is None and record["energy_provenance"] is None
    assert record["within_tolerance"] is None and record["top1_agreement"] is None
    assert json.loads(json.dumps(record)) == record


def test_json_record_says_whether_a_float_model_is_within_tolerance() -> None:
    m = _measurement()
    m.extra.update(within_tolerance=True, top1_agreement=1.0)
    record = to_json_record(m)
    assert (record["within_tolerance"], record["top1_agreement"]) == (True, 1.0)


def test_json_record_carries_cycle_energy_and_extra_metric_provenance() -> None:
    record = to_json_record(
        _measurement(
            cycles_per_inference=Metric(123456, "cycles", "rtl-cycle-exact"),
            energy_uj_per_inference=Metric(3.5, "uJ", "energy-model"),
            macs=Metric(1000, "MAC", "static-analysis"),
        )
    )
    assert record["cycles_per_inference"] == 123456
    assert record["cycles_provenance"] == "rtl-cycle-exact"
    assert record["energy_provenance"] == "energy-model"
    assert record["macs"] == 1000 and record["macs_provenance"] == "static-analysis"
    assert "cycles_per_inference_provenance" not in record
    json.dumps(record)


def test_run_context_outside_a_repository_has_no_git_facts(tmp_path: Path) -> None:
    ctx = RunContext.collect(tmp_path)
    assert ctx.git_commit is None and ctx.git_dirty is None
    assert len(ctx.run_id) == 32 and int(ctx.run_id, 16) >= 0
    assert ctx.time_utc.endswith("+00:00") and ctx.host and ctx.python and ctx.hilbench_version
    assert RunContext.collect(tmp_path).run_id != ctx.run_id


def test_run_context_without_git_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    ctx = RunContext.collect(tmp_path)
    assert ctx.git_commit is None and ctx.git_dirty is None


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_run_context_reads_commit_and_dirty_flag(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path,
                              capture_output=True, text=True, check=True)
        return done.stdout.strip()

    git("init", "-q")
    (tmp_path / "a.txt").write_text("a\n")
    git("add", "a.txt")
    git("commit", "-q", "-m", "a")
    clean = RunContext.collect(tmp_path)
    assert clean.git_commit == git("rev-parse", "HEAD") and clean.git_dirty is False
    (tmp_path / "a.txt").write_text("b\n")
    assert RunContext.collect(tmp_path).git_dirty is True
