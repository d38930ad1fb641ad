"""What removing 50 % of the ECG model's channels buys: MACs, parameters, flash, modelled
cycles on cortex-m4-iss, and the accuracy it costs.

    .venv/bin/python benchmarks/structured_pruning.py [--recipe suites/ecg/recipe.yaml]
        [--dense int8-ptq] [--pruned pruned-50] [--seed 0] [--cycles-subset 50] [--quick]

Builds both variants through the caches (full training unless --quick), runs each with
`hilbench sweep`'s machinery on `host` over the whole DS2 test split (balanced accuracy: the
host agrees bit for bit with the golden interpreter) and on `cortex-m4-iss` over a seeded,
class-stratified subset (modelled cycles per inference, provenance iss-cycle-model; the
cycles of these CNNs do not depend on the input), and prints one table with the ratios.
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
        host = _records(recipe, "host", names, args, None)
        iss = _records(recipe, "cortex-m4-iss", names, args, args.cycles_subset)
    except HilbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    dense, pruned = host[args.dense], host[args.pruned]
    rows = [("MACs", "macs", host), ("parameters", "params", host),
            ("model bytes (.tflite)", "model_bytes", host),
            ("flash bytes (cortex-m4-iss image)", "flash_bytes", iss),
            ("cycles / inference (cortex-m4-iss)", "cycles_per_inference", iss)]
    print(f"\n{recipe} seed {args.seed}, {'quick' if args.quick else 'full'} training: "
          f"{args.dense} vs {args.pruned}\n")
    print(f"| quantity | {args.dense} | {args.pruned} | ratio |")
    print("|---|---:|---:|---:|")
    for label, key, src in rows:
        a, b = src[args.dense].get(key), src[args.pruned].get(key)
        ratio = f"{b / a:.3f}" if a and b is not None else "-"
        print(f"| {label} | {a} | {b} | {ratio} |")
    metric = str(dense["primary_metric"])
    da, pa = float(dense[metric]), float(pruned[metric])
    print(f"| {metric.replace('_', ' ')}, host, {dense['n_eval']} test samples | {da:.4f} | "
          f"{pa:.4f} | {100 * (pa - da):+.1f} points |")
    c_dense = iss[args.dense]["cycles_per_inference"]
    c_pruned = iss[args.pruned]["cycles_per_inference"]
    prov = iss[args.dense]["cycles_provenance"]
    print(f"\ncycles ({prov}, mean of {iss[args.dense]['n_eval']} inputs): "
          f"{100 * (1 - c_pruned / c_dense):.1f} % fewer with {args.pruned} "
          f"(goal: >= 40 %); both bit-exact on cortex-m4-iss: "
          f"{iss[args.dense]['bit_exact']} / {iss[args.pruned]['bit_exact']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
