"""Report figures, written as PNG and PDF with the same stem.

Figures are drawn on a bare matplotlib `Figure` with the Agg canvas (no pyplot, no global
state, never shown) and depend only on the frame: rows and series are sorted, colours come
from a fixed palette and the PDF carries no creation date, so the same frame gives the same
bytes. Titles carry the provenance of the plotted numbers.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import EngFormatter

from harness.report._io import atomic_write
from harness.report.tables import KEY_COLUMNS, format_value, latest

__all__ = ["OVERVIEW_METRICS", "overview_figure", "layer_cycles_figure"]

OVERVIEW_METRICS = ("latency_ms", "flash_bytes", "ram_bytes", "cycles_per_inference")
_TITLES = {
    "latency_ms": "latency",
    "flash_bytes": "flash",
    "ram_bytes": "RAM",
    "cycles_per_inference": "cycles per inference",
}
_DEFAULT_UNITS = {"latency_ms": "ms", "flash_bytes": "bytes", "ram_bytes": "bytes", "cycles_per_inference": "cycles"}
_COUNTS = ("flash_bytes", "ram_bytes", "cycles_per_inference")  # large integers: 12k, 1.5M
_PALETTE = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C",
            "#CCB974", "#64B5CD")
_DPI = 150


def _save(fig: Figure, path: Path) -> Path:
    """Write fig to <stem>.png and <stem>.pdf atomically; return the PNG path."""
    png = Path(path).with_suffix(".png")
    FigureCanvasAgg(fig)
    atomic_write(png, lambda tmp: fig.savefig(tmp, format="png", dpi=_DPI, metadata={"Software": None}))
    atomic_write(
        png.with_suffix(".pdf"),
        lambda tmp: fig.savefig(tmp, format="pdf", metadata={"CreationDate": None, "Producer": None, "Creator": None}),
    )
    return png


def _provenance_text(values: list[object]) -> str:
    used = sorted({str(v) for v in values if v is not None and not (pd.api.types.is_scalar(v) and pd.isna(v))})
    if not used:
        return "provenance unknown"
    return used[0] if len(used) == 1 else "mixed: " + ", ".join(used)


def _column(rows: pd.DataFrame, name: str) -> list[object]:
    if name not in rows.columns:
        return [None] * len(rows)
    return [None if pd.isna(v) else v for v in rows[name].tolist()]


def _number(value: object) -> float | None:
    """value as a float, None when missing (None, NaN or pd.NA)."""
    if value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value))):
        return None
    return float(value)  # type: ignore[arg-type]


def _empty_axes(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def overview_figure(df: pd.DataFrame, path: Path) -> Path:
    """Grouped bars of the latest measurement per (model, variant, target): one group per model
    (per model and target when there are several targets), one bar per variant, one subplot per
    metric among OVERVIEW_METRICS that is present. Writes PNG and PDF; returns the PNG path."""
    if df.empty:
        raise ValueError("no measurements to plot")
    rows = latest(df).sort_values(list(KEY_COLUMNS), kind="stable")
    metrics = [m for m in OVERVIEW_METRICS if m in rows.columns and rows[m].notna().any()]
    several_targets = rows["target"].nunique() > 1
    groups = sorted({(str(r.model), str(r.target)) for r in rows.itertuples()})
    variants = sorted({str(v) for v in rows["variant"]})
    labels = [f"{model}\n({target})" if several_targets else model for model, target in groups]
    by_key = {(str(r["model"]), str(r["target"]), str(r["variant"])): r for _, r in rows.iterrows()}

    ncols = min(2, max(1, len(metrics)))
    nrows = max(1, math.ceil(len(metrics) / ncols))
    width_in = max(4.5, 1.0 + 0.55 * len(groups) * max(2, len(variants))) * ncols
    fig = Figure(figsize=(min(width_in, 16.0), 3.4 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    if not metrics:
        _empty_axes(axes[0], "no latency, size or cycle metrics recorded")
    bar_width = 0.8 / max(1, len(variants))
    for ax, metric in zip(axes, metrics):
        for j, variant in enumerate(variants):
            xs: list[float] = []
            heights: list[float] = []
            for i, (model, target) in enumerate(groups):
                row = by_key.get((model, target, variant))
                value = None if row is None else _number(row.get(metric))
                if value is not None:
                    xs.append(i - 0.4 + bar_width * (j + 0.5))
                    heights.append(value)
            bars = ax.bar(xs, heights, bar_width, label=variant, color=_PALETTE[j % len(_PALETTE)])
            ax.bar_label(bars, labels=[format_value(h) or "" for h in heights], fontsize=7, padding=2)
        units = sorted({str(u) for u in _column(rows, f"{metric}_unit") if u is not None})
        unit = units[0] if len(units) == 1 else _DEFAULT_UNITS[metric]
        provenance = _provenance_text(
            [p for p, v in zip(_column(rows, f"{metric}_provenance"), _column(rows, metric)) if v is not None]
        )
        ax.set_title(f"{_TITLES[metric]} ({provenance})", fontsize=10)
        ax.set_ylabel(unit)
        ax.set_xticks(range(len(groups)), labels=labels, fontsize=9)
        ax.set_xlim(-0.6, len(groups) - 0.4)
        ax.margins(y=0.15)
        if metric in _COUNTS:
            ax.yaxis.set_major_formatter(EngFormatter(sep=""))
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    for ax in axes[len(metrics) if metrics else 1:]:
        ax.set_axis_off()
    if metrics:
        handles = [Patch(color=_PALETTE[j % len(_PALETTE)], label=v) for j, v in enumerate(variants)]
        fig.legend(handles=handles, loc="outside upper center", ncols=max(1, len(variants)), frameon=False)
    return _save(fig, path)


def layer_cycles_figure(layers_df: pd.DataFrame, path: Path) -> Path:
    """Horizontal bars of cycles per layer, one subplot per model, one bar per variant (and
    target when there are several), from the latest measurement of each. Needs columns model,
    variant, idx, name, op, cycles; uses target, provenance, measurement_id, time_utc if present.
    Writes PNG and PDF; returns the PNG path."""
    needed = ("model", "variant", "idx", "name", "op", "cycles")
    missing = [c for c in needed if c not in layers_df.columns]
    if missing:
        raise ValueError(f"the layers frame lacks the column(s) {', '.join(missing)}")
    if layers_df.empty:
        raise ValueError("no layer metrics to plot")
    df = layers_df.copy()
    if "target" not in df.columns:
        df["target"] = ""
    if "measurement_id" in df.columns:
        runs = df.drop_duplicates("measurement_id").rename(columns={"measurement_id": "id"})
        df = df[df["measurement_id"].isin(latest(runs)["id"])]
    several_targets = df["target"].nunique() > 1
    models = sorted({str(m) for m in df["model"]})
    series = sorted({(str(r.variant), str(r.target)) for r in df.itertuples()})
    row_keys = {
        model: sorted({(int(r.idx), str(r.name), str(r.op)) for r in df[df["model"] == model].itertuples()})
        for model in models
    }
    heights = [max(1.6, 0.8 + 0.22 * len(row_keys[m]) * max(1, len(series)) ** 0.5) for m in models]
    fig = Figure(figsize=(8.0, sum(heights) + 0.6), layout="constrained")
    axes = fig.subplots(len(models), 1, squeeze=False, height_ratios=heights).ravel().tolist()
    bar_height = 0.8 / max(1, len(series))
    for ax, model in zip(axes, models):
        part = df[df["model"] == model]
        keys = row_keys[model]
        position = {k: i for i, k in enumerate(keys)}
        for j, (variant, target) in enumerate(series):
            sel = part[(part["variant"] == variant) & (part["target"] == target)]
            if sel.empty:
                continue
            ys = [position[(int(r.idx), str(r.name), str(r.op))] - 0.4 + bar_height * (j + 0.5) for r in sel.itertuples()]
            cycles = [float(c) for c in sel["cycles"]]
            label = f"{variant}@{target}" if several_targets else variant
            ax.barh(ys, cycles, bar_height, color=_PALETTE[j % len(_PALETTE)],
                    label=f"{label} (total {format_value(sum(cycles))})")
        ax.set_yticks(range(len(keys)), labels=[f"{i} {name} ({op})" for i, name, op in keys], fontsize=7)
        ax.set_ylim(len(keys) - 0.5, -0.5)  # first layer on top
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))
        ax.set_xlabel("cycles")
        provenance = _provenance_text(_column(part, "provenance"))
        ax.set_title(f"{model}: cycles per layer ({provenance})", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
        ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)
