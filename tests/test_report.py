"""Reports: summary selection, provenance in tables, CSV round trip, figures, write_report."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from harness.measure import LayerMetric, Measurement, Metric, RunContext
from harness.report import NoMeasurementsError, write_report
from harness.report.figures import layer_cycles_figure, overview_figure, overview_rows
from harness.report.tables import format_value, summary, to_latex, to_markdown, write_csv
from harness.results import ResultStore

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OLD, NEW = "2025-01-01T00:00:00.000000+00:00", "2025-02-01T00:00:00.000000+00:00"


def _frame() -> pd.DataFrame:
    """2 models x {int8, fp32}, each measured twice (old and new); ram provenance varies by model."""
    rows = []
    for model, scale in (("kws", 1.0), ("vww", 4.0)):
        for variant, factor in (("int8", 1.0), ("fp32", 3.0)):
            for time_utc, run in ((OLD, 10.0), (NEW, 1.0)):
                rows.append({
                    "id": len(rows) + 1, "time_utc": time_utc, "model": model, "variant": variant,
                    "target": "host", "backend": "host", "bit_exact": variant == "int8", "n_inputs": 16,
                    "latency_ms": 1.23456 * scale * factor * run, "latency_ms_unit": "ms",
                    "latency_ms_provenance": "wall-clock",
                    "flash_bytes": int(50_000 * scale * factor), "flash_bytes_unit": "B",
                    "flash_bytes_provenance": "static-analysis",
                    "ram_bytes": int(20_000 * scale * factor), "ram_bytes_unit": "B",
                    "ram_bytes_provenance": "static-analysis" if model == "kws" else "hw-counter",
                })
    return pd.DataFrame(rows)


def _layers() -> pd.DataFrame:
    rows = []
    for mid, (model, variant) in enumerate([("kws", "int8"), ("kws", "fp32"), ("vww", "int8")], start=1):
        for idx, (name, op) in enumerate([("conv0", "CONV_2D"), ("dw1", "DEPTHWISE_CONV_2D"), ("fc", "FULLY_CONNECTED")]):
            rows.append({"measurement_id": mid, "time_utc": NEW, "model": model, "variant": variant, "target": "rtl",
                         "idx": idx, "name": name, "op": op, "cycles": 1000.0 * (idx + 1) * mid,
                         "provenance": "rtl-cycle-exact"})
    return pd.DataFrame(rows)


def test_summary_picks_the_latest_row_per_model_variant_target() -> None:
    s = summary(_frame())
    assert list(s[["model", "variant"]].itertuples(index=False, name=None)) == [
        ("kws", "fp32"), ("kws", "int8"), ("vww", "fp32"), ("vww", "int8")]
    assert s["latency_ms"].tolist() == pytest.approx([1.23456 * 3, 1.23456, 1.23456 * 12, 1.23456 * 4])
    assert list(s.columns) == ["model", "variant", "target", "bit_exact", "n_inputs", "latency_ms",
                               "latency_ms_provenance", "flash_bytes", "flash_bytes_provenance", "ram_bytes",
                               "ram_bytes_provenance"]


def test_summary_keeps_one_row_per_kernel_set() -> None:
    """A target measured with `ref` and `armv7em` keeps both rows, each named by its set;
    the older row of each set is dropped."""
    df = _frame()
    df = df[(df["model"] == "kws") & (df["variant"] == "int8")]
    both = pd.concat([df.assign(kernels="ref"), df.assign(kernels="armv7em", latency_ms=0.5)])
    both["id"] = range(1, len(both) + 1)
    s = summary(both)
    assert list(s.columns[:4]) == ["model", "variant", "target", "kernels"]
    by_set = dict(zip(s["kernels"], s["latency_ms"]))
    assert by_set == {"armv7em": pytest.approx(0.5), "ref": pytest.approx(1.23456)}


def test_summary_breaks_time_ties_by_id() -> None:
    df = _frame()
    df["time_utc"] = NEW
    s = summary(df.iloc[::-1])  # input order must not matter
    assert s["latency_ms"].tolist() == pytest.approx([1.23456 * 3, 1.23456, 1.23456 * 12, 1.23456 * 4])


def test_markdown_shows_provenance_in_header_or_cells() -> None:
    md = to_markdown(summary(_frame()))
    lines = md.splitlines()
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert "latency_ms [wall-clock]" in header and "flash_bytes [static-analysis]" in header
    assert "ram_bytes" in header  # provenance varies by row, so it sits in the cells
    assert "20000 [static-analysis]" in md and "80000 [hw-counter]" in md
    assert set(lines[1]) <= set("|-: ")
    assert len(lines) == 2 + 4 and all(line.count("|") == lines[0].count("|") for line in lines)
    assert "1.235" in md and "3.704" in md  # 4 significant digits


def test_format_value() -> None:
    assert format_value(None) is None and format_value(float("nan")) is None and format_value(pd.NA) is None
    assert format_value(1234567) == "1234567"  # no thousands separators
    assert format_value(1234567.0) == "1234567"
    assert format_value(0.000123456) == "0.0001235"
    assert format_value(12.3456) == "12.35"
    assert format_value(123456.7) == "123457"
    assert format_value(True) == "yes" and format_value(False) == "no"
    assert format_value("a\nb") == "a b"


def test_missing_values_render_as_dash() -> None:
    df = _frame()
    df.loc[df["model"] == "vww", "latency_ms"] = None
    md = to_markdown(summary(df))
    assert "—" in md and "nan" not in md.lower()
    assert "---" in to_latex(summary(df))


def test_latex_is_booktabs_and_escaped() -> None:
    df = summary(_frame())
    df.loc[0, "model"] = "a_b&c%"
    tex = to_latex(df)
    for token in (r"\begin{tabular}", r"\toprule", r"\midrule", r"\bottomrule", r"\end{tabular}"):
        assert token in tex
    assert r"latency\_ms {[}wall-clock{]}" in tex
    assert r"a\_b\&c\%" in tex and "a_b" not in tex


def test_csv_round_trips_through_pandas(tmp_path: Path) -> None:
    s = summary(_frame())
    path = write_csv(s, tmp_path / "s.csv")
    back = pd.read_csv(path)
    pd.testing.assert_frame_equal(back, s, check_dtype=False)


def test_overview_figure_writes_png_and_pdf_deterministically(tmp_path: Path) -> None:
    png = overview_figure(_frame(), tmp_path / "a" / "overview.png")
    pdf = png.with_suffix(".pdf")
    data = png.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 5_000
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5_000
    again = overview_figure(_frame(), tmp_path / "b" / "overview.png")
    assert again.read_bytes() == data and again.with_suffix(".pdf").read_bytes() == pdf.read_bytes()


def test_layer_cycles_figure_on_a_synthetic_frame(tmp_path: Path) -> None:
    png = layer_cycles_figure(_layers(), tmp_path / "layers.png")
    assert png.read_bytes()[:8] == PNG_SIGNATURE and png.stat().st_size > 5_000
    assert png.with_suffix(".pdf").exists()
    with pytest.raises(ValueError):
        layer_cycles_figure(_layers().drop(columns=["cycles"]), tmp_path / "x.png")


def test_agrees_column_says_bit_exact_within_tolerance_or_no() -> None:
    frame = _frame()
    frame["extra_json"] = ['{"within_tolerance": true}' if v == "fp32" else "{}"
                           for v in frame["variant"]]
    frame.loc[(frame["model"] == "vww") & (frame["variant"] == "fp32"), "extra_json"] = (
        '{"within_tolerance": false}')
    s = summary(frame)
    assert list(s.columns[3:5]) == ["bit_exact", "agrees"]
    assert s["agrees"].tolist() == ["within tolerance", "bit-exact", "NO", "bit-exact"]
    assert "| within tolerance |" in to_markdown(s)


def test_layer_figure_draws_cycles_only(tmp_path: Path) -> None:
    """QEMU's per-layer numbers are instructions: not drawn as cycles, and a report of a store
    that has only those writes no layers figure."""
    instructions = _layers().assign(provenance="instructions")
    with pytest.raises(ValueError, match="no per-layer cycle counts"):
        layer_cycles_figure(instructions, tmp_path / "x.png")
    names = {p.name for p in write_report(_frame(), tmp_path / "r", layers=instructions)}
    assert "layers.png" not in names and "overview.png" in names


def test_overview_figure_with_several_targets_and_modelled_numbers(tmp_path: Path) -> None:
    frame = _frame()
    modelled = frame.assign(target="cortex-m4-iss", latency_ms_provenance="iss-cycle-model",
                            id=frame["id"] + 100)
    png = overview_figure(pd.concat([frame, modelled], ignore_index=True), tmp_path / "o.png")
    assert png.read_bytes()[:8] == PNG_SIGNATURE and png.with_suffix(".pdf").exists()


def test_the_overview_keeps_one_row_per_kernel_set(tmp_path: Path) -> None:
    """Rows of the same model/variant/target measured with two kernel sets are two bars (the
    latest row of each set), and the legend names the kernel sets; a target with one set is
    named alone."""
    frame = _frame()
    frame["extra_json"] = json.dumps({"kernels": "ref"})
    m4 = frame.assign(target="cortex-m4-iss", id=frame["id"] + 100)
    smlad = m4.assign(id=m4["id"] + 100, extra_json=json.dumps({"kernels": "armv7em"}),
                      latency_ms=m4["latency_ms"] / 2)
    rows = overview_rows(pd.concat([frame, m4, smlad], ignore_index=True))
    assert len(rows) == 12        # 2 models x 2 variants x (host, m4 ref, m4 armv7em)
    pick = rows[(rows["model"] == "kws") & (rows["variant"] == "int8")]
    assert [(t, k) for t, k in zip(pick["target"], pick["kernels"])] == [
        ("cortex-m4-iss", "armv7em"), ("cortex-m4-iss", "ref"), ("host", "ref")]
    assert pick["id"].tolist() == [202, 102, 2]          # the NEW row of each (id 1 is OLD)
    assert pick["latency_ms"].iloc[0] == pytest.approx(pick["latency_ms"].iloc[1] / 2)
    png = overview_figure(pd.concat([frame, m4, smlad], ignore_index=True), tmp_path / "o.png")
    assert shutil.which("pdftotext"), "poppler-utils is missing: run scripts/setup.sh"
    text = subprocess.run(["pdftotext", str(png.with_suffix(".pdf")), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "cortex-m4-iss [armv7em]" in text and "cortex-m4-iss [ref]" in text
    assert "host [ref]" not in text and "host" in text


def test_write_report_writes_every_file_atomically(tmp_path: Path) -> None:
    out = tmp_path / "report"
    paths = write_report(_frame(), out, layers=_layers())
    names = sorted(p.name for p in paths)
    assert names == sorted(["summary.csv", "summary.md", "summary.tex", "overview.png", "overview.pdf",
                            "layers.png", "layers.pdf"])
    assert sorted(p.name for p in out.iterdir()) == names  # no temporary files left behind
    assert all(p.stat().st_size > 0 for p in paths)
    assert "latency_ms [wall-clock]" in (out / "summary.md").read_text(encoding="utf-8")
    assert {p.name for p in write_report(_frame(), tmp_path / "r2", layers=_layers().iloc[0:0])} == {
        "summary.csv", "summary.md", "summary.tex", "overview.png", "overview.pdf"}


def test_write_report_on_an_empty_frame_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no measurements in the results store"):
        write_report(_frame().iloc[0:0], tmp_path / "r")
    with pytest.raises(NoMeasurementsError):
        write_report(pd.DataFrame(), tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_report_from_a_real_store(tmp_path: Path) -> None:
    """The store's wide frame (nullable dtypes, unit columns) feeds the report unchanged."""
    store = ResultStore(tmp_path / "r.sqlite")
    ctx = RunContext.collect(tmp_path)
    for variant, cycles in (("int8", 1000), ("fp32", 4000)):
        store.record(
            Measurement(
                model="kws", variant=variant, target="sim", backend="c", model_path="p", model_sha256="0" * 64,
                n_inputs=4, bit_exact=None if variant == "fp32" else True, mismatches=None, max_abs_diff=None,
                metrics={"cycles_per_inference": Metric(cycles, "cycles", "iss-cycle-model"),
                         **({"ram_bytes": Metric(2048, "B", "static-analysis")} if variant == "int8" else {})},
                layers=[LayerMetric(0, "conv", "CONV_2D", cycles * 0.75, "iss-cycle-model"),
                        LayerMetric(1, "fc", "FULLY_CONNECTED", cycles * 0.25, "iss-cycle-model")],
            ),
            ctx,
        )
    paths = write_report(store.dataframe(), tmp_path / "out", layers=store.layers_dataframe())
    assert len(paths) == 7
    md = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "cycles_per_inference [iss-cycle-model]" in md and "4000" in md and "—" in md
