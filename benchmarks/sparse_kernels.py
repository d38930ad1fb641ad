"""Sparse and packed (binary / ternary) weights on cortex-m4-iss: flash bytes and modelled
cycles against the dense int8 kernels (issue 11's acceptance numbers).

    .venv/bin/python benchmarks/sparse_kernels.py [--models ad01_int8 ...] [--ecg]
        [--sparsities 0.5 0.8 0.9] [--target cortex-m4-iss] [--layers]

(a) Each model magnitude-pruned per weight tensor (harness.variants.int8_edit, the int8 bytes
    zeroed in place), run with every CONV_2D / FC layer sparse (`--weight-format sparse`; `auto`
    takes them from 60 % zeros on) and dense with the `armv7em` and the `ref` kernels. Printed: the weights of the sparse layers in the sparse
    format / as dense int8 (goal at 90 %: <= 0.35), their modelled cycles sparse / dense
    (goal at 90 %: <= 0.5 against the best dense kernels, armv7em), the model's constant data
    and firmware flash, and the end-to-end cycles.
(b) Each model with all but its first and last CONV_2D / FC layer set to {-1, +1} (binary)
    and {-1, 0, +1} (ternary), run packed (`--weight-format packed`; `auto` packs next to
    armv7em / rvx only binary FC layers of whole words, weight_formats.packed_pays): the packed
    layers' weight bytes / int8 (goal: <= 1/6) and their cycles packed / int8.
Every run is bit-exact with the golden interpreter, which agrees with LiteRT's reference
kernels on every edited file (harness.bench checks both). On another target (`--target
rv32-nnx`) the dense reference is that target's own kernel set (rvx there). --ecg adds the ECG suite's int8 PTQ
model (suites/ecg/recipe.yaml, seed 0; trained and converted on first use, cached after).
Cycles are the target's own count: on cortex-m4-iss the ISS's Cortex-M4 timing model
(provenance iss-cycle-model), on rv32-base / rv32-nnx the RTL's (rtl-cycle-exact). Not a timed
test.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from harness.bench import BenchResult, bench_model  # noqa: E402
from harness.codegen.weight_formats import format_bytes  # noqa: E402
from harness.importers import load_model  # noqa: E402
from harness.targets import load_target  # noqa: E402
from harness.variants.int8_edit import binarize, magnitude_prune  # noqa: E402

MODELS = REPO / "models" / "mlperf-tiny"


def _ecg_model() -> Path:
    from harness.variants import load_recipe
    from harness.variants.build import BuiltVariant, build_variants
    recipe = load_recipe(REPO / "suites" / "ecg" / "recipe.yaml")
    for built in build_variants(recipe, seed=0, only=["int8-ptq"],
                                progress=lambda m: print(f"  ecg: {m}", file=sys.stderr)):
        if isinstance(built, BuiltVariant):
            return built.path
        raise SystemExit(f"ECG int8-ptq could not be built: {built}")
    raise SystemExit("ECG int8-ptq: nothing built")


def _run(path: Path, target: str, kernels: str, fmt: str) -> BenchResult:
    r = bench_model(path, target, n_inputs=1, seed=3, kernels=kernels, weight_format=fmt)
    if not r.comparison.bit_exact:
        raise SystemExit(f"{path.name} {kernels}/{fmt}: {r.comparison.mismatches} outputs "
                         "differ from golden")
    return r


def _layer_bytes(path: Path, formats: list[str]) -> tuple[int, int]:
    """Weight bytes of the non-dense layers: (in their format, as dense int8)."""
    graph = load_model(path)
    packed = dense = 0
    for op, fmt in zip(graph.ops, formats):
        if fmt != "dense":
            w = np.asarray(graph.tensor(op.inputs[1]).data)
            rows = w.reshape(w.shape[0], -1)
            packed += format_bytes(rows, fmt)
            dense += rows.size
    return packed, dense


def _cycles(r: BenchResult, layers: list[int]) -> int:
    by_index = {m.index: m.cycles for m in r.measurement.layers}
    return int(sum(by_index[i] for i in layers))


def _compare(label: str, path: Path, target: str, fmt: str, per_layer: bool) -> list[str]:
    """One row (and one per layer): the model with `fmt` (sparse / packed: every layer whose
    values allow it) against the target's own dense kernels (armv7em on the Cortex-M4
    targets) and the portable ref ones."""
    best = load_target(target).kernels
    a, d, r = (best, fmt), (best, "dense"), ("ref", "dense")
    runs = {run: _run(path, target, *run) for run in (a, d, r)}
    auto = runs[a].measurement
    formats = list(auto.extra["weight_formats"])
    chosen = [i for i, f in enumerate(formats) if f != "dense"]
    fmt_bytes, int8_bytes = _layer_bytes(path, formats)
    cyc = {run: _cycles(runs[run], chosen) for run in runs}
    total = {run: runs[run].measurement.metrics["cycles_per_inference"].value for run in runs}
    flash = {run: runs[run].measurement.metrics["flash_bytes"].value for run in runs
             if "flash_bytes" in runs[run].measurement.metrics}
    const = {run: runs[run].measurement.extra["weights_bytes"] for run in runs}
    kinds = sorted(set(formats[i] for i in chosen)) or ["none"]
    rows = [
        f"| {label} | {'/'.join(kinds)} {len(chosen)}/{len(formats)} | "
        f"{fmt_bytes:,} / {int8_bytes:,} = {fmt_bytes / max(int8_bytes, 1):.3f} | "
        f"{cyc[a]:,} | {cyc[d]:,} | {cyc[a] / max(cyc[d], 1):.3f} | {cyc[r]:,} | "
        f"{cyc[a] / max(cyc[r], 1):.3f} | {int(total[a]):,} / {int(total[d]):,} | "
        f"{const[a]:,} / {const[d]:,} | "
        f"{int(flash.get(a, 0)):,} / {int(flash.get(d, 0)):,} |"]
    if per_layer:
        graph = load_model(path)
        layer = {run: {m.index: m.cycles for m in runs[run].measurement.layers} for run in runs}
        for i in chosen:
            op = graph.ops[i]
            w = graph.tensor(op.inputs[1])
            rows.append(f"| &nbsp;&nbsp;#{i} {op.kind} {'x'.join(map(str, w.shape))} | "
                        f"{formats[i]} | | {int(layer[a][i]):,} | {int(layer[d][i]):,} | "
                        f"{layer[a][i] / max(layer[d][i], 1):.3f} | {int(layer[r][i]):,} | "
                        f"{layer[a][i] / max(layer[r][i], 1):.3f} | | | |")
    return rows


HEADER = ["| model | layers in the format | their weight bytes: format / int8 | their cycles "
          "| target's dense kernels | ratio | ref dense | ratio | model cycles: format / dense "
          "| constant data: format / dense | firmware flash: format / dense |",
          "|---|---|---|---:|---:|---:|---:|---:|---|---|---|"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=["ad01_int8"],
                        help="MLPerf Tiny int8 models (models/mlperf-tiny/<name>.tflite)")
    parser.add_argument("--ecg", action="store_true", help="also the ECG suite's int8 PTQ model")
    parser.add_argument("--sparsities", nargs="+", type=float, default=[0.5, 0.8, 0.9])
    parser.add_argument("--target", default="cortex-m4-iss")
    parser.add_argument("--layers", action="store_true", help="a row per sparse/packed layer")
    args = parser.parse_args()
    models = [(m, MODELS / f"{m}.tflite") for m in args.models]
    if args.ecg:
        models.append(("ecg-int8-ptq", _ecg_model()))
    with tempfile.TemporaryDirectory(prefix="hilbench-sparse-") as tmp:
        print(f"## (a) magnitude-pruned per tensor, {args.target}\n")
        print("\n".join(HEADER))
        for name, path in models:
            for s in args.sparsities:
                pruned = magnitude_prune(path, Path(tmp) / f"{name}-pruned{int(s * 100)}.tflite", s)
                print("\n".join(_compare(f"{name} {s:.0%}", pruned, args.target, "sparse",
                                          args.layers)), flush=True)
        print(f"\n## (b) binary / ternary (all but the first and last layer), {args.target}\n")
        print("\n".join(HEADER))
        for name, path in models:
            for mode in ("binary", "ternary"):
                edited = binarize(path, Path(tmp) / f"{name}-{mode}.tflite", mode)
                print("\n".join(_compare(f"{name} {mode}", edited, args.target, "packed",
                                          args.layers)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
