"""Where CV32E40X's simulation time goes: how often per cycle the Verilator model evaluates.

    .venv/bin/python benchmarks/cv_profile.py [--model ad01_int8] [--nnx 0]
                                              [--flags split plain] [--top 8]

For each flag set (rtl/cv32e40x/build.py FLAG_SETS) hb_bench is built again with gprof
instrumentation (-pg, and -fno-inline so that no model function disappears into its caller)
in a scratch directory (not the build cache), runs the firmware of `model` (the ELF of
benchmarks/cv_flags.py, bit-exact on the harness's target), and gprof's call counts say per
simulated cycle how many times the model

* evaluated its 'nba' region (`_eval_nba`: the clocked logic and everything after it), and
* its 'act' region (`_eval_act`: logic on a combinational loop, re-run until it settles;
  each pass also schedules one more 'nba' pass).

A model without combinational loops runs one 'nba' pass per cycle and no 'act' pass. The
top functions by self time follow (indicative only: inlining is off in these builds). The
console is checked to equal the first flag set's.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from cv_flags import firmware_elf  # noqa: E402

from rtl.cv32e40x.build import DEFAULT_FLAGS, FLAG_SETS, core_sources, verilate_command  # noqa: E402
from rtl.toolchain import verilator_env  # noqa: E402

_FLAT = re.compile(r"^\s*([\d.]+)\s+[\d.]+\s+([\d.]+)\s+(\d+)?\s*(?:[\d.]+\s+[\d.]+\s+)?(\S.*)$")


def build_profiled(flags: str, nnx: bool, out: Path) -> Path:
    """hb_bench for `flags`, compiled and linked with -pg -fno-inline, under `out`."""
    cmd = verilate_command(out, core_sources(), nnx=nnx, ram_bytes=4 << 20, flags=flags)
    cmd[-1:-1] = ["-CFLAGS", "-pg -fno-inline", "-LDFLAGS", "-pg"]
    (out / "obj").mkdir(parents=True, exist_ok=True)
    r = subprocess.run(cmd, env=verilator_env(), capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"profiled build of {flags} failed:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    return out / "obj" / "hb_bench"


def gprof_flat(exe: Path, gmon: Path) -> list[tuple[float, int, str]]:
    """(self seconds, calls, function) rows of gprof's flat profile."""
    r = subprocess.run(["gprof", "-b", "-p", str(exe), str(gmon)], capture_output=True,
                       text=True, check=True)
    rows = []
    for line in r.stdout.splitlines():
        m = _FLAT.match(line)
        if m:
            rows.append((float(m.group(2)), int(m.group(3) or 0), m.group(4).strip()))
    return rows


def calls(rows: list[tuple[float, int, str]], suffix: str) -> int:
    return sum(c for _, c, name in rows if name.split("(")[0].endswith(suffix))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="ad01_int8", help="MLPerf Tiny model stem")
    ap.add_argument("--nnx", type=int, choices=(0, 1), default=0)
    ap.add_argument("--flags", nargs="+", choices=list(FLAG_SETS),
                    default=[DEFAULT_FLAGS, "plain"])
    ap.add_argument("--top", type=int, default=8, help="functions listed per flag set")
    a = ap.parse_args(argv)
    elf, max_cycles = firmware_elf(a.model, bool(a.nnx))
    core = f"cv32e40x-{'nnx' if a.nnx else 'base'}"
    reference: str | None = None
    with tempfile.TemporaryDirectory(prefix="cv_profile_") as tmp:
        for name in a.flags:
            print(f"# {name}: profiled build ...", file=sys.stderr, flush=True)
            work = Path(tmp) / name
            exe = build_profiled(name, bool(a.nnx), work)
            print(f"# {name}: run ...", file=sys.stderr, flush=True)
            r = subprocess.run([str(exe), "--max-cycles", str(max_cycles), str(elf)],
                               capture_output=True, text=True, cwd=work)
            if r.returncode != 0:
                raise SystemExit(f"{name}: hb_bench failed ({r.returncode}): {r.stderr[-500:]}")
            console = re.sub(r" sim_seconds=[0-9.]+", "", r.stdout)
            reference = console if reference is None else reference
            cycles = int(re.findall(r" cycles=(\d+)", console)[-1])
            rows = gprof_flat(exe, work / "gmon.out")
            total = sum(s for s, _, _ in rows) or 1.0
            evals, nba, act = (calls(rows, s) for s in ("___eval", "___eval_nba", "___eval_act"))
            print(f"\n## {name} (`{' '.join(Path(x).name for x in FLAG_SETS[name])}`): {a.model} "
                  f"on {core}, {cycles:,} cycles, console "
                  f"{'identical' if console == reference else 'DIFFERENT'}\n")
            print(f"* per cycle: {evals / cycles:.2f} eval() calls, {nba / cycles:.2f} 'nba' "
                  f"passes, {act / cycles:.2f} 'act' passes")
            print("\n| self % | calls per cycle | function |\n| --- | --- | --- |")
            for s, c, fn in sorted(rows, reverse=True)[:a.top]:
                print(f"| {100 * s / total:.1f} | {c / cycles:.2f} | `{fn.split('(')[0]}` |")
    print("\nSelf time from gprof samples of builds with inlining off: where the time goes, "
          "not how fast the real build is (benchmarks/cv_flags.py measures that).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
