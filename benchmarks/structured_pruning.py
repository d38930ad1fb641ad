"""What removing 50 % of the ECG model's channels buys: MACs, parameters, flash, modelled
cycles on cortex-m4-iss, and the accuracy it costs.

    .venv/bin/python benchmarks/structured_pruning.py [--recipe suites/ecg/recipe.yaml]
        [--dense int8-ptq] [--pruned pruned-50] [--seed 0] [--cycles-subset 50] [--quick]

Builds both variants through the caches (full training unless --quick) and runs each with
`hilbench sweep`'s machinery on `cortex-m4-iss` over a seeded, class-stratified subset of the
test split: modelled cycles per inference (provenance iss-cycle-model; the cycles of these
CNNs do not depend on the input) and the target's outputs checked bit for bit against the
golden interpreter. The accuracy is the golden interpreter's on the whole test split (all
49,661 DS2 beats; provenance golden-dataset, which the sweep adds to every subset run), the
reference every target agrees with. Prints one table with the ratios.
The goal (issue 11): 50 % of the channels pruned cuts the modelled cycles by at least 40 %.
Nothing is recorded in a results store and nothing asserts: it prints numbers.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.errors import HilbenchError  # noqa: E402
from harness.measure import to_json_record  # noqa: E402
from harness.sweep import sweep  # noqa: E402


def _records(recipe: Path, target: str, names: list[str], args: argparse.Namespace,
             subset: int | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in sweep(recipe, [target], quick=args.quick, seed=args.seed, subset=subset,
                      only=names, progress=lambda m: print(f"  {m}", file=sys.stderr)):
        if item.measurement is None:
            raise HilbenchError(f"{item.variant} on {target}: {item.error}")
        out[item.variant] = to_json_record(item.measurement)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--recipe", default=str(REPO / "suites" / "ecg" / "recipe.yaml"))
    p.add_argument("--dense", default="int8-ptq", help="the dense reference variant")
    p.add_argument("--pruned", default="pruned-50", help="the structurally pruned variant")
    p.add_argument("--seed", type=int, default=0, help="training seed")
    p.add_argument("--cycles-subset", type=int, default=50,
                   help="test samples run on cortex-m4-iss for the cycle count")
    p.add_argument("--quick", action="store_true", help="the recipe's quick (CI) training")
    args = p.parse_args()
    names = [args.dense, args.pruned]
    recipe = Path(args.recipe)
    try:
        iss = _records(recipe, "cortex-m4-iss", names, args, args.cycles_subset)
    except HilbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    dense, pruned = iss[args.dense], iss[args.pruned]
    rows = [("MACs", "macs"), ("parameters", "params"), ("model bytes (.tflite)", "model_bytes"),
            ("flash bytes (model on cortex-m4-iss)", "flash_bytes"),
            ("cycles / inference (cortex-m4-iss)", "cycles_per_inference")]
    print(f"\n{recipe} seed {args.seed}, {'quick' if args.quick else 'full'} training: "
          f"{args.dense} vs {args.pruned}\n")
    print(f"| quantity | {args.dense} | {args.pruned} | ratio |")
    print("|---|---:|---:|---:|")
    for label, key in rows:
        a, b = dense.get(key), pruned.get(key)
        ratio = f"{b / a:.3f}" if a and b is not None else "-"
        print(f"| {label} | {a} | {b} | {ratio} |")
    metric = str(dense["primary_metric"])
    full = f"{metric}_golden_full"
    if full in dense:
        label = f"{metric.replace('_', ' ')}, golden interpreter, whole test split"
    else:                        # the subset was the whole split: the target's own score
        full, label = metric, f"{metric.replace('_', ' ')}, cortex-m4-iss, whole test split"
    da, pa = float(dense[full]), float(pruned[full])
    print(f"| {label} | {da:.4f} | {pa:.4f} | {100 * (pa - da):+.1f} points |")
    c_dense, c_pruned = dense["cycles_per_inference"], pruned["cycles_per_inference"]
    print(f"\ncycles ({dense['cycles_provenance']}, mean over {dense['n_eval']} inputs): "
          f"{100 * (1 - c_pruned / c_dense):.1f} % fewer with {args.pruned} (goal: >= 40 %); "
          f"outputs bit-exact with golden on cortex-m4-iss: {dense['bit_exact']} / "
          f"{pruned['bit_exact']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
