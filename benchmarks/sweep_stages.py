"""How long each stage of a compression sweep takes: training, conversion, check, build, run.

    .venv/bin/python benchmarks/sweep_stages.py [suites/ecg/recipe.yaml] [--target host
        --target cortex-m4-iss] [--quick] [--subset N]

Runs `harness.sweep.sweep` (what `hilbench sweep` runs) without recording, and prints a
Markdown table: per variant and target, seconds in training (0 when the cache had it),
conversion, the LiteRT check, import, the golden interpreter, generate+build, the run on the
target, and the accuracy the target's outputs scored on how many samples. Run it twice to see
the warm-cache time. Not a timed test: it prints numbers, nothing asserts on them.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.errors import HilbenchError  # noqa: E402
from harness.sweep import sweep  # noqa: E402

STAGES = ("train", "convert", "check", "import", "golden", "build", "run")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("recipe", nargs="?", default=str(REPO / "suites" / "ecg" / "recipe.yaml"))
    p.add_argument("--target", action="append", default=None)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--subset", type=int, default=None)
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args()
    targets = args.target or ["host", "cortex-m4-iss"]
    start = time.perf_counter()
    rows = []
    try:
        for item in sweep(Path(args.recipe), targets, quick=args.quick, subset=args.subset,
                          seed=args.seed, progress=lambda s: print(f"  {s}", file=sys.stderr)):
            m = item.measurement
            acc = (f"{m.metrics['accuracy'].value:.4f}/{m.metrics['balanced_accuracy'].value:.4f}"
                   f" on {m.extra.get('n_eval')}" if m is not None else f"failed: {item.error}")
            rows.append([item.variant, item.target,
                         *(f"{float(item.seconds.get(s, 0.0)):.1f}" for s in STAGES),
                         f"{float(item.seconds.get('target_total', 0.0)):.1f}", acc])
    except HilbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    total = time.perf_counter() - start
    header = ["variant", "target", *(f"{s} s" for s in STAGES), "target total s",
              "accuracy/balanced on N"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print(f"\nwhole sweep: {total:.1f} s on {', '.join(targets)} "
          f"({'quick' if args.quick else 'full'} training)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
