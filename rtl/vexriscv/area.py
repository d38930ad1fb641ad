"""Area of VexRiscv FullCfu with and without the nnx CFU (Yosys generic synthesis).

    python -m rtl.vexriscv.area [--json]

Synthesises the core (module VexRiscv of pythondata-cpu-vexriscv's VexRiscv_FullCfu.v) and
the CFU (module Cfu: rtl/vexriscv/cfu_nnx.v + rtl/nnx/hb_nnx.v) separately with the same
generic flow as rtl/area.py (`synth -flatten`, Yosys internal cells), with one difference:
memories of 128 words or more (the 4 KiB instruction and data caches and their tags) are
left as SRAM macros ($mem_v2, one cell each, their bits reported apart), as in any real
implementation; smaller ones (the 32 x 32 register file) become flip-flops as in hb_cpu.
"With the extension" is core + CFU; the CfuPlugin's decode and pipeline logic is part of the
core in both rows (the same core runs vexriscv-base with its CFU port tied off).
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rtl.area import parse_stat
from rtl.toolchain import yosys_bin
from rtl.vexriscv.build import NNX_CFU, core_verilog

SRAM_WORDS = 128     # memories at least this deep stay SRAM macros


@dataclass
class Block:
    top: str
    cells: int           # logic cells, SRAM macros excluded
    flops: int
    sram_bits: int
    seconds: float


def yosys_script(top: str, files: list[Path], stat_file: Path, sram_file: Path) -> str:
    return "\n".join([
        "read_verilog " + " ".join(str(f) for f in files),
        f"synth -flatten -top {top} -run :fine",
        f"setattr -set hb_sram 1 t:$mem_v2 r:SIZE>={SRAM_WORDS} %i",
        f"tee -q -o {sram_file} dump t:$mem_v2 a:hb_sram %i",
        "opt -fast -full",
        "memory_map -attr !hb_sram",
        "opt -full",
        "techmap",
        "opt -fast",
        "abc -fast",
        "opt -fast",
        "hierarchy -check",
        f"tee -q -o {stat_file} stat",
    ])


def synth_block(top: str, files: list[Path], timeout: float = 1800) -> Block:
    with tempfile.TemporaryDirectory() as td:
        stat, sram = Path(td) / "stat.txt", Path(td) / "sram.txt"
        script = Path(td) / "synth.ys"
        script.write_text(yosys_script(top, files, stat, sram))
        t0 = time.monotonic()
        r = subprocess.run([yosys_bin(), "-q", "-s", str(script)], capture_output=True,
                           text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"yosys failed on {top}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
        cells, types = parse_stat(stat.read_text())
        dump = sram.read_text() if sram.exists() else ""
    sizes = [int(n) for n in re.findall(r"parameter \\SIZE (\d+)", dump)]
    widths = [int(n) for n in re.findall(r"parameter \\WIDTH (\d+)", dump)]
    flops = sum(n for t, n in types.items() if "DFF" in t or "DLATCH" in t)
    return Block(top, cells - types.get("$mem_v2", 0), flops,
                 sum(a * b for a, b in zip(sizes, widths)), round(time.monotonic() - t0, 1))


def compare() -> dict:
    """{'core': Block, 'cfu': Block, 'with_cells', 'overhead_pct', 'share_pct'} as dicts."""
    core = synth_block("VexRiscv", [core_verilog()])
    cfu = synth_block("Cfu", list(NNX_CFU))
    total = core.cells + cfu.cells
    return {"core": asdict(core), "cfu": asdict(cfu), "with_cells": total,
            "overhead_pct": round(100.0 * cfu.cells / core.cells, 1),
            "share_pct": round(100.0 * cfu.cells / total, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Yosys cells of VexRiscv FullCfu with/without nnx")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    rep = compare()
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
