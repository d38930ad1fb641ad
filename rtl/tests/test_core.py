"""Directed tests of hb_core (per instruction class) on Verilator via cocotb."""
from __future__ import annotations

import pytest

from rtl.tests.sim import require

pytestmark = pytest.mark.rtl

CLASSES = ["alu", "shifts", "branches", "loadstore", "muldiv", "csr", "traps", "cpi"]


@pytest.fixture(autouse=True)
def _tools():
    require("verilator", "cocotb", "riscv-gcc", "elftools")


@pytest.mark.parametrize("cls", CLASSES)
def test_instruction_class(soc_nnx1, cls):
    soc_nnx1.run("rtl.tests.cocotb_core", testcase=f"test_{cls}")


def test_custom_opcodes_with_nnx(soc_nnx1):
    soc_nnx1.run("rtl.tests.cocotb_core", testcase="test_custom_is_illegal_without_nnx")


def test_base_core_without_extension(soc_nnx0):
    """rv32-base: custom opcodes trap as illegal; the rest behaves the same."""
    soc_nnx0.run("rtl.tests.cocotb_core",
                 testcase=["test_custom_is_illegal_without_nnx", "test_csr", "test_muldiv"])


def test_firmware_c_programs(soc_nnx1, tmp_path):
    from rtl.sw.build import SW_DIR, build_elf
    hello = build_elf([SW_DIR / "tests" / "hello.c"], tmp_path / "hello.elf", ram_bytes=64 * 1024)
    (tmp_path / "hello.expect").write_bytes(b"hello from hb_core\nmcycle>0 1 minstret>0 1\n")
    dot = build_elf([SW_DIR / "tests" / "dot.c"], tmp_path / "dot.elf", nnx=True,
                    ram_bytes=64 * 1024)
    (tmp_path / "dot.expect").write_bytes(b"OK\n")
    soc_nnx1.run("rtl.tests.cocotb_core", testcase="test_firmware",
                 extra_env={"HB_FIRMWARE": f"hello={hello},dot={dot}"})
