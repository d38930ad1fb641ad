"""pytest configuration for the RTL tests (markers, shared simulator builds)."""
from __future__ import annotations

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "rtl: RTL/ISS test (needs verilator, cocotb, riscv64-unknown-elf-gcc, unicorn)")
    config.addinivalue_line("markers", "slow: long-running test, excluded from the quick selection")


@pytest.fixture(scope="session")
def soc_nnx1():
    from rtl.tests.sim import soc_sim
    return soc_sim(nnx=1)


@pytest.fixture(scope="session")
def soc_nnx0():
    from rtl.tests.sim import soc_sim
    return soc_sim(nnx=0)
