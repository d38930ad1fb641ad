"""`hilbench report --paper DIR`: exactly the figures and tables, vector PDFs with embedded
TrueType fonts (checked with poppler's pdffonts, and by reading the PDF objects) sized for one
or two columns, booktabs/siunitx tables with provenance footnotes, and a manifest naming the
runs and commits behind each file."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_store import COMMITS, RUNS, build_store

from harness.cli import main

FILES = {"summary.tex", "overview.pdf", "pareto_digits.pdf", "variants_digits.tex", "layers.pdf",
         "history_ad_cortex-m4-iss.pdf", "history_kws_cortex-m4-iss.pdf", "manifest.json"}


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("paper")
    build_store(tmp / "r.sqlite")
    assert main(["report", "--paper", str(tmp / "paper"), "--results", str(tmp / "r.sqlite")]) == 0
    return tmp / "paper"


def _width_in(pdf: Path) -> float:
    box = re.search(rb"/MediaBox \[ *0 0 ([0-9.]+) ([0-9.]+) *\]", pdf.read_bytes())
    assert box, pdf
    return float(box.group(1)) / 72.0


def test_exactly_the_files(paper: Path) -> None:
    assert {p.name for p in paper.iterdir()} == FILES


def test_pdfs_embed_truetype_fonts_and_fit_a_column(paper: Path) -> None:
    for pdf in paper.glob("*.pdf"):
        data = pdf.read_bytes()
        assert b"/FontFile2" in data and b"/Type3" not in data, pdf.name
        assert _width_in(pdf) == pytest.approx(3.5 if pdf.name.startswith("history") else 7.16), pdf.name
        if shutil.which("pdffonts"):
            lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                                   check=True).stdout.splitlines()[2:]
            assert lines, pdf.name
            for line in lines:
                assert "TrueType" in line and re.search(r"\byes\s+yes\s+yes\b", line), line


def test_tables_are_booktabs_with_units_num_and_provenance_notes(paper: Path) -> None:
    tex = (paper / "summary.tex").read_text()
    for needle in (r"\toprule", r"\midrule", r"\bottomrule", r"Latency (\si{\milli\second})",
                   "Flash (B)", r"Accuracy (\%)", r"\num{1800000}\textsuperscript{a}",
                   "iss-cycle-model (modelled, not measured)", "wall-clock",
                   "360 samples of digits/test"):
        assert needle in tex, needle
    body = tex.split("\\midrule\n")[1].split("\\bottomrule")[0].splitlines()
    assert len(body) == 14 and all(line.endswith(r"\\") for line in body)
    variants = (paper / "variants_digits.tex").read_text()
    assert r"\num{0.96}" in variants and "cortex-m4-iss iss-cycle-model" in variants
    assert r"\begin{tabular}" in variants and r"\bottomrule" in variants


def test_manifest_names_runs_and_commits(paper: Path) -> None:
    manifest = json.loads((paper / "manifest.json").read_text())
    assert set(manifest["files"]) == FILES - {"manifest.json"}
    for name, entry in manifest["files"].items():
        assert set(entry["run_ids"]) <= set(RUNS) and set(entry["commits"]) <= set(COMMITS), name
        assert entry["rows"] > 0 and entry["kind"] in ("figure", "table")
    assert manifest["files"]["summary.tex"]["run_ids"] == [RUNS[1]]
    assert manifest["files"]["history_kws_cortex-m4-iss.pdf"]["commits"] == list(COMMITS)
    assert manifest["files"]["history_kws_cortex-m4-iss.pdf"]["width_in"] == 3.5


def test_the_plain_report_draws_the_history_too(tmp_path: Path) -> None:
    from harness.report import write_report
    from harness.report.history import history_pairs

    store = build_store(tmp_path / "r.sqlite")
    df = store.dataframe()
    assert history_pairs(df) == [("ad", "cortex-m4-iss"), ("kws", "cortex-m4-iss")]
    df = df[(df["model"] == "kws") & (df["target"] == "cortex-m4-iss")]   # small: fast
    names = {p.name for p in write_report(df, tmp_path / "out")}
    assert {"history_kws_cortex-m4-iss.png", "history_kws_cortex-m4-iss.pdf"} <= names
