"""The `firmware:` section of a target.yaml as the runtime needs it: which board files, which
addresses, which -D flags. The section is checked once by the schema
(harness/target_schema.py: FirmwareSpec); FirmwareConfig adds the memory sizes and finds the
runtime folders next to the target."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..errors import TargetConfigError
from ..paths import TARGETS_DIR
from ..targets import Target, targets_dir

__all__ = ["FirmwareConfig", "Arch", "ARCHES", "firmware_defines", "runtime_sources"]

# Board files by kind: looked up in the board folder (firmware.runtime), then in mcu-common.
_UART_FILES = {"cmsdk-apb-uart": "uart_cmsdk.c", "hb-soc": "uart_hb_soc.c",
               "stm32-lpuart": "uart_stm32_lpuart.c", "nrf-uart": "uart_nrf_uart.c"}
_COUNTER_FILES = {"cmsdk-timer": "counter_cmsdk_timer.c", "dwt": "counter_dwt.c",
                  "mcycle": "counter_mcycle.c"}
_BUDGET_FILES = {"cmsdk-timer": "budget_cmsdk_timer.c", "none": "budget_none.c"}
_EXIT_FILES = {"semihosting": "exit_semihosting.c", "halt": "exit_halt.c",
               "hb-soc": "exit_hb_soc.c"}
# Counters that also count retired instructions (hb_instret(), HB_INSTRET lines).
_COUNTERS_WITH_INSTRET = ("mcycle",)
# The shared runtime: targets/mcu-common (runner loop, console, markers, console protocol).
COMMON_RUNTIME = "mcu-common"
_COMMON_FILES = ("console.c", "markers.c")
# The main loop by firmware.inputs: inputs compiled into the image, or streamed over the
# serial line with the MLPerf Tiny device protocol.
_RUNNERS = {"compiled": "runner.c", "stream": "runner_mlperf.c"}
# A board folder (firmware.board) holds what one board adds to its runtime: board_init.c
# (clocks, pins; hb_board_init, called by the start-up before main) and its own pieces.
BOARD_INIT = "board_init.c"


@dataclass(frozen=True)
class Arch:
    """What differs between processor families: the start-up file (in the board folder) and
    the memory layout (`unified`: code, data and stack in one RAM, memory.ram_bytes)."""

    startup: str
    unified: bool


ARCHES: dict[str, Arch] = {
    "cortex-m": Arch("startup.c", unified=False),
    "riscv": Arch("startup.S", unified=True),
}

MARKERS_HEADER = "hb_markers.h"
OBJECTS_NAME = "hb_firmware.o"     # model + runtime, partially linked
LINKER_SCRIPT = "link.ld"
FIRMWARE_ELF = "firmware.elf"

INPUTS_ALIGN = 16


@dataclass(frozen=True)
class FirmwareConfig:
    """The `firmware:` section of a target.yaml, with the memory sizes of `memory:`."""

    target_name: str
    runtime: Path
    common: Path
    arch: str
    flash_origin: int
    flash_bytes: int
    ram_origin: int
    ram_bytes: int
    stack_bytes: int
    num_irqs: int
    uart: Mapping[str, Any]
    counter: Mapping[str, Any]
    budget: Mapping[str, Any]
    exit: str
    exit_base: int | None = None
    inputs: str = "compiled"          # or "stream": the MLPerf Tiny protocol (runner_mlperf.c)
    board: Path | None = None         # board files preferred to the runtime's (firmware.board)

    @property
    def unified(self) -> bool:
        """One RAM for code, data and stack (riscv); flash_bytes == ram_bytes then."""
        return ARCHES[self.arch].unified

    @classmethod
    def from_target(cls, target: Target) -> FirmwareConfig:
        """The target's checked `firmware:` section (harness/target_schema.py) as the runtime
        needs it: memory sizes from `memory:`, origins defaulted by arch, runtime folders
        found."""
        spec = target.spec
        fw = spec.firmware if spec is not None else None
        if fw is None:
            raise TargetConfigError(f"{target.folder / 'target.yaml'}: firmware: missing (a "
                                    "firmware target needs a 'firmware:' section, see "
                                    "harness/firmware/config.py)")
        unified = ARCHES[fw.arch].unified
        ram = target.ram_bytes
        flash = ram if unified else target.flash_bytes
        if ram is None or flash is None:
            raise TargetConfigError(f"{target.folder / 'target.yaml'}: memory.ram_bytes"
                                    + ("" if unified else " and memory.flash_bytes")
                                    + ": missing (needed to link a firmware)")
        ram_origin = fw.ram_origin if fw.ram_origin is not None else (
            0 if unified else 0x20000000)
        flash_origin = fw.flash_origin if fw.flash_origin is not None else (
            ram_origin if unified else 0)
        return cls(
            target_name=target.name,
            runtime=_runtime_folder(target, fw.runtime, ARCHES[fw.arch].startup),
            common=_runtime_folder(target, COMMON_RUNTIME, "runner.c"),
            arch=fw.arch,
            flash_origin=flash_origin,
            flash_bytes=flash,
            ram_origin=ram_origin,
            ram_bytes=ram,
            stack_bytes=fw.stack_bytes,
            num_irqs=fw.num_irqs,
            uart=fw.uart.model_dump(exclude_none=True),
            counter=fw.counter.model_dump(exclude_none=True),
            budget=fw.budget.model_dump(exclude_none=True),
            exit=fw.exit.kind,
            exit_base=fw.exit.base,
            inputs=fw.inputs,
            board=_runtime_folder(target, fw.board, BOARD_INIT) if fw.board else None,
        )

    @property
    def has_instret(self) -> bool:
        """The counter also counts retired instructions (HB_INSTRET lines)."""
        return self.counter["kind"] in _COUNTERS_WITH_INSTRET

    def counter_hz(self, default: int | None) -> int | None:
        """The counter's clock, when it is a timer (None for DWT / mcycle: core cycles)."""
        if self.counter["kind"] in ("dwt", "mcycle"):
            return None
        hz = self.counter.get("clock_hz", default)
        return int(hz) if hz else None


def _runtime_folder(target: Target, name: str, marker: str) -> Path:
    """The runtime folder `name` (holding `marker`) next to the target or under targets/."""
    for base in (target.folder.parent, targets_dir(), TARGETS_DIR):
        folder = base / name
        if (folder / marker).is_file():
            return folder.resolve()
    raise TargetConfigError(f"target {target.name}: firmware runtime {name!r} not found "
                            f"(looked for {name}/{marker} next to the target and in "
                            f"{TARGETS_DIR})")


def firmware_defines(cfg: FirmwareConfig, budget_ticks: int | None) -> tuple[str, ...]:
    """The -D flags that bind the runtime to the target's addresses and clocks."""
    flags = [f"-DHB_UART_BASE=0x{int(cfg.uart['base']):08x}u"]
    if not cfg.unified:
        flags.insert(0, f"-DHB_NUM_IRQS={cfg.num_irqs}")
    if "clock_hz" in cfg.uart:
        flags.append(f"-DHB_UART_CLOCK_HZ={int(cfg.uart['clock_hz'])}u")
    if "baud" in cfg.uart:
        flags.append(f"-DHB_UART_BAUD={int(cfg.uart['baud'])}u")
    if cfg.counter["kind"] == "cmsdk-timer":
        flags.append(f"-DHB_COUNTER_BASE=0x{int(cfg.counter['base']):08x}u")
    if cfg.has_instret:
        flags.append("-DHB_HAS_INSTRET=1")
    if cfg.exit_base is not None:
        flags.append(f"-DHB_EXIT_BASE=0x{cfg.exit_base:08x}u")
    if cfg.budget["kind"] == "cmsdk-timer":
        ticks = budget_ticks if budget_ticks is not None else 0xFFFFFFFF
        if not 1 <= ticks <= 0xFFFFFFFF:
            raise TargetConfigError(f"target {cfg.target_name}: a budget of {ticks} timer "
                                    "ticks per inference does not fit the 32-bit timer")
        flags += [f"-DHB_BUDGET_TIMER_BASE=0x{int(cfg.budget['base']):08x}u",
                  f"-DHB_BUDGET_TIMER_IRQ={int(cfg.budget['irq'])}u",
                  f"-DHB_BUDGET_TICKS={ticks}u"]
    return tuple(flags)


def runtime_sources(cfg: FirmwareConfig) -> list[Path]:
    """The runtime's source files for this target, in link order: the board's start-up, the
    shared files, then the board pieces the YAML selects (each from firmware.board's folder,
    else the runtime folder, else mcu-common), then the board's board_init.c."""
    names = [ARCHES[cfg.arch].startup, *_COMMON_FILES, _RUNNERS[cfg.inputs],
             _UART_FILES[cfg.uart["kind"]],
             _COUNTER_FILES[cfg.counter["kind"]], _BUDGET_FILES[cfg.budget["kind"]],
             _EXIT_FILES[cfg.exit]]
    if cfg.board is not None:
        names.append(BOARD_INIT)
    folders = [f for f in (cfg.board, cfg.runtime) if f is not None]
    paths = []
    for name in names:
        own = [folder / name for folder in folders if (folder / name).is_file()]
        paths.append(own[0] if own else cfg.common / name)
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise TargetConfigError(f"firmware runtime {cfg.runtime} (with {cfg.common}) lacks "
                                f"{', '.join(missing)}")
    return paths


