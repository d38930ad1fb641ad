"""Build the Verilator benchmark binary for VexRiscv (vx_soc), the same ``hb_bench`` top.

    from rtl.vexriscv.build import build_vx_bench
    exe = build_vx_bench(cfu=True)                 # nnx behind the CFU port
    exe = build_vx_bench(cfu=True, cfu_source=Path("my/cfu.v"))   # a CFU Playground cfu.v
    subprocess.run([exe, "--max-cycles", "100000000", "prog.elf"])

The core is the pre-generated ``VexRiscv_FullCfu.v`` of the PyPI package
``pythondata-cpu-vexriscv`` (RV32IM, 4 KiB instruction and data caches, single-cycle
multiplier and barrel shifter, CsrPluginConfig.all, the CfuPlugin on custom-0).  The same
core is used with and without the extension (CFU = 0 ties the port off), so the two targets
differ only in the unit and the kernels.

``rtl/bench/hb_bench.cpp`` is compiled unchanged: vx_soc has hb_soc's ports and
``--prefix Vhb_soc`` gives the model hb_soc's class name.  One binary per configuration
(CFU source, MEM_LATENCY, RAM_BYTES) under ``rtl/bench/build/vx_<config>/`` (or
``$HB_BENCH_BUILD_DIR``), reused while its stamp (hash of the sources and the command)
matches; builds of one configuration are serialised with a lock file.

CLI: ``python -m rtl.vexriscv.build [--cfu 0|1] [--cfu-source cfu.v] [--force]`` prints the
path of the binary.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import sys
from pathlib import Path

from rtl.bench.build import MAIN_CPP, build_root
from rtl.bench.cache import cached_build
from rtl.toolchain import RTL_DIR, ToolMissing, verilator_bin

VX_DIR = Path(__file__).resolve().parent
SOC = VX_DIR / "vx_soc.v"
NNX_CFU = [VX_DIR / "cfu_nnx.v", RTL_DIR / "nnx" / "hb_nnx.v"]
CORE_FILE = "VexRiscv_FullCfu.v"
DEFAULT_RAM_BYTES = 4 * 1024 * 1024
PACKAGE = "pythondata-cpu-vexriscv"


def core_verilog() -> Path:
    """VexRiscv_FullCfu.v of the installed pythondata-cpu-vexriscv; raises ToolMissing."""
    spec = importlib.util.find_spec("pythondata_cpu_vexriscv")
    if spec is None or spec.origin is None:
        raise ToolMissing(f"the VexRiscv RTL is not installed: pip install {PACKAGE} "
                          "(the `rtl` extra of pyproject.toml)")
    path = Path(spec.origin).resolve().parent / "verilog" / CORE_FILE
    if not path.is_file():
        raise ToolMissing(f"{PACKAGE} has no {CORE_FILE} ({path}): reinstall it")
    return path


def cfu_sources(cfu: bool, cfu_source: Path | None = None) -> list[Path]:
    """The Verilog of the unit behind the CFU port: none, the nnx adapter, or a user's cfu.v
    (one file defining module Cfu with the CFU Playground ports)."""
    if not cfu:
        return []
    if cfu_source is None:
        return list(NNX_CFU)
    path = Path(cfu_source).resolve()
    if not path.is_file():
        raise ValueError(f"CFU source {path} does not exist")
    return [path]


def config_name(cfu_files: list[Path], mem_latency: int, ram_bytes: int) -> str:
    if not cfu_files:
        tag = "cfu0"
    elif cfu_files == NNX_CFU:
        tag = "nnx"
    else:
        tag = "cfu-" + hashlib.sha256(str(cfu_files[0]).encode()).hexdigest()[:10]
    return f"vx_{tag}_lat{mem_latency}_ram{ram_bytes // 1024}k"


def verilate_command(out_dir: Path, cfu_files: list[Path], *, mem_latency: int,
                     ram_bytes: int, jobs: int | None = None) -> list[str]:
    """The Verilator command line (an argument list) that builds hb_bench on vx_soc."""
    jobs = jobs or max(1, os.cpu_count() or 1)
    return [
        str(verilator_bin()), "--cc", "--exe", "--build", "-j", str(jobs),
        "--top-module", "vx_soc", "--prefix", "Vhb_soc", "-Mdir", str(out_dir / "obj"),
        "-o", "hb_bench", "-O3", "--x-assign", "fast", "--x-initial", "fast", "--noassert",
        "-Wno-fatal", "-Wno-lint", "-Wno-style",
        # the PyPI wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty (multi-file builds
        # then fail with '...__pch.h.fast: linker input file not found')
        "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include",
        f"-GCFU={1 if cfu_files else 0}", f"-GMEM_LATENCY={mem_latency}",
        f"-GRAM_BYTES={ram_bytes}",
        "-CFLAGS", f"-O2 -DHB_RAM_BYTES={ram_bytes}u",
        str(core_verilog()), str(SOC), *[str(s) for s in cfu_files], str(MAIN_CPP),
    ]


def build_vx_bench(cfu: bool = False, mem_latency: int = 1,
                   ram_bytes: int = DEFAULT_RAM_BYTES, *, cfu_source: Path | None = None,
                   force: bool = False, verbose: bool = False) -> Path:
    """Build (or reuse) hb_bench on vx_soc for one configuration; return the executable."""
    if ram_bytes & (ram_bytes - 1) or ram_bytes < 4096:
        raise ValueError("ram_bytes must be a power of two >= 4096")
    if not 1 <= mem_latency <= 255:
        raise ValueError("mem_latency must be 1 .. 255 on vx_soc (Wishbone ACK is registered)")
    cfu_files = cfu_sources(cfu, cfu_source)
    out_dir = build_root() / config_name(cfu_files, mem_latency, ram_bytes)
    cmd = verilate_command(out_dir, cfu_files, mem_latency=mem_latency, ram_bytes=ram_bytes)
    return cached_build(out_dir, cmd, [core_verilog(), SOC, *cfu_files, MAIN_CPP],
                        what="vx_soc", force=force, verbose=verbose)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="build hb_bench on VexRiscv (vx_soc)")
    ap.add_argument("--cfu", type=int, choices=(0, 1), default=0,
                    help="1: attach a CFU (default: the nnx adapter rtl/vexriscv/cfu_nnx.v)")
    ap.add_argument("--cfu-source", type=Path, default=None,
                    help="a CFU Playground cfu.v (module Cfu) instead of the nnx adapter")
    ap.add_argument("--mem-latency", type=int, default=1)
    ap.add_argument("--ram-bytes", type=lambda s: int(s, 0), default=DEFAULT_RAM_BYTES)
    ap.add_argument("--force", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    print(build_vx_bench(bool(a.cfu) or a.cfu_source is not None, a.mem_latency, a.ram_bytes,
                         cfu_source=a.cfu_source, force=a.force, verbose=a.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
