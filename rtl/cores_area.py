"""Area of every core with and without the nnx extension: one Yosys, one flow (rtl/synth.py).

    python -m rtl.cores_area [--cores hb_core vexriscv cv32e40x] [--yosys yowasp] [--json]

    core      without                               with
    hb_core   hb_cpu NNX=0                          hb_cpu NNX=1 (nnx borrows the core's
                                                    multiplier: EXT_MUL = 1)
    vexriscv  VexRiscv (FullCfu, CFU port unused)   VexRiscv + Cfu (cfu_nnx.v + hb_nnx.v)
    cv32e40x  cv_cpu NNX=0 (X_EXT = 0)              cv_cpu NNX=1 (X_EXT = 1 + cv_xif_nnx)
    cv32e40p  cv32e40p_top COREV_PULP=0 FPU=0       - (no extension port)
    ibex      ibex_cpu (ibex_core + register file)  - (no extension port)

CV32E40X, CV32E40P and Ibex are read with slang (SystemVerilog), so it needs `--yosys yowasp` (the default);
its clock gate is the package's latch model (bhv/cv32e40x_sim_clock_gate.sv, one latch and
one AND, standing in for a clock-gating cell). "share" = the extension's cells / all cells
with it. Each block takes ~0.5-3 minutes (more on a loaded machine).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass

from rtl.synth import TOOLS, Block, Design, synth_block
from rtl.toolchain import RTL_DIR

CORES = ("hb_core", "vexriscv", "cv32e40x", "cv32e40p", "ibex")


@dataclass
class CoreArea:
    core: str
    base_cells: int
    ext_cells: int | None          # None: the core has no extension port
    blocks: list[Block]

    @property
    def share_pct(self) -> float | None:
        if self.ext_cells is None:
            return None
        return 100.0 * (self.ext_cells - self.base_cells) / self.ext_cells


def _hb_core(tool: str) -> CoreArea:
    files = (RTL_DIR / "core" / "hb_core.v", RTL_DIR / "nnx" / "hb_nnx.v",
             RTL_DIR / "soc" / "hb_cpu.v")
    base = synth_block(Design("hb_cpu", files, {"NNX": 0}), tool)
    ext = synth_block(Design("hb_cpu", files, {"NNX": 1}), tool)
    return CoreArea("hb_core", base.cells, ext.cells, [base, ext])


def _vexriscv(tool: str) -> CoreArea:
    from rtl.vexriscv.build import NNX_CFU, core_verilog
    core = synth_block(Design("VexRiscv", (core_verilog(),)), tool)
    cfu = synth_block(Design("Cfu", tuple(NNX_CFU)), tool)
    return CoreArea("vexriscv", core.cells, core.cells + cfu.cells, [core, cfu])


def _cv32e40x(tool: str) -> CoreArea:
    from rtl.cv32e40x.build import CPU, XIF_NNX, core_sources, package_root
    root = package_root()
    files = (*core_sources(sim_clock_gate=True), *XIF_NNX, CPU)
    inc = (root / "rtl" / "include",)
    base = synth_block(Design("cv_cpu", files, {"NNX": 0}, True, inc), tool)
    ext = synth_block(Design("cv_cpu", files, {"NNX": 1}, True, inc), tool)
    return CoreArea("cv32e40x", base.cells, ext.cells, [base, ext])


def _cv32e40p(tool: str) -> CoreArea:
    from rtl.cv32e40p.build import core_sources, include_dirs
    params = {"COREV_PULP": 0, "COREV_CLUSTER": 0, "FPU": 0, "ZFINX": 0}
    base = synth_block(Design("cv32e40p_top", tuple(core_sources(sim_clock_gate=True)), params,
                              True, tuple(include_dirs())), tool)
    return CoreArea("cv32e40p", base.cells, None, [base])


def _ibex(tool: str) -> CoreArea:
    from rtl.ibex.build import core_sources, include_dirs
    base = synth_block(Design("ibex_cpu", tuple(core_sources()), {}, True,
                              tuple(include_dirs())), tool)
    return CoreArea("ibex", base.cells, None, [base])


def core_area(core: str, tool: str = "yowasp") -> CoreArea:
    """Cells of `core` without and with nnx (raises ToolMissing / RuntimeError)."""
    table = {"hb_core": _hb_core, "vexriscv": _vexriscv, "cv32e40x": _cv32e40x,
             "cv32e40p": _cv32e40p, "ibex": _ibex}
    if core not in table:
        raise ValueError(f"core {core!r} is not one of: {', '.join(table)}")
    return table[core](tool)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Yosys cells of each core with/without nnx")
    ap.add_argument("--cores", nargs="+", choices=CORES, default=list(CORES))
    ap.add_argument("--yosys", choices=TOOLS, default="yowasp",
                    help="which Yosys (rtl/synth.py); cv32e40x, cv32e40p and ibex need yowasp")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    for core in a.cores:
        print(f"# {core} ...", file=sys.stderr, flush=True)
        area = core_area(core, a.yosys)
        if a.json:
            share = area.share_pct
            print(json.dumps({**asdict(area),
                              "share_pct": None if share is None else round(share, 1)}))
            continue
        if area.ext_cells is None:
            what = f"{core}: {area.base_cells:,} cells (no extension port); "
        else:
            what = (f"{core}: {area.base_cells:,} cells without nnx, {area.ext_cells:,} with "
                    f"(extension {area.ext_cells - area.base_cells:,} cells, "
                    f"{area.share_pct:.1f} % of the total); ")
        print(what + ", ".join(f"{b.top} {b.cells:,} cells / {b.flops:,} flops / "
                               f"{b.sram_bits:,} SRAM bits in {b.seconds:.0f} s"
                               for b in area.blocks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
