"""Area of VexRiscv FullCfu with and without the nnx CFU (Yosys generic synthesis).

    python -m rtl.vexriscv.area [--json]

Synthesises the core (module VexRiscv of pythondata-cpu-vexriscv's VexRiscv_FullCfu.v) and
the CFU (module Cfu: rtl/vexriscv/cfu_nnx.v + rtl/nnx/hb_nnx.v) separately with the generic
flow of rtl/synth.py (Yosys internal cells; memories of 128 words or more, the 4 KiB
instruction and data caches and their tags, are left as SRAM macros with their bits
reported apart, as in any real implementation; the 32 x 32 register file becomes flops).
rtl/cores_area.py runs the same for every core with one Yosys.
"With the extension" is core + CFU; the CfuPlugin's decode and pipeline logic is part of the
core in both rows (the same core runs vexriscv-base with its CFU port tied off).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from rtl.synth import TOOLS, Design, synth_block
from rtl.vexriscv.build import NNX_CFU, core_verilog


def compare(tool: str = "debian") -> dict:
    """{'core': Block, 'cfu': Block, 'with_cells', 'overhead_pct', 'share_pct'} as dicts."""
    core = synth_block(Design("VexRiscv", (core_verilog(),)), tool)
    cfu = synth_block(Design("Cfu", tuple(NNX_CFU)), tool)
    total = core.cells + cfu.cells
    return {"core": asdict(core), "cfu": asdict(cfu), "with_cells": total,
            "overhead_pct": round(100.0 * cfu.cells / core.cells, 1),
            "share_pct": round(100.0 * cfu.cells / total, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Yosys cells of VexRiscv FullCfu with/without nnx")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--yosys", choices=TOOLS, default="debian", help="which Yosys (rtl/synth.py)")
    a = ap.parse_args(argv)
    rep = compare(a.yosys)
    if a.json:
        print(json.dumps(rep, indent=2))
        return 0
    c, u = rep["core"], rep["cfu"]
    print(f"VexRiscv FullCfu: {c['cells']} cells, {c['flops']} flops, "
          f"{c['sram_bits']} SRAM bits (caches, not counted in cells)")
    print(f"nnx CFU: {u['cells']} cells, {u['flops']} flops")
    print(f"with nnx: {rep['with_cells']} cells (+{rep['overhead_pct']:.1f} %, "
          f"{rep['share_pct']:.1f} % of the total)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
