"""A sweep serially and on a local Ray cluster: wall-clock of each and their ratio.

    .venv/bin/python benchmarks/ray_sweep.py [RECIPE] [--target T ...] [--subset N]
        [--ray auto|HOST:PORT] [--ray-cpus N] [--full] [--no-warmup]

Runs `hilbench sweep RECIPE --quick --json --no-record` (digits, on host, cortex-m4-iss and
mps2-an386 by default: 3 variants x 3 targets = 9 jobs) once serially and once with
`--ray auto` (a local Ray started for the run, `--ray-cpus` worker processes, default the
machine's cores), each as a fresh process, and prints both wall-clock times, their ratio, the
number of jobs, and whether the rows agree (every field but wall-clock latency). A first,
untimed serial run warms the training, variant and build caches (skip it with --no-warmup),
so both timed runs start warm; Ray's own start-up and shutdown are inside its time. Not a
test: it prints numbers, nothing asserts on them.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def run(recipe: str, targets: list[str], extra: list[str]) -> tuple[float, list[dict[str, Any]]]:
    argv = [sys.executable, "-m", "harness.cli", "sweep", recipe, "--json", "--no-record",
            "--quiet", *(a for t in targets for a in ("--target", t)), *extra]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(argv)} failed:\n{done.stderr[-3000:]}")
    return seconds, [json.loads(line) for line in done.stdout.splitlines()]


def comparable(records: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The records by (variant, target) without their wall-clock numbers."""
    def timed(r: dict[str, Any], k: str) -> bool:
        return r.get(f"{k}_provenance") == "wall-clock" or (
            k.endswith("_provenance") and r.get(k) == "wall-clock")

    return {(r["variant"], r["target"]): {k: v for k, v in r.items() if not timed(r, k)}
            for r in records}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("recipe", nargs="?", default=str(REPO / "suites" / "digits" / "recipe.yaml"))
    p.add_argument("--target", action="append", default=None,
                   help="default: host, cortex-m4-iss, mps2-an386")
    p.add_argument("--subset", type=int, default=None, help="test samples per job")
    p.add_argument("--ray", default="auto", help="cluster address (default: a local Ray)")
    p.add_argument("--ray-cpus", type=int, default=None,
                   help="with --ray auto: worker processes (default: the machine's cores)")
    p.add_argument("--full", action="store_true", help="the recipe's full training setting")
    p.add_argument("--no-warmup", action="store_true", help="skip the cache-warming run")
    args = p.parse_args()
    targets = args.target or ["host", "cortex-m4-iss", "mps2-an386"]
    common = ([] if args.full else ["--quick"]) + (
        ["--subset", str(args.subset)] if args.subset else [])
    if not args.no_warmup:
        print("warming the caches (untimed serial run) ...", file=sys.stderr, flush=True)
        run(args.recipe, targets, common)
    print("serial ...", file=sys.stderr, flush=True)
    serial_s, serial = run(args.recipe, targets, common)
    ray_args = ["--ray", args.ray] + (
        ["--ray-cpus", str(args.ray_cpus)] if args.ray_cpus else [])
    print(f"ray ({' '.join(ray_args)}) ...", file=sys.stderr, flush=True)
    ray_s, distributed = run(args.recipe, targets, common + ray_args)
    same = comparable(serial) == comparable(distributed)
    cores = os.cpu_count()
    print(f"recipe {Path(args.recipe).name}, targets {', '.join(targets)}: {len(serial)} jobs "
          f"(variant x target), {cores} cores on this machine")
    print(f"serial:           {serial_s:7.1f} s wall-clock")
    print(f"ray {args.ray:<13} {ray_s:7.1f} s wall-clock (Ray start-up and shutdown included)")
    print(f"serial / ray:     {serial_s / ray_s:7.2f}")
    print(f"rows agree (all fields but wall-clock numbers): {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
