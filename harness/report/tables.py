"""Summary tables of measurements, as a DataFrame, GitHub Markdown, LaTeX (booktabs) and CSV.

Every rendered number shows its provenance: in the column header (`latency_ms [wall-clock]`)
when one provenance covers the column, otherwise in each cell. Pure functions of a DataFrame
shaped like `ResultStore.dataframe()` (metric `<name>` with `<name>_provenance`).
"""
from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from harness.measure import STANDARD_METRICS
from harness.report._io import atomic_write_text

__all__ = ["KEY_COLUMNS", "SUMMARY_BASE_COLUMNS", "latest", "kernel_sets", "summary", "format_value",
           "to_markdown", "to_latex", "write_csv"]

KEY_COLUMNS = ("model", "variant", "target")
SUMMARY_BASE_COLUMNS = (*KEY_COLUMNS, "bit_exact", "n_inputs")
MISSING_MD = "—"
MISSING_TEX = "---"
# Provenance columns of the flat JSON record (harness.measure.to_json_record).
_RECORD_PROVENANCE = {"cycles_per_inference": "cycles_provenance", "energy_uj_per_inference": "energy_provenance"}


def _require_keys(df: pd.DataFrame) -> None:
    missing = [c for c in KEY_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"the measurements frame lacks the column(s) {', '.join(missing)}")


def latest(df: pd.DataFrame) -> pd.DataFrame:
    """The latest row (by time_utc, then id, when present; else the last row) per
    (model, variant, target, kernel set), in the frame's order: a target measured with two
    kernel sets (`ref` and `armv7em`, say) keeps a row for each."""
    _require_keys(df)
    order = [c for c in ("time_utc", "id") if c in df.columns]
    ordered = df.sort_values(order, kind="stable") if order else df
    kernels = pd.Series(kernel_sets(ordered), index=ordered.index, dtype=object).fillna("")
    keys = ordered[list(KEY_COLUMNS)].assign(_kernels=kernels)
    return ordered[~keys.duplicated(keep="last")]


def kernel_sets(df: pd.DataFrame) -> list[str | None]:
    """The C kernel set of each row: its `kernels` column when the frame has one, else the
    `kernels` fact of its extra_json; None where a row does not say."""
    if "kernels" in df.columns:
        return [None if _is_missing(k) else str(k) for k in df["kernels"]]
    if "extra_json" not in df.columns:
        return [None] * len(df)
    found = []
    for raw in df["extra_json"]:
        facts = json.loads(raw) if isinstance(raw, str) else {}
        kernels = facts.get("kernels") if isinstance(facts, dict) else None
        found.append(None if kernels is None else str(kernels))
    return found


def _is_missing(value: object) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def agreement(bit_exact: object, extra: object) -> str | None:
    """How the outputs compare with the golden interpreter, in words: 'bit-exact', 'within
    tolerance' (float models: the stated tolerance and the same top-1, harness.compare's
    `ok`) or 'NO'; None when the measurement does not say (`extra`: the extra_json column's
    text or a dict with within_tolerance and top1_agreement)."""
    if _is_missing(bit_exact):
        return None
    if bool(bit_exact):
        return "bit-exact"
    facts = json.loads(extra) if isinstance(extra, str) else extra
    if (isinstance(facts, dict) and facts.get("within_tolerance")
            and facts.get("top1_agreement", 1.0) in (None, 1.0)):
        return "within tolerance"
    return "NO"


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Latest measurement per (model, variant, target, kernel set), sorted: the key (with a
    `kernels` column when any row names its kernel set), bit_exact, n_inputs, `agrees` (see
    `agreement`, when the frame has extra_json) and each standard metric present with its
    `<metric>_provenance`."""
    _require_keys(df)
    rows = latest(df)
    out = pd.DataFrame(index=rows.index)
    for col in SUMMARY_BASE_COLUMNS:
        out[col] = rows[col] if col in rows.columns else None
    kernels = kernel_sets(rows)
    if any(k is not None for k in kernels):
        out.insert(out.columns.get_loc("target") + 1, "kernels", kernels)
    if "extra_json" in rows.columns and "bit_exact" in rows.columns:
        out.insert(out.columns.get_loc("bit_exact") + 1, "agrees",
                   [agreement(b, e) for b, e in zip(rows["bit_exact"], rows["extra_json"])])
    for name in STANDARD_METRICS:
        if name not in rows.columns or not rows[name].notna().any():
            continue
        out[name] = rows[name]
        provenance = f"{name}_provenance"
        if provenance not in rows.columns:
            provenance = _RECORD_PROVENANCE.get(name, provenance)
        out[f"{name}_provenance"] = rows[provenance] if provenance in rows.columns else None
    return out.sort_values(list(KEY_COLUMNS), kind="stable").reset_index(drop=True)


def _format_float(x: float) -> str:
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    magnitude = math.floor(math.log10(abs(x)))
    if 4 <= magnitude < 15:
        return f"{x:.0f}"  # 4 significant digits would need an exponent; keep the integer part
    return f"{x:.4g}"


def format_value(value: object) -> str | None:
    """A cell's text: yes/no, plain ints, floats to 4 significant digits; None when missing."""
    if _is_missing(value):
        return None
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        return _format_float(x) if math.isfinite(x) else str(x)
    return " ".join(str(value).split())  # one line


@dataclass(frozen=True)
class _Table:
    headers: list[str]
    numeric: list[bool]
    rows: list[list[str | None]]


def _provenance_column(df: pd.DataFrame, col: str) -> str | None:
    for candidate in (f"{col}_provenance", _RECORD_PROVENANCE.get(col)):
        if candidate is not None and candidate != col and candidate in df.columns:
            return candidate
    return None


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series)) and not pd.api.types.is_bool_dtype(series)


def _fold(df: pd.DataFrame) -> _Table:
    """Merge each `<metric>_provenance` column into its metric's header or cells."""
    pairs = {c: p for c in df.columns if (p := _provenance_column(df, str(c))) is not None}
    consumed = set(pairs.values())
    headers: list[str] = []
    numeric: list[bool] = []
    columns: list[list[str | None]] = []
    for col in df.columns:
        if col in consumed:
            continue
        cells = [format_value(v) for v in df[col].tolist()]
        header = str(col)
        if col in pairs:
            provenances = [None if _is_missing(p) else str(p) for p in df[pairs[col]].tolist()]
            used = sorted({p for p, c in zip(provenances, cells) if c is not None and p is not None})
            if len(used) == 1:
                header = f"{col} [{used[0]}]"
            elif len(used) > 1:
                cells = [c if c is None or p is None else f"{c} [{p}]" for c, p in zip(cells, provenances)]
        headers.append(header)
        numeric.append(_is_numeric(df[col]))
        columns.append(cells)
    rows = [list(row) for row in zip(*columns)] if columns else []
    return _Table(headers, numeric, rows)


def _escape_markdown(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def to_markdown(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of df (numbers right-aligned, missing as '—')."""
    table = _fold(df)
    header = [_escape_markdown(h) for h in table.headers]
    body = [[MISSING_MD if c is None else _escape_markdown(c) for c in row] for row in table.rows]
    widths = [max([3, len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        padded = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, table.numeric)]
        return "| " + " | ".join(padded) + " |"

    rule = "| " + " | ".join(("-" * (w - 1) + ":") if num else "-" * w for w, num in zip(widths, table.numeric)) + " |"
    return "\n".join([line(header), rule, *(line(r) for r in body)]) + "\n"


_TEX_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "[": "{[}", "]": "{]}",  # so a cell never reads as the optional argument of \\
    "—": "---",
}


def _escape_latex(text: str) -> str:
    return "".join(_TEX_ESCAPES.get(ch, ch) for ch in text)


def to_latex(df: pd.DataFrame) -> str:
    """A booktabs `tabular` of df (needs \\usepackage{booktabs}); text is escaped."""
    table = _fold(df)
    spec = "".join("r" if num else "l" for num in table.numeric) or "l"
    lines = [
        "% generated by hilbench; needs \\usepackage{booktabs}",
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
        " & ".join(_escape_latex(h) for h in table.headers) + r" \\",
        "\\midrule",
        *(" & ".join(MISSING_TEX if c is None else _escape_latex(c) for c in row) + r" \\" for row in table.rows),
        "\\bottomrule",
        "\\end{tabular}",
    ]
    return "\n".join(lines) + "\n"


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """Write df as CSV (no index, empty cells for missing values) atomically; return path."""
    return atomic_write_text(Path(path), df.to_csv(index=False, lineterminator="\n"))
