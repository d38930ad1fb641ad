"""Build the Verilator benchmark binary for Ibex (rtl/soc/obi_soc.sv with
+define+OBI_CORE_IBEX), the same ``hb_bench`` top.

    from rtl.ibex.build import build_bench
    exe = build_bench()                          # Ibex RV32IMC, RV32MFast, no B, no PMP
    subprocess.run([exe, "prog.elf"])

The core is the SystemVerilog of the PyPI package ``pythondata-cpu-ibex``: ``ibex_core`` and
its flip-flop register file (rtl/ibex_core.f's files; ibex_top, whose clock gate, lockstep
and scrambling need many more lowRISC primitives, is not used), wrapped by ``ibex_cpu.sv``.
The other files come from the package's vendored lowRISC IP: ibex_core's includes
(prim_assert.sv, dv_fcov_macros.svh: by include path) and the primitives named in its
generate branches (PRIM_FILES; none is elaborated with SecureIbex = 0). The RAM is
rtl/soc/obi_mem.sv. One binary per configuration under ``rtl/bench/build/obi_ibex_rv32mfast_ram<k>k/`` (or ``$HB_BENCH_BUILD_DIR``),
cached and locked like the other builds (rtl/bench/cache.py).

CLI: ``python -m rtl.ibex.build [--force]`` prints the binary's path.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rtl.bench import obi_build
from rtl.bench.obi_build import DEFAULT_RAM_BYTES, ObiSoc

IBEX_DIR = Path(__file__).resolve().parent
# -O3 --x-assign/--x-initial fast --noassert: KWS at 2.1-2.4 M cycles/s instead of 1.6-1.8
# (same binary run alternately, 2026-12-02), the console (outputs, per-layer and total
# cycles) identical; on CV32E40P these flags change nothing (1.27 vs 1.29), so it keeps the
# defaults
SOC = ObiSoc("ibex", "pythondata-cpu-ibex", "rtl/ibex_core.f",
             ("-O3", "--x-assign", "fast", "--x-initial", "fast", "--noassert"))
CPU = IBEX_DIR / "ibex_cpu.sv"      # ibex_core + register file: obi_soc's block, the area's top
# Verilator parses every module a generate branch names that it finds on the include path,
# elaborated or not (here: the security and ECC options, all off); a package such a module
# imports must be given (prim_cipher_pkg). These are the ones it finds, listed so that the
# build's stamp covers them ...
PRIM_FILES = ("prim_cipher_pkg", "prim_lfsr", "prim_onehot_check", "prim_onehot_enc",
              "prim_onehot_mux", "prim_secded_inv_28_22_dec", "prim_secded_inv_28_22_enc",
              "prim_secded_inv_39_32_dec", "prim_secded_inv_39_32_enc")
# ... and the Ibex files that rtl/ibex_core.f leaves to be found by name
IBEX_EXTRA = ("ibex_csr", "ibex_wb_stage", "ibex_pmp", "ibex_dummy_instr",
              "ibex_branch_predict", "ibex_icache")


def package_root() -> Path:
    """system_verilog/ of the installed pythondata-cpu-ibex; raises ToolMissing."""
    return SOC.package_root()


def core_sources() -> list[Path]:
    """PRIM_FILES, rtl/ibex_core.f's files in its order (ibex_pkg first), IBEX_EXTRA, then
    ibex_cpu.sv: the files of the build's dependency list (obj/Vhb_soc__ver.d)."""
    root = package_root()
    rtl = root / "rtl"
    prim = root / "vendor" / "lowrisc_ip" / "ip" / "prim" / "rtl"
    files = [prim / f"{name}.sv" for name in PRIM_FILES]
    files += [rtl / line.strip() for line in (rtl / "ibex_core.f").read_text().splitlines()
              if line.strip().endswith(".sv")]
    return files + [rtl / f"{name}.sv" for name in IBEX_EXTRA] + [CPU]


def include_dirs() -> list[Path]:
    root = package_root()
    lowrisc = root / "vendor" / "lowrisc_ip"
    return [root / "rtl", lowrisc / "ip" / "prim" / "rtl", lowrisc / "dv" / "sv" / "dv_utils"]


def bench_config(ram_bytes: int = DEFAULT_RAM_BYTES) -> tuple[Path, list[str], list[Path]]:
    """(build directory, Verilator command, core files) of one configuration."""
    obi_build.check_ram_bytes(ram_bytes)
    files = core_sources()
    out_dir = obi_build.out_dir_of(SOC, "rv32mfast", ram_bytes)
    cmd = obi_build.verilate_command(SOC, out_dir, files, include_dirs(), ram_bytes=ram_bytes)
    return out_dir, cmd, files


def build_bench(ram_bytes: int = DEFAULT_RAM_BYTES, *, force: bool = False,
                verbose: bool = False) -> Path:
    """Build (or reuse) hb_bench on obi_soc with Ibex; return the executable."""
    out_dir, cmd, files = bench_config(ram_bytes)
    return obi_build.build_obi_bench(SOC, out_dir, cmd, files, force=force, verbose=verbose)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="build hb_bench on Ibex (obi_soc)")
    ap.add_argument("--ram-bytes", type=lambda s: int(s, 0), default=DEFAULT_RAM_BYTES)
    ap.add_argument("--force", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    print(build_bench(a.ram_bytes, force=a.force, verbose=a.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
