"""The hb_bench build of rtl/soc/obi_soc.sv, the SoC of the cores without an extension port
(+define+OBI_CORE_CV32E40P or OBI_CORE_IBEX): find the core's PyPI package, verilate obi_soc with
rtl/soc/obi_mem.sv, the core's files and the unchanged hb_bench top, cache it
(rtl/bench/cache.py).

    from rtl.bench.obi_build import ObiSoc, build_obi_bench, verilate_command
    cmd = verilate_command(soc, out_dir, files, incdirs, ram_bytes=ram_bytes)
    exe = build_obi_bench(soc, out_dir, cmd, files)

Each core's ``rtl/<core>/build.py`` lists its files and describes it with an ``ObiSoc``.
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from rtl.bench.build import MAIN_CPP, build_root
from rtl.bench.cache import cached_build
from rtl.toolchain import RTL_DIR, ToolMissing, verilator_bin

OBI_MEM = RTL_DIR / "soc" / "obi_mem.sv"
OBI_SOC = RTL_DIR / "soc" / "obi_soc.sv"
DEFAULT_RAM_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ObiSoc:
    core: str                # e.g. "cv32e40p": obi_soc built with +define+OBI_CORE_CV32E40P
    package: str             # the PyPI package of the core, e.g. "pythondata-cpu-cv32e40p"
    marker: str              # a file under the package's system_verilog/ that must exist
    # Verilator flags before the defaults (measured per core: the core's build.py says why)
    flags: tuple[str, ...] = ()

    def package_root(self) -> Path:
        """system_verilog/ of the installed package; raises ToolMissing with the fix."""
        module = self.package.replace("-", "_")
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            raise ToolMissing(f"the {self.core} RTL is not installed: pip install "
                              f"{self.package} (the `rtl` extra of pyproject.toml)")
        root = Path(spec.origin).resolve().parent / "system_verilog"
        if not (root / self.marker).is_file():
            raise ToolMissing(f"{self.package} has no {self.marker} under {root}: reinstall it")
        return root


def check_ram_bytes(ram_bytes: int) -> None:
    if ram_bytes & (ram_bytes - 1) or ram_bytes < 4096:
        raise ValueError("ram_bytes must be a power of two >= 4096")


def out_dir_of(soc: ObiSoc, tag: str, ram_bytes: int) -> Path:
    """The build directory of one configuration, e.g. build/obi_cv32e40p_fastgate_ram4096k."""
    return build_root() / f"obi_{soc.core}_{tag}_ram{ram_bytes // 1024}k"


def verilate_command(soc: ObiSoc, out_dir: Path, files: list[Path], incdirs: list[Path], *,
                     ram_bytes: int, defines: tuple[str, ...] = (),
                     jobs: int | None = None) -> list[str]:
    """The Verilator command line that builds hb_bench on obi_soc with soc.core's define:
    Verilator's default optimisation (rtl/cv32e40x/build.py's fastest flag set, `plain`)
    unless soc.flags adds to it."""
    jobs = jobs or max(1, os.cpu_count() or 1)
    return [
        str(verilator_bin()), "--cc", "--exe", "--build", "-j", str(jobs),
        "--top-module", "obi_soc", "--prefix", "Vhb_soc", "-Mdir", str(out_dir / "obj"),
        "-o", "hb_bench", *soc.flags, "-CFLAGS", "-O2",
        "-Wno-fatal", "-Wno-lint", "-Wno-style", "-Wno-UNOPTFLAT",
        "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include",     # see rtl/vexriscv/build.py
        *[f"+incdir+{d}" for d in incdirs], *[f"+define+{d}" for d in defines],
        f"+define+OBI_CORE_{soc.core.upper()}", f"-GRAM_BYTES={ram_bytes}", "-CFLAGS", f"-DHB_RAM_BYTES={ram_bytes}u",
        *[str(f) for f in files], str(OBI_MEM), str(OBI_SOC), str(MAIN_CPP),
    ]


def build_obi_bench(soc: ObiSoc, out_dir: Path, cmd: list[str], files: list[Path], *,
                    force: bool = False, verbose: bool = False) -> Path:
    """Build (or reuse) hb_bench for the command `cmd`; return the executable."""
    return cached_build(out_dir, cmd, [*files, OBI_MEM, OBI_SOC, MAIN_CPP],
                        what=f"obi_soc ({soc.core})", force=force, verbose=verbose)
