"""Build the stand-alone Verilator benchmark binary ``hb_bench``.

    from rtl.bench.build import build_bench
    exe = build_bench(nnx=True)            # -> Path to the cached binary
    subprocess.run([exe, "--max-cycles", "100000000", "prog.elf"])

One binary per configuration (nnx, mem_latency, ram_bytes) under
``rtl/bench/build/<config>/`` (override with ``$HB_BENCH_BUILD_DIR``).  A build
is reused while its stamp (hash of the sources and of the command) matches. Builds of one
configuration are serialised with an exclusive lock (``<config>.lock``), so several
pytest-xdist workers or benchmark processes can ask for the same binary at once.

CLI: ``python -m rtl.bench.build --nnx 1 [--mem-latency 1] [--ram-bytes N] [--force]``
prints the path of the binary.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rtl.bench.cache import cached_build
from rtl.toolchain import RTL_DIR, verilator_bin

BENCH_DIR = Path(__file__).resolve().parent
SOURCES = [RTL_DIR / "core" / "hb_core.v", RTL_DIR / "nnx" / "hb_nnx.v",
           RTL_DIR / "soc" / "hb_cpu.v", RTL_DIR / "soc" / "hb_soc.v"]
MAIN_CPP = BENCH_DIR / "hb_bench.cpp"
DEFAULT_RAM_BYTES = 4 * 1024 * 1024


def build_root() -> Path:
    return Path(os.environ.get("HB_BENCH_BUILD_DIR", BENCH_DIR / "build"))


def config_name(nnx: bool, mem_latency: int, ram_bytes: int) -> str:
    return f"nnx{int(bool(nnx))}_lat{mem_latency}_ram{ram_bytes // 1024}k"


def verilate_command(out_dir: Path, *, nnx: bool, mem_latency: int, ram_bytes: int,
                     jobs: int | None = None) -> list[str]:
    """The Verilator command line (an argument list) that builds hb_bench."""
    jobs = jobs or max(1, os.cpu_count() or 1)
    return [
        str(verilator_bin()), "--cc", "--exe", "--build", "-j", str(jobs),
        "--top-module", "hb_soc", "-Mdir", str(out_dir / "obj"), "-o", "hb_bench",
        "-O3", "--x-assign", "fast", "--x-initial", "fast", "--noassert",
        "-Wno-fatal",
        f"-GNNX={int(bool(nnx))}", f"-GMEM_LATENCY={mem_latency}", f"-GRAM_BYTES={ram_bytes}",
        "-CFLAGS", f"-O2 -DHB_RAM_BYTES={ram_bytes}u",
        *[str(s) for s in SOURCES], str(MAIN_CPP),
    ]


def build_bench(nnx: bool = False, mem_latency: int = 1, ram_bytes: int = DEFAULT_RAM_BYTES,
                *, force: bool = False, out_dir: Path | None = None, verbose: bool = False) -> Path:
    """Build (or reuse) hb_bench for one configuration; return the executable path."""
    if ram_bytes & (ram_bytes - 1) or ram_bytes < 4096:
        raise ValueError("ram_bytes must be a power of two >= 4096")
    out_dir = Path(out_dir) if out_dir else build_root() / config_name(nnx, mem_latency, ram_bytes)
    cmd = verilate_command(out_dir, nnx=nnx, mem_latency=mem_latency, ram_bytes=ram_bytes)
    return cached_build(out_dir, cmd, SOURCES + [MAIN_CPP], what="hb_soc", force=force,
                        verbose=verbose)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="build the hb_bench Verilator binary")
    ap.add_argument("--nnx", type=int, choices=(0, 1), default=0)
    ap.add_argument("--mem-latency", type=int, default=1)
    ap.add_argument("--ram-bytes", type=lambda s: int(s, 0), default=DEFAULT_RAM_BYTES)
    ap.add_argument("--force", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    print(build_bench(bool(a.nnx), a.mem_latency, a.ram_bytes, force=a.force, verbose=a.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
