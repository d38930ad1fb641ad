"""The cores the `verilator` backend simulates (target.yaml `verilator.core`): their SoC
description, their MEM_LATENCY rule and their cached hb_bench build.

    hb_core    rtl/soc/hb_soc.v (`verilator.nnx: 1`: hb_nnx on its port). rtl.bench.build.

    vexriscv   rtl/vexriscv/vx_soc.v: VexRiscv "FullCfu" (PyPI pythondata-cpu-vexriscv) with
               hb_soc's memory map and ports; `verilator.nnx: 1` attaches the nnx unit behind
               its CFU port (rtl/vexriscv/cfu_nnx.v). Built by rtl.vexriscv.build.
    cv32e40x   rtl/cv32e40x/cv_soc.sv: CV32E40X (PyPI pythondata-cpu-cv32e40x), OBI RAM, the
               same memory map and ports; `verilator.nnx: 1` sets X_EXT = 1 with the nnx
               coprocessor on CV-X-IF (rtl/cv32e40x/cv_xif_nnx.sv). Built by
               rtl.cv32e40x.build.
    cv32e40p   rtl/soc/obi_soc.sv: CV32E40P (PyPI pythondata-cpu-cv32e40p, COREV_PULP = 0,
               FPU = 0), no extension port (`verilator.nnx: 0` only). rtl.cv32e40p.build.
    ibex       rtl/soc/obi_soc.sv: Ibex (PyPI pythondata-cpu-ibex, RV32M = RV32MFast),
               no extension port (`verilator.nnx: 0` only). rtl.ibex.build.

The last two share one SoC (obi_soc, a define picks the core) with the OBI RAM of cv32e40x
(rtl/soc/obi_mem.sv) and one build helper (rtl/bench/obi_build.py); another such core is a
branch there and one entry in OBI_BASE_CORES.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..commands import Command
from ..errors import BuildError, TargetUnavailableError
from .rv32 import import_rtl

__all__ = ["soc_name", "bench_binary", "core_problem", "latency_problem", "nnx_problem",
           "OBI_BASE_CORES"]

# cores without an extension port on obi_mem: core -> (how metrics name the SoC, the rtl
# module whose package_root(), bench_config(ram_bytes) and build_bench(ram_bytes) build it)
OBI_BASE_CORES: dict[str, tuple[str, str]] = {
    "cv32e40p": ("obi_soc (CV32E40P, COREV_PULP=0 FPU=0)", "cv32e40p.build"),
    "ibex": ("obi_soc (Ibex, RV32M=RV32MFast)", "ibex.build"),
}


class _Options(Protocol):
    @property
    def core(self) -> str: ...

    @property
    def nnx(self) -> bool: ...


def soc_name(options: _Options) -> str:
    """How metrics describe the simulated SoC, e.g. 'vx_soc (VexRiscv FullCfu) CFU=nnx'."""
    if options.core == "vexriscv":
        return f"vx_soc (VexRiscv FullCfu) CFU={'nnx' if options.nnx else 'none'}"
    if options.core == "cv32e40x":
        return f"cv_soc (CV32E40X) X_EXT={'nnx' if options.nnx else '0'}"
    if options.core in OBI_BASE_CORES:
        return OBI_BASE_CORES[options.core][0]
    return f"hb_soc NNX={int(options.nnx)}"


def latency_problem(core: str, mem_latency: int) -> str | None:
    """Why `verilator.mem_latency` does not fit the core's SoC, or None."""
    if core == "vexriscv" and mem_latency < 1:
        return ("verilator.mem_latency must be >= 1 for core vexriscv (its Wishbone ACK is "
                "registered)")
    if core == "cv32e40x" and mem_latency != 1:
        return ("verilator.mem_latency must be 1 for core cv32e40x (cv_soc's OBI RAM answers "
                "the next cycle)")
    if core in OBI_BASE_CORES and mem_latency != 1:
        return (f"verilator.mem_latency must be 1 for core {core} (its OBI RAM, "
                "rtl/soc/obi_mem.sv, answers the next cycle)")
    return None


def nnx_problem(core: str, nnx: bool) -> str | None:
    """Why `verilator.nnx` does not fit the core's SoC, or None."""
    if core in OBI_BASE_CORES and nnx:
        return f"verilator.nnx must be 0 for core {core} (it has no extension port)"
    return None


def core_problem(core: str) -> str | None:
    """Why the RTL of `core` is missing here (with the fix), or None."""
    try:
        if core == "vexriscv":
            import_rtl("vexriscv.build").core_verilog()
        elif core == "cv32e40x":
            import_rtl("cv32e40x.build").package_root()
        elif core in OBI_BASE_CORES:
            import_rtl(OBI_BASE_CORES[core][1]).package_root()
    except (ImportError, RuntimeError) as exc:
        return str(exc)
    return None


def bench_binary(target: str, core: str, nnx: bool, mem_latency: int,
                 ram_bytes: int) -> tuple[Path, Command]:
    """hb_bench on the core's SoC (built once, cached by its rtl build module) and the
    Verilator command that builds it."""
    toolchain = import_rtl("toolchain")
    try:
        if core == "vexriscv":
            build = import_rtl("vexriscv.build")
            files = build.cfu_sources(nnx)
            out_dir = build.build_root() / build.config_name(files, mem_latency, ram_bytes)
            argv = build.verilate_command(out_dir, files, mem_latency=mem_latency,
                                          ram_bytes=ram_bytes)
            exe = build.build_vx_bench(nnx, mem_latency, ram_bytes)
        elif core == "cv32e40x":
            build = import_rtl("cv32e40x.build")
            exe = build.build_cv_bench(nnx, ram_bytes)
            argv = build.verilate_command(exe.parent.parent, build.core_sources(), nnx=nnx,
                                          ram_bytes=ram_bytes)
        elif core in OBI_BASE_CORES:
            build = import_rtl(OBI_BASE_CORES[core][1])
            argv = build.bench_config(ram_bytes)[1]
            exe = build.build_bench(ram_bytes)
        else:
            build = import_rtl("bench.build")
            out_dir = build.build_root() / build.config_name(nnx, mem_latency, ram_bytes)
            argv = build.verilate_command(out_dir, nnx=nnx, mem_latency=mem_latency,
                                          ram_bytes=ram_bytes)
            exe = build.build_bench(nnx, mem_latency, ram_bytes)
    except toolchain.ToolMissing as exc:
        raise TargetUnavailableError(f"target {target}: {exc}") from None
    except RuntimeError as exc:
        raise BuildError(f"target {target}: building hb_bench failed: "
                         f"{str(exc)[-1500:]}") from None
    env = {"VERILATOR_ROOT": str(toolchain.verilator_root())}
    return Path(exe), Command(tuple(argv), env=env)
