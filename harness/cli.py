"""The `hilbench` command line: targets, run, sweep, report (gate, history, runs: cli_gate.py).

Errors print one line (`error: ...`) on stderr and exit 1; usage errors exit 2. Progress goes
to stderr so `--json` output on stdout stays machine-readable.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence, TextIO

from .codegen.weight_formats import WEIGHT_FORMAT_OPTIONS
from .datasets import DATASETS
from .errors import HilbenchError, ResultsError

if TYPE_CHECKING:
    from .measure import RunContext
    from .results import ResultStore
    from .sweep import SweepItem

__all__ = ["main"]


def _results_path(arg: str | None) -> Path:
    from .results import DEFAULT_RESULTS_PATH

    return Path(arg or os.environ.get("HILBENCH_RESULTS") or DEFAULT_RESULTS_PATH)


def _err(msg: object) -> None:
    first, *rest = str(msg).splitlines() or [""]
    print(f"error: {first}", file=sys.stderr)
    for line in rest:
        print(f"  {line.strip()}", file=sys.stderr)


def cmd_targets(args: argparse.Namespace) -> int:
    from .backends import backend_for
    from .targets import list_targets

    rows = []
    for t in list_targets():
        try:
            reason = backend_for(t).available()
        except HilbenchError as exc:
            reason = str(exc)
        rows.append({"target": t.name, "backend": t.backend, "available": reason is None,
                     "reason": reason, "description": t.description})
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    width = max((len(str(r["target"])) for r in rows), default=6)
    for r in rows:
        state = "available" if r["available"] else f"unavailable: {r['reason']}"
        print(f"{r['target']:<{width}}  {r['backend']:<10} {state}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from .bench import bench_model
    from .measure import RunContext, to_json_record
    from .results import ResultStore

    store = None if args.no_record else ResultStore(_results_path(args.results))
    ctx = RunContext.collect()
    thresholds = args.exit_threshold or [None]
    if args.exit_threshold and not args.dataset:
        raise HilbenchError("--exit-threshold scores the exits on labelled samples: give "
                            "--dataset too (e.g. --dataset mitbih)")
    jobs = [(m, t, x) for m in args.models for t in args.target for x in thresholds]
    status = 0
    for i, (model, target, threshold) in enumerate(jobs, 1):
        prefix = f"[{i}/{len(jobs)}] {Path(model).name} on {target}" + (
            f" at exit threshold {threshold:g}" if threshold is not None else "")

        def progress(stage: str, prefix: str = prefix) -> None:
            if not args.quiet:
                print(f"{prefix}: {stage}", file=sys.stderr, flush=True)

        try:
            if args.dataset:
                from .datasets import load_dataset
                from .evaluate import bench_accuracy, eval_set

                dataset = load_dataset(args.dataset)
                ev = eval_set(dataset, args.subset, args.seed, split_name=args.split)
                full = (eval_set(dataset, split_name=args.split)
                        if ev.is_subset and args.golden_full else None)
                if threshold is not None:
                    from .exit_bench import bench_exits
                    result = bench_exits(Path(model), target, ev, threshold,
                                         repeats=args.repeats, progress=progress,
                                         kernels=args.kernels,
                                         reference_check=not args.no_reference_check)
                else:
                    result = bench_accuracy(Path(model), target, ev, full=full,
                                            repeats=args.repeats, progress=progress,
                                            kernels=args.kernels,
                                            weight_format=args.weight_format,
                                            reference_check=not args.no_reference_check)
            else:
                result = bench_model(model, target, n_inputs=args.inputs, seed=args.seed,
                                     repeats=args.repeats, progress=progress,
                                     reference_check=not args.no_reference_check,
                                     kernels=args.kernels,
                                     weight_format=args.weight_format)
        except HilbenchError as exc:
            _err(exc)
            status = 1
            continue
        agrees = result.comparison.ok
        if store is not None and agrees:  # a run that disagrees with golden records nothing
            store.record(result.measurement, ctx)
        record = to_json_record(result.measurement)
        if args.json:
            print(json.dumps(record), flush=True)
        else:
            print(_summary_line(record, result.comparison.top1_agreement), flush=True)
        if not agrees:
            _err(f"{Path(model).name} on {target}: outputs disagree with the golden interpreter "
                 f"({result.comparison.mismatches} elements differ, max |diff| "
                 f"{result.comparison.max_abs_diff:g}); nothing recorded")
            status = 1
    return status


def _summary_line(r: dict[str, object], top1: float) -> str:
    parts = [f"{r['model']}/{r['variant']} on {r['target']}:",
             "bit-exact" if r["bit_exact"] else f"{r['mismatches']} mismatches (top-1 {top1:.0%})"]
    for key, unit in (("latency_ms", "ms"), ("cycles_per_inference", "cycles"),
                      ("instructions_per_inference", "instr"), ("flash_bytes", "B flash"),
                      ("ram_bytes", "B RAM"), ("energy_uj_per_inference", "uJ")):
        if r.get(key) is not None:
            value = r[key]
            text = f"{value:.4g}" if isinstance(value, float) else f"{value}"
            parts.append(f"{text} {unit}")
    return " ".join(parts)


def cmd_sweep(args: argparse.Namespace) -> int:
    from .measure import RunContext
    from .results import ResultStore
    from .sweep import sweep

    store = None if args.no_record else ResultStore(_results_path(args.results))
    ctx = RunContext.collect()
    out = sys.stdout            # the records; what Ray prints goes to stderr (below)

    def progress(stage: str) -> None:
        if not args.quiet:
            print(f"sweep: {stage}", file=sys.stderr, flush=True)

    stages: dict[str, float] = {}
    if args.all_seeds and args.seed is not None:
        raise HilbenchError("--seed and --all-seeds exclude each other")
    if args.ray_cpus is not None and args.ray is None:
        raise HilbenchError("--ray-cpus needs --ray auto")
    if args.ray:
        from .sweep_ray import ray_sweep

        items = ray_sweep(args.ray, Path(args.recipe), args.target, num_cpus=args.ray_cpus,
                          quick=args.quick, seed=args.seed, subset=args.subset,
                          only=args.variant, all_seeds=args.all_seeds, progress=progress)
    else:
        items = sweep(Path(args.recipe), args.target, quick=args.quick, seed=args.seed,
                      subset=args.subset, only=args.variant, all_seeds=args.all_seeds,
                      progress=progress)
    with contextlib.redirect_stdout(sys.stderr):
        status = _record_items(items, args, store, ctx, out, stages)
    if not args.quiet:
        print("sweep: seconds per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()),
              file=sys.stderr, flush=True)
    return status


def _record_items(items: Iterable[SweepItem], args: argparse.Namespace,
                  store: ResultStore | None, ctx: RunContext, out: TextIO,
                  stages: dict[str, float]) -> int:
    """Record and print each finished item of a sweep; 1 when any failed (no row for it)."""
    from .measure import to_json_record

    status = 0
    for item in items:
        for stage, seconds in item.seconds.items():
            stages[stage] = stages.get(stage, 0.0) + float(seconds)
        if item.measurement is None:
            _err(item.error or f"{item.variant} on {item.target} failed")
            status = 1
            continue
        if store is not None:
            store.record(item.measurement, ctx)
        record = to_json_record(item.measurement)
        if args.json:
            print(json.dumps(record), file=out, flush=True)
        else:
            print(_sweep_line(record), file=out, flush=True)
    return status


def _sweep_line(r: dict[str, object]) -> str:
    balanced = r.get("primary_metric") == "balanced_accuracy"
    acc = r.get("balanced_accuracy") if balanced else r.get("accuracy")
    name = "balanced accuracy" if balanced else "accuracy"
    parts = [f"{r['model']}/{r['variant']} on {r['target']}:",
             f"{name} {acc:.4f} on {r.get('n_eval')} {r.get('dataset')} samples"
             if isinstance(acc, float) else "no accuracy",
             "bit-exact" if r["bit_exact"] else "within tolerance"]
    hist = r.get("exit_histogram")
    if isinstance(hist, list) and hist:    # an early-exit row
        parts.append(f"exit threshold {r.get('exit_threshold')}: {100 * hist[0]:.1f} % at exit 0")
    for key, unit in (("macs", "MACs"), ("model_bytes", "B model"), ("latency_ms", "ms"),
                      ("cycles_per_inference", "cycles"), ("flash_bytes", "B flash")):
        if r.get(key) is not None:
            value = r[key]
            parts.append(f"{value:.4g} {unit}" if isinstance(value, float) else f"{value} {unit}")
    return " ".join(parts)


def cmd_pipeline(args: argparse.Namespace) -> int:
    """An early-exit model on a pipeline target: three placements, recorded together."""
    from .datasets import load_dataset
    from .evaluate import eval_set
    from .measure import RunContext, to_json_record
    from .pipeline import PLACEMENTS, run_pipeline
    from .results import ResultStore

    def progress(stage: str) -> None:
        if not args.quiet:
            print(f"pipeline: {stage}", file=sys.stderr, flush=True)

    ev = eval_set(load_dataset(args.dataset), args.subset, args.seed)
    result = run_pipeline(Path(args.model), args.target, ev, args.exit_threshold, progress)
    if not args.no_record:   # all three placements ran: record them together
        store, ctx = ResultStore(_results_path(args.results)), RunContext.collect()
        for place in PLACEMENTS:
            store.record(result.measurements[place], ctx)
    for place in PLACEMENTS:
        m = result.measurements[place]
        r = to_json_record(m)
        if args.json:
            print(json.dumps(r), flush=True)
        else:
            print(f"{place:>6}: balanced accuracy {r['balanced_accuracy']:.4f}, sensor "
                  f"{r['energy_uj_per_inference']:.2f} uJ, {r['total_ms_per_inference']:.3f} ms, "
                  f"forwarded {100 * float(m.extra['forwarded_fraction']):.1f} %, "  # type: ignore[arg-type]
                  f"{float(m.extra['bytes_sent_mean']):.0f} B sent per input "  # type: ignore[arg-type]
                  f"(n={r['n_eval']})",
                  flush=True)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report
    from .results import ResultStore

    path = _results_path(args.results)
    if not path.exists():
        raise HilbenchError(f"no results store at {path}; run `hilbench run` or a suite first")
    store = ResultStore(path)
    filters = {"run_id": args.run_id} if args.run_id else {}
    df = store.dataframe(**filters)
    layers = store.layers_dataframe(**filters)
    out = Path(args.out) if args.out else path.parent / "report"
    if out.exists() and not out.is_dir():
        raise ResultsError(f"--out {out} is a file; reports go into a folder: give a folder's "
                           "path (it is created when missing)")
    try:
        if args.html or args.paper:
            from .cli_gate import report_html, report_paper

            if df.empty:
                raise ResultsError(f"no measurements in {path} (or none of run {args.run_id})")
            written = [report_html(df, layers, out, path)] if args.html else []
            written += report_paper(df, layers, Path(args.paper)) if args.paper else []
        else:
            written = write_report(df, out, layers)
            from .report.exits import exit_figures  # early-exit and pipeline runs, if any
            written += exit_figures(df, store.per_input_dataframe(**filters), out)
    except OSError as exc:
        raise ResultsError(f"cannot write the report into {out}: {exc.strerror or exc} "
                           f"({exc.filename or out}); give another --out folder") from None
    for path in written:
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hilbench",
        description="Benchmark compressed neural networks on simulated and physical targets.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("targets", help="list targets and whether each can run here")
    t.add_argument("--json", action="store_true", help="one JSON object per target")
    t.set_defaults(func=cmd_targets)

    r = sub.add_parser(
        "run", help="import, compile, run on a target, check against the golden interpreter, "
        "and record")
    r.add_argument("models", nargs="+", metavar="MODEL", help="model file(s) (.tflite)")
    r.add_argument("--target", "-t", action="append", required=True,
                   help="target name (see `hilbench targets`); repeat for several")
    r.add_argument("--inputs", "-n", type=int, default=None,
                   help="number of random inputs checked against golden (default: the target's "
                   "default_inputs, else 100)")
    r.add_argument("--seed", type=int, default=0,
                   help="seed of the random inputs, or of the --subset choice (default 0)")
    r.add_argument("--dataset", default=None, metavar="NAME",
                   help="run the labelled samples of this data set instead of random inputs and "
                   f"score the target's outputs ({', '.join(DATASETS)}); the model's input and "
                   "output must fit the data set")
    r.add_argument("--split", default="test", choices=("test", "val"),
                   help="the data set split to run with --dataset (default test)")
    r.add_argument("--subset", type=int, default=None, metavar="N",
                   help="with --dataset: a fixed, seeded, class-stratified subset of N samples "
                   "(default: the whole split)")
    r.add_argument("--golden-full", action="store_true",
                   help="with --subset: also score the golden interpreter on the whole split "
                   "(reported as *_golden_full, provenance golden-dataset, never as the target's)")
    r.add_argument("--kernels", default=None, metavar="NAME",
                   help="C kernel set instead of the target's own (a folder of "
                        "harness/codegen/kernels: ref, armv7em, rvx)")
    r.add_argument("--weight-format", default="auto", choices=WEIGHT_FORMAT_OPTIONS,
                   help="how int8 CONV_2D / FULLY_CONNECTED weights are stored in the C: auto "
                   "(default: sparse from 50%% zeros with the ref kernels, else FC from 60%% and "
                   "CONV_2D from 80%%; 1-/2-bit packed when all in {-1,+1} / {-1,0,+1} and faster "
                   "than the dense kernel: always with ref, with armv7em / rvx binary FC layers "
                   "of 16+ outputs and a depth that is a multiple of 32), "
                   "dense (never), sparse / packed (wherever the values allow)")
    r.add_argument("--repeats", type=int, default=1,
                   help="invocations per input for timing (default 1)")
    r.add_argument("--exit-threshold", type=float, action="append", default=None, metavar="T",
                   help="run an early-exit model (hilbench.exits metadata) stage by stage, "
                   "leaving at the first exit whose calibrated max-softmax is >= T (0: always "
                   "the first exit, 1: full depth); repeat for several; needs --dataset. Adds "
                   "exit_histogram, cycles_p50/p90/max and accuracy_per_exit, and stores each "
                   "input's exit and cycles")
    r.add_argument("--json", action="store_true",
                   help="print one JSON object per model and target on stdout")
    r.add_argument("--results", help="results database (default results/hilbench.sqlite, "
                   "or $HILBENCH_RESULTS)")
    r.add_argument("--no-record", action="store_true", help="do not write to the results store")
    r.add_argument("--no-reference-check", action="store_true",
                   help="skip the cross-check of the golden outputs with LiteRT BUILTIN_REF")
    r.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    r.set_defaults(func=cmd_run)

    sw = sub.add_parser(
        "sweep", help="train (cached), build every variant of a recipe, run each on every "
        "target with the data set's test samples, score the target's outputs, and record")
    sw.add_argument("recipe", metavar="RECIPE", help="recipe file, e.g. suites/digits/recipe.yaml")
    sw.add_argument("--target", "-t", action="append", required=True,
                    help="target name (see `hilbench targets`); repeat for several")
    sw.add_argument("--variant", action="append", default=None,
                    help="only this variant of the recipe, or the variants a shell-style pattern "
                    "matches, e.g. 'int8*' (repeatable; default: all)")
    sw.add_argument("--quick", action="store_true",
                    help="the recipe's quick training setting (CI-sized); the test set is unchanged")
    sw.add_argument("--seed", type=int, default=None,
                    help="training seed (default: the recipe's first seed)")
    sw.add_argument("--all-seeds", action="store_true",
                    help="train and run every seed of the recipe's `seeds` (rows differ in "
                    "train_seed)")
    sw.add_argument("--subset", type=int, default=None,
                    help="run a fixed, seeded, class-stratified subset of N test samples on every "
                    "target (default: the recipe's eval.subset per target, else the whole test set)")
    sw.add_argument("--json", action="store_true",
                    help="print one JSON object per variant and target on stdout")
    sw.add_argument("--results", help="results database (default results/hilbench.sqlite, "
                    "or $HILBENCH_RESULTS)")
    sw.add_argument("--no-record", action="store_true", help="do not write to the results store")
    sw.add_argument("--ray", metavar="ADDRESS", default=None,
                    help="run each (variant, target) job as a task on a Ray cluster: 'auto' "
                    "starts a local Ray, HOST:PORT joins a head started with `ray start --head` "
                    "(needs the ray extra; variants are built here, rows are written here)")
    sw.add_argument("--ray-cpus", type=int, default=None, metavar="N",
                    help="with --ray auto: worker processes of the local Ray (default: the cores)")
    sw.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    sw.set_defaults(func=cmd_sweep)

    pl = sub.add_parser(
        "pipeline", help="run an early-exit model split across a pipeline target (sensor, "
        "link, edge) and compare three placements: all on the sensor, all on the edge with the "
        "raw input sent, split with early exit; per input, recorded together")
    pl.add_argument("model", metavar="MODEL", help="an early-exit .tflite (hilbench.exits "
                    "metadata)")
    pl.add_argument("--target", "-t", required=True,
                    help="a pipeline target, e.g. wearable-to-edge")
    pl.add_argument("--dataset", required=True, metavar="NAME", help="labelled samples to run")
    pl.add_argument("--subset", type=int, default=None, metavar="N",
                    help="a fixed, seeded, class-stratified subset of N test samples")
    pl.add_argument("--seed", type=int, default=0, help="seed of the subset (default 0)")
    pl.add_argument("--exit-threshold", type=float, required=True, metavar="T",
                    help="the sensor's exit threshold (calibrated max-softmax, 0..1)")
    pl.add_argument("--json", action="store_true", help="one JSON object per placement")
    pl.add_argument("--results", help="results database (default results/hilbench.sqlite, "
                    "or $HILBENCH_RESULTS)")
    pl.add_argument("--no-record", action="store_true", help="do not write to the results store")
    pl.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    pl.set_defaults(func=cmd_pipeline)

    rep = sub.add_parser("report", help="CSV, Markdown, LaTeX tables and figures from the store")
    rep.add_argument("--results", help="results database (default results/hilbench.sqlite)")
    rep.add_argument("--out", help="output folder (default: report/ next to the database)")
    rep.add_argument("--run-id", help="only the measurements of this run")
    rep.add_argument("--html", action="store_true",
                     help="write one self-contained report.html into --out instead (no server, "
                     "no network; includes the last `hilbench gate` result)")
    rep.add_argument("--paper", metavar="DIR",
                     help="write paper figures (vector PDF, embedded fonts, 3.5/7.16 in wide), "
                     "LaTeX tables (booktabs, siunitx) and manifest.json into DIR instead")
    rep.set_defaults(func=cmd_report)

    from .cli_gate import add_parsers

    add_parsers(sub)
    from .cli_export import add_parser as add_export_parser

    add_export_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        from .bench import check_run_options

        for flag, value in (("--inputs", args.inputs), ("--seed", args.seed),
                            ("--repeats", args.repeats)):
            try:
                check_run_options(value if flag == "--inputs" else None,
                                  value if flag == "--seed" else 0,
                                  value if flag == "--repeats" else 1)
            except HilbenchError as exc:
                _err(f"{flag}: {exc}")
                return 2
    if getattr(args, "ray_cpus", None) is not None and args.ray_cpus < 1:
        _err("--ray-cpus must be at least 1")
        return 2
    if getattr(args, "subset", None) is not None and args.subset < 1:
        _err("--subset must be at least 1")
        return 2
    if getattr(args, "dataset", None) and getattr(args, "inputs", None) is not None:
        _err("--inputs and --dataset exclude each other: --dataset runs the split (or --subset)")
        return 2
    try:
        return int(args.func(args))
    except HilbenchError as exc:
        _err(exc)
        return 1
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
