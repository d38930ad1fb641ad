"""Report figures, written as PNG and PDF with the same stem.

Figures are drawn on a bare matplotlib `Figure` with the Agg canvas (no pyplot, no global
state, never shown) and depend only on the frame: rows and series are sorted, colours come
from a fixed palette and the PDF carries no creation date, so the same frame gives the same
bytes. Titles carry the provenance of the plotted numbers.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import EngFormatter

from harness.report._io import atomic_write
from harness.report.tables import KEY_COLUMNS, format_value, kernel_sets, latest

__all__ = ["OVERVIEW_METRICS", "overview_rows", "overview_figure", "layer_cycles_figure"]

OVERVIEW_METRICS = ("latency_ms", "cycles_per_inference", "instructions_per_inference",
                    "flash_bytes", "ram_bytes")
_TITLES = {
    "latency_ms": "latency",
    "flash_bytes": "flash",
    "ram_bytes": "RAM",
    "cycles_per_inference": "cycles per inference",
    "instructions_per_inference": "instructions per inference",
}
_DEFAULT_UNITS = {"latency_ms": "ms", "flash_bytes": "bytes", "ram_bytes": "bytes",
                  "cycles_per_inference": "cycles", "instructions_per_inference": "instr"}
_COUNTS = ("flash_bytes", "ram_bytes", "cycles_per_inference", "instructions_per_inference")  # large integers: 12k, 1.5M
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


# Provenances of numbers that come out of a model rather than a measurement: hatched bars.
MODELLED = ("iss-cycle-model", "energy-model")
_LABELS_UP_TO = 12   # bars per panel that still get their value printed on top


def _fit_width(fig: Figure, width_in: float | None) -> None:
    """Scale a figure to width_in inches (a paper column), keeping its aspect (at most 9 in tall)."""
    if width_in is not None:
        w, h = fig.get_size_inches()
        fig.set_size_inches(width_in, min(9.0, h * width_in / w))
        shrink = max(0.75, min(1.0, width_in / w))   # text shrinks with the figure, to 6 pt or so
        for text in fig.findobj(Text):
            text.set_fontsize(text.get_fontsize() * shrink)


def overview_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows the overview figure draws: the latest per (model, variant, target, kernel set),
    sorted, with a `kernels` column (tables.kernel_sets)."""
    keyed = df.assign(kernels=kernel_sets(df))
    key = [*KEY_COLUMNS, "kernels"]
    order = [c for c in ("time_utc", "id") if c in keyed.columns]
    ordered = keyed.sort_values(order, kind="stable") if order else keyed
    rows = ordered.drop_duplicates(key, keep="last")
    return rows.sort_values(key, kind="stable", na_position="first")


def _series(rows: pd.DataFrame) -> dict[tuple[str, str | None], tuple[str, str]]:
    """(target, kernel set) -> (colour, legend label) of each bar series: every target keeps
    its own colour (a lighter shade for each further kernel set of it), and the label names the
    kernel set when a target was measured with several."""
    pairs = sorted({(str(t), k) for t, k in zip(rows["target"], rows["kernels"])},
                   key=lambda p: (p[0], p[1] or ""))
    targets = sorted({t for t, _ in pairs})
    out = {}
    for i, target in enumerate(targets):
        sets = [k for t, k in pairs if t == target]
        red, green, blue = to_rgb(_PALETTE[i % len(_PALETTE)])
        for j, kernels in enumerate(sets):
            light = 0.6 * j / len(sets)          # 0 for the first set: the target's own colour
            shade = to_hex((red + (1 - red) * light, green + (1 - green) * light,
                            blue + (1 - blue) * light))
            label = target if len(sets) == 1 else f"{target} [{kernels or 'no kernel set'}]"
            out[(target, kernels)] = (shade, label)
    return out


def overview_figure(df: pd.DataFrame, path: Path, width_in: float | None = None) -> Path:
    """Bars of the latest measurement per (model, variant, target, kernel set) (overview_rows):
    one row of panels per metric among OVERVIEW_METRICS that is present, one column per variant
    (int8, fp32, ...); in a panel one group per model and one bar per target and kernel set,
    each target in the same colour everywhere (its kernel sets in shades of it). Bars of
    modelled numbers (MODELLED provenances) are hatched; a panel whose values span more than
    30x has a log scale. Writes PNG and PDF (width_in: scaled to that width); returns the PNG
    path."""
    if df.empty:
        raise ValueError("no measurements to plot")
    rows = overview_rows(df)
    metrics = [m for m in OVERVIEW_METRICS if m in rows.columns and rows[m].notna().any()]
    models = sorted({str(m) for m in rows["model"]})
    variants = sorted({str(v) for v in rows["variant"]})
    style = _series(rows)
    targets = list(style)                 # the bar series: (target, kernel set)
    by_key = {(str(r["model"]), (str(r["target"]), r["kernels"]), str(r["variant"])): r
              for _, r in rows.iterrows()}

    panel_w = max(3.6, 0.8 + 0.28 * len(models) * len(targets))
    fig = Figure(figsize=(min(panel_w * len(variants), 18.0), 2.9 * max(1, len(metrics)) + 0.8),
                 layout="constrained")
    axes = fig.subplots(max(1, len(metrics)), len(variants), squeeze=False)
    if not metrics:
        _empty_axes(axes[0][0], "no latency, size or cycle metrics recorded")
        for ax in axes[0][1:]:
            ax.set_axis_off()
    bar_width = 0.8 / len(targets)
    modelled_seen = False
    for r, metric in enumerate(metrics):
        units = sorted({str(u) for u in _column(rows, f"{metric}_unit") if u is not None})
        unit = units[0] if len(units) == 1 else _DEFAULT_UNITS[metric]
        for c, variant in enumerate(variants):
            ax = axes[r][c]
            values: list[float] = []
            provenances: list[object] = []
            for j, target in enumerate(targets):
                xs, heights, hatched = [], [], []
                for i, model in enumerate(models):
                    row = by_key.get((model, target, variant))
                    value = None if row is None else _number(row.get(metric))
                    if row is None or value is None or value <= 0:
                        continue
                    provenance = row.get(f"{metric}_provenance")
                    xs.append(i - 0.4 + bar_width * (j + 0.5))
                    heights.append(value)
                    hatched.append(provenance in MODELLED)
                    provenances.append(provenance)
                for x, h, modelled in zip(xs, heights, hatched):
                    bars = ax.bar([x], [h], bar_width, color=style[target][0],
                                  hatch="///" if modelled else None, edgecolor="white",
                                  linewidth=0.4)
                    modelled_seen = modelled_seen or modelled
                    if len(models) * len(targets) <= _LABELS_UP_TO:
                        ax.bar_label(bars, labels=[format_value(h) or ""], fontsize=6,
                                     padding=2, rotation=90)
                values += heights
            ax.set_title(f"{_TITLES[metric]}, {variant}\n({_provenance_text(provenances)})",
                         fontsize=9)
            ax.set_ylabel(unit, fontsize=8)
            ax.set_xticks(range(len(models)), labels=models, fontsize=8)
            ax.set_xlim(-0.6, len(models) - 0.4)
            ax.tick_params(axis="y", labelsize=7)
            if values and max(values) > 30 * min(values):
                ax.set_yscale("log")
            elif metric in _COUNTS:
                ax.yaxis.set_major_formatter(EngFormatter(sep=""))
            ax.margins(y=0.2)
            ax.grid(axis="y", alpha=0.3)
            ax.set_axisbelow(True)
    if metrics:
        handles = [Patch(color=colour, label=label) for colour, label in style.values()]
        if modelled_seen:
            handles.append(Patch(facecolor="#BBBBBB", hatch="///", edgecolor="white",
                                 label="modelled (" + ", ".join(MODELLED) + ")"))
        fig.legend(handles=handles, loc="outside upper center", ncols=min(len(handles), 6),
                   frameon=False, fontsize=8)
    _fit_width(fig, width_in)
    return _save(fig, path)


# Per-layer counts that are cycles; QEMU's per-layer counts are instructions and stay out.
CYCLE_PROVENANCES = ("rtl-cycle-exact", "iss-cycle-model", "hw-counter")
_OP_SHORT = {"CONV_2D": "conv", "DEPTHWISE_CONV_2D": "dw", "FULLY_CONNECTED": "fc",
             "AVERAGE_POOL_2D": "avgpool", "MAX_POOL_2D": "maxpool", "ADD": "add",
             "RESHAPE": "reshape", "SOFTMAX": "softmax", "QUANTIZE": "quant",
             "DEQUANTIZE": "dequant"}


def layer_cycles_figure(layers_df: pd.DataFrame, path: Path, width_in: float | None = None) -> Path:
    """Where the cycles go: one panel per model, one group of bars per layer (x: its index and
    op), one bar per variant@target, from the latest measurement of each, log scale. Only
    counts with a cycle provenance (CYCLE_PROVENANCES) are drawn; modelled ones are hatched.
    Needs columns model, variant, idx, name, op, cycles; uses target, provenance,
    measurement_id, time_utc if present. Writes PNG and PDF; returns the PNG path."""
    needed = ("model", "variant", "idx", "name", "op", "cycles")
    missing = [c for c in needed if c not in layers_df.columns]
    if missing:
        raise ValueError(f"the layers frame lacks the column(s) {', '.join(missing)}")
    df = layers_df.copy()
    if "provenance" in df.columns:
        df = df[df["provenance"].isin(CYCLE_PROVENANCES)]
    if df.empty:
        raise ValueError("no per-layer cycle counts to plot")
    if "target" not in df.columns:
        df["target"] = ""
    if "provenance" not in df.columns:
        df["provenance"] = None
    if "measurement_id" in df.columns:
        runs = df.drop_duplicates("measurement_id").rename(columns={"measurement_id": "id"})
        df = df[df["measurement_id"].isin(latest(runs)["id"])]
    models = sorted({str(m) for m in df["model"]})
    series = sorted({(str(r.variant), str(r.target)) for r in df.itertuples()})
    colour = {key: _PALETTE[i % len(_PALETTE)] for i, key in enumerate(series)}
    most_layers = max(int(df[df["model"] == m]["idx"].max()) + 1 for m in models)
    width = min(18.0, max(6.0, 1.2 + most_layers * (0.12 + 0.05 * len(series))))
    fig = Figure(figsize=(width, 2.6 * len(models) + 0.8), layout="constrained")
    axes = fig.subplots(len(models), 1, squeeze=False).ravel().tolist()
    bar_width = 0.8 / len(series)
    for ax, model in zip(axes, models):
        part = df[df["model"] == model]
        keys = sorted({(int(r.idx), str(r.op)) for r in part.itertuples()})
        position = {idx: i for i, (idx, _op) in enumerate(keys)}
        for j, key in enumerate(series):
            sel = part[(part["variant"] == key[0]) & (part["target"] == key[1])]
            sel = sel[sel["cycles"] > 0]
            if sel.empty:
                continue
            modelled = any(p in MODELLED for p in sel["provenance"])
            ax.bar([position[int(i)] - 0.4 + bar_width * (j + 0.5) for i in sel["idx"]],
                   [float(c) for c in sel["cycles"]], bar_width, color=colour[key],
                   hatch="///" if modelled else None, edgecolor="white", linewidth=0.3,
                   label=f"{key[0]}@{key[1]} (total {format_value(float(sel['cycles'].sum()))})")
        ax.set_xticks(range(len(keys)),
                      labels=[f"{i} {_OP_SHORT.get(op, op.lower())}" for i, op in keys],
                      fontsize=6, rotation=90)
        ax.set_xlim(-0.6, len(keys) - 0.4)
        ax.set_yscale("log")
        low, high = ax.get_ylim()
        ax.set_ylim(low, high * 50)  # room for the legend above the tallest bar
        ax.set_ylabel("cycles", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(f"{model}: cycles per layer "
                     f"({_provenance_text(_column(part, 'provenance'))}; hatched: modelled)",
                     fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        ax.legend(fontsize=6, loc="upper right", ncols=2, frameon=False)
    _fit_width(fig, width_in)
    return _save(fig, path)
