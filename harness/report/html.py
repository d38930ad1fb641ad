"""The HTML report: one self-contained file that opens from disk with no server and no network.

It holds the summary table (the latest row per model, variant, target and kernel set; sortable,
filterable by model, variant and target; every number with its provenance as a tag and a
tooltip, modelled numbers marked), the figures as PNG data URIs (overview, Pareto per suite,
per-layer cycles, cycle history per model and target), the last gate result when there is
one, and each run's metadata: commit, host, versions, tool versions and the exact commands.
"""
from __future__ import annotations

import base64
import json
import shlex
import tempfile
from collections.abc import Callable
from functools import partial
from html import escape
from pathlib import Path

import pandas as pd

from harness.measure import STANDARD_METRICS
from harness.report._io import atomic_write_text
from harness.report.figures import CYCLE_PROVENANCES, MODELLED, layer_cycles_figure, overview_figure
from harness.report.gate import latest_rows
from harness.report.history import history_figure, history_frame, history_pairs
from harness.report.html_assets import CSS, SCRIPT
from harness.report.tables import agreement, format_value
from harness.report.variants import pareto_figure, suites_with_accuracy

__all__ = ["SHORT_PROVENANCE", "html_report", "write_html"]

SHORT_PROVENANCE = {
    "rtl-cycle-exact": "RTL", "iss-cycle-model": "ISS model", "instructions": "instr count",
    "hw-counter": "HW counter", "wall-clock": "wall clock", "power-sensor": "sensor",
    "energy-model": "energy model", "static-analysis": "static", "dataset": "data set",
    "golden-dataset": "golden", "power-meter": "meter",
}
METRICS = (*STANDARD_METRICS, "balanced_accuracy")
_MAX_HISTORIES = 12


def _missing(value: object) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _flag(value: object) -> bool:
    return not _missing(value) and bool(value)


def _cell(row: pd.Series, metric: str) -> str:
    value = row.get(metric)
    if _missing(value):
        return '<td class="num" data-v="">—</td>'
    provenance = str(row.get(f"{metric}_provenance") or "unknown")
    unit = row.get(f"{metric}_unit")
    tip = f"{provenance}{' (modelled, not measured)' if provenance in MODELLED else ''}"
    if metric in ("accuracy", "balanced_accuracy"):
        extra = json.loads(row["extra_json"]) if isinstance(row.get("extra_json"), str) else {}
        tip += f" on {extra.get('n_eval')} samples of {extra.get('dataset')}/{extra.get('eval_split')}"
    if not _missing(unit):
        tip += f"; unit {unit}"
    cls = "prov modelled" if provenance in MODELLED else "prov"
    return (f'<td class="num" data-v="{escape(repr(float(value)))}" data-prov="{escape(provenance)}"'
            f' title="{escape(tip)}">{escape(format_value(value) or "")} '
            f'<span class="{cls}">{escape(SHORT_PROVENANCE.get(provenance, provenance))}</span></td>')


def _table(rows: pd.DataFrame) -> str:
    metrics = [m for m in METRICS if m in rows.columns and rows[m].notna().any()]
    head = ["model", "variant", "target", "kernels", "agrees", "inputs", *metrics]
    out = ['<table id="summary"><thead><tr>' + "".join(f"<th>{escape(h)}</th>" for h in head)
           + "</tr></thead><tbody>"]
    for _, r in rows.iterrows():
        kernels = "" if _missing(r["kernels"]) else str(r["kernels"])
        attrs = " ".join(f'data-{k}="{escape(str(v))}"' for k, v in (
            ("model", r["model"]), ("variant", r["variant"]), ("target", r["target"]),
            ("kernels", kernels), ("run", r["run_id"]), ("id", r["id"])))
        agrees = agreement(r.get("bit_exact"), r.get("extra_json")) or "—"
        cells = [f"<td>{escape(str(r[k]))}</td>" for k in ("model", "variant", "target")]
        cells += [f"<td>{escape(kernels or '—')}</td>", f"<td>{escape(agrees)}</td>",
                  f'<td class="num" data-v="{int(r["n_inputs"])}">{int(r["n_inputs"])}</td>']
        cells += [_cell(r, m) for m in metrics]
        out.append(f"<tr {attrs}>" + "".join(cells) + "</tr>")
    return "\n".join(out) + "</tbody></table>"


def _filters(rows: pd.DataFrame) -> str:
    parts = []
    for name in ("model", "variant", "target"):
        options = "".join(f'<option value="{escape(v)}">{escape(v)}</option>'
                          for v in sorted({str(x) for x in rows[name]}))
        parts.append(f'<label>{name} <select name="{name}" id="filter-{name}">'
                     f'<option value="">all</option>{options}</select></label>')
    return (f'<p class="filters">{"".join(parts)} <span id="shown">{len(rows)}</span> of '
            f"{len(rows)} rows shown. Tags: how each number was obtained (hover for details); "
            "orange, italic: modelled, not measured.</p>")


def _figure(draw: Callable[[Path], Path], caption: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        png = draw(Path(tmp) / "figure.png")
        data = base64.b64encode(png.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _figures(df: pd.DataFrame, layers: pd.DataFrame | None) -> list[str]:
    out = [_figure(lambda p: overview_figure(df, p),
                   "Latest measurement per model, variant and target (hatched: modelled).")]
    for suite in suites_with_accuracy(df):
        out.append(_figure(partial(pareto_figure, df, suite),
                           f"{suite}: accuracy against cost per target, Pareto front marked."))
    if layers is not None and not layers.empty and layers["provenance"].isin(CYCLE_PROVENANCES).any():
        out.append(_figure(lambda p: layer_cycles_figure(layers, p),
                           "Cycles per layer (latest measurement; hatched: modelled)."))
    for model, target in history_pairs(df)[:_MAX_HISTORIES]:
        hist = history_frame(df, model, target, "cycles_per_inference")
        title = f"{model} on {target}: cycles per inference"
        out.append(_figure(partial(history_figure, hist, title=title),
                           f"History of {title} across runs, in commit order."))
    return out


def _gate(gate: dict[str, object]) -> str:
    verdict = str(gate.get("verdict", ""))
    cls = "pass" if gate.get("passed") else "fail"
    findings = [f for f in gate.get("findings", []) if isinstance(f, dict)  # type: ignore[attr-defined]
                and f.get("kind") != "unchanged"]
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(format_value(f.get(k)) or '—')}</td>"
                         for k in ("kind", "row", "metric", "baseline", "candidate",
                                   "candidate_provenance", "allowed")) + "</tr>"
        for f in findings)
    table = ("<table id=\"gate\"><tr><th>kind</th><th>row</th><th>metric</th><th>baseline</th>"
             "<th>candidate</th><th>provenance</th><th>allowed</th></tr>" + rows + "</table>"
             if findings else "<p>No differences.</p>")
    return (f'<p class="{cls}" id="gate-verdict">{escape(verdict)}</p>'
            f"<p>Baseline: {escape(str(gate.get('baseline')))}<br>"
            f"Candidate: {escape(str(gate.get('candidate')))}</p>{table}")


def _runs(df: pd.DataFrame) -> str:
    out = []
    order = df.groupby("run_id")["time_utc"].min().sort_values(ascending=False).index
    for run_id in order:
        rows = df[df["run_id"] == run_id].sort_values("id")
        first = rows.iloc[0]
        commit = first["git_commit"] if isinstance(first["git_commit"], str) else "no commit"
        dirty = " (uncommitted changes)" if _flag(first["git_dirty"]) else ""
        tools: dict[str, str] = {}
        for text in rows["tool_versions_json"]:
            tools.update(json.loads(text))
        tool_text = "; ".join(f"{k} {v}" for k, v in sorted(tools.items())) or "none recorded"
        commands = []
        for _, r in rows.iterrows():
            argvs = json.loads(r["commands_json"])
            body = "".join(f"<pre>{escape(shlex.join(a))}</pre>" for a in argvs) or "<p>none</p>"
            commands.append(f"<details><summary>{escape(f'{r.model}/{r.variant} on {r.target}')}"
                            f" ({len(argvs)} commands)</summary>{body}</details>")
        out.append(
            f'<h3 id="run-{escape(str(run_id))}">run {escape(str(run_id))}</h3>'
            f"<p>{escape(str(first['time_utc']))} on {escape(str(first['host']))}; commit "
            f"<code>{escape(commit)}</code>{dirty}; hilbench {escape(str(first['hilbench_version']))},"
            f" Python {escape(str(first['python']))}; {len(rows)} rows.<br>"
            f"Tools: {escape(tool_text)}</p>" + "".join(commands))
    return "\n".join(out)


def html_report(df: pd.DataFrame, layers: pd.DataFrame | None = None, *,
                gate: dict[str, object] | None = None, source: str = "") -> str:
    """The page's text; df and layers as ResultStore.dataframe()/layers_dataframe() give them."""
    if df.empty:
        raise ValueError("no measurements to report")
    rows = latest_rows(df)
    parts = [
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<title>hilbench report</title>", f"<style>{CSS}</style></head><body>",
        f"<h1>hilbench report</h1><p>{len(df)} measurements in {df['run_id'].nunique()} runs"
        f"{' from ' + escape(source) if source else ''}.</p>",
        "<h2>Summary</h2>", _filters(rows), _table(rows),
        "<h2>Regression gate</h2>",
        _gate(gate) if gate else "<p>No gate result (run <code>hilbench gate</code>).</p>",
        "<h2>Figures</h2>", *_figures(df, layers),
        "<h2>Runs</h2>", _runs(df),
        f"<script>{SCRIPT}</script></body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_html(df: pd.DataFrame, layers: pd.DataFrame | None, path: Path, *,
               gate: dict[str, object] | None = None, source: str = "") -> Path:
    return atomic_write_text(Path(path), html_report(df, layers, gate=gate, source=source))
