"""The researcher's question: what each compressed variant costs and what it keeps.

From the measurements of a sweep (rows with an `accuracy` from a data set), per suite:
- `variants_table`: one row per variant with its accuracy (and on how many samples), MACs,
  parameters, weight bytes, flash, RAM and cycles on every target; `to_latex` renders it.
- `pareto_figure`: accuracy against cycles (or instructions, or latency), energy and flash,
  one panel per target, the Pareto front marked and every point labelled with its variant.
Pure functions of a frame shaped like `ResultStore.dataframe()`.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter, MaxNLocator

from harness.report.figures import _PALETTE, _fit_width, _save
from harness.report.tables import latest

__all__ = ["variant_rows", "suites_with_accuracy", "variants_table", "pareto_front", "pareto_figure"]

_META = ("recipe", "techniques", "params", "macs", "weight_bits", "sparsity", "model_bytes",
         "dataset", "n_eval", "eval_split", "primary_metric", "train_seed")
# Cost axes, in order of preference for the time row: the first a target measured is used.
_TIME_COSTS = ("cycles_per_inference", "instructions_per_inference", "latency_ms")
_COST_LABEL = {"cycles_per_inference": "cycles / inference",
               "instructions_per_inference": "instructions / inference",
               "latency_ms": "latency [ms]", "energy_uj_per_inference": "energy / inference [uJ]",
               "flash_bytes": "flash [bytes]"}


def variant_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Latest row per (model, variant, target) that has an accuracy, with the variant facts of
    extra_json as columns and `score`: the data set's primary metric (balanced accuracy where
    one class dominates, else accuracy)."""
    if df.empty or "accuracy" not in df.columns:
        return pd.DataFrame()
    rows = latest(df[df["accuracy"].notna()]).copy()
    if rows.empty:
        return rows
    extras = [json.loads(e) if isinstance(e, str) else (e or {})
              for e in rows.get("extra_json", pd.Series([None] * len(rows), index=rows.index))]
    for key in _META:
        rows[key] = [e.get(key) for e in extras]
    primary = rows["primary_metric"].fillna("accuracy")
    balanced = rows["balanced_accuracy"] if "balanced_accuracy" in rows.columns else rows["accuracy"]
    rows["score"] = [b if p == "balanced_accuracy" and pd.notna(b) else a
                     for p, a, b in zip(primary, rows["accuracy"], balanced)]
    rows["score_name"] = ["balanced accuracy" if p == "balanced_accuracy" else "accuracy"
                          for p in primary]
    return rows.sort_values(["model", "variant", "target"], kind="stable")


def suites_with_accuracy(df: pd.DataFrame) -> list[str]:
    rows = variant_rows(df)
    return [] if rows.empty else sorted(rows["model"].unique())


def _techniques_text(value: object) -> str:
    if not isinstance(value, list):
        return ""
    parts = []
    for t in value:
        if isinstance(t, dict):
            params = t.get("params") or {}
            args = ",".join(f"{k}={v}" for k, v in sorted(params.items()))
            parts.append(f"{t.get('name')}({args})" if args else str(t.get("name")))
    return " + ".join(parts)


def variants_table(df: pd.DataFrame, model: str) -> tuple[pd.DataFrame, str]:
    """One row per variant of `model`; returns the table and a caption saying where each
    number comes from (data set and N, the target of flash/RAM, the cycle provenance)."""
    rows = variant_rows(df)
    rows = rows[rows["model"] == model] if not rows.empty else rows
    if rows.empty:
        raise ValueError(f"no accuracy measurements of {model!r}")
    targets = sorted(rows["target"].unique())
    size_target = next((t for t in targets if t != "host" and
                        rows[(rows["target"] == t)]["flash_bytes"].notna().any()), targets[0]) \
        if "flash_bytes" in rows.columns else targets[0]
    # One cost per target (the first of _TIME_COSTS it measured), the same for every variant.
    target_cost: dict[str, str | None] = {}
    cost_column: dict[str, str] = {}
    for target in targets:
        on = rows[rows["target"] == target]
        cost = next((c for c in _TIME_COSTS if c in on.columns and on[c].notna().any()), None)
        unit = {"cycles_per_inference": "cycles", "instructions_per_inference": "instr",
                "latency_ms": "ms"}.get(cost or "", "")
        target_cost[target] = cost
        cost_column[target] = f"{target} [{unit}]" if unit else target
    table = []
    for variant, group in rows.groupby("variant", sort=True):
        best = group.sort_values("n_eval", ascending=False, kind="stable").iloc[0]
        sized = group[group["target"] == size_target]
        line: dict[str, object] = {
            "variant": variant,
            "techniques": _techniques_text(best["techniques"]),
            best["score_name"]: float(best["score"]),
            "N": best["n_eval"],
            "MACs": best["macs"],
            "params": best["params"],
            "weight bytes": best["model_bytes"],
            f"flash ({size_target})": sized["flash_bytes"].iloc[0]
            if not sized.empty and "flash_bytes" in sized else None,
            f"RAM ({size_target})": sized["ram_bytes"].iloc[0]
            if not sized.empty and "ram_bytes" in sized else None,
        }
        for target in targets:
            on = group[group["target"] == target]
            cost = target_cost[target]
            line[cost_column[target]] = on[cost].iloc[0] if cost and not on.empty else None
        table.append(line)
    frame = pd.DataFrame(table)
    first = rows.sort_values("n_eval", ascending=False, kind="stable").iloc[0]
    costs = []
    for target in targets:
        on = rows[rows["target"] == target]
        cost = next((c for c in _TIME_COSTS if c in on.columns and on[c].notna().any()), None)
        if cost is not None:
            costs.append(f"{target} {_provenance(on, cost)}")
    caption = (f"{model}: {first['score_name']} of each target's own outputs on "
               f"{first['n_eval']} samples of {first['dataset']}/{first['eval_split']}; "
               f"flash and RAM on {size_target}; cost per target: " + "; ".join(costs) + ".")
    return frame, caption


def pareto_front(costs: list[float], scores: list[float]) -> list[int]:
    """Indices of the points no other point beats: none is cheaper-or-equal and better-or-equal
    with one of the two strictly. Sorted by cost."""
    front = []
    for i, (c, s) in enumerate(zip(costs, scores)):
        dominated = any((c2 <= c and s2 >= s) and (c2 < c or s2 > s)
                        for j, (c2, s2) in enumerate(zip(costs, scores)) if j != i)
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: (costs[i], -scores[i]))


def _provenance(rows: pd.DataFrame, metric: str) -> str:
    """The provenance(s) of a metric's values in rows (store frames: `<metric>_provenance`;
    JSON records: cycles_provenance / energy_provenance)."""
    for col in (f"{metric}_provenance", {"cycles_per_inference": "cycles_provenance",
                                          "energy_uj_per_inference": "energy_provenance"}.get(metric)):
        if col and col in rows.columns:
            used = sorted({str(p) for p in rows.loc[rows[metric].notna(), col].dropna()})
            if used:
                return ", ".join(used)
    return "provenance unknown"


def _cost_rows(rows: pd.DataFrame) -> list[str]:
    """The cost axes to draw: a time cost, then energy and flash where anything has them."""
    wanted = ["time"]
    for metric in ("energy_uj_per_inference", "flash_bytes"):
        if metric in rows.columns and rows[metric].notna().any():
            wanted.append(metric)
    return wanted


def pareto_figure(df: pd.DataFrame, model: str, path: Path, width_in: float | None = None) -> Path:
    """Accuracy against cost, one column per target and one row per cost; returns the PNG
    (width_in: scaled to that width, e.g. a paper column)."""
    rows = variant_rows(df)
    rows = rows[rows["model"] == model] if not rows.empty else rows
    if rows.empty:
        raise ValueError(f"no accuracy measurements of {model!r}")
    targets = sorted(rows["target"].unique())
    cost_rows = _cost_rows(rows)
    fig = Figure(figsize=(3.4 * len(targets) + 0.6, 2.9 * len(cost_rows) + 0.6))
    axes = fig.subplots(len(cost_rows), len(targets), squeeze=False)
    variants = sorted(rows["variant"].unique())
    colour = {v: _PALETTE[i % len(_PALETTE)] for i, v in enumerate(variants)}
    for col, target in enumerate(targets):
        on = rows[rows["target"] == target]
        for r, what in enumerate(cost_rows):
            ax = axes[r][col]
            metric = what if what != "time" else next(
                (c for c in _TIME_COSTS if c in on.columns and on[c].notna().any()), None)
            points = on[on[metric].notna()] if metric else on.iloc[0:0]
            if points.empty:
                ax.text(0.5, 0.5, f"not measured\non {target}", ha="center", va="center",
                        transform=ax.transAxes, color="#8C8C8C")
                ax.set_xticks([])
                ax.set_yticks([])
            else:
                assert metric is not None
                costs = [float(x) for x in points[metric]]
                scores = [float(x) for x in points["score"]]
                names = list(points["variant"])
                front = pareto_front(costs, scores)
                ax.step([costs[i] for i in front], [scores[i] for i in front], where="post",
                        color="#333333", lw=1, zorder=1, label="Pareto front")
                labels: dict[tuple[float, float], list[str]] = {}
                for i, (c, s, n) in enumerate(zip(costs, scores, names)):
                    ax.scatter([c], [s], s=36, zorder=2, color=colour[n],
                               edgecolors="black" if i in front else "none",
                               marker="o" if i in front else "s")
                    labels.setdefault((c, s), []).append(n)
                for (c, s), same in labels.items():   # one label for points that coincide
                    ax.annotate(", ".join(same), (c, s), xytext=(4, 3),
                                textcoords="offset points", fontsize=7)
                ax.set_xlabel(f"{_COST_LABEL.get(metric, metric)} [{_provenance(points, metric)}]",
                              fontsize=8)
                if max(costs) > 20 * max(min(costs), 1e-12):
                    ax.set_xscale("log")
                elif metric in ("cycles_per_inference", "instructions_per_inference", "flash_bytes"):
                    ax.xaxis.set_major_formatter(EngFormatter(sep=""))
                ax.xaxis.set_major_locator(MaxNLocator(4))
                ax.grid(True, alpha=0.3)
                ax.tick_params(labelsize=7)
            if col == 0:
                ax.set_ylabel(str(on["score_name"].iloc[0]) if not on.empty else "accuracy",
                              fontsize=8)
            if r == 0:
                n = int(on["n_eval"].max()) if on["n_eval"].notna().any() else 0
                ax.set_title(f"{target} (N={n})", fontsize=9)
    first = rows.iloc[0]
    fig.suptitle(f"{model}: accuracy of each target's outputs on {first['dataset']}/"
                 f"{first['eval_split']} vs cost; front marked (outlined circles)", fontsize=10)
    _fit_width(fig, width_in)
    fig.tight_layout()
    return _save(fig, Path(path))
