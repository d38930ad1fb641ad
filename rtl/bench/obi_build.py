"""The hb_bench build shared by the OBI SoCs without an extension (cp_soc: CV32E40P,
ibex_soc: Ibex): find a core's PyPI package, verilate the SoC with rtl/soc/obi_mem.sv and
the unchanged hb_bench top, cache it (rtl/bench/cache.py).

    from rtl.bench.obi_build import ObiSoc, build_obi_bench
    exe = build_obi_bench(soc, files, incdirs, ram_bytes)

Each core's ``rtl/<core>/build.py`` lists its files and describes its SoC with an ``ObiSoc``.
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
DEFAULT_RAM_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ObiSoc:
    top: str                 # the SoC module, e.g. "cp_soc"
    soc_file: Path           # its SystemVerilog
    package: str             # the PyPI package of the core, e.g. "pythondata-cpu-cv32e40p"
    marker: str              # a file under the package's system_verilog/ that must exist

    def package_root(self) -> Path:
        """system_verilog/ of the installed package; raises ToolMissing with the fix."""
        module = self.package.replace("-", "_")
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            raise ToolMissing(f"the {self.top} core RTL is not installed: pip install "
                              f"{self.package} (the `rtl` extra of pyproject.toml)")
        root = Path(spec.origin).resolve().parent / "system_verilog"
        if not (root / self.marker).is_file():
            raise ToolMissing(f"{self.package} has no {self.marker} under {root}: reinstall it")
        return root


def check_ram_bytes(ram_bytes: int) -> None:
    if ram_bytes & (ram_bytes - 1) or ram_bytes < 4096:
        raise ValueError("ram_bytes must be a power of two >= 4096")


def out_dir_of(soc: ObiSoc, tag: str, ram_bytes: int) -> Path:
    """The build directory of one configuration, e.g. build/cp_soc_fastgate_ram4096k."""
    return build_root() / f"{soc.top}_{tag}_ram{ram_bytes // 1024}k"


def verilate_command(soc: ObiSoc, out_dir: Path, files: list[Path], incdirs: list[Path], *,
                     ram_bytes: int, defines: tuple[str, ...] = (),
                     jobs: int | None = None) -> list[str]:
    """The Verilator command line that builds hb_bench on `soc` (Verilator's default
    optimisation, as rtl/cv32e40x/build.py's fastest flag set `plain`)."""
    jobs = jobs or max(1, os.cpu_count() or 1)
    return [
        str(verilator_bin()), "--cc", "--exe", "--build", "-j", str(jobs),
        "--top-module", soc.top, "--prefix", "Vhb_soc", "-Mdir", str(out_dir / "obj"),
        "-o", "hb_bench", "-CFLAGS", "-O2",
        "-Wno-fatal", "-Wno-lint", "-Wno-style", "-Wno-UNOPTFLAT",
        "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include",     # see rtl/vexriscv/build.py
        *[f"+incdir+{d}" for d in incdirs], *[f"+define+{d}" for d in defines],
        f"-GRAM_BYTES={ram_bytes}", "-CFLAGS", f"-DHB_RAM_BYTES={ram_bytes}u",
        *[str(f) for f in files], str(OBI_MEM), str(soc.soc_file), str(MAIN_CPP),
    ]


def build_obi_bench(soc: ObiSoc, out_dir: Path, cmd: list[str], files: list[Path], *,
                    force: bool = False, verbose: bool = False) -> Path:
    """Build (or reuse) hb_bench for the command `cmd`; return the executable."""
    return cached_build(out_dir, cmd, [*files, OBI_MEM, soc.soc_file, MAIN_CPP], what=soc.top,
                        force=force, verbose=verbose)
