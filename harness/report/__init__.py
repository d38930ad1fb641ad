"""Reports: summary tables and figures, pure functions of a measurements DataFrame.

`write_report` turns the frame of `ResultStore.dataframe()` (and optionally
`ResultStore.layers_dataframe()`) into a folder of CSV, Markdown, LaTeX, PNG and PDF files,
each written atomically.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from harness.errors import ResultsError
from harness.report._io import atomic_write_text
from harness.report.figures import CYCLE_PROVENANCES, layer_cycles_figure, overview_figure
from harness.report.history import history_figure, history_frame, history_pairs
from harness.report.tables import summary, to_latex, to_markdown, write_csv
from harness.report.tokendrop import token_drop_figures
from harness.report.variants import pareto_figure, suites_with_accuracy, variants_table

__all__ = [
    "NoMeasurementsError",
    "write_report",
    "summary",
    "to_markdown",
    "to_latex",
    "write_csv",
    "overview_figure",
    "layer_cycles_figure",
    "pareto_figure",
    "variants_table",
]


class NoMeasurementsError(ResultsError, ValueError):
    """There is nothing to report (a ValueError, and a ResultsError for the CLI)."""


def write_report(df: pd.DataFrame, out_dir: Path, layers: pd.DataFrame | None = None) -> list[Path]:
    """Write summary.csv/.md/.tex and overview.png/.pdf (plus layers.png/.pdf when `layers`
    has per-layer cycle counts, per suite with accuracies pareto_<suite>.png/.pdf and
    variants_<suite>.tex/.md, and history_<model>_<target>.png/.pdf where cycles were measured
    in several runs) into out_dir; return the paths written."""
    if df.empty:
        raise NoMeasurementsError(
            "no measurements in the results store (or none match the filters); run the benchmarks first"
        )
    out_dir = Path(out_dir)
    table = summary(df)
    written = [
        write_csv(table, out_dir / "summary.csv"),
        atomic_write_text(out_dir / "summary.md", to_markdown(table)),
        atomic_write_text(out_dir / "summary.tex", to_latex(table)),
    ]
    png = overview_figure(df, out_dir / "overview.png")
    written += [png, png.with_suffix(".pdf")]
    for suite in suites_with_accuracy(df):
        table, caption = variants_table(df, suite)
        tex = ("% " + caption + "\n\\begin{table}\n\\centering\n\\caption{"
               + _escape_caption(caption) + "}\n" + to_latex(table) + "\\end{table}\n")
        written.append(atomic_write_text(out_dir / f"variants_{_slug(suite)}.tex", tex))
        written.append(atomic_write_text(out_dir / f"variants_{_slug(suite)}.md",
                                         caption + "\n\n" + to_markdown(table)))
        png = pareto_figure(df, suite, out_dir / f"pareto_{_slug(suite)}.png")
        written += [png, png.with_suffix(".pdf")]
    written += token_drop_figures(df, out_dir)   # suites with keep ratios (harness.tokendrop)
    if layers is not None and "provenance" in layers.columns:
        layers = layers[layers["provenance"].isin(CYCLE_PROVENANCES)]
    if layers is not None and not layers.empty:
        png = layer_cycles_figure(layers, out_dir / "layers.png")
        written += [png, png.with_suffix(".pdf")]
    for model, target in history_pairs(df):   # cycles across runs, where there are several
        hist = history_frame(df, model, target, "cycles_per_inference")
        png = history_figure(hist, out_dir / f"history_{_slug(model)}_{_slug(target)}.png",
                             f"{model} on {target}: cycles per inference")
        written += [png, png.with_suffix(".pdf")]
    return written


def _escape_caption(text: str) -> str:
    return "".join({"_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#"}.get(c, c) for c in text)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)
