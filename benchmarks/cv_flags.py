"""CV32E40X simulation speed per Verilator flag set (rtl/cv32e40x/build.py FLAG_SETS).

    .venv/bin/python benchmarks/cv_flags.py [--model ad01_int8] [--nnx 0]
                                            [--flags o3 o3-threads2 ...] [--rounds 1]

Builds the firmware of one MLPerf Tiny model once through the harness (bench_model on
cv32e40x-base or -nnx: bit-exact against golden, one random input; AD by default, 3.7 M
cycles on the scalar core), then runs that same
ELF on hb_bench built with each flag set. For each: the build's wall time (0 when cached),
the simulation's host seconds and simulated cycles per second (hb_bench's own sim_seconds,
the best of --rounds runs), and whether the console - model outputs, per-layer mcycle
markers, the HB_RESULT mcycle/minstret/cycles - is IDENTICAL to the first flag set's (only
sim_seconds may differ). Flag sets that change any count are reported, never kept. A run
longer than --timeout host seconds is killed and reported as such. Rows print as they finish.
Also printed by `benchmarks/cores.py --cv-flags`.
"""
from __future__ import annotations

import argparse
import re
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="ad01_int8", help="MLPerf Tiny model stem")
    ap.add_argument("--nnx", type=int, choices=(0, 1), default=0,
                    help="1: cv32e40x-nnx (X_EXT = 1 + coprocessor), 0: cv32e40x-base")
    ap.add_argument("--flags", nargs="+", choices=list(FLAG_SETS),
                    default=[DEFAULT_FLAGS, *(f for f in FLAG_SETS if f != DEFAULT_FLAGS)],
                    help="flag sets; the first is the reference for 'identical'")
    ap.add_argument("--rounds", type=int, default=1, help="runs per flag set (best is kept)")
    ap.add_argument("--timeout", type=float, default=600,
                    help="host seconds per run before it is killed and reported as such")
    a = ap.parse_args(argv)
    print(f"# firmware: {a.model} on cv32e40x-{'nnx' if a.nnx else 'base'} ...",
          file=sys.stderr, flush=True)
    elf, max_cycles = firmware_elf(a.model, bool(a.nnx))
    print("| flag set | Verilator arguments | build s | sim s | cycles | M cycles/s | "
          "vs first | identical |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |", flush=True)
    reference: str | None = None
    first_rate = 0.0
    for name in a.flags:
        print(f"# {name}: build ...", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        exe = build_cv_bench(bool(a.nnx), flags=name)
        built = time.monotonic() - t0
        best, console = float("inf"), ""
        for _ in range(a.rounds):
            print(f"# {name}: run ...", file=sys.stderr, flush=True)
            done = run(exe, elf, max_cycles, a.timeout)
            if done is None:
                break
            console, best = done[0], min(best, done[1])
        args = " ".join(FLAG_SETS[name])
        if not console:
            print(f"| {name} | `{args}` | {built:.0f} | > {a.timeout:.0f} (killed) | - | - | - | "
                  "- |", flush=True)
            continue
        reference = console if reference is None else reference
        cycles = int(re.findall(r" cycles=(\d+)", console)[-1])
        rate = cycles / best
        first_rate = first_rate or rate
        print(f"| {name} | `{args}` | {built:.0f} | {best:.2f} | {cycles:,} | {rate / 1e6:.3f} | "
              f"{rate / first_rate:.2f}x | {'yes' if console == reference else 'NO'} |",
              flush=True)
    print(f"\n{a.model} on cv32e40x-{'nnx' if a.nnx else 'base'}, one random input, the same "
          f"ELF on every build ({elf.name}); 'identical': the whole console (outputs, per-layer "
          "and total cycle counts) equals the first row's. Build 0 s = cached. Host seconds "
          "depend on the machine's load: compare rows of one run.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
