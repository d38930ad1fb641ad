"""The `hilbench gate`, `history` and `runs` commands, and the `report --html/--paper` outputs.

`gate` exits 0 when the candidate passes, 1 on any regression (or error), 2 on a usage error;
it always writes its result as JSON to `gate.json` next to the results store, where `report
--html` finds it.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from .errors import ResultsError

__all__ = ["add_parsers", "report_html", "report_paper", "GATE_JSON"]

GATE_JSON = "gate.json"


def _store_path(arg: str | None) -> Path:
    from .cli import _results_path

    return _results_path(arg)


def cmd_gate(args: argparse.Namespace) -> int:
    from .report._io import atomic_write_text
    from .report.gate import compare
    from .report.junit import write_junit
    from .report.tolerance import load_tolerance_file, parse_tolerances
    from .results.runs import resolve_ref, write_baseline

    store_path = _store_path(args.results)
    tolerances = load_tolerance_file(Path(args.config)) if args.config else {}
    tolerances.update(parse_tolerances(args.tolerance or []))
    candidate = resolve_ref(args.candidate, store_path)
    baseline_file = Path(args.baseline)
    if args.update_baseline and not baseline_file.is_file():
        if baseline_file.suffix not in (".sqlite", ".db", ".sqlite3"):
            raise ResultsError(f"--update-baseline needs --baseline to be a store file (e.g. "
                               f"baseline.sqlite), got {args.baseline!r}")
        ids = _latest_ids(candidate.rows)
        write_baseline(candidate.store, ids, baseline_file)
        print(f"gate: created baseline {baseline_file} from {candidate.label} ({len(ids)} rows)")
        return 0
    baseline = resolve_ref(args.baseline, store_path)
    result = compare(baseline.rows, candidate.rows, baseline_label=baseline.label,
                     candidate_label=candidate.label, tolerances=tolerances,
                     allow_missing=args.allow_missing)
    payload = result.to_json()
    try:
        atomic_write_text(store_path.parent / GATE_JSON, json.dumps(payload, indent=1) + "\n")
        if args.junit:
            write_junit(result, Path(args.junit))
    except OSError as exc:
        raise ResultsError(f"cannot write the gate result: {exc.strerror or exc} "
                           f"({exc.filename}); give another --junit or --results") from None
    if args.json:
        print(json.dumps(payload))
    else:
        print(f"baseline  {result.baseline}\ncandidate {result.candidate}")
        for note in result.notes():
            print(note)
        for finding in result.findings:
            if finding.kind != "unchanged" or args.verbose:
                print(finding.line())
        print(f"gate: {result.verdict()}")
    if args.update_baseline:
        ids = _latest_ids(candidate.rows)
        write_baseline(candidate.store, ids, baseline_file)
        print(f"gate: baseline {baseline_file} now holds {candidate.label} ({len(ids)} rows); "
              "commit it to accept the change", file=sys.stderr)
        return 0
    return 0 if result.passed else 1


def _latest_ids(rows: pd.DataFrame) -> list[int]:
    from .report.gate import keyed_rows

    return sorted(int(r["id"]) for r in keyed_rows(rows).values())


def cmd_history(args: argparse.Namespace) -> int:
    from .report.history import history_figure, history_frame
    from .report.tables import format_value
    from .results import ResultStore

    path = _store_path(args.results)
    if not path.is_file():
        raise ResultsError(f"no results store at {path}; run benchmarks first or give --results")
    hist = history_frame(ResultStore(path).dataframe(), args.model, args.target, args.metric,
                         args.variant)
    if args.json:
        for row in hist.to_dict(orient="records"):
            print(json.dumps({k: (None if pd.isna(v) else v) for k, v in row.items()},
                             default=str))
    else:
        for r in hist.itertuples():
            commit = r.git_commit[:10] if isinstance(r.git_commit, str) else "no commit"
            dirty = "+dirty" if not pd.isna(r.git_dirty) and bool(r.git_dirty) else ""
            kernels = f" [{r.kernels}]" if r.kernels is not None else ""
            print(f"{commit}{dirty:<7} {str(r.time_utc)[:19]}  run {str(r.run_id)[:12]}  "
                  f"{r.variant}{kernels}: {format_value(r.value)} {r.unit} [{r.provenance}]")
    if args.plot:
        png = history_figure(hist, Path(args.plot),
                             f"{args.model} on {args.target}: {args.metric}")
        print(f"history: wrote {png} and {png.with_suffix('.pdf')}", file=sys.stderr)
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from .results import ResultStore
    from .results.runs import run_table

    path = _store_path(args.results)
    if not path.is_file():
        raise ResultsError(f"no results store at {path}; run benchmarks first or give --results")
    table = run_table(ResultStore(path).dataframe())
    for r in table.to_dict(orient="records"):
        if args.json:
            print(json.dumps(r))
        else:
            commit = (r["git_commit"] or "no commit")[:10] + ("+dirty" if r["git_dirty"] else "")
            print(f"{r['run_id']}  {r['time_utc'][:19]}  {commit:<16} {r['rows']:>4} rows  "
                  f"{r['models']} on {r['targets']}")
    return 0


def report_html(df: pd.DataFrame, layers: pd.DataFrame, out: Path, store_path: Path) -> Path:
    from .report.html import write_html

    gate_file = store_path.parent / GATE_JSON
    gate = json.loads(gate_file.read_text()) if gate_file.is_file() else None
    return write_html(df, layers, out / "report.html", gate=gate, source=str(store_path))


def report_paper(df: pd.DataFrame, layers: pd.DataFrame, out: Path) -> list[Path]:
    from .report.paper import write_paper

    if out.exists() and not out.is_dir():
        raise ResultsError(f"--paper {out} is a file; give a folder (created when missing)")
    return write_paper(df, layers, out)


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    results_help = "results database (default results/hilbench.sqlite, or $HILBENCH_RESULTS)"
    g = sub.add_parser(
        "gate", help="compare a candidate run with a baseline; exit 1 on any regression",
        description="REF: a results store file, `latest`, a run id (or a unique prefix), or a "
        "git commit (or a name git resolves, e.g. main). Rows match by model, variant, target "
        "and kernel set. Deterministic provenances (ISS cycle model, RTL cycles, instruction "
        "counts, sizes, data-set accuracy) allow no change by default; wall-clock 10%%, "
        "power-sensor and power-meter 10%%, hw-counter 2%% (or the recorded p90-median spread if wider).")
    g.add_argument("--baseline", required=True, metavar="REF", help="what to compare against")
    g.add_argument("--candidate", default="latest", metavar="REF",
                   help="what to check (default: latest, the newest run in --results)")
    g.add_argument("--results", help=results_help)
    g.add_argument("--tolerance", action="append", metavar="METRIC=VALUE",
                   help="allowed change: a fraction or percent for cycles_per_inference, "
                   "instructions_per_inference, latency_ms, energy_uj_per_inference, flash_bytes, "
                   "ram_bytes (e.g. latency_ms=5%%); percentage points for accuracy and "
                   "balanced_accuracy (accuracy=0.5); repeatable")
    g.add_argument("--config", metavar="FILE", help="YAML with `tolerances: {metric: value}`; "
                   "--tolerance wins over it")
    g.add_argument("--junit", metavar="FILE", help="also write the result as JUnit XML")
    g.add_argument("--allow-missing", action="store_true",
                   help="rows or metrics missing from the candidate do not fail the gate")
    g.add_argument("--update-baseline", action="store_true",
                   help="--baseline is a store file: compare, then replace it with the "
                   "candidate's rows (created if missing) and exit 0")
    g.add_argument("--json", action="store_true", help="print the result as one JSON object")
    g.add_argument("--verbose", "-v", action="store_true", help="also list unchanged metrics")
    g.set_defaults(func=cmd_gate)

    h = sub.add_parser("history", help="one metric of a model on a target across runs, "
                       "ordered by commit and time")
    h.add_argument("--model", required=True)
    h.add_argument("--target", required=True)
    h.add_argument("--metric", default="cycles_per_inference",
                   help="metric name (default cycles_per_inference)")
    h.add_argument("--variant", help="only this variant (default: all, one line each)")
    h.add_argument("--results", help=results_help)
    h.add_argument("--plot", metavar="FILE.png", help="also draw it (PNG and PDF)")
    h.add_argument("--json", action="store_true", help="one JSON object per run")
    h.set_defaults(func=cmd_history)

    r = sub.add_parser("runs", help="the runs in the store, newest first (ids for REF)")
    r.add_argument("--results", help=results_help)
    r.add_argument("--json", action="store_true", help="one JSON object per run")
    r.set_defaults(func=cmd_runs)

