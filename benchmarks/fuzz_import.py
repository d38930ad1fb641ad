"""A long seeded fuzzing campaign of the TFLite import path (harness/fuzz.py).

    .venv/bin/python benchmarks/fuzz_import.py [--mutants 3000] [--seed 0] [--inputs 2]

Mutates the 8 bundled MLPerf Tiny models (byte flips, truncation, vector lengths, field values,
NaN/inf scales, zero points, stored shapes), imports each mutant, runs what hilbench accepts
through the golden interpreter and LiteRT BUILTIN_REF, and prints the outcome counts per
mutation kind, then every bad outcome (differs, traceback, hang) with its mutation. Exits 1
if there is any bad outcome. tests/test_fuzz_import.py runs a short campaign in CI.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.fuzz import OUTCOMES, fuzz  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--inputs", type=int, default=2)
    args = parser.parse_args(argv)
    models = sorted((REPO / "models" / "mlperf-tiny").glob("*.tflite"))
    warnings.simplefilter("ignore", RuntimeWarning)   # float overflow in mutated weights
    start = time.perf_counter()
    report = fuzz(models, args.mutants, seed=args.seed, n_inputs=args.inputs)
    seconds = time.perf_counter() - start
    print(f"{args.mutants} mutants of {len(models)} models, seed {args.seed}, {seconds:.0f} s")
    print("| mutation | " + " | ".join(OUTCOMES) + " |")
    print("|---" * (len(OUTCOMES) + 1) + "|")
    for kind, counts in report.by_mutation.items():
        print(f"| {kind} | " + " | ".join(str(counts.get(o, 0)) for o in OUTCOMES) + " |")
    print("| **total** | " + " | ".join(str(report.counts.get(o, 0)) for o in OUTCOMES) + " |")
    for m, outcome, why in report.bad:
        print(f"{outcome}: {m.model} {m.mutation} ({m.detail}): {why}")
    return 1 if report.bad else 0


if __name__ == "__main__":
    sys.exit(main())
