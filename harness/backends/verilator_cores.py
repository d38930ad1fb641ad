"""The cores other than hb_core that the `verilator` backend simulates (target.yaml
`verilator.core`): their SoC description and their cached hb_bench build.

    vexriscv   rtl/vexriscv/vx_soc.v: VexRiscv "FullCfu" (PyPI pythondata-cpu-vexriscv) with
               hb_soc's memory map and ports; `verilator.nnx: 1` attaches the nnx unit behind
               its CFU port (rtl/vexriscv/cfu_nnx.v). Built by rtl.vexriscv.build.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..commands import Command
from ..errors import BuildError, TargetUnavailableError
from .rv32 import import_rtl

__all__ = ["soc_name", "vexriscv_bench", "core_problem"]


class _Options(Protocol):
    @property
    def core(self) -> str: ...

    @property
    def nnx(self) -> bool: ...


def soc_name(options: _Options) -> str:
    """How metrics describe the simulated SoC: 'hb_soc NNX=1', 'vx_soc (VexRiscv FullCfu) CFU=nnx'."""
    if options.core == "vexriscv":
        return f"vx_soc (VexRiscv FullCfu) CFU={'nnx' if options.nnx else 'none'}"
    return f"hb_soc NNX={int(options.nnx)}"


def core_problem(core: str) -> str | None:
    """Why the RTL of `core` is missing here (with the fix), or None."""
    if core != "vexriscv":
        return None
    try:
        import_rtl("vexriscv.build").core_verilog()
    except (ImportError, RuntimeError) as exc:
        return str(exc)
    return None


def vexriscv_bench(target: str, cfu: bool, mem_latency: int,
                   ram_bytes: int) -> tuple[Path, Command]:
    """hb_bench on vx_soc (built once, cached by rtl.vexriscv.build) and the Verilator command
    that builds it."""
    build = import_rtl("vexriscv.build")
    toolchain = import_rtl("toolchain")
    try:
        files = build.cfu_sources(cfu)
        out_dir = build.build_root() / build.config_name(files, mem_latency, ram_bytes)
        argv = build.verilate_command(out_dir, files, mem_latency=mem_latency,
                                      ram_bytes=ram_bytes)
        exe = build.build_vx_bench(cfu, mem_latency, ram_bytes)
    except toolchain.ToolMissing as exc:
        raise TargetUnavailableError(f"target {target}: {exc}") from None
    except RuntimeError as exc:
        raise BuildError(f"target {target}: building hb_bench on vx_soc failed: "
                         f"{str(exc)[-1500:]}") from None
    env = {"VERILATOR_ROOT": str(toolchain.verilator_root())}
    return Path(exe), Command(tuple(argv), env=env)
