"""The regression gate: compare a candidate set of measurements with a baseline.

Rows are matched by `ROW_KEY` (model, variant, target, kernel set, and the training seed when a
sweep ran several); each side keeps its latest row per key, and the result says how many older
rows of a key it set aside on each side (repeats within a run, or earlier runs when a side is a
store file or a commit with several runs). For every gated metric
(`tolerance.RULES`) and `bit_exact` the gate finds a regression, an improvement or no change,
within the tolerance `tolerance.allowed_change` gives. A metric whose provenance differs between
the two sides is listed and never compared (a modelled number against a measured one says so);
rows or metrics present on one side only are listed. Pure functions of DataFrames shaped like
`ResultStore.dataframe()`.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import pandas as pd

from harness.report.figures import MODELLED
from harness.report.tolerance import DETERMINISTIC, RULES, SPREAD_COLUMNS, allowed_change

__all__ = ["ROW_KEY", "KINDS", "FAILING", "Finding", "GateResult", "keyed_rows", "set_aside",
           "disagreeing_repeats", "latest_rows", "row_name", "compare"]

ROW_KEY = ("model", "variant", "target", "kernels", "train_seed")
KINDS = ("regression", "missing-in-candidate", "improvement", "unchanged", "new-in-candidate",
         "provenance-changed", "modelled-vs-measured")
FAILING = ("regression", "missing-in-candidate")   # the kinds that fail the gate by default
_ACCURACIES = ("accuracy", "balanced_accuracy")


@dataclass(frozen=True)
class Finding:
    kind: str                      # one of KINDS
    row: str                       # "model/variant on target [kernels]"
    metric: str | None             # None for a whole row missing or new
    baseline: float | bool | None = None
    candidate: float | bool | None = None
    baseline_provenance: str | None = None
    candidate_provenance: str | None = None
    allowed: str = ""              # the tolerance applied, in words

    def line(self) -> str:
        """One human line, naming the row, the metric and both values."""
        if self.metric is None:
            return f"{self.kind}: {self.row}"
        head = f"{self.kind}: {self.row} {self.metric}"
        if self.kind in ("provenance-changed", "modelled-vs-measured"):
            return (f"{head}: {self.baseline_provenance} -> {self.candidate_provenance}, not "
                    f"compared (baseline {_text(self.baseline)}, candidate {_text(self.candidate)})")
        if self.candidate is None or self.baseline is None:
            return f"{head}: baseline {_text(self.baseline)}, candidate {_text(self.candidate)}"
        change = ""
        if isinstance(self.baseline, (int, float)) and not isinstance(self.baseline, bool) \
                and isinstance(self.candidate, (int, float)) and self.baseline:
            change = f" ({(float(self.candidate) - float(self.baseline)) / abs(float(self.baseline)):+.2%})"
        return (f"{head}: baseline {_text(self.baseline)} -> candidate {_text(self.candidate)}"
                f"{change} [{self.candidate_provenance or '-'}; allowed: {self.allowed}]")


def _text(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}" if isinstance(value, float) else str(value)


@dataclass
class GateResult:
    baseline: str                  # what each side is, e.g. "run 1a2b... (commit abc, time)"
    candidate: str
    findings: list[Finding] = field(default_factory=list)
    rows_compared: int = 0
    allow_missing: bool = False
    # side ("baseline", "candidate") -> row name -> older rows of that key not compared
    set_aside: dict[str, dict[str, int]] = field(default_factory=dict)
    # side -> lines naming repeats within one run that disagree on a deterministic metric
    disagreements: dict[str, list[str]] = field(default_factory=dict)

    def of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    @property
    def failures(self) -> list[Finding]:
        kinds = ("regression",) if self.allow_missing else FAILING
        return [f for f in self.findings if f.kind in kinds]

    @property
    def passed(self) -> bool:
        return not self.failures

    def counts(self) -> dict[str, int]:
        return {k: len(self.of(k)) for k in KINDS}

    def verdict(self) -> str:
        c = self.counts()
        shown = ", ".join(f"{n} x {k}" for k, n in c.items() if n and k != "unchanged")
        older = sum(n for rows in self.set_aside.values() for n in rows.values())
        aside = f"; {older} older duplicate rows set aside" if older else ""
        return (f"{'PASS' if self.passed else 'FAIL'}: {shown or 'no change'} "
                f"({c['unchanged']} metrics unchanged on {self.rows_compared} matched rows{aside})")

    def notes(self) -> list[str]:
        """One line per side that had several rows of a key: how many were set aside, and
        for which rows (the latest row of each key is the one compared)."""
        lines = []
        for side, rows in self.set_aside.items():
            if not rows:
                continue
            named = [f"{name} x{n}" for name, n in sorted(rows.items())]
            shown = ", ".join(named[:5]) + (f", ... ({len(named) - 5} more)" if len(named) > 5 else "")
            lines.append(f"note: the {side} has {sum(rows.values())} older rows of the same model, "
                         f"variant, target and kernels (repeats or earlier runs); only the latest "
                         f"row of each is compared: {shown}")
        for side, found in self.disagreements.items():
            lines += [f"warning: the {side}'s {text}" for text in found]
        return lines

    def to_json(self) -> dict[str, object]:
        return {"baseline": self.baseline, "candidate": self.candidate, "passed": self.passed,
                "verdict": self.verdict(), "counts": self.counts(),
                "rows_compared": self.rows_compared, "allow_missing": self.allow_missing,
                "set_aside": self.set_aside, "disagreements": self.disagreements,
                "findings": [asdict(f) for f in self.findings]}


def _missing(value: object) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _extra(row: pd.Series) -> dict[str, object]:
    raw = row.get("extra_json")
    data = json.loads(raw) if isinstance(raw, str) else {}
    return data if isinstance(data, dict) else {}


def _in_time_order(df: pd.DataFrame) -> Iterator[tuple[tuple[object, ...], pd.Series]]:
    """(ROW_KEY, row) of every row, oldest first (by time_utc, then id); kernels and
    train_seed come from the row's extra facts (None when absent)."""
    order = [c for c in ("time_utc", "id") if c in df.columns]
    rows = df.sort_values(order, kind="stable") if order else df
    for _, row in rows.iterrows():
        extra = _extra(row)
        yield (str(row["model"]), str(row["variant"]), str(row["target"]),
               extra.get("kernels"), extra.get("train_seed")), row


def keyed_rows(df: pd.DataFrame) -> dict[tuple[object, ...], pd.Series]:
    """The latest row (by time_utc, then id) per ROW_KEY."""
    return dict(_in_time_order(df))


def set_aside(df: pd.DataFrame) -> dict[str, int]:
    """Row name -> the number of older rows of its ROW_KEY that keyed_rows drops."""
    seen = Counter(key for key, _ in _in_time_order(df))
    return {row_name(key): n - 1 for key, n in seen.items() if n > 1}


def disagreeing_repeats(df: pd.DataFrame) -> list[str]:
    """Rows of one ROW_KEY in the same run that differ on a metric whose provenance is
    deterministic (the same inputs give the same number): the gate compares only the latest,
    so this says the number is not as reproducible as its provenance claims."""
    groups: dict[tuple[object, ...], list[pd.Series]] = {}
    for key, row in _in_time_order(df):
        groups.setdefault((*key, row.get("run_id")), []).append(row)
    found = []
    for group_key, rows in groups.items():
        if len(rows) < 2:
            continue
        for metric in RULES:
            values = {v for r in rows if (v := _value(r, metric)) is not None}
            kinds = {_provenance(r, metric).split()[0] for r in rows}
            if len(values) > 1 and len(kinds) == 1 and kinds <= DETERMINISTIC:
                found.append(f"{len(rows)} rows of {row_name(group_key[:-1])} in run "
                             f"{str(group_key[-1])[:12]} differ on {metric} ({min(values):g} .. "
                             f"{max(values):g}) although its provenance ({kinds.pop()}) is "
                             "deterministic")
    return found


def latest_rows(df: pd.DataFrame) -> pd.DataFrame:
    """keyed_rows as a frame sorted by model, variant, target, with a `kernels` column."""
    rows = list(keyed_rows(df).items())
    frame = pd.DataFrame([r for _, r in rows])
    frame["kernels"] = [k[3] for k, _ in rows]
    return frame.sort_values(["model", "variant", "target"], kind="stable").reset_index(drop=True)


def row_name(key: tuple[object, ...]) -> str:
    model, variant, target, kernels, seed = key
    text = f"{model}/{variant} on {target}"
    if kernels is not None:
        text += f" [{kernels}]"
    return text + (f" seed {seed}" if seed is not None else "")


def _value(row: pd.Series, metric: str) -> float | None:
    value = row.get(metric)
    return None if _missing(value) else float(value)


def _provenance(row: pd.Series, metric: str) -> str:
    """The metric's provenance; for accuracies also the data it was scored on, so a score on
    other data counts as a provenance change."""
    provenance = row.get(f"{metric}_provenance")
    text = "unknown" if _missing(provenance) else str(provenance)
    if metric in _ACCURACIES:
        extra = _extra(row)
        text += f" on {extra.get('dataset')}/{extra.get('eval_split')} N={extra.get('n_eval')}"
    return text


def _spread(rows: list[pd.Series], metric: str) -> float | None:
    columns = SPREAD_COLUMNS.get(metric)
    if columns is None:
        return None
    spreads = [float(r[columns[0]]) - float(r[columns[1]]) for r in rows
               if not _missing(r.get(columns[0])) and not _missing(r.get(columns[1]))]
    return max(spreads) if spreads else None


def _bad_change(metric: str, base: float, cand: float) -> float:
    """How much worse the candidate is (negative: better)."""
    return base - cand if RULES[metric].higher_is_better else cand - base


def _compare_metric(name: str, metric: str, base_row: pd.Series, cand_row: pd.Series,
                    tolerances: dict[str, float]) -> Finding | None:
    base, cand = _value(base_row, metric), _value(cand_row, metric)
    if base is None and cand is None:
        return None
    bp, cp = _provenance(base_row, metric), _provenance(cand_row, metric)
    if base is None:
        return Finding("new-in-candidate", name, metric, None, cand, None, cp)
    if cand is None:
        return Finding("missing-in-candidate", name, metric, base, None, bp, None)
    if bp != cp:
        modelled = (bp.split()[0] in MODELLED) != (cp.split()[0] in MODELLED)
        return Finding("modelled-vs-measured" if modelled else "provenance-changed", name,
                       metric, base, cand, bp, cp)
    allowed, why = allowed_change(metric, base, cp.split()[0], tolerances.get(metric),
                                  _spread([base_row, cand_row], metric))
    worse = _bad_change(metric, base, cand)
    at_limit = math.isclose(abs(worse), allowed, rel_tol=1e-9, abs_tol=1e-12)
    if worse > allowed and not at_limit:
        kind = "regression"
    elif -worse > allowed and not at_limit:
        kind = "improvement"
    else:
        kind = "unchanged"
    return Finding(kind, name, metric, base, cand, bp, cp, why)


def _compare_bit_exact(name: str, base_row: pd.Series, cand_row: pd.Series) -> Finding | None:
    base, cand = base_row.get("bit_exact"), cand_row.get("bit_exact")
    if _missing(base) or _missing(cand):
        return None
    b, c = bool(base), bool(cand)
    kind = "unchanged" if b == c else ("regression" if b else "improvement")
    return Finding(kind, name, "bit_exact", b, c, "golden comparison", "golden comparison", "exact")


def compare(baseline: pd.DataFrame, candidate: pd.DataFrame, *, baseline_label: str,
            candidate_label: str, tolerances: dict[str, float] | None = None,
            allow_missing: bool = False) -> GateResult:
    """Compare the latest rows per ROW_KEY of both frames; see the module docstring."""
    tolerances = tolerances or {}
    unknown = sorted(set(tolerances) - set(RULES))
    if unknown:
        raise ValueError(f"no gate rule for {', '.join(unknown)}; gated: {', '.join(RULES)}")
    base_rows, cand_rows = keyed_rows(baseline), keyed_rows(candidate)
    result = GateResult(baseline_label, candidate_label, allow_missing=allow_missing,
                        set_aside={"baseline": set_aside(baseline),
                                   "candidate": set_aside(candidate)},
                        disagreements={"baseline": disagreeing_repeats(baseline),
                                       "candidate": disagreeing_repeats(candidate)})
    for key in sorted(set(base_rows) | set(cand_rows), key=lambda k: tuple(map(str, k))):
        name = row_name(key)
        if key not in cand_rows:
            result.findings.append(Finding("missing-in-candidate", name, None))
            continue
        if key not in base_rows:
            result.findings.append(Finding("new-in-candidate", name, None))
            continue
        result.rows_compared += 1
        found = [_compare_bit_exact(name, base_rows[key], cand_rows[key])]
        found += [_compare_metric(name, metric, base_rows[key], cand_rows[key], tolerances)
                  for metric in RULES]
        result.findings += [f for f in found if f is not None]
    result.findings.sort(key=lambda f: KINDS.index(f.kind))
    return result
