"""The CV32E40X nnx coprocessor (rtl/cv32e40x/cv_xif_nnx.sv) alone, driven through its CV-X-IF
issue / commit / result ports by cocotb (rtl/tests/cocotb_xif.py) against the golden model:
random nnx ops and refused non-nnx instructions, killed commits, result back-pressure."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.rtl


def test_xif_adapter_stream_vs_model() -> None:
    from rtl.tests.sim import Sim, require
    from rtl.toolchain import RTL_DIR
    require("verilator", "cocotb")
    sim = Sim("cv_xif_nnx", "cv_xif_nnx", [RTL_DIR / "cv32e40x" / "cv_xif_nnx.sv",
                                           RTL_DIR / "nnx" / "hb_nnx.v"], {})
    sim.run("rtl.tests.cocotb_xif", extra_env={"HB_SEED": "3", "HB_COUNT": "2000"})
    # no kills, no back-pressure: the straight path (commit in the issue cycle happens often)
    sim.run("rtl.tests.cocotb_xif", extra_env={"HB_SEED": "4", "HB_COUNT": "500",
                                               "HB_KILL": "0", "HB_BACKPRESSURE": "0"})
