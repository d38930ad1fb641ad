"""The ECG recipe's variants on cortex-m4-iss with the weight format `auto` picks per layer
against every layer dense int8: modelled cycles per beat, the model's flash, bit-exactness.

    .venv/bin/python benchmarks/ecg_weight_formats.py [--target cortex-m4-iss] [--subset 200]
        [--seed 0] [--variant NAME ...]

Each variant of suites/ecg/recipe.yaml (training seed `--seed`; trained, converted and
checked on first use, from the build cache after) runs a fixed, class-stratified subset of
`--subset` DS2 beats (the subset `hilbench sweep ... --subset N` runs) on the target twice:
`--weight-format auto` and `dense`. When `auto` leaves every layer dense the two generate
the same C, so the dense run is not repeated (shown as "= auto"). Printed per variant: the
formats `auto` chose, cycles per beat (the target's own count: on cortex-m4-iss the ISS's
Cortex-M4 timing model, provenance iss-cycle-model, mean over the beats), the model's flash
bytes (code and constant data of the generated model, static-analysis), whether every
output agrees bit for bit with the golden interpreter, and the balanced accuracy of the
target's outputs on those beats. Binary and ternary variants get a second row with
`--weight-format packed` forced (what the 1-/2-bit kernels would save in flash and cost in
cycles). fp32 is left out (no int8 weights). Not a timed test.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.bench import BenchResult  # noqa: E402
from harness.datasets import load_dataset  # noqa: E402
from harness.evaluate import bench_accuracy, eval_set  # noqa: E402
from harness.variants import load_recipe  # noqa: E402
from harness.variants.build import BuiltVariant, build_variants  # noqa: E402

HEADER = ["| variant | layers auto stores non-dense | cycles / beat: auto | dense | ratio "
          "| model flash: auto | dense | ratio | bit-exact | balanced accuracy (N beats) |",
          "|---|---|---:|---:|---:|---:|---:|---:|---|---|"]


def _value(r: BenchResult, name: str) -> float:
    return float(r.measurement.metrics[name].value)


def _formats(r: BenchResult) -> list[str]:
    formats = r.measurement.extra["weight_formats"]
    assert isinstance(formats, list)
    return [str(f) for f in formats]


def _row(name: str, auto: BenchResult, dense: BenchResult | None, n: int) -> str:
    formats = _formats(auto)
    chosen = [f"#{i} {f}" for i, f in enumerate(formats) if f != "dense"]
    ca = _value(auto, "cycles_per_inference")
    fa = _value(auto, "flash_bytes")
    if dense is None:
        cycles = f"{ca / 1e6:.3f} M | = auto | 1.000"
        flash = f"{int(fa):,} | = auto | 1.000"
        exact = str(auto.comparison.bit_exact)
    else:
        cd, fd = _value(dense, "cycles_per_inference"), _value(dense, "flash_bytes")
        cycles = f"{ca / 1e6:.3f} M | {cd / 1e6:.3f} M | {ca / cd:.3f}"
        flash = f"{int(fa):,} | {int(fd):,} | {fa / fd:.3f}"
        exact = f"{auto.comparison.bit_exact} / {dense.comparison.bit_exact}"
    bacc = _value(auto, "balanced_accuracy")
    return (f"| {name} | {', '.join(chosen) or 'none'} | {cycles} | {flash} | {exact} | "
            f"{bacc:.3f} ({n}) |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="cortex-m4-iss")
    parser.add_argument("--subset", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0, help="training seed")
    parser.add_argument("--variant", action="append", default=None,
                        help="only this variant (repeatable; default: all)")
    args = parser.parse_args()
    recipe = load_recipe(REPO / "suites" / "ecg" / "recipe.yaml")
    ev = eval_set(load_dataset(recipe.dataset), args.subset, 0)
    rows = []
    for built in build_variants(recipe, seed=args.seed, only=args.variant,
                                progress=lambda m: print(f"  {m}", file=sys.stderr)):
        if not isinstance(built, BuiltVariant):
            print(f"  {built.name}: not built: {built}", file=sys.stderr)
            continue
        if built.weight_bits == 32:     # float: no int8 weights to store otherwise
            continue
        print(f"  {built.name}: auto on {args.target}", file=sys.stderr, flush=True)
        auto = bench_accuracy(built.path, args.target, ev, weight_format="auto")
        dense = None
        if any(f != "dense" for f in _formats(auto)):
            print(f"  {built.name}: dense on {args.target}", file=sys.stderr, flush=True)
            dense = bench_accuracy(built.path, args.target, ev, weight_format="dense")
        rows.append(_row(built.name, auto, dense, len(ev.split)))
        print(rows[-1], file=sys.stderr, flush=True)
        if built.weight_bits < 8:       # binary / ternary: what forcing the packed kernels costs
            print(f"  {built.name}: packed on {args.target}", file=sys.stderr, flush=True)
            packed = bench_accuracy(built.path, args.target, ev, weight_format="packed")
            rows.append(_row(f"{built.name} (`packed` forced)", packed,
                             dense or auto, len(ev.split)))
            print(rows[-1], file=sys.stderr, flush=True)
    print(f"ECG variants (training seed {args.seed}) on {args.target}, {ev.describe()}:")
    print("\n".join(HEADER + rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
