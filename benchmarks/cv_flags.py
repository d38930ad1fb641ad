"""CV32E40X simulation speed per Verilator flag set (rtl/cv32e40x/build.py FLAG_SETS).

    .venv/bin/python benchmarks/cv_flags.py [--models ad01_int8 kws_ref_model] [--nnx 0 1]
                                            [--flags split plain ...] [--rounds 3]

For each model and core (cv32e40x-base, --nnx 0; cv32e40x-nnx, --nnx 1) the firmware is
built once through the harness (bench_model: bit-exact against golden, one random input),
then that same ELF runs on hb_bench built with each flag set. The runs are interleaved
(round 1: every flag set, round 2: every flag set, ...) so that the load of the shared
machine hits all of them alike. Per flag set: the best and the median host seconds
(hb_bench's own sim_seconds), simulated M cycles/s of the best run, the median over the
rounds of its speed relative to the first flag set in the same round, and whether the
console - model outputs, per-layer mcycle markers, the HB_RESULT mcycle/minstret/cycles -
is IDENTICAL to the first flag set's in every run (only sim_seconds may differ). Flag sets
that change any count are reported, never kept. A run longer than --timeout host seconds
is killed and reported as such. Also printed by `benchmarks/cores.py --cv-flags`.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.bench import bench_model  # noqa: E402
from rtl.cv32e40x.build import DEFAULT_FLAGS, FLAG_SETS, build_cv_bench  # noqa: E402

MODELS = REPO / "models" / "mlperf-tiny"
_SIM_SECONDS = re.compile(r" sim_seconds=([0-9.]+)")
DEFAULT_SETS = [DEFAULT_FLAGS, "plain"]


def firmware_elf(model: str, nnx: bool) -> tuple[Path, int]:
    """The ELF the harness ran for `model` on cv32e40x-(nnx|base), and its max-cycles."""
    target = "cv32e40x-nnx" if nnx else "cv32e40x-base"
    m = bench_model(MODELS / f"{model}.tflite", target, n_inputs=1).measurement
    if not m.bit_exact:
        raise SystemExit(f"{model} on {target} is not bit-exact: stopping")
    argv = next(a for a in reversed(m.commands) if a and a[0].endswith("hb_bench"))
    elf = Path(argv[-1])
    if not elf.is_file():
        raise SystemExit(f"the firmware {elf} the harness ran is gone")
    return elf, int(argv[argv.index("--max-cycles") + 1])


def run(exe: Path, elf: Path, max_cycles: int, timeout: float) -> tuple[str, float] | None:
    """(console without sim_seconds, sim_seconds) of one hb_bench run; None if it took
    longer than `timeout` host seconds (it is killed)."""
    try:
        r = subprocess.run([str(exe), "--max-cycles", str(max_cycles), str(elf)],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    m = _SIM_SECONDS.search(last)
    if r.returncode != 0 or not m:
        raise SystemExit(f"{exe} {elf} failed ({r.returncode}): {r.stdout[-500:]}{r.stderr[-500:]}")
    return _SIM_SECONDS.sub("", r.stdout), float(m.group(1))


def compare(model: str, nnx: bool, flags: list[str], rounds: int, timeout: float) -> None:
    """Print one table: every flag set on the same ELF, runs interleaved over `rounds`."""
    core = f"cv32e40x-{'nnx' if nnx else 'base'}"
    print(f"# firmware: {model} on {core} ...", file=sys.stderr, flush=True)
    elf, max_cycles = firmware_elf(model, nnx)
    exes: dict[str, Path] = {}
    built: dict[str, float] = {}
    for name in flags:
        print(f"# {name} (nnx {int(nnx)}): build ...", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        exes[name] = build_cv_bench(nnx, flags=name)
        built[name] = time.monotonic() - t0
    secs: dict[str, list[float]] = {n: [] for n in flags}
    ratios: dict[str, list[float]] = {n: [] for n in flags}
    same = {n: True for n in flags}
    killed: set[str] = set()
    reference: str | None = None
    for r in range(rounds):
        first: float | None = None
        for name in flags:
            if name in killed:
                continue
            print(f"# {model} {core} round {r + 1}/{rounds}: {name} ...", file=sys.stderr,
                  flush=True)
            done = run(exes[name], elf, max_cycles, timeout)
            if done is None:
                killed.add(name)
                continue
            console, s = done
            reference = console if reference is None else reference
            same[name] = same[name] and console == reference
            secs[name].append(s)
            first = s if first is None else first
            ratios[name].append(first / s)
    cycles = int(re.findall(r" cycles=(\d+)", reference or " cycles=0")[-1])
    print(f"\n{model} on {core}: {cycles:,} cycles, {rounds} interleaved rounds, the same ELF "
          f"on every build ({elf.name})\n")
    print("| flag set | Verilator arguments | build s | best sim s | median sim s | "
          "M cycles/s (best) | speed vs first (median of rounds) | identical |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in flags:
        args = " ".join(Path(a).name if a.endswith(".vlt") else a for a in FLAG_SETS[name])
        if not secs[name]:
            print(f"| {name} | `{args}` | {built[name]:.0f} | > {timeout:.0f} (killed) | - | - "
                  "| - | - |")
            continue
        best = min(secs[name])
        note = f" ({len(secs[name])} runs, then killed)" if name in killed else ""
        print(f"| {name} | `{args}` | {built[name]:.0f} | {best:.2f} | "
              f"{statistics.median(secs[name]):.2f}{note} | {cycles / best / 1e6:.3f} | "
              f"{statistics.median(ratios[name]):.2f}x | {'yes' if same[name] else 'NO'} |")
    print(flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["ad01_int8"],
                    help="MLPerf Tiny model stems (models/mlperf-tiny/<stem>.tflite)")
    ap.add_argument("--nnx", nargs="+", type=int, choices=(0, 1), default=[0],
                    help="1: cv32e40x-nnx (X_EXT = 1 + coprocessor), 0: cv32e40x-base")
    ap.add_argument("--flags", nargs="+", choices=list(FLAG_SETS), default=DEFAULT_SETS,
                    help="flag sets; the first is the reference for 'identical' and speed "
                         f"(default: {' '.join(DEFAULT_SETS)})")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved runs per flag set")
    ap.add_argument("--timeout", type=float, default=600,
                    help="host seconds per run before it is killed and reported as such")
    a = ap.parse_args(argv)
    if a.rounds < 1:
        ap.error("--rounds must be >= 1")
    for model in a.models:
        for nnx in a.nnx:
            compare(model, bool(nnx), a.flags, a.rounds, a.timeout)
    print("'identical': the whole console (outputs, per-layer and total cycle counts) equals "
          "the first flag set's in every round. Build 0 s = cached. Host seconds depend on the "
          "machine's load: compare rows of one table.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
