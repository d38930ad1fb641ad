"""The variants report: Pareto fronts, the per-suite LaTeX table and figure, from a real store."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.measure import Measurement, Metric, RunContext, to_json_record
from harness.report import write_report
from harness.report.variants import pareto_front, variant_rows, variants_table
from harness.results import ResultStore

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_pareto_front_of_known_points() -> None:
    costs = [10.0, 20.0, 15.0, 30.0, 10.0, 40.0]
    scores = [0.70, 0.90, 0.60, 0.95, 0.65, 0.95]
    # 2 (cheaper than 1 but worse than 0), 4 (same cost as 0, worse) and 5 (same score as 3,
    # dearer) are dominated.
    assert pareto_front(costs, scores) == [0, 1, 3]
    assert pareto_front([5.0], [0.1]) == [0]


def _m(variant: str, target: str, acc: float, bal: float, cycles: int | None, latency: float,
       flash: int, n_eval: int) -> Measurement:
    metrics = {
        "accuracy": Metric(acc, "fraction", "dataset", f"target outputs on {n_eval} samples"),
        "balanced_accuracy": Metric(bal, "fraction", "dataset", "target outputs"),
        "flash_bytes": Metric(flash, "B", "static-analysis"),
        "ram_bytes": Metric(flash // 4, "B", "static-analysis"),
    }
    if cycles is not None:
        metrics["cycles_per_inference"] = Metric(cycles, "cycles", "iss-cycle-model")
        metrics["energy_uj_per_inference"] = Metric(cycles * 1e-3, "uJ", "energy-model")
    else:
        metrics["latency_ms"] = Metric(latency, "ms", "wall-clock")
    return Measurement(
        model="ecg", variant=variant, target=target, backend=target, model_path=f"/c/{variant}.tflite",
        model_sha256="0" * 64, n_inputs=n_eval, bit_exact=True, mismatches=0, max_abs_diff=0.0,
        metrics=metrics,
        extra={"recipe": "ecg", "techniques": [{"name": variant, "params": {"samples": 100}}],
               "params": 1000, "macs": 30000, "weight_bits": 8 if "int8" in variant else 32,
               "sparsity": 0.0, "model_bytes": 4000 if "int8" in variant else 16000,
               "dataset": "mitbih", "dataset_sha256": "f" * 64, "eval_split": "test",
               "n_eval": n_eval, "primary_metric": "balanced_accuracy"})


@pytest.fixture
def store(tmp_path: Path) -> ResultStore:
    s = ResultStore(tmp_path / "r.sqlite")
    ctx = RunContext.collect()
    for variant, bal, cycles, flash in (("fp32", 0.70, 900_000, 60_000),
                                         ("int8-ptq", 0.69, 300_000, 30_000),
                                         ("int8-qat", 0.66, 320_000, 30_000)):
        s.record(_m(variant, "host", 0.9, bal, None, 0.05, flash, 49000), ctx)
        s.record(_m(variant, "cortex-m4-iss", 0.9, bal, cycles, 0.0, flash, 49000), ctx)
    # A row without accuracy (an MLPerf Tiny benchmark) stays out of the variants report.
    plain = _m("int8", "host", 0.0, 0.0, None, 1.0, 1, 1)
    plain.model = "kws"
    del plain.metrics["accuracy"], plain.metrics["balanced_accuracy"]
    s.record(plain, ctx)
    return s


def test_json_record_carries_the_variant_facts() -> None:
    r = to_json_record(_m("int8-ptq", "host", 0.9, 0.7, None, 0.05, 100, 500))
    for key in ("techniques", "params", "macs", "weight_bits", "sparsity", "model_bytes",
                "dataset", "dataset_sha256", "n_eval"):
        assert r[key] is not None, key
    assert r["accuracy"] == 0.9 and r["accuracy_provenance"] == "dataset"


def test_variants_table_uses_the_primary_metric_and_names_its_sources(store: ResultStore) -> None:
    df = store.dataframe()
    rows = variant_rows(df)
    assert set(rows["model"]) == {"ecg"}
    table, caption = variants_table(df, "ecg")
    assert list(table["variant"]) == ["fp32", "int8-ptq", "int8-qat"]
    assert list(table["balanced accuracy"]) == [0.70, 0.69, 0.66]
    assert list(table["cortex-m4-iss [cycles]"]) == [900_000, 300_000, 320_000]
    assert list(table["host [ms]"]) == [0.05, 0.05, 0.05]
    assert "flash (cortex-m4-iss)" in table.columns
    assert "49000 samples of mitbih/test" in caption and "iss-cycle-model" in caption


def test_write_report_writes_the_pareto_figure_and_latex_table(store: ResultStore, tmp_path: Path) -> None:
    out = tmp_path / "report"
    written = write_report(store.dataframe(), out, store.layers_dataframe())
    names = {p.name for p in written}
    assert {"pareto_ecg.png", "pareto_ecg.pdf", "variants_ecg.tex", "variants_ecg.md"} <= names
    assert not any(n.startswith(("pareto_kws", "variants_kws")) for n in names)
    assert (out / "pareto_ecg.png").read_bytes().startswith(PNG_SIGNATURE)
    tex = (out / "variants_ecg.tex").read_text()
    assert "\\toprule" in tex and "\\caption{" in tex and "int8-ptq" in tex
    assert "int8-ptq(samples=100)" in (out / "variants_ecg.md").read_text()


def test_a_target_that_ran_only_some_variants_keeps_one_column(store: ResultStore) -> None:
    """rv32-nnx runs the int8 variants only (main job): its column has a gap for fp32, and no
    second, unit-less column appears."""
    ctx = RunContext.collect()
    for variant in ("int8-ptq", "int8-qat"):
        store.record(_m(variant, "rv32-nnx", 0.9, 0.69, 700_000, 0.0, 30_000, 400), ctx)
    table, _caption = variants_table(store.dataframe(), "ecg")
    assert [c for c in table.columns if c.startswith("rv32-nnx")] == ["rv32-nnx [cycles]"]
    assert table["rv32-nnx [cycles]"].isna().tolist() == [True, False, False]
