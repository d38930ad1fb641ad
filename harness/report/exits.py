"""Figures of early-exit and pipeline runs, pure functions of the store's frames.

    exit_figures(df, per_input, out_dir) -> paths written (PNG + PDF each):
      exit_histogram.png      fraction of inputs per exit, per target and threshold
      exit_curve.png          balanced accuracy vs mean energy (or cycles) over thresholds,
                              one line per target, with the data set and N in the title
      exit_cycles.png         per-input cycle distribution, one histogram per threshold
      placements.png          the pipeline's three placements: sensor energy, total time and
                              balanced accuracy side by side (energy-model, labelled so)
Rows are those whose extra has `exit_histogram` (exit_bench) or `placement` (pipeline).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from harness.report.figures import _save

__all__ = ["exit_figures", "exit_rows"]


def _finish(fig: Figure, path: Path) -> list[Path]:
    fig.tight_layout()
    png = _save(fig, path)
    return [png, png.with_suffix(".pdf")]


def exit_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The measurements of exit runs with their extra parsed (columns `x_*`)."""
    if df.empty or "extra_json" not in df.columns:
        return df.iloc[0:0]
    extras = [json.loads(e) if isinstance(e, str) else {} for e in df["extra_json"]]
    keep = [i for i, e in enumerate(extras) if "exit_histogram" in e]
    out = df.iloc[keep].copy()
    for key in ("exit_histogram", "exit_threshold", "placement", "dataset", "n_eval",
                "forwarded_fraction", "bytes_sent_mean"):
        out[f"x_{key}"] = [extras[i].get(key) for i in keep]
    return out


def _threshold(value: Any) -> float:
    if isinstance(value, list):
        return float(value[0]) if value else 1.0
    return float(value) if value is not None else float("nan")


def _col(rows: pd.DataFrame, name: str) -> pd.Series:
    return rows[name] if name in rows.columns else pd.Series([np.nan] * len(rows), index=rows.index)


def exit_figures(df: pd.DataFrame, per_input: pd.DataFrame | None, out_dir: Path) -> list[Path]:
    rows = exit_rows(df)
    if rows.empty:
        return []
    written: list[Path] = []
    single = rows[rows["x_placement"].isna()].copy()
    if not single.empty:
        single["thr"] = [_threshold(v) for v in single["x_exit_threshold"]]
        written += _histogram(single, out_dir / "exit_histogram.png")
        written += _curve(single, out_dir / "exit_curve.png")
        if per_input is not None and not per_input.empty:
            written += _cycles(single, per_input, out_dir / "exit_cycles.png")
    placed = rows[rows["x_placement"].notna()]
    if not placed.empty:
        written += _placements(placed, out_dir / "placements.png")
    return written


def _histogram(rows: pd.DataFrame, path: Path) -> list[Path]:
    fig = Figure(figsize=(7, 3.2))
    ax = fig.add_subplot()
    labels, bottoms = [], None
    rows = rows.sort_values(["target", "thr"])
    hists = np.array([h for h in rows["x_exit_histogram"]], dtype=float)
    labels = [f"{t}\nT={thr:g}" for t, thr in zip(rows["target"], rows["thr"])]
    x = np.arange(len(rows))
    bottoms = np.zeros(len(rows))
    for k in range(hists.shape[1]):
        ax.bar(x, hists[:, k], bottom=bottoms, label=f"exit {k}")
        bottoms += hists[:, k]
    ax.set_xticks(x, labels, fontsize=7)
    ax.set_ylabel("fraction of inputs")
    ax.set_title("Exit taken per input (target outputs)", fontsize=9)
    ax.legend(fontsize=7)
    return _finish(fig, path)


def _curve(rows: pd.DataFrame, path: Path) -> list[Path]:
    energy = _col(rows, "energy_uj_per_inference")
    use_energy = energy.notna().any()
    xname = "energy_uj_per_inference" if use_energy else "cycles_per_inference"
    fig = Figure(figsize=(5, 3.4))
    ax = fig.add_subplot()
    for target, group in rows.groupby("target"):
        g = group[_col(group, xname).notna()].sort_values("thr")
        if g.empty:
            continue
        ax.plot(g[xname], g["balanced_accuracy"], marker="o", label=str(target))
        for _, r in g.iterrows():
            ax.annotate(f"{r['thr']:g}", (r[xname], r["balanced_accuracy"]), fontsize=6,
                        xytext=(3, 3), textcoords="offset points")
    prov = _col(rows, f"{xname}_provenance").dropna()
    ax.set_xlabel(("mean energy per inference [uJ]" if use_energy else "mean cycles")
                  + (f" ({prov.iloc[0]})" if len(prov) else ""))
    ax.set_ylabel("balanced accuracy")
    data = {f"{d} N={n}" for d, n in zip(rows["x_dataset"], rows["x_n_eval"])}
    ax.set_title("Accuracy vs cost over exit thresholds\n" + ", ".join(sorted(data)), fontsize=8)
    ax.legend(fontsize=7)
    return _finish(fig, path)


def _cycles(rows: pd.DataFrame, per_input: pd.DataFrame, path: Path) -> list[Path]:
    ids = dict(zip(rows.index if "id" not in rows.columns else rows["id"], rows["thr"]))
    sel = per_input[per_input["measurement_id"].isin(list(ids)) & per_input["cycles"].notna()]
    if sel.empty:
        return []
    fig = Figure(figsize=(6, 3.2))
    ax = fig.add_subplot()
    for mid, group in sel.groupby("measurement_id"):
        target = group["target"].iloc[0]
        ax.hist(group["cycles"], bins=40, histtype="step",
                label=f"{target} T={ids[mid]:g} (n={len(group)})")
    ax.set_xlabel("cycles per input")
    ax.set_ylabel("inputs")
    ax.set_title("Per-input cycles (firmware counter)", fontsize=9)
    ax.legend(fontsize=6)
    return _finish(fig, path)


def _placements(rows: pd.DataFrame, path: Path) -> list[Path]:
    rows = rows.drop_duplicates(subset=["x_placement"], keep="last")
    order = [p for p in ("sensor", "edge", "split") if p in set(rows["x_placement"])]
    rows = rows.set_index("x_placement").loc[order]
    fig = Figure(figsize=(8, 2.8))
    panels = (("energy_uj_per_inference", "sensor energy [uJ] (energy-model)"),
              ("total_ms_per_inference", "total time [ms] (model-derived)"),
              ("balanced_accuracy", "balanced accuracy (dataset)"))
    for i, (col, label) in enumerate(panels):
        ax = fig.add_subplot(1, 3, i + 1)
        ax.bar(order, _col(rows, col).astype(float))
        ax.set_title(label, fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle(f"Placements, {rows['target'].iloc[0]} "
                 f"(N={rows['x_n_eval'].iloc[0]}, forwarded in split: "
                 f"{100 * float(rows.loc['split', 'x_forwarded_fraction'] or 0):.0f} %)"
                 if "split" in order else "Placements", fontsize=9)
    return _finish(fig, path)
