"""Paper-ready output: exactly the figures (vector PDF, fonts embedded as TrueType, sized for one
column, 3.5 in, or two, 7.16 in) and LaTeX tables, plus `manifest.json` naming the runs and
commits behind every file.

Figures are the report's own (one colour per target, hatched modelled numbers) drawn at paper
width under `pdf.fonttype 42`, so the PDF embeds TrueType fonts instead of Type 3 ones that
publishers reject. Files: summary.tex; overview.pdf and layers.pdf (two columns); per suite with
accuracies pareto_<suite>.pdf (two columns, one when a single target) and variants_<suite>.tex;
per model and target with cycles from several runs history_<model>_<target>.pdf (one column).
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

import matplotlib
import pandas as pd

from harness.measure import RunContext
from harness.report._io import atomic_write, atomic_write_text
from harness.report.figures import CYCLE_PROVENANCES, layer_cycles_figure, overview_figure
from harness.report.gate import latest_rows
from harness.report.history import history_figure, history_frame, history_pairs
from harness.report.paper_tables import paper_summary_table, paper_variants_table
from harness.report.variants import (
    pareto_figure,
    suites_with_accuracy,
    variant_rows,
    variants_table,
)

__all__ = ["ONE_COLUMN_IN", "TWO_COLUMNS_IN", "write_paper"]

ONE_COLUMN_IN = 3.5
TWO_COLUMNS_IN = 7.16


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _sources(rows: pd.DataFrame) -> dict[str, object]:
    commits = sorted({str(c) for c in rows["git_commit"].dropna()})
    return {"run_ids": sorted({str(r) for r in rows["run_id"]}), "commits": commits,
            "rows": int(len(rows))}


def _pdf(draw: Callable[[Path], Path], dest: Path) -> Path:
    """Draw into a scratch folder with the paper rc, keep only the PDF, write it atomically."""
    with tempfile.TemporaryDirectory() as tmp, \
            matplotlib.rc_context({"pdf.fonttype": 42, "ps.fonttype": 42}):
        pdf = draw(Path(tmp) / dest.stem).with_suffix(".pdf")

        def copy(to: Path) -> None:
            shutil.copyfile(pdf, to)

        return atomic_write(dest, copy)


def write_paper(df: pd.DataFrame, layers: pd.DataFrame | None, out_dir: Path) -> list[Path]:
    """Write the paper files into out_dir (created when missing); return their paths,
    manifest.json last."""
    if df.empty:
        raise ValueError("no measurements for the paper output")
    out_dir = Path(out_dir)
    latest = latest_rows(df)
    manifest: dict[str, dict[str, object]] = {}

    def add(path: Path, kind: str, rows: pd.DataFrame, **facts: object) -> None:
        manifest[path.name] = {"kind": kind, **facts, **_sources(rows)}

    add(atomic_write_text(out_dir / "summary.tex", paper_summary_table(latest)), "table", latest)
    add(_pdf(lambda p: overview_figure(df, p, width_in=TWO_COLUMNS_IN), out_dir / "overview.pdf"),
        "figure", latest, width_in=TWO_COLUMNS_IN)
    for suite in suites_with_accuracy(df):
        rows = variant_rows(df)
        rows = rows[rows["model"] == suite]
        width = ONE_COLUMN_IN if rows["target"].nunique() == 1 else TWO_COLUMNS_IN
        add(_pdf(partial(pareto_figure, df, suite, width_in=width),
                 out_dir / f"pareto_{_slug(suite)}.pdf"), "figure", rows, width_in=width)
        frame, caption = variants_table(df, suite)
        tex = paper_variants_table(frame, caption, f"hilbench-variants-{_slug(suite)}")
        add(atomic_write_text(out_dir / f"variants_{_slug(suite)}.tex", tex), "table", rows)
    if layers is not None and not layers.empty:
        cycles = layers[layers["provenance"].isin(CYCLE_PROVENANCES)]
        cycles = cycles[cycles["measurement_id"].isin(latest["id"])]
        if not cycles.empty:
            behind = df[df["id"].isin(cycles["measurement_id"])]
            add(_pdf(lambda p: layer_cycles_figure(cycles, p, width_in=TWO_COLUMNS_IN),
                     out_dir / "layers.pdf"), "figure", behind, width_in=TWO_COLUMNS_IN)
    for model, target in history_pairs(df):
        hist = history_frame(df, model, target, "cycles_per_inference")
        path = out_dir / f"history_{_slug(model)}_{_slug(target)}.pdf"
        add(_pdf(partial(history_figure, hist, title=f"{model} on {target}: cycles per "
                         "inference", width_in=ONE_COLUMN_IN), path),
            "figure", df[df["id"].isin(hist["id"])], width_in=ONE_COLUMN_IN)
    facts = RunContext.collect()
    document = {"generated_by": f"hilbench {facts.hilbench_version}",
                "generated_at_commit": facts.git_commit, "files": manifest}
    manifest_path = atomic_write_text(out_dir / "manifest.json", json.dumps(document, indent=1) + "\n")
    return [out_dir / name for name in manifest] + [manifest_path]
