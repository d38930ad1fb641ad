"""One metric of one model on one target across runs: the figure that shows a kernel change
paying off.

`history_frame` orders the runs by commit (commits in the order they were first measured) and
then by time; `history_figure` draws one line per (variant, kernel set) over those runs, the
x axis labelled with the short commit, hollow markers for modelled numbers.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter

from harness.errors import ResultsError
from harness.report.figures import _PALETTE, MODELLED, _fit_width, _save

__all__ = ["HISTORY_COLUMNS", "history_pairs", "history_frame", "history_figure"]

HISTORY_COLUMNS = ("git_commit", "git_dirty", "time_utc", "run_id", "variant", "kernels",
                   "value", "unit", "provenance", "id")


def _choices(df: pd.DataFrame, column: str) -> str:
    return ", ".join(sorted({str(v) for v in df[column]})) or "none"


def history_pairs(df: pd.DataFrame, metric: str = "cycles_per_inference") -> list[tuple[str, str]]:
    """(model, target) pairs with the metric recorded in at least two runs, sorted."""
    if metric not in df.columns or "run_id" not in df.columns or "git_commit" not in df.columns:
        return []
    measured = df[df[metric].notna()]
    runs = measured.groupby(["model", "target"])["run_id"].nunique()
    return sorted((str(m), str(t)) for (m, t), n in runs.items() if n >= 2)


def history_frame(df: pd.DataFrame, model: str, target: str, metric: str,
                  variant: str | None = None) -> pd.DataFrame:
    """Every row of model on target with the metric, ordered by commit, then time."""
    if df.empty:
        raise ResultsError("the results store is empty; run benchmarks first")
    rows = df[(df["model"] == model)]
    if rows.empty:
        raise ResultsError(f"no rows of model {model!r}; models in the store: {_choices(df, 'model')}")
    rows = rows[rows["target"] == target]
    if rows.empty:
        raise ResultsError(f"no rows of {model} on target {target!r}; its targets: "
                           f"{_choices(df[df['model'] == model], 'target')}")
    if variant is not None:
        if variant not in set(rows["variant"]):
            raise ResultsError(f"no rows of {model}/{variant} on {target}; its variants: "
                               f"{_choices(rows, 'variant')}")
        rows = rows[rows["variant"] == variant]
    if metric not in rows.columns or rows[metric].isna().all():
        known = sorted(c for c in rows.columns if f"{c}_provenance" in rows.columns
                       and rows[c].notna().any())
        raise ResultsError(f"no {metric!r} recorded for {model} on {target}; recorded: "
                           f"{', '.join(known) or 'none'}")
    rows = rows[rows[metric].notna()]
    extras = [json.loads(e) if isinstance(e, str) else {} for e in rows["extra_json"]]
    out = pd.DataFrame({
        "git_commit": rows["git_commit"].to_numpy(), "git_dirty": rows["git_dirty"].to_numpy(),
        "time_utc": rows["time_utc"].to_numpy(), "run_id": rows["run_id"].to_numpy(),
        "variant": rows["variant"].to_numpy(), "kernels": [e.get("kernels") for e in extras],
        "value": rows[metric].astype("float64").to_numpy(),
        "unit": rows[f"{metric}_unit"].to_numpy(),
        "provenance": rows[f"{metric}_provenance"].to_numpy(), "id": rows["id"].to_numpy(),
    })
    commit_key = out["git_commit"].fillna("(no commit)")
    first_seen = out.groupby(commit_key)["time_utc"].transform("min")
    out = out.assign(_first=first_seen).sort_values(["_first", "time_utc", "id"], kind="stable")
    return out.drop(columns="_first").reset_index(drop=True)


def history_figure(hist: pd.DataFrame, path: Path, title: str,
                   width_in: float | None = None) -> Path:
    """Lines of the metric per (variant, kernels) over the runs of `hist` (history_frame's
    order); writes PNG and PDF with path's stem and returns the PNG path."""
    if hist.empty:
        raise ValueError("no history to plot")
    runs = list(dict.fromkeys(zip(hist["git_commit"], hist["run_id"])))
    position = {run: i for i, run in enumerate(runs)}
    labels = [("-" if not isinstance(c, str) else c[:7]) for c, _ in runs]
    fig = Figure(figsize=(max(4.0, 0.9 + 0.45 * len(runs)), 3.0), layout="constrained")
    ax = fig.subplots()
    series = sorted({(str(v), str(k)) for v, k in zip(hist["variant"], hist["kernels"])})
    for i, (variant, kernels) in enumerate(series):
        part = hist[(hist["variant"].astype(str) == variant) & (hist["kernels"].astype(str) == kernels)]
        xs = [position[(c, r)] for c, r in zip(part["git_commit"], part["run_id"])]
        colour = _PALETTE[i % len(_PALETTE)]
        ax.plot(xs, part["value"], color=colour, lw=1, label=variant if kernels == "None"
                else f"{variant} [{kernels}]")
        modelled = [p in MODELLED for p in part["provenance"]]
        ax.scatter(xs, part["value"], s=22, zorder=3, edgecolors=colour,
                   facecolors=["none" if m else colour for m in modelled])
    ax.set_xticks(range(len(runs)), labels=labels, fontsize=7, rotation=45, ha="right")
    units = sorted({str(u) for u in hist["unit"]})
    provenances = ", ".join(sorted({str(p) for p in hist["provenance"]}))
    ax.set_ylabel(f"{units[0] if len(units) == 1 else 'value'} [{provenances}]", fontsize=8)
    ax.set_xlabel("commit (hollow markers: modelled)", fontsize=8)
    if hist["value"].max() >= 1e4:
        ax.yaxis.set_major_formatter(EngFormatter(sep=""))
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(True, alpha=0.3)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    _fit_width(fig, width_in)
    return _save(fig, Path(path))
