"""Figures of a token-dropping suite (rows with `keep_ratio`, harness.tokendrop):

- `token_drop_figure`: per suite, accuracy against latency and against MACs over the keep
  ratios (one line per target and family: training-free fp32 at the input, fine-tuned,
  after block b, int8, adaptive), and the MACs per variant as stacked bars with the guide's
  cost as its own segment. Other families than the plain one are drawn with open markers.
  With several training seeds, a point's accuracy is the mean of each seed's latest row
  (its latency that of the latest row).
- `kept_patches_figure`: example test images with the patches each keep ratio kept (dropped
  patches tinted blue), from the positions the sweep recorded (`example_positions`).
Pure functions of a frame shaped like `ResultStore.dataframe()` (the panel also reads the data
set the rows name, to draw the images).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from harness.report.figures import _PALETTE, _save

__all__ = ["family", "token_drop_rows", "token_drop_suites", "token_drop_figure",
           "kept_patches_figure", "token_drop_figures"]

_KEYS = ("keep_ratio", "macs", "vit_macs", "guide_macs", "techniques", "n_eval", "dataset",
         "example_positions", "eval_subset_seed", "kept_tokens", "train_seed")


def family(techniques: object) -> str:
    """'' for a training-free fp32 drop at the input, else what differs ('fine-tuned',
    'adaptive', 'after block 2', 'int8', joined by ', ')."""
    params = techniques[0].get("params", {}) if isinstance(techniques, list) and techniques         else {}
    parts = ["fine-tuned" if params.get("finetune_epochs") else "",
             "adaptive" if params.get("confident_keep") is not None else "",
             f"after block {params['after_block']}" if params.get("after_block") is not None
             else "", "int8" if params.get("precision") == "int8" else ""]
    return ", ".join(p for p in parts if p)


def token_drop_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Latest row per (model, variant, target, training seed) with an accuracy and a keep
    ratio, the token-drop facts of extra_json as columns, `finetuned` and `family` from the
    technique's parameters; several seeds: one row per (model, variant, target), `accuracy`
    their mean and `seeds` their count."""
    if df.empty or "accuracy" not in df.columns or "extra_json" not in df.columns:
        return pd.DataFrame()
    rows = df[df["accuracy"].notna()].copy()
    extras = [json.loads(e) if isinstance(e, str) else (e or {}) for e in rows["extra_json"]]
    for key in _KEYS:
        rows[key] = [e.get(key) for e in extras]
    rows = rows[rows["keep_ratio"].notna()].copy()
    if rows.empty:
        return rows
    rows["train_seed"] = rows["train_seed"].fillna(-1)
    order = [c for c in ("time_utc", "id") if c in rows.columns]
    rows = (rows.sort_values(order, kind="stable") if order else rows).drop_duplicates(
        ["model", "variant", "target", "train_seed"], keep="last")
    keys = ["model", "variant", "target"]
    mean = rows.groupby(keys)["accuracy"].transform("mean")
    seeds = rows.groupby(keys)["train_seed"].transform("count")
    rows = rows.assign(accuracy=mean, seeds=seeds).drop_duplicates(keys, keep="last")
    rows["finetuned"] = [bool(t and t[0].get("params", {}).get("finetune_epochs"))
                         for t in rows["techniques"]]
    rows["family"] = [family(t) for t in rows["techniques"]]
    return rows.sort_values(["model", "target", "family", "keep_ratio"])


def token_drop_suites(df: pd.DataFrame) -> list[str]:
    rows = token_drop_rows(df)
    return sorted(rows["model"].unique()) if not rows.empty else []


_MARKERS = "osD^v<>p*"


def _lines(ax: object, rows: pd.DataFrame, x: str) -> None:
    families = sorted(rows["family"].unique())
    for k, target in enumerate(sorted(rows["target"].unique())):
        on = rows[rows["target"] == target]
        for f, fam in enumerate(families):
            part = on[on["family"] == fam].dropna(subset=[x])
            if part.empty:
                continue
            colour, plain = _PALETTE[k % len(_PALETTE)], not fam
            ax.plot(part[x], part["accuracy"], marker=_MARKERS[f % len(_MARKERS)],  # type: ignore[attr-defined]
                    color=colour, ls="-" if plain or len(part) > 1 else "none",
                    mfc=colour if plain else "none",
                    label=f"{target}{f' ({fam})' if fam else ''}")
            for _, r in part.iterrows():
                ax.annotate(f"{r['keep_ratio']:g}", (r[x], r["accuracy"]),  # type: ignore[attr-defined]
                            xytext=(3, 3), textcoords="offset points", fontsize=7)


def token_drop_figure(df: pd.DataFrame, model: str, path: Path) -> Path:
    """Accuracy vs latency, accuracy vs MACs, and MACs (guide + ViT) per variant."""
    rows = token_drop_rows(df)
    rows = rows[rows["model"] == model] if not rows.empty else rows
    if rows.empty:
        raise ValueError(f"no token-drop measurements of {model!r}")
    fig = Figure(figsize=(11.0, 3.4))
    ax_lat, ax_macs, ax_bar = fig.subplots(1, 3)
    _lines(ax_lat, rows, "latency_ms")
    prov = rows["latency_ms_provenance"].dropna().iloc[0] if "latency_ms_provenance" in rows \
        and rows["latency_ms_provenance"].notna().any() else "wall-clock"
    ax_lat.set_xlabel(f"latency guide + ViT [ms] ({prov})", fontsize=8)
    _lines(ax_macs, rows, "macs")
    ax_macs.set_xlabel("MACs per inference, guide + ViT", fontsize=8)
    n = rows["n_eval"].dropna()
    what = f"accuracy ({rows['dataset'].iloc[0]}, n = {int(n.min())}" + \
        (f"-{int(n.max())}" if len(n) and n.max() != n.min() else "") + \
        (f"; mean of {int(rows['seeds'].max())} seeds)" if rows["seeds"].max() > 1 else ")")
    for ax in (ax_lat, ax_macs):
        ax.set_ylabel(what, fontsize=8)
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    bars = rows.drop_duplicates("variant").sort_values(["family", "keep_ratio"],
                                                       ascending=[True, False])
    xs = np.arange(len(bars))
    vit = bars["vit_macs"].astype(float).to_numpy() / 1e6
    guide = np.nan_to_num(bars["guide_macs"].astype(float).to_numpy() / 1e6)  # keep 1.0: none
    ax_bar.bar(xs, vit, color=_PALETTE[0], label="ViT")
    ax_bar.bar(xs, guide, bottom=vit, color=_PALETTE[1], label="guide")
    ax_bar.set_ylim(0, float(np.nanmax(vit + guide)) * 1.12)   # room for the legend
    ax_bar.set_xticks(xs, list(bars["variant"]), rotation=30, fontsize=7)
    ax_bar.set_ylabel("M MACs per inference (static-analysis)", fontsize=8)
    ax_bar.legend(fontsize=7)
    ax_bar.tick_params(labelsize=7)
    fig.suptitle(f"{model}: token dropping, keep ratio at each point", fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def kept_patches_figure(df: pd.DataFrame, model: str, path: Path, patch: int = 4) -> Path:
    """Example test images (columns) with the patches each keep ratio kept (rows)."""
    from harness.datasets import load_dataset
    from harness.evaluate import eval_set

    rows = token_drop_rows(df)
    rows = rows[(rows["model"] == model) & rows["example_positions"].notna()] \
        if not rows.empty else rows
    rows = rows[rows["family"] == ""].drop_duplicates("variant").sort_values(
        "keep_ratio", ascending=False)
    if rows.empty:
        raise ValueError(f"no recorded example positions of {model!r}")
    first = rows.iloc[0]
    seed = first["eval_subset_seed"]
    ev = eval_set(load_dataset(str(first["dataset"])),
                  int(first["n_eval"]) if seed is not None and not pd.isna(seed) else None,
                  int(seed) if seed is not None and not pd.isna(seed) else 0)
    count = len(first["example_positions"])
    images = ev.split.x[:count, :, :, 0]
    grid = images.shape[1] // patch
    fig = Figure(figsize=(1.2 * count + 0.8, 1.25 * len(rows) + 0.3))
    axes = fig.subplots(len(rows), count, squeeze=False)
    for r, (_, row) in enumerate(rows.iterrows()):
        for c in range(count):
            mask = np.zeros(grid * grid, bool)
            mask[np.asarray(row["example_positions"][c], dtype=int)] = True
            shown = np.kron(mask.reshape(grid, grid), np.ones((patch, patch)))
            ax = axes[r][c]
            gray = np.repeat(images[c][..., None], 3, axis=2)
            tint = 0.35 * gray + np.array([0.05, 0.12, 0.45])   # dropped: dim blue
            ax.imshow(np.clip(np.where(shown[..., None] > 0, gray, tint), 0, 1))
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(f"keep {row['keep_ratio']:g}", fontsize=8)
    fig.suptitle(f"{model}: kept patches (blue: dropped)", fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def token_drop_figures(df: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Both figures for every token-drop suite in `df` (png and pdf); [] when there is none."""
    written: list[Path] = []
    for model in token_drop_suites(df):
        for fn, name in ((token_drop_figure, "tokendrop"), (kept_patches_figure, "kept_patches")):
            try:
                png = fn(df, model, Path(out_dir) / f"{name}_{model}.png")
            except ValueError:
                continue
            written += [png, png.with_suffix(".pdf")]
    return written
