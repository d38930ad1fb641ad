"""The SQLite results store: round trips, atomic records, concurrent writers."""
from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import harness.results.store as store_module
from harness.errors import ResultsError
from harness.measure import STANDARD_METRICS, LayerMetric, Measurement, Metric, RunContext
from harness.results import DEFAULT_RESULTS_PATH, ResultStore
from harness.results.schema import SCHEMA_VERSION

REPO = Path(__file__).resolve().parent.parent


def _ctx(run_id: str = "a" * 32, time_utc: str = "2025-01-01T00:00:00.000000+00:00") -> RunContext:
    return RunContext(run_id=run_id, time_utc=time_utc, host="bench-host", git_commit="f" * 40, git_dirty=False,
                      hilbench_version="0.1.0", python="3.11.7")


def _measurement(model: str = "kws", variant: str = "int8", **overrides: object) -> Measurement:
    fields: dict[str, object] = dict(
        model=model, variant=variant, target="host", backend="host", model_path=f"models/{model}_{variant}.tflite",
        model_sha256="ab" * 32, n_inputs=16, bit_exact=False, mismatches=3, max_abs_diff=0.5,
        metrics={
            "cycles_per_inference": Metric(1_234_567, "cycles", "hw-counter", "perf stat -e cycles"),
            "latency_ms": Metric(2.5, "ms", "wall-clock", "median of 16"),
            "flash_bytes": Metric(53_936, "B", "static-analysis", "size -A"),
            "macs": Metric(2_656_768, "MAC", "static-analysis"),
        },
        layers=[
            LayerMetric(0, "conv0", "CONV_2D", 1000.0, "iss-cycle-model"),
            LayerMetric(1, "fc", "FULLY_CONNECTED", 250.5, "iss-cycle-model"),
        ],
        commands=[["cc", "-O2", "main.c"], ["./a.out", "--inputs", "in.bin"]],
        tool_versions={"cc": "gcc 13.2.0"},
        seed=42,
        extra={"threads": 1, "tags": ["quick"]},
    )
    fields.update(overrides)
    return Measurement(**fields)  # type: ignore[arg-type]


def _table_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("measurements", "metrics", "layer_metrics")}


def test_default_path_and_schema_setup(tmp_path: Path) -> None:
    assert DEFAULT_RESULTS_PATH == Path("results/hilbench.sqlite")
    path = tmp_path / "deep" / "er" / "r.sqlite"
    ResultStore(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ResultStore(path).count() == 0  # reopening keeps it usable


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(ResultsError, match="newer"):
        ResultStore(path)


def test_not_a_database_is_a_results_error(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ResultsError):
        ResultStore(path)


def test_empty_store_gives_empty_frame_with_base_columns(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r.sqlite")
    df = store.dataframe()
    assert df.empty and list(df.columns) == list(store_module.BASE_COLUMNS)
    assert store.count() == 0
    assert store.layers_dataframe().empty


def test_round_trip_preserves_every_field_and_metric(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r.sqlite")
    m, ctx = _measurement(), _ctx()
    mid = store.record(m, ctx)
    assert store.count() == 1
    (row,) = store.dataframe().to_dict("records")
    assert row["id"] == mid
    for key in ("run_id", "time_utc", "host", "git_commit", "git_dirty", "hilbench_version", "python"):
        assert row[key] == getattr(ctx, key), key
    for key in ("model", "variant", "target", "backend", "model_path", "model_sha256", "n_inputs", "bit_exact",
                "mismatches", "max_abs_diff", "seed"):
        assert row[key] == getattr(m, key), key
    assert json.loads(row["commands_json"]) == m.commands
    assert json.loads(row["tool_versions_json"]) == m.tool_versions
    assert json.loads(row["extra_json"]) == m.extra
    for name, metric in m.metrics.items():
        assert row[name] == metric.value and type(row[name]) is type(metric.value), name
        assert row[f"{name}_unit"] == metric.unit
        assert row[f"{name}_provenance"] == metric.provenance
    assert store.get(mid) == (m, ctx)  # notes and layers too

    layers = store.layers_dataframe()
    assert layers[["idx", "name", "op", "cycles", "provenance"]].to_dict("records") == [
        {"idx": x.index, "name": x.name, "op": x.op, "cycles": x.cycles, "provenance": x.provenance} for x in m.layers
    ]
    assert set(layers["model"]) == {"kws"} and set(layers["run_id"]) == {ctx.run_id}


def test_wide_frame_orders_metrics_and_keeps_nulls(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r.sqlite")
    store.record(_measurement(), _ctx())
    bare = _measurement(variant="fp32", bit_exact=None, mismatches=None, max_abs_diff=None, seed=None,
                        metrics={"accuracy": Metric(0.91, "fraction", "dataset")}, layers=[])
    store.record(bare, _ctx(run_id="b" * 32))
    df = store.dataframe()
    metric_cols = [c for c in df.columns if c not in store_module.BASE_COLUMNS]
    values = [c for c in metric_cols if not c.endswith(("_unit", "_provenance"))]
    assert values == [n for n in STANDARD_METRICS if n in values] + ["macs"]
    second = df.iloc[1]
    assert pd.isna(second["bit_exact"]) and pd.isna(second["mismatches"]) and pd.isna(second["seed"])
    assert pd.isna(second["latency_ms"]) and pd.isna(second["latency_ms_provenance"])
    assert second["accuracy"] == pytest.approx(0.91) and second["accuracy_provenance"] == "dataset"
    assert str(df["cycles_per_inference"].dtype) == "Int64"


def test_filters(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r.sqlite")
    for model in ("kws", "vww"):
        for variant in ("int8", "fp32"):
            store.record(_measurement(model, variant), _ctx(run_id=model * 10 + "ab"))
    assert len(store.dataframe()) == 4
    assert set(store.dataframe(model="vww")["variant"]) == {"int8", "fp32"}
    only = store.dataframe(model="kws", variant="fp32")
    assert len(only) == 1 and only.iloc[0]["model_path"] == "models/kws_fp32.tflite"
    assert len(store.dataframe(run_id="vww" * 10 + "ab")) == 2
    assert store.dataframe(target="board").empty
    assert set(store.layers_dataframe(variant="int8")["variant"]) == {"int8"}
    with pytest.raises(TypeError, match="unknown filter"):
        store.dataframe(colour="red")


def test_value_sqlite_rejects_leaves_no_row(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    store = ResultStore(path)
    bad = _measurement()
    bad.metrics["instructions_per_inference"] = Metric(2**70, "instructions", "instructions")  # > INT64
    with pytest.raises(ResultsError):
        store.record(bad, _ctx())
    assert _table_counts(path) == {"measurements": 0, "metrics": 0, "layer_metrics": 0}
    assert store.record(_measurement(), _ctx()) > 0  # the store is still usable
    assert _table_counts(path) == {"measurements": 1, "metrics": 4, "layer_metrics": 2}


def test_failure_after_first_inserts_rolls_everything_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.sqlite"
    store = ResultStore(path)

    def explode(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store_module, "_insert_layers", explode)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.record(_measurement(), _ctx())
    assert _table_counts(path) == {"measurements": 0, "metrics": 0, "layer_metrics": 0}


def test_numpy_values_in_extra_and_bit_exact_are_stored_as_plain_values(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r.sqlite")
    m = _measurement(bit_exact=np.bool_(True), extra={"macs": np.int64(7), "per_output": np.array([0.5, 1.0])})
    m2, _ = store.get(store.record(m, _ctx()))
    assert m2.bit_exact is True and m2.extra == {"macs": 7, "per_output": [0.5, 1.0]}


def test_unserialisable_extra_is_refused_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    store = ResultStore(path)
    with pytest.raises(TypeError, match="extra"):
        store.record(_measurement(extra={"when": object()}), _ctx())
    assert _table_counts(path)["measurements"] == 0


_XDIST_MODULE = """
import os

import pytest

from harness.measure import Measurement, Metric, RunContext
from harness.results import ResultStore

CTX = RunContext.collect()


@pytest.mark.parametrize("i", range(40))
def test_record(i):
    store = ResultStore(os.environ["HILBENCH_TEST_DB"])
    m = Measurement(
        model="m%d" % (i % 4), variant="int8", target="host", backend="host", model_path="p",
        model_sha256="0" * 64, n_inputs=1, bit_exact=True, mismatches=0, max_abs_diff=0.0, seed=i,
        metrics={"latency_ms": Metric(float(i), "ms", "wall-clock")},
    )
    assert store.record(m, CTX) > 0
"""


def _subprocess_env(db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["HILBENCH_TEST_DB"] = str(db)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # another plugin (e.g. a half-written one) must not interfere
    return env


def test_concurrent_pytest_xdist_workers(tmp_path: Path) -> None:
    module = tmp_path / "test_concurrent_records.py"
    module.write_text(textwrap.dedent(_XDIST_MODULE))
    db = tmp_path / "shared" / "r.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "xdist", "-n", "2", "-p", "no:cacheprovider", "-q", str(module)],
        cwd=tmp_path, env=_subprocess_env(db), capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    df = ResultStore(db).dataframe()
    assert len(df) == 40 and df["id"].is_unique
    assert sorted(df["seed"].tolist()) == list(range(40))
    assert _table_counts(db) == {"measurements": 40, "metrics": 40, "layer_metrics": 0}


def _write_many(db: str, worker: int, count: int, barrier: object) -> None:
    store = ResultStore(db)
    barrier.wait()  # type: ignore[attr-defined]  # start writing together
    ctx = _ctx(run_id=f"{worker:032x}")
    for i in range(count):
        store.record(_measurement(model=f"w{worker}", seed=i), ctx)


def test_concurrent_processes(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    mp = multiprocessing.get_context("spawn")
    barrier = mp.Barrier(2)
    procs = [mp.Process(target=_write_many, args=(str(db), w, 50, barrier)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=600)
    assert [p.exitcode for p in procs] == [0, 0]
    df = ResultStore(db).dataframe()
    assert len(df) == 100 and df["id"].is_unique
    for worker in range(2):
        assert sorted(df[df["model"] == f"w{worker}"]["seed"].tolist()) == list(range(50))
    assert _table_counts(db) == {"measurements": 100, "metrics": 400, "layer_metrics": 200}
