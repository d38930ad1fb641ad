"""Build the Verilator benchmark binary for CV32E40P (rtl/soc/obi_soc.sv with
+define+OBI_CORE_CV32E40P), the same ``hb_bench`` top.

    from rtl.cv32e40p.build import build_bench
    exe = build_bench()                          # CV32E40P, COREV_PULP = 0, FPU = 0
    subprocess.run([exe, "prog.elf"])

The core is the SystemVerilog of the PyPI package ``pythondata-cpu-cv32e40p`` (its
manifest's rtl/ files: not the tracer, the testbench wrapper or the FPU). The clock gate is
``cp_clock_gate.sv`` (ungated, for speed) unless ``sim_clock_gate=True`` selects the
package's latch model. The RAM is rtl/soc/obi_mem.sv. One binary per configuration under
``rtl/bench/build/obi_cv32e40p_<gate>_ram<k>k/`` (or ``$HB_BENCH_BUILD_DIR``), cached and locked
like the other builds (rtl/bench/cache.py).

CLI: ``python -m rtl.cv32e40p.build [--sim-clock-gate] [--force]`` prints the binary's path.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rtl.bench import obi_build
from rtl.bench.obi_build import DEFAULT_RAM_BYTES, ObiSoc

CP_DIR = Path(__file__).resolve().parent
SOC = ObiSoc("cv32e40p", "pythondata-cpu-cv32e40p", "cv32e40p_manifest.flist")
FAST_CLOCK_GATE = CP_DIR / "cp_clock_gate.sv"


def package_root() -> Path:
    """system_verilog/ of the installed pythondata-cpu-cv32e40p; raises ToolMissing."""
    return SOC.package_root()


def core_sources(sim_clock_gate: bool = False) -> list[Path]:
    """The packages and rtl/ files in manifest order (top included), then a clock gate."""
    root = package_root()
    files = []
    for line in (root / "cv32e40p_manifest.flist").read_text().splitlines():
        line = line.strip()
        if line.startswith("${DESIGN_RTL_DIR}/") and "/../" not in line:
            files.append(root / "rtl" / line.split("/", 1)[1])
    gate = root / "bhv" / "cv32e40p_sim_clock_gate.sv" if sim_clock_gate else FAST_CLOCK_GATE
    return files + [gate]


def include_dirs() -> list[Path]:
    root = package_root()
    return [root / "rtl" / "include", root / "bhv", root / "bhv" / "include"]


def bench_config(ram_bytes: int = DEFAULT_RAM_BYTES, *,
                 sim_clock_gate: bool = False) -> tuple[Path, list[str], list[Path]]:
    """(build directory, Verilator command, core files) of one configuration."""
    obi_build.check_ram_bytes(ram_bytes)
    files = core_sources(sim_clock_gate)
    out_dir = obi_build.out_dir_of(SOC, "latchgate" if sim_clock_gate else "fastgate",
                                   ram_bytes)
    cmd = obi_build.verilate_command(SOC, out_dir, files, include_dirs(), ram_bytes=ram_bytes)
    return out_dir, cmd, files


def build_bench(ram_bytes: int = DEFAULT_RAM_BYTES, *, sim_clock_gate: bool = False,
                force: bool = False, verbose: bool = False) -> Path:
    """Build (or reuse) hb_bench on obi_soc with CV32E40P; return the executable."""
    out_dir, cmd, files = bench_config(ram_bytes, sim_clock_gate=sim_clock_gate)
    return obi_build.build_obi_bench(SOC, out_dir, cmd, files, force=force, verbose=verbose)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="build hb_bench on CV32E40P (obi_soc)")
    ap.add_argument("--sim-clock-gate", action="store_true",
                    help="the package's latch clock-gate model instead of the ungated one")
    ap.add_argument("--ram-bytes", type=lambda s: int(s, 0), default=DEFAULT_RAM_BYTES)
    ap.add_argument("--force", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    print(build_bench(a.ram_bytes, sim_clock_gate=a.sim_clock_gate, force=a.force,
                      verbose=a.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
