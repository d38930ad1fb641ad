"""Area of hb_cpu with and without the nnx extension (Yosys generic synthesis).

    python -m rtl.area [--json] [--top hb_cpu]

Runs ``yosys`` (``synth -top hb_cpu`` + ``stat``) twice, with NNX=0 and NNX=1,
and reports the total cell count, the flip-flop count and the per-type
counts, plus the extension's overhead in percent of the base core.  Cells are
Yosys' generic gate library ($_AND_, $_MUX_, $_DFF_*, ...), so the numbers
are technology-independent gate counts, comparable between the two variants
but not with an ASIC/FPGA area report.

    from rtl.area import synth_area, compare
    base, ext = synth_area(nnx=False), synth_area(nnx=True)
    report = compare()          # {'base': {...}, 'nnx': {...}, 'overhead_pct': ...}
"""
from __future__ import annotations

import argparse
import functools
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rtl.toolchain import RTL_DIR, yosys_bin

SOURCES = [RTL_DIR / "core" / "hb_core.v", RTL_DIR / "nnx" / "hb_nnx.v",
           RTL_DIR / "soc" / "hb_cpu.v"]


@dataclass
class Area:
    top: str
    nnx: bool
    cells: int
    flops: int
    cell_types: dict = field(default_factory=dict)
    seconds: float = 0.0


def yosys_script(top: str, nnx: bool, stat_file: Path) -> str:
    files = " ".join(str(s) for s in SOURCES)
    return "\n".join([
        f"read_verilog {files}",
        f"chparam -set NNX {int(nnx)} {top}" if top == "hb_cpu" else "",
        f"synth -flatten -top {top}",
        f"tee -q -o {stat_file} stat",
    ])


def parse_stat(text: str) -> tuple[int, dict]:
    """(total cells, {cell type: count}) of the last module in a ``stat`` output."""
    blocks = re.split(r"^=== (\S+) ===$", text, flags=re.M)
    if len(blocks) < 3:
        raise ValueError("no module statistics in yosys output")
    body = blocks[-1]
    m = re.search(r"Number of cells:\s+(\d+)", body)
    if not m:
        raise ValueError("no cell count in yosys stat output")
    types = {t: int(n) for t, n in re.findall(r"^\s+(\$\S+)\s+(\d+)\s*$", body, flags=re.M)}
    return int(m.group(1)), types


def synth_area(nnx: bool, top: str = "hb_cpu", timeout: float = 900) -> Area:
    import time
    with tempfile.TemporaryDirectory() as td:
        stat = Path(td) / "stat.txt"
        script = Path(td) / "synth.ys"
        script.write_text(yosys_script(top, nnx, stat))
        t0 = time.monotonic()
        r = subprocess.run([yosys_bin(), "-q", "-s", str(script)], capture_output=True,
                           text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"yosys failed:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}")
        cells, types = parse_stat(stat.read_text())
    flops = sum(n for t, n in types.items() if "DFF" in t or "DLATCH" in t)
    return Area(top, nnx, cells, flops, types, round(time.monotonic() - t0, 1))


@functools.lru_cache(maxsize=4)
def _compare_cached(top: str, stamp: str) -> dict:
    base = synth_area(False, top)
    ext = synth_area(True, top)
    return {
        "base": asdict(base),
        "nnx": asdict(ext),
        "overhead_cells": ext.cells - base.cells,
        "overhead_pct": round(100.0 * (ext.cells - base.cells) / base.cells, 1),
        "overhead_flops_pct": round(100.0 * (ext.flops - base.flops) / base.flops, 1),
    }


def compare(top: str = "hb_cpu") -> dict:
    """Synthesise both variants (cached per process while the sources are unchanged)."""
    import hashlib
    stamp = hashlib.sha256(b"".join(p.read_bytes() for p in SOURCES)).hexdigest()
    return json.loads(json.dumps(_compare_cached(top, stamp)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Yosys cell counts of hb_cpu with/without nnx")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    a = ap.parse_args(argv)
    rep = compare()
    if a.json:
        print(json.dumps(rep, indent=2))
        return 0
    b, n = rep["base"], rep["nnx"]
    print(f"{'variant':<16}{'cells':>8}{'flops':>8}")
    print(f"{'rv32-base':<16}{b['cells']:>8}{b['flops']:>8}")
    print(f"{'rv32-nnx':<16}{n['cells']:>8}{n['flops']:>8}")
    print(f"nnx overhead: +{rep['overhead_cells']} cells ({rep['overhead_pct']:+.1f}%), "
          f"flops {rep['overhead_flops_pct']:+.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
