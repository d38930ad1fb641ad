"""Board support of the physical boards (NUCLEO-L4R5ZI, nRF52840-DK) compiled and linked with
Debian's arm-none-eabi-gcc: the same sources the PlatformIO project builds with ststm32 /
nordicnrf52. Not run: there is no board here."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hb_testutil import model_path

from harness.codegen import generate
from harness.firmware import build_firmware, runtime_sources
from harness.firmware.config import FirmwareConfig
from harness.importers import load_model
from harness.targets import load_target

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="arm-none-eabi-gcc not found (Debian: apt-get install "
                                "gcc-arm-none-eabi libnewlib-arm-none-eabi)")


BOARDS = [("nucleo-l4r5zi", "uart_stm32_lpuart.c", "08000000"),
          ("nrf52840-dk", "uart_nrf_uart.c", "00000000")]


@pytest.mark.parametrize(("board", "uart", "origin"), BOARDS)
def test_board_files_come_from_the_board_folder(board: str, uart: str, origin: str) -> None:
    cfg = FirmwareConfig.from_target(load_target(board))
    names = {p.name: p.parent.name for p in runtime_sources(cfg)}
    assert names["board_init.c"] == board and names[uart] == board
    assert names["startup.c"] == "cortex-m4" and names["counter_dwt.c"] == "cortex-m4"
    assert names["runner_mlperf.c"] == "mcu-common"


@pytest.mark.parametrize(("board", "uart", "origin"), BOARDS)
def test_board_firmware_compiles_and_links_with_debian_gcc(tmp_path: Path, board: str,
                                                            uart: str, origin: str) -> None:
    target = load_target(board)
    model = generate(load_model(model_path("kws_ref_model")), tmp_path / "gen",
                     kernels=target.kernels)
    artifact = build_firmware(model, target)
    assert 0 < artifact.metrics["firmware_flash_bytes"].value < (target.flash_bytes or 0)
    symbols = subprocess.run(["arm-none-eabi-nm", str(artifact.path)], capture_output=True,
                             text=True, check=True).stdout
    table = {line.split()[-1]: line.split()[1] for line in symbols.splitlines()
             if len(line.split()) == 3}
    assert table["hb_board_init"] == "T"          # the board's, not the weak defaults
    assert table["hb_infer_pin"] == "T"
    for name in ("hb_uart_getc", "hb_cycles", "hb_vector_table"):
        assert name in table, name
    headers = subprocess.run(["arm-none-eabi-readelf", "-S", str(artifact.path)],
                             capture_output=True, text=True, check=True).stdout
    vectors = next(line for line in headers.splitlines() if ".isr_vector" in line)
    assert origin in vectors                      # the vector table at the flash origin
