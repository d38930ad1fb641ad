"""Build the Verilator benchmark binary for CV32E40X (cv_soc), the same ``hb_bench`` top.

    from rtl.cv32e40x.build import build_cv_bench
    exe = build_cv_bench()                       # CV32E40X, X_EXT = 0
    subprocess.run([exe, "prog.elf"])            # firmware built with -DHB_COUNTERS_ENABLE

The core is the SystemVerilog of the PyPI package ``pythondata-cpu-cv32e40x`` (its manifest's
rtl/ files; not the RVFI tracer). The clock gate is ``cv_clock_gate.sv`` (ungated, for speed)
unless ``sim_clock_gate=True`` selects the package's latch model. The default flag set
(``acyclic``) adds the Verilator configuration file ``cv_sim.vlt`` and
``-fdfg-synthesize-all -fno-table``: together they remove the false combinational loops that
made Verilator evaluate the pipeline twice per cycle (README "Simulation speed"; the core's
RTL is unchanged). One binary per
configuration under ``rtl/bench/build/cv_<config>/`` (or ``$HB_BENCH_BUILD_DIR``), cached
and locked like the other builds (rtl/bench/cache.py).

CLI: ``python -m rtl.cv32e40x.build [--nnx 1] [--flags SET] [--sim-clock-gate] [--force]``
prints the binary's path.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

from rtl.bench.build import MAIN_CPP, build_root
from rtl.bench.cache import cached_build
from rtl.bench.obi_build import OBI_MEM
from rtl.toolchain import ToolMissing, verilator_bin

CV_DIR = Path(__file__).resolve().parent
SOC = CV_DIR / "cv_soc.sv"
CPU = CV_DIR / "cv_cpu.sv"      # the core (+ coprocessor): cv_soc's block, area.py's top
XIF_NNX = [CV_DIR / "cv_xif_nnx.sv", CV_DIR.parent / "nnx" / "hb_nnx.v"]
FAST_CLOCK_GATE = CV_DIR / "cv_clock_gate.sv"
SIM_CONFIG = CV_DIR / "cv_sim.vlt"   # split_var / isolate_assignments (see the file)
DEFAULT_RAM_BYTES = 4 * 1024 * 1024
PACKAGE = "pythondata-cpu-cv32e40x"

# Verilator / C++ flag sets for the simulator (build flags only, the core's RTL unchanged);
# benchmarks/cv_flags.py measures each one's simulated cycles per second and checks that the
# console (outputs, per-layer and total cycle counts) is identical to the default's.
_FAST = ("-O3", "--x-assign", "fast", "--x-initial", "fast", "--noassert")
FLAG_SETS: dict[str, tuple[str, ...]] = {
    # Verilator's defaults + cv_sim.vlt: the big loop through ctrl_fsm/ctrl_byp split
    "split": ("-CFLAGS", "-O2", str(SIM_CONFIG)),
    "split-o3": (*_FAST, "-CFLAGS", "-O2", str(SIM_CONFIG)),
    # + every always block into the DFG, no case tables: no combinational loop left (X_EXT = 0);
    # the fastest here (rtl/cv32e40x/README.md "Simulation speed")
    "acyclic": ("-fdfg-synthesize-all", "-fno-table", "-CFLAGS", "-O2", str(SIM_CONFIG)),
    "acyclic-o3": (*_FAST, "-fdfg-synthesize-all", "-fno-table", "-CFLAGS", "-O2",
                   str(SIM_CONFIG)),
    "plain": ("-CFLAGS", "-O2"),     # Verilator's own defaults: the default until 2026-12-02 pm
    "o3": (*_FAST, "-CFLAGS", "-O2"),                         # the default until 2026-12-02
    "o3-notiming": (*_FAST, "--no-timing", "-CFLAGS", "-O2"),
    "o3-cxx3": (*_FAST, "-CFLAGS", "-O3"),
    "o3-threads2": (*_FAST, "--threads", "2", "-CFLAGS", "-O2"),
}
DEFAULT_FLAGS = "acyclic"


def flag_set(name: str) -> tuple[str, ...]:
    """The Verilator arguments of flag set `name`; ValueError lists the choices."""
    if name not in FLAG_SETS:
        raise ValueError(f"flag set {name!r} is not one of: {', '.join(FLAG_SETS)}")
    return FLAG_SETS[name]


def package_root() -> Path:
    """system_verilog/ of the installed pythondata-cpu-cv32e40x; raises ToolMissing."""
    spec = importlib.util.find_spec("pythondata_cpu_cv32e40x")
    if spec is None or spec.origin is None:
        raise ToolMissing(f"the CV32E40X RTL is not installed: pip install {PACKAGE} "
                          "(the `rtl` extra of pyproject.toml)")
    root = Path(spec.origin).resolve().parent / "system_verilog"
    if not (root / "cv32e40x_manifest.flist").is_file():
        raise ToolMissing(f"{PACKAGE} has no cv32e40x_manifest.flist under {root}: reinstall it")
    return root


def core_sources(sim_clock_gate: bool = False) -> list[Path]:
    """The package, interfaces and rtl/ files in manifest order, then a clock gate."""
    root = package_root()
    rtl = root / "rtl"
    files = [rtl / "include" / "cv32e40x_pkg.sv", rtl / "if_c_obi.sv", rtl / "if_xif.sv"]
    for line in (root / "cv32e40x_manifest.flist").read_text().splitlines():
        line = line.strip()
        if line.startswith("${DESIGN_RTL_DIR}/cv32e40x_"):
            files.append(rtl / line.rsplit("/", 1)[1])
    gate = root / "bhv" / "cv32e40x_sim_clock_gate.sv" if sim_clock_gate else FAST_CLOCK_GATE
    return files + [gate]


def verilate_command(out_dir: Path, sources: list[Path], *, nnx: bool, ram_bytes: int,
                     jobs: int | None = None, flags: str = DEFAULT_FLAGS) -> list[str]:
    root = package_root()
    jobs = jobs or max(1, os.cpu_count() or 1)
    return [
        str(verilator_bin()), "--cc", "--exe", "--build", "-j", str(jobs),
        "--top-module", "cv_soc", "--prefix", "Vhb_soc", "-Mdir", str(out_dir / "obj"),
        "-o", "hb_bench", *flag_set(flags),
        "-Wno-fatal", "-Wno-lint", "-Wno-style", "-Wno-UNOPTFLAT",
        "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include",     # see rtl/vexriscv/build.py
        f"+incdir+{root / 'rtl' / 'include'}", f"+incdir+{root / 'bhv' / 'include'}",
        f"-GNNX={int(nnx)}", f"-GRAM_BYTES={ram_bytes}", "-CFLAGS", f"-DHB_RAM_BYTES={ram_bytes}u",
        *[str(s) for s in sources], *([str(s) for s in XIF_NNX] if nnx else []), str(CPU),
        str(OBI_MEM), str(SOC), str(MAIN_CPP),
    ]


def build_cv_bench(nnx: bool = False, ram_bytes: int = DEFAULT_RAM_BYTES, *,
                   sim_clock_gate: bool = False, flags: str = DEFAULT_FLAGS,
                   force: bool = False, verbose: bool = False) -> Path:
    """Build (or reuse) hb_bench on cv_soc (nnx: X_EXT = 1 + cv_xif_nnx); return it."""
    if ram_bytes & (ram_bytes - 1) or ram_bytes < 4096:
        raise ValueError("ram_bytes must be a power of two >= 4096")
    sources = core_sources(sim_clock_gate)
    gate = "latchgate" if sim_clock_gate else "fastgate"
    out_dir = build_root() / f"cv_x{int(nnx)}_{gate}_{flags}_ram{ram_bytes // 1024}k"
    cmd = verilate_command(out_dir, sources, nnx=nnx, ram_bytes=ram_bytes, flags=flags)
    extra = XIF_NNX if nnx else []
    config = [SIM_CONFIG] if str(SIM_CONFIG) in flag_set(flags) else []
    return cached_build(out_dir, cmd, [*config, *sources, *extra, CPU, OBI_MEM, SOC, MAIN_CPP],
                        what="cv_soc", force=force, verbose=verbose)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="build hb_bench on CV32E40X (cv_soc)")
    ap.add_argument("--nnx", type=int, choices=(0, 1), default=0,
                    help="1: X_EXT = 1 with the nnx coprocessor (rtl/cv32e40x/cv_xif_nnx.sv)")
    ap.add_argument("--sim-clock-gate", action="store_true",
                    help="the package's latch clock-gate model instead of the ungated one")
    ap.add_argument("--ram-bytes", type=lambda s: int(s, 0), default=DEFAULT_RAM_BYTES)
    ap.add_argument("--flags", choices=list(FLAG_SETS), default=DEFAULT_FLAGS,
                    help=f"Verilator/C++ flag set (default {DEFAULT_FLAGS})")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    print(build_cv_bench(bool(a.nnx), a.ram_bytes, sim_clock_gate=a.sim_clock_gate, flags=a.flags,
                         force=a.force, verbose=a.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
