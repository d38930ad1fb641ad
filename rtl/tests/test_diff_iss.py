"""Randomised differential test of whole programs: RTL (cocotb + Verilator) vs
the Unicorn-based ISS (rtl/model/iss.py) with nnx emulated from the golden model."""
from __future__ import annotations

import pytest

from rtl.tests.sim import require

pytestmark = pytest.mark.rtl


@pytest.fixture(autouse=True)
def _tools():
    require("verilator", "cocotb", "riscv-gcc", "unicorn", "elftools")


def test_random_programs_nnx(soc_nnx1):
    soc_nnx1.run("rtl.tests.cocotb_diff", extra_env={"HB_SEED": "1", "HB_COUNT": "40", "HB_LEN": "200"})


def test_random_programs_base(soc_nnx0):
    soc_nnx0.run("rtl.tests.cocotb_diff", extra_env={"HB_SEED": "2", "HB_COUNT": "15", "HB_LEN": "200"})


@pytest.mark.slow
def test_random_programs_long(soc_nnx1):
    soc_nnx1.run("rtl.tests.cocotb_diff", extra_env={"HB_SEED": "1000", "HB_COUNT": "400", "HB_LEN": "300"})
