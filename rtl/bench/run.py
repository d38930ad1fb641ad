"""Run hb_bench and parse its result line.

    from rtl.bench.run import run_bench
    r = run_bench("prog.elf", nnx=True, max_cycles=10**9)
    r.status, r.exit_code, r.mcycle, r.minstret, r.stdout, r.returncode

The last stdout line of hb_bench is::

    HB_RESULT status=<exit|trap|timeout> exit_code=<int> mcycle=<u64> minstret=<u64>
              cycles=<u64> sim_seconds=<float> [cause=<u32> pc=0x<hex> tval=0x<hex>]
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from rtl.bench.build import DEFAULT_RAM_BYTES, build_bench

RESULT_PREFIX = "HB_RESULT "
# process exit status of hb_bench
EXIT_OK, EXIT_PROGRAM_FAIL, EXIT_USAGE, EXIT_TIMEOUT, EXIT_TRAP = 0, 1, 2, 3, 4


@dataclass
class BenchResult:
    returncode: int
    status: str | None                 # None if hb_bench printed no result (ELF error)
    exit_code: int | None = None
    mcycle: int | None = None
    minstret: int | None = None
    cycles: int | None = None
    sim_seconds: float | None = None
    fields: dict = field(default_factory=dict)
    stdout: bytes = b""                # the program's output (result line removed)
    stderr: str = ""


def parse_result_line(line: str) -> dict:
    if not line.startswith(RESULT_PREFIX):
        raise ValueError(f"not an HB_RESULT line: {line!r}")
    out = {}
    for kv in line[len(RESULT_PREFIX):].split():
        k, v = kv.split("=", 1)
        out[k] = v
    return out


def parse_output(returncode: int, stdout: bytes, stderr: str = "") -> BenchResult:
    body, _, last = stdout.rstrip(b"\n").rpartition(b"\n")
    if not last.startswith(RESULT_PREFIX.encode()):
        return BenchResult(returncode, None, stdout=stdout, stderr=stderr)
    f = parse_result_line(last.decode())
    prog_out = body + b"\n" if body else b""
    return BenchResult(
        returncode, f["status"],
        exit_code=int(f["exit_code"]) if f["status"] == "exit" else None,
        mcycle=int(f["mcycle"]), minstret=int(f["minstret"]), cycles=int(f["cycles"]),
        sim_seconds=float(f["sim_seconds"]), fields=f, stdout=prog_out, stderr=stderr)


def bench_command(exe, elf, max_cycles: int | None = None, quiet: bool = False) -> list[str]:
    cmd = [str(exe)]
    if max_cycles is not None:
        cmd += ["--max-cycles", str(max_cycles)]
    if quiet:
        cmd.append("--quiet")
    return cmd + [str(elf)]


def run_bench(elf, *, nnx: bool = False, max_cycles: int | None = None, mem_latency: int = 1,
              ram_bytes: int = DEFAULT_RAM_BYTES, timeout: float | None = None) -> BenchResult:
    exe = build_bench(nnx=nnx, mem_latency=mem_latency, ram_bytes=ram_bytes)
    p = subprocess.run(bench_command(exe, Path(elf), max_cycles), capture_output=True,
                       timeout=timeout)
    return parse_output(p.returncode, p.stdout, p.stderr.decode(errors="replace"))
