"""Yosys synthesis of hb_cpu with and without nnx (rtl/area.py)."""
from __future__ import annotations

import pytest

from rtl.tests.sim import require

pytestmark = pytest.mark.rtl


def test_parse_stat():
    from rtl.area import parse_stat
    text = """
=== hb_cpu ===

   Number of wires:                 10
   Number of cells:                 7
     $_AND_                          3
     $_DFF_P_                        4
"""
    assert parse_stat(text) == (7, {"$_AND_": 3, "$_DFF_P_": 4})


def test_area_with_and_without_nnx(capsys):
    require("yosys")
    from rtl import area
    assert area.main([]) == 0
    out = capsys.readouterr().out
    assert "rv32-base" in out and "rv32-nnx" in out and "nnx overhead" in out
    rep = area.compare()
    assert rep["base"]["cells"] > 5000
    assert rep["nnx"]["cells"] > rep["base"]["cells"]
    assert rep["overhead_pct"] > 0
