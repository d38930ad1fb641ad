"""harness/firmware/: configuration, generated files and commands as data, the console
protocol, and (with arm-none-eabi-gcc) building images and the fit checks."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from mcu_fixture import variant_target, write_model

from harness.backends.base import pack_samples
from harness.errors import (
    BuildError,
    ModelTooLargeError,
    RunError,
    RunTimeoutError,
    TargetConfigError,
)
from harness.firmware import (
    FirmwareConfig,
    build_firmware,
    describe_cfsr,
    firmware_defines,
    inputs_per_firmware,
    inputs_source,
    link_firmware,
    linker_script,
    parse_console,
    runtime_sources,
)
from harness.targets import Target, load_target, targets_dir

RUNTIME = targets_dir() / "cortex-m4"


def _arm_missing() -> str | None:
    for tool in ("arm-none-eabi-gcc", "arm-none-eabi-size"):
        if shutil.which(tool) is None:
            return f"{tool} not found (Debian: apt-get install gcc-arm-none-eabi " \
                   "libnewlib-arm-none-eabi)"
    return None


needs_arm = pytest.mark.skipif(_arm_missing() is not None, reason=_arm_missing() or "")


@pytest.fixture(scope="module")
def an386() -> Target:
    return load_target("mps2-an386")


# ---- configuration and generated files (no tools) --------------------------------------


def test_config_from_target_yaml(an386: Target) -> None:
    cfg = FirmwareConfig.from_target(an386)
    assert (cfg.flash_origin, cfg.flash_bytes) == (0x0, 4 * 1024 * 1024)
    assert (cfg.ram_origin, cfg.ram_bytes) == (0x20000000, 4 * 1024 * 1024)
    assert cfg.runtime == RUNTIME.resolve()
    assert cfg.uart["base"] == 0x40004000 and cfg.counter["kind"] == "cmsdk-timer"
    assert cfg.counter_hz(None) == 25_000_000


def test_config_errors_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(TargetConfigError, match="firmware: missing .the qemu backend needs a "
                       "'firmware:' section"):
        variant_target(tmp_path, "nofw", {}, drop=("firmware",))
    with pytest.raises(TargetConfigError, match="firmware.uart.kind: expected one of "
                       "cmsdk-apb-uart, hb-soc, stm32-lpuart, nrf-uart, got 'pl011'"):
        variant_target(tmp_path, "baduart", {"firmware": {"uart": {"kind": "pl011"}}})
    no_base = variant_target(tmp_path, "nobase",
                             {"firmware": {"budget": {"kind": "cmsdk-timer", "base": 1}}})
    data = yaml.safe_load((no_base.folder / "target.yaml").read_text())
    del data["firmware"]["budget"]["irq"]
    (no_base.folder / "target.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(TargetConfigError, match="firmware.budget.irq: missing"):
        load_target(no_base.folder / "target.yaml")
    dwt = variant_target(tmp_path, "dwt", {"firmware": {"counter": {"kind": "dwt"},
                                                        "budget": {"kind": "none"}}})
    cfg = FirmwareConfig.from_target(dwt)
    assert cfg.counter_hz(25_000_000) is None
    assert [p.name for p in runtime_sources(cfg)][-3:] == [
        "counter_dwt.c", "budget_none.c", "exit_semihosting.c"]


def test_linker_script_from_memory_map(an386: Target) -> None:
    cfg = FirmwareConfig.from_target(an386)
    script = linker_script(cfg)
    assert "FLASH (rx)  : ORIGIN = 0x00000000, LENGTH = 4194304" in script
    assert "RAM   (rwx) : ORIGIN = 0x20000000, LENGTH = 4194304" in script
    assert "KEEP(*(.isr_vector))" in script and "ENTRY(Reset_Handler)" in script
    assert f". = . + {cfg.stack_bytes};" in script
    assert "> RAM AT > FLASH" in script and "__data_load = LOADADDR(.data);" in script
    # the stack comes first in RAM, then .data and .bss
    assert script.index(".stack (NOLOAD)") < script.index(".data :") < script.index(".bss (NOLOAD)")
    # the measuring script differs in the region lengths only
    big = linker_script(cfg, 1 << 28, 1 << 28)
    diff = [(a, b) for a, b in zip(script.splitlines(), big.splitlines()) if a != b]
    assert len(diff) == 2 and all("LENGTH = 268435456" in b for _, b in diff)


def test_inputs_source() -> None:
    text = inputs_source(bytes(range(6)), 2, 3)
    assert "const uint32_t hb_num_inputs = 2u;" in text
    assert "const uint8_t hb_inputs[2][3] __attribute__((aligned(16)))" in text
    assert "0x00, 0x01, 0x02," in text and "0x03, 0x04, 0x05," in text
    empty = inputs_source(b"", 0, 3)
    assert "hb_num_inputs = 0u;" in empty and "hb_inputs[1][3]" in empty
    with pytest.raises(ValueError, match="not 2 records of 4"):
        inputs_source(bytes(6), 2, 4)


def test_defines_bind_the_runtime_to_the_yaml(an386: Target) -> None:
    cfg = FirmwareConfig.from_target(an386)
    flags = firmware_defines(cfg, 1234)
    for flag in ("-DHB_UART_BASE=0x40004000u", "-DHB_UART_CLOCK_HZ=25000000u",
                 "-DHB_UART_BAUD=115200u", "-DHB_COUNTER_BASE=0x40000000u",
                 "-DHB_BUDGET_TIMER_BASE=0x40001000u", "-DHB_BUDGET_TIMER_IRQ=9u",
                 "-DHB_BUDGET_TICKS=1234u", "-DHB_NUM_IRQS=32"):
        assert flag in flags
    assert "-DHB_BUDGET_TICKS=4294967295u" in firmware_defines(cfg, None)
    with pytest.raises(TargetConfigError, match="does not fit the 32-bit timer"):
        firmware_defines(cfg, 1 << 32)
    assert [p.name for p in runtime_sources(cfg)] == [
        "startup.c", "console.c", "markers.c", "runner.c", "uart_cmsdk.c",
        "counter_cmsdk_timer.c", "budget_cmsdk_timer.c", "exit_semihosting.c"]


# ---- console protocol (no tools) -------------------------------------------------------

GOOD = (
    "QEMU banner or anything else\r\n"
    "HB_BOOT n=2 input_bytes=4 output_bytes=3 layers=2\r\n"
    "HB_RESULT 0 125 0a0b0c\r\n"
    "HB_LAYER 0 100\r\n"
    "HB_LAYER 1 20\r\n"
    "HB_RESULT 1 126 ff0001\r\n"
    "HB_END\r\n"
)


def test_parse_good_output() -> None:
    report = parse_console(GOOD)
    report.check(2, 3, "t")
    assert report.ended and report.fault is None and report.budget is None
    assert report.boot == {"n": 2, "input_bytes": 4, "output_bytes": 3, "layers": 2}
    assert report.outputs() == bytes([10, 11, 12, 255, 0, 1])
    assert report.counts() == [125, 126] and report.layers == {0: 100, 1: 20}


def test_parse_missing_end() -> None:
    report = parse_console(GOOD.split("HB_RESULT 1")[0])
    assert not report.ended
    with pytest.raises(RunError, match=r"did not print HB_END \(1 of 2 results received\)"):
        report.check(2, 3, "t")


def test_parse_fault_line() -> None:
    text = ("HB_BOOT n=1 input_bytes=4 output_bytes=3 layers=2\n"
            "\nHB_FAULT HardFault pc=0x00000122 cfsr=0x00010000 hfsr=0x40000000 input=0\n")
    report = parse_console(text)
    assert report.fault is not None and report.fault.pc == 0x122 and report.fault.input == 0
    assert report.fault.describe("hb_model_invoke") == (
        "HardFault at pc=0x00000122 in hb_model_invoke (cfsr=0x00010000 hfsr=0x40000000: "
        "UNDEFINSTR, FORCED) during input 0")
    with pytest.raises(RunError, match="firmware stopped with HardFault at pc=0x00000122"):
        report.check(1, 3, "t")
    outside = parse_console("HB_FAULT IRQ5 pc=0x10 cfsr=0x0 hfsr=0x0 input=4294967295\n")
    assert outside.fault is not None and outside.fault.input is None
    assert outside.fault.describe().startswith("IRQ5 at pc=0x00000010")


def test_parse_budget_stop() -> None:
    report = parse_console("HB_BOOT n=3\nHB_RESULT 0 5 00\n\nHB_TIMEOUT 1 1000\n")
    assert report.budget is not None and (report.budget.input, report.budget.ticks) == (1, 1000)
    with pytest.raises(RunTimeoutError, match="budget .1000 ticks. during input 1"):
        report.check(3, 1, "t")


def test_parse_garbage() -> None:
    assert parse_console("") == parse_console("\x00\xff random\n\n   \n")
    noise = parse_console("hello\nHB_END\n")
    assert noise.ended and noise.results == []
    noise.check(0, 3, "t")
    bad_hex = parse_console("HB_RESULT 0 5 abc\nHB_END\n")
    with pytest.raises(RunError, match="malformed console line"):
        bad_hex.check(1, 2, "t")
    duplicate = parse_console("HB_RESULT 0 5 ab\nHB_RESULT 0 5 ab\nHB_END\n")
    assert duplicate.malformed == ["HB_RESULT 0 5 ab"]
    unknown = parse_console("HB_WHATEVER 1\nHB_END\n")
    assert unknown.malformed == ["HB_WHATEVER 1"]


def test_parse_result_checks() -> None:
    short = parse_console("HB_RESULT 0 5 ab\nHB_END\n")
    with pytest.raises(RunError, match="result 0 holds 1 output bytes, expected 2"):
        short.check(1, 2, "t")
    gap = parse_console("HB_RESULT 1 5 ab\nHB_END\n")
    with pytest.raises(RunError, match=r"expected results for inputs 0..1"):
        gap.check(2, 1, "t")
    # nothing after HB_END counts
    after = parse_console("HB_RESULT 0 5 ab\nHB_END\nHB_FAULT HardFault pc=0x0\n")
    assert after.fault is None
    after.check(1, 1, "t")


def test_describe_cfsr() -> None:
    assert describe_cfsr(0x8200, 0x40000000) == "PRECISERR, BFARVALID, FORCED"
    assert describe_cfsr(0) == "no status bits"


# ---- building images (arm-none-eabi-gcc) -------------------------------------------------


@pytest.mark.sim
@needs_arm
def test_build_then_relink_without_sources(tmp_path: Path, an386: Target) -> None:
    model = write_model(tmp_path / "model")
    built = build_firmware(model, an386)
    m = built.metrics
    assert built.path.name == "firmware.elf" and built.path.is_file()
    assert 0 < m["flash_bytes"].value < m["firmware_flash_bytes"].value < 16 * 1024
    assert m["firmware_ram_bytes"].value >= 32768  # the reserved stack
    assert all(metric.provenance == "static-analysis" for metric in m.values())
    assert (built.path.parent / "src" / "hb_firmware.o").is_file()
    assert any("-r" in c.argv for c in built.commands)          # the partial link
    assert any("-include" in c.argv for c in built.commands)    # the markers
    shutil.rmtree(tmp_path / "model")                           # as bench.py does
    x = np.arange(64, dtype=np.uint8).reshape(2, 32)
    image = link_firmware(built, pack_samples([x]), 2)
    assert image.path != built.path and image.path.is_file()
    src = (image.path.parent / "src" / "inputs.c").read_text()
    assert "hb_inputs[2][32]" in src
    again = link_firmware(built, pack_samples([x]), 2)
    assert again.path == image.path and again.cache_hit
    assert inputs_per_firmware(built) > 100_000


@pytest.mark.sim
@needs_arm
def test_link_firmware_needs_a_built_image(tmp_path: Path, an386: Target) -> None:
    built = build_firmware(write_model(tmp_path / "model"), an386)
    built.path = tmp_path / "elsewhere" / "firmware.elf"
    with pytest.raises(BuildError, match="was not made by build_firmware"):
        link_firmware(built, b"", 0)


@pytest.mark.sim
@needs_arm
def test_too_large_for_flash(tmp_path: Path) -> None:
    tiny = variant_target(tmp_path, "tiny-flash", {"memory": {"flash_bytes": 1024}})
    with pytest.raises(ModelTooLargeError) as err:
        build_firmware(write_model(tmp_path / "model"), tiny)
    message = str(err.value)
    assert "model needs " in message and "KiB flash" in message
    assert "target tiny-flash has 1 KiB (1024 B)" in message
    assert "RAM" not in message


@pytest.mark.sim
@needs_arm
def test_too_large_for_ram(tmp_path: Path, an386: Target) -> None:
    with pytest.raises(ModelTooLargeError,
                       match=r"model needs 8\d\d\d KiB RAM \(\d+ B: .data, .bss with the arena, "
                             r"32768 B stack\), target mps2-an386 has 4096 KiB"):
        build_firmware(write_model(tmp_path / "model", "big-arena"), an386)


@pytest.mark.sim
@needs_arm
def test_too_many_inputs_for_flash(tmp_path: Path) -> None:
    small = variant_target(tmp_path, "small-flash", {"memory": {"flash_bytes": 16 * 1024}})
    built = build_firmware(write_model(tmp_path / "model", input_bytes=4096), small)
    fit = inputs_per_firmware(built)
    assert 1 <= fit < 4
    x = np.zeros((fit + 1, 4096), dtype=np.uint8)
    with pytest.raises(ModelTooLargeError, match=rf"firmware with {fit + 1} inputs of 4096 B "
                                                 r"needs \d+\.?\d* KiB flash"):
        link_firmware(built, pack_samples([x]), fit + 1)
    link_firmware(built, pack_samples([x[:fit]]), fit)


@pytest.mark.sim
@needs_arm
def test_stack_estimate_over_the_reserve(tmp_path: Path) -> None:
    target = variant_target(tmp_path, "no-stack", {"firmware": {"stack_bytes": 8}})
    with pytest.raises(ModelTooLargeError, match=r"stack .estimate from -fstack-usage., target "
                                                 r"no-stack reserves 8 B"):
        build_firmware(write_model(tmp_path / "model"), target)
