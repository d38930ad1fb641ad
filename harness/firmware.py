"""Bare-metal firmware for MCU-class targets (Cortex-M, RV32): build it, and read what it prints.

Shared by every backend that runs the generated C as a firmware image (QEMU, instruction-set
simulators, the Verilator RTL simulation, boards over a serial line). The runtime is in two
parts: `targets/mcu-common/` (the runner loop, console formatting, per-layer markers and the
console protocol, the same on every architecture; its README describes the protocol) and the
board folder `targets/<runtime>/` (start-up, UART, counter, budget, exit for one kind of
board: targets/cortex-m4, targets/rv32). This module turns a target's YAML into defines, a
linker script and a list of runtime sources.

    build_firmware(model, target, inputs=b"", n=0, budget_ticks=None) -> Artifact
        The ELF with `n` input records compiled in (inputs.c). Two cached steps:
          1. the model and the runtime compiled and partially linked (`ld -r`) into
             hb_firmware.o - independent of the inputs, so it is compiled once per model;
          2. inputs.c compiled and linked with hb_firmware.o and the generated linker script.
        n == 0 gives the image a backend's build() returns: the model, the runtime and room
        for one input record. Raises ModelTooLargeError (both sizes) when it does not fit.
    link_firmware(built, inputs, n) -> Artifact
        Step 2 alone, from the hb_firmware.o kept next to a built image: what run() calls
        (the generated sources are gone by then), cached by the content of inputs.c.
    inputs_per_firmware(artifact) -> int
        How many input records fit next to the program in flash (run() splits larger batches).
    parse_console(text) -> FirmwareReport
        The console lines (HB_BOOT / HB_RESULT / HB_INSTRET / HB_LAYER / HB_END / HB_FAULT /
        HB_TIMEOUT);
        FirmwareReport.check() raises RunError for a fault, a missing HB_END or bad results.

Target YAML, section `firmware:` (numbers may be written in hex):

    arch: cortex-m                      or riscv (the start-up file, linker script and memory
                                        layout; see ARCHES below)
    runtime: cortex-m4                  folder under targets/ with the board support
    flash_origin: 0x00000000            memory.flash_bytes / memory.ram_bytes give the sizes
    ram_origin: 0x20000000
    stack_bytes: 32768                  reserved at the bottom of RAM (MSP starts at its top)
    num_irqs: 32                        external interrupts in the vector table (32 or 64)
    uart: {kind: cmsdk-apb-uart, base: 0x40004000, clock_hz: 25000000, baud: 115200}
    counter: {kind: cmsdk-timer, base: 0x40000000, clock_hz: 25000000}   or {kind: dwt}
    budget: {kind: cmsdk-timer, base: 0x40001000, irq: 9}                or {kind: none}
    exit: semihosting                   or halt (boards without a debugger),
                                        or {kind: hb-soc, base: 0x10000004} (RV32 hb_soc)

Per architecture (ARCHES): `cortex-m` has separate flash and RAM (.data copied from flash at
start-up, vector table at the flash origin); `riscv` has one RAM (memory.ram_bytes at
firmware.ram_origin, memory.flash_bytes not used) holding code, data, .bss and the stack, in
that order, with the entry point at the origin. RV32 hb_soc, e.g. targets/rv32-base:

    arch: riscv
    runtime: rv32
    ram_origin: 0x00000000
    uart: {kind: hb-soc, base: 0x10000000}       the PUTCHAR register
    counter: {kind: mcycle}                      hb_cycles() = mcycle, hb_instret() = minstret
    budget: {kind: none}
    exit: {kind: hb-soc, base: 0x10000004}       the EXIT register

A counter with a retired-instruction count too (mcycle) makes the runner print HB_INSTRET
lines (-D HB_HAS_INSTRET=1).
"""
from __future__ import annotations

import dataclasses
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from .build import CBuild, Toolchain, build_c, footprint
from .commands import Command, execute, which
from .errors import (BuildError, ModelTooLargeError, RunError, RunTimeoutError,
                     TargetConfigError)
from .measure import Metric
from .mlperf_dut import firmware_model_id
from .targets import Target, targets_dir

if TYPE_CHECKING:
    from .backends.base import Artifact
    from .codegen import GeneratedModel

__all__ = [
    "FirmwareConfig",
    "FirmwareReport",
    "InputResult",
    "Fault",
    "BudgetStop",
    "ElfMemory",
    "build_firmware",
    "link_firmware",
    "inputs_per_firmware",
    "parse_console",
    "linker_script",
    "inputs_source",
    "firmware_defines",
    "runtime_sources",
    "elf_memory",
    "describe_cfsr",
    "symbol_at",
]

REPO_TARGETS = Path(__file__).resolve().parent.parent / "targets"

# Output sections of the generated linker script by the memory they occupy: every loaded
# section is in flash (.isr_vector, .text, .rodata, .ARM.extab, .ARM.exidx and .data's initial
# values); RAM holds .stack, .data and .bss.
RAM_ONLY_SECTIONS = (".stack", ".bss")
LOADED_SECTIONS = (".data",)
_NOT_LOADED = (".comment", ".ARM.attributes", ".debug", ".stab", ".symtab", ".strtab",
               ".shstrtab")

# Size the regions get when the real ones overflow, to measure how much is needed.
_MEASURE_BYTES = 0x10000000

# Board files by kind: looked up in the board folder (firmware.runtime), then in mcu-common.
_UART_FILES = {"cmsdk-apb-uart": "uart_cmsdk.c", "hb-soc": "uart_hb_soc.c"}
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
_UARTS_WITH_RX = ("cmsdk-apb-uart",)
RESULTS_SOURCE = "hb_results.c"


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


# ---------------------------------------------------------------------------------------
# Configuration from target.yaml


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

    @property
    def unified(self) -> bool:
        """One RAM for code, data and stack (riscv); flash_bytes == ram_bytes then."""
        return ARCHES[self.arch].unified

    @classmethod
    def from_target(cls, target: Target) -> FirmwareConfig:
        where = f"{target.folder / 'target.yaml'}"
        fw = target.options.get("firmware")
        if not isinstance(fw, dict):
            raise TargetConfigError(f"{where}: a firmware target needs a 'firmware:' section "
                                    "(see harness/firmware.py)")
        arch = str(fw.get("arch", "cortex-m"))
        if arch not in ARCHES:
            raise TargetConfigError(f"{where}: firmware.arch must be one of "
                                    f"{', '.join(sorted(ARCHES))}, got {arch!r}")
        unified = ARCHES[arch].unified
        if target.ram_bytes is None or (target.flash_bytes is None and not unified):
            raise TargetConfigError(
                f"{where}: memory.ram_bytes is needed to link a firmware" if unified else
                f"{where}: memory.flash_bytes and memory.ram_bytes are needed to link a "
                "firmware")

        def section(key: str, kinds: Mapping[str, str], default: str | None = None
                    ) -> dict[str, Any]:
            value = fw.get(key, {"kind": default} if default else None)
            if isinstance(value, str):
                value = {"kind": value}
            if not isinstance(value, dict) or value.get("kind") not in kinds:
                raise TargetConfigError(
                    f"{where}: firmware.{key}.kind must be one of {', '.join(sorted(kinds))}, "
                    f"got {value!r}")
            return dict(value)

        uart = section("uart", _UART_FILES)
        counter = section("counter", _COUNTER_FILES)
        budget = section("budget", _BUDGET_FILES, "none")
        exit_section = fw.get("exit", "semihosting")
        exit_section = exit_section if isinstance(exit_section, dict) else {"kind": exit_section}
        exit_kind = str(exit_section.get("kind"))
        if exit_kind not in _EXIT_FILES:
            raise TargetConfigError(f"{where}: firmware.exit must be one of "
                                    f"{', '.join(sorted(_EXIT_FILES))}, got {exit_kind!r}")
        if exit_kind == "hb-soc" and "base" not in exit_section:
            raise TargetConfigError(f"{where}: missing firmware.exit.base (the EXIT register)")
        required = [("uart", "base")]
        if counter["kind"] == "cmsdk-timer":
            required.append(("counter", "base"))
        if budget["kind"] == "cmsdk-timer":
            required += [("budget", "base"), ("budget", "irq")]
        sections = {"uart": uart, "counter": counter, "budget": budget}
        missing = [f"firmware.{sec}.{key}" for sec, key in required if key not in sections[sec]]
        if missing:
            raise TargetConfigError(f"{where}: missing {', '.join(missing)}")
        num_irqs = fw.get("num_irqs", 32)
        if num_irqs not in (32, 64):
            raise TargetConfigError(f"{where}: firmware.num_irqs must be 32 or 64")
        inputs_mode = str(fw.get("inputs", "compiled"))
        if inputs_mode not in _RUNNERS:
            raise TargetConfigError(f"{where}: firmware.inputs must be one of "
                                    f"{', '.join(sorted(_RUNNERS))}, got {inputs_mode!r}")
        if inputs_mode == "stream" and uart["kind"] not in _UARTS_WITH_RX:
            raise TargetConfigError(f"{where}: firmware.inputs: stream needs a UART that "
                                    f"receives ({', '.join(_UARTS_WITH_RX)}), not "
                                    f"{uart['kind']}")
        try:
            return cls(
                target_name=target.name,
                runtime=_runtime_folder(target, str(fw.get("runtime", "cortex-m4")),
                                        ARCHES[arch].startup),
                common=_runtime_folder(target, COMMON_RUNTIME, "runner.c"),
                arch=arch,
                flash_origin=int(fw.get("flash_origin", fw.get("ram_origin", 0) if unified
                                        else 0)),
                flash_bytes=int(target.ram_bytes if unified else target.flash_bytes),
                ram_origin=int(fw.get("ram_origin", 0 if unified else 0x20000000)),
                ram_bytes=int(target.ram_bytes),
                stack_bytes=int(fw.get("stack_bytes", 16384)),
                num_irqs=num_irqs,
                uart=uart,
                counter=counter,
                budget=budget,
                exit=exit_kind,
                exit_base=int(exit_section["base"]) if "base" in exit_section else None,
                inputs=inputs_mode,
            )
        except (TypeError, ValueError) as exc:
            raise TargetConfigError(f"{where}: firmware: {exc}") from None

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
    for base in (target.folder.parent, targets_dir(), REPO_TARGETS):
        folder = base / name
        if (folder / marker).is_file():
            return folder.resolve()
    raise TargetConfigError(f"target {target.name}: firmware runtime {name!r} not found "
                            f"(looked for {name}/{marker} next to the target and in "
                            f"{REPO_TARGETS})")


# ---------------------------------------------------------------------------------------
# Generated files and flags (pure functions: tested without tools)


def linker_script(cfg: FirmwareConfig, flash_bytes: int | None = None,
                  ram_bytes: int | None = None) -> str:
    """GNU ld script for the target's memory map (cortex-m: split flash/RAM; riscv: one
    RAM, see riscv_linker_script)."""
    if cfg.unified:
        return riscv_linker_script(cfg, ram_bytes)
    return cortex_m_linker_script(cfg, flash_bytes, ram_bytes)


def cortex_m_linker_script(cfg: FirmwareConfig, flash_bytes: int | None = None,
                           ram_bytes: int | None = None) -> str:
    """GNU ld script for the target's memory map. The stack is reserved at the bottom of
    RAM (an overflow leaves RAM instead of corrupting .data/.bss), then .data and .bss.
    Section placement does not depend on the region lengths, so a script with larger
    regions (used to measure an image that does not fit) lays out the same addresses."""
    flash = cfg.flash_bytes if flash_bytes is None else flash_bytes
    ram = cfg.ram_bytes if ram_bytes is None else ram_bytes
    return f"""\
/* Generated by hilbench (harness/firmware.py) for target {cfg.target_name}. */
ENTRY(Reset_Handler)

MEMORY
{{
    FLASH (rx)  : ORIGIN = 0x{cfg.flash_origin:08x}, LENGTH = {flash}
    RAM   (rwx) : ORIGIN = 0x{cfg.ram_origin:08x}, LENGTH = {ram}
}}

SECTIONS
{{
    .isr_vector :
    {{
        KEEP(*(.isr_vector))
    }} > FLASH

    .text : ALIGN(4)
    {{
        *(.text .text.*)
        *(.glue_7) *(.glue_7t) *(.vfp11_veneer) *(.v4_bx) *(.iplt)
    }} > FLASH

    .rodata : ALIGN(4)
    {{
        *(.rodata .rodata.*)
        KEEP(*(.preinit_array*)) KEEP(*(.init_array*)) KEEP(*(.fini_array*))
        KEEP(*(.init)) KEEP(*(.fini))
        . = ALIGN(4);
    }} > FLASH

    .ARM.extab : {{ *(.ARM.extab* .gnu.linkonce.armextab.*) }} > FLASH
    .ARM.exidx :
    {{
        __exidx_start = .;
        *(.ARM.exidx* .gnu.linkonce.armexidx.*)
        __exidx_end = .;
    }} > FLASH

    .stack (NOLOAD) : ALIGN(8)
    {{
        __stack_bottom = .;
        . = . + {cfg.stack_bytes};
        . = ALIGN(8);
        __stack_top = .;
    }} > RAM

    .data : ALIGN(4)
    {{
        __data_start = .;
        *(.data .data.*)
        . = ALIGN(4);
        __data_end = .;
    }} > RAM AT > FLASH
    __data_load = LOADADDR(.data);

    .bss (NOLOAD) : ALIGN(4)
    {{
        __bss_start = .;
        *(.bss .bss.* COMMON)
        . = ALIGN(4);
        __bss_end = .;
    }} > RAM

    end = .;
    _end = .;
}}
"""


def riscv_linker_script(cfg: FirmwareConfig, ram_bytes: int | None = None) -> str:
    """GNU ld script for a RISC-V board with one RAM (hb_soc): .text (start-up first, at the
    origin: the reset pc), .rodata, .data (with the small-data sections and gp), .bss, then
    the reserved stack at the end (sp starts at __stack_top). Everything is loaded in place
    (no copy of .data). Placement does not depend on the length (measuring script)."""
    ram = cfg.ram_bytes if ram_bytes is None else ram_bytes
    return f"""\
/* Generated by hilbench (harness/firmware.py) for target {cfg.target_name}. */
OUTPUT_ARCH(riscv)
ENTRY(_start)

MEMORY
{{
    RAM (rwx) : ORIGIN = 0x{cfg.ram_origin:08x}, LENGTH = {ram}
}}

SECTIONS
{{
    .text :
    {{
        KEEP(*(.text.init))
        *(.text .text.*)
    }} > RAM

    .rodata : ALIGN(4)
    {{
        *(.rodata .rodata.* .srodata .srodata.*)
        KEEP(*(.preinit_array*)) KEEP(*(.init_array*)) KEEP(*(.fini_array*))
        . = ALIGN(4);
    }} > RAM

    .data : ALIGN(4)
    {{
        __data_start = .;
        *(.data .data.*)
        __global_pointer$ = . + 0x800;
        *(.sdata .sdata.*)
        . = ALIGN(4);
        __data_end = .;
    }} > RAM

    .bss (NOLOAD) : ALIGN(4)
    {{
        __bss_start = .;
        *(.sbss .sbss.* .bss .bss.* COMMON)
        . = ALIGN(4);
        __bss_end = .;
    }} > RAM

    .stack (NOLOAD) : ALIGN(16)
    {{
        __stack_bottom = .;
        . = . + {cfg.stack_bytes};
        . = ALIGN(16);
        __stack_top = .;
    }} > RAM

    end = .;
    _end = .;

    /DISCARD/ : {{ *(.comment) *(.note*) *(.riscv.attributes) *(.eh_frame*) }}
}}
"""


def inputs_source(data: bytes, n: int, record_bytes: int) -> str:
    """inputs.c: `hb_inputs[N][record_bytes]` (N = max(n, 1): with no input, one zero record
    keeps the array declarable and the image the size of a one-input run) and
    `hb_num_inputs = n`."""
    if record_bytes <= 0:
        raise ValueError(f"input records must have at least one byte, not {record_bytes}")
    if len(data) != n * record_bytes:
        raise ValueError(f"{len(data)} input bytes are not {n} records of {record_bytes}")
    rows = max(n, 1)
    body = data if n else bytes(record_bytes)
    lines = [
        "/* Inputs of one firmware run. Generated by hilbench (harness/firmware.py). */",
        "#include <stdint.h>",
        "",
        f"const uint32_t hb_num_inputs = {n}u;",
        "",
        f"const uint8_t hb_inputs[{rows}][{record_bytes}] "
        f"__attribute__((aligned({INPUTS_ALIGN}))) = {{",
    ]
    for r in range(rows):
        record = body[r * record_bytes:(r + 1) * record_bytes]
        lines.append("    {")
        for i in range(0, record_bytes, 24):
            lines.append("        " + ", ".join(f"0x{b:02x}" for b in record[i:i + 24]) + ",")
        lines.append("    },")
    lines += ["};", ""]
    return "\n".join(lines)


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
    shared files, then the board pieces the YAML selects (each from the board folder, else
    from mcu-common)."""
    names = [ARCHES[cfg.arch].startup, *_COMMON_FILES, _RUNNERS[cfg.inputs],
             _UART_FILES[cfg.uart["kind"]],
             _COUNTER_FILES[cfg.counter["kind"]], _BUDGET_FILES[cfg.budget["kind"]],
             _EXIT_FILES[cfg.exit]]
    paths = []
    for name in names:
        own = cfg.runtime / name
        paths.append(own if own.is_file() else cfg.common / name)
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise TargetConfigError(f"firmware runtime {cfg.runtime} (with {cfg.common}) lacks "
                                f"{', '.join(missing)}")
    return paths


# ---------------------------------------------------------------------------------------
# Memory read back from the ELF


@dataclass(frozen=True)
class ElfMemory:
    """What a linked image occupies: flash = code, constants and .data's initial values;
    ram = .data + .bss + the reserved stack."""

    flash: int
    ram: int
    stack_reserved: int
    sections: dict[str, int]

    @property
    def total(self) -> int:
        """Bytes of one memory holding everything (unified layout): .data counted once."""
        return self.flash + self.ram - sum(self.sections.get(n, 0) for n in LOADED_SECTIONS)

    def fits(self, cfg: FirmwareConfig) -> bool:
        if cfg.unified:
            return self.total <= cfg.ram_bytes
        return self.flash <= cfg.flash_bytes and self.ram <= cfg.ram_bytes


_SIZE_LINE = re.compile(r"^(\.\S+)\s+(\d+)\s+(\d+)\s*$")


def elf_memory(tc: Toolchain, elf: Path) -> tuple[ElfMemory, Command]:
    """Sections of a linked image from `size -A`, summed by the memory they occupy."""
    cmd = Command((tc.size, "-A", str(elf)))
    out = execute(cmd, error=BuildError).stdout
    sections: dict[str, int] = {}
    for line in out.splitlines():
        m = _SIZE_LINE.match(line.strip())
        if m and not m.group(1).startswith(_NOT_LOADED):
            sections[m.group(1)] = sections.get(m.group(1), 0) + int(m.group(2))
    flash = sum(size for name, size in sections.items() if name not in RAM_ONLY_SECTIONS)
    ram = sum(sections.get(name, 0) for name in (*RAM_ONLY_SECTIONS, *LOADED_SECTIONS))
    return ElfMemory(flash, ram, sections.get(".stack", 0), sections), cmd


def _kib(nbytes: int) -> str:
    kib = nbytes / 1024
    return f"{kib:.0f} KiB" if kib >= 100 or kib == int(kib) else f"{kib:.1f} KiB"


def _too_large(cfg: FirmwareConfig, mem: ElfMemory, what: str) -> ModelTooLargeError:
    if cfg.unified:
        return ModelTooLargeError(
            f"{what} needs {_kib(mem.total)} RAM ({mem.total} B: code, constants, .data, .bss "
            f"with the arena, {mem.stack_reserved} B stack), target {cfg.target_name} has "
            f"{_kib(cfg.ram_bytes)} ({cfg.ram_bytes} B)")
    parts = []
    if mem.flash > cfg.flash_bytes:
        parts.append(f"{what} needs {_kib(mem.flash)} flash ({mem.flash} B: code, constants "
                     f"and .data), target {cfg.target_name} has {_kib(cfg.flash_bytes)} "
                     f"({cfg.flash_bytes} B)")
    if mem.ram > cfg.ram_bytes:
        parts.append(f"{what} needs {_kib(mem.ram)} RAM ({mem.ram} B: .data, .bss with the "
                     f"arena, {mem.stack_reserved} B stack), target {cfg.target_name} has "
                     f"{_kib(cfg.ram_bytes)} ({cfg.ram_bytes} B)")
    if not parts:
        parts.append(f"{what} does not fit target {cfg.target_name} (flash {mem.flash} of "
                     f"{cfg.flash_bytes} B, RAM {mem.ram} of {cfg.ram_bytes} B)")
    return ModelTooLargeError("; ".join(parts))


# ---------------------------------------------------------------------------------------
# Building


def results_source(model: GeneratedModel) -> str:
    """hb_results.c of a streaming firmware: `hb_put_results(output)` prints the model's
    output as the MLPerf Tiny runner reads it, comma-separated values with 3 decimals (int8
    and uint8 outputs dequantised with their scale and zero point, float32 as they are; any
    other output: its bytes as unsigned numbers)."""
    outputs = model.graph.output_tensors() if model.graph is not None else []
    head = ["/* The output as numbers for m-results. Generated by hilbench (harness/firmware.py). */",
            "#include <stdint.h>", "", '#include "hb_board.h"', "",
            "static void put_milli(float x)", "{",
            "    int32_t m = (int32_t)(x >= 0.0f ? x * 1000.0f + 0.5f : x * 1000.0f - 0.5f);",
            "    if (m < 0) {", "        hb_uart_putc('-');", "        m = -m;", "    }",
            "    hb_put_u32((uint32_t)m / 1000u);", "    hb_uart_putc('.');",
            "    hb_uart_putc((char)('0' + (uint32_t)m / 100u % 10u));",
            "    hb_uart_putc((char)('0' + (uint32_t)m / 10u % 10u));",
            "    hb_uart_putc((char)('0' + (uint32_t)m % 10u));", "}", ""]
    body = ["void hb_put_results(const uint8_t *output)", "{"]
    single = len(outputs) == 1 and outputs[0].dtype in ("int8", "uint8", "float32")
    if single:
        t = outputs[0]
        count = model.output_bytes // (4 if t.dtype == "float32" else 1)
        body.append(f"    for (uint32_t i = 0; i < {count}u; i++) {{")
        body.append("        if (i != 0u) {\n            hb_uart_putc(',');\n        }")
        if t.dtype == "float32":
            body.append("        put_milli(((const float *)(const void *)output)[i]);")
        else:
            scale = t.quant.scale[0] if t.quant is not None else 1.0
            zero = t.quant.zero_point[0] if t.quant is not None else 0
            ctype = "int8_t" if t.dtype == "int8" else "uint8_t"
            body.append(f"        put_milli((float)((int32_t)(({ctype} const *)output)[i] - "
                        f"({zero})) * {float(scale)!r}f);")
        body.append("    }")
    else:
        body.append(f"    for (uint32_t i = 0; i < {model.output_bytes}u; i++) {{")
        body.append("        if (i != 0u) {\n            hb_uart_putc(',');\n        }")
        body.append("        hb_put_u32(output[i]);")
        body.append("    }")
    return "\n".join(head + body + ["}", ""])


def stream_defines(cfg: FirmwareConfig, target: Target, model: GeneratedModel) -> tuple[str, ...]:
    """The -D flags of runner_mlperf.c: the counter's frequency (for m-lap-us) and the model
    name it reports (m-model-[...], which the EEMBC runner uses to find its input files)."""
    hz = cfg.counter_hz(None) or target.clock_hz
    if not hz:
        raise TargetConfigError(f"target {cfg.target_name}: firmware.inputs: stream needs the "
                                "counter's frequency (firmware.counter.clock_hz or clock_hz)")
    safe = firmware_model_id(target.options.get("firmware", {}).get("model_id"), model.source)
    return (f"-DHB_COUNTER_HZ={int(hz)}u", f'-DHB_MODEL_ID="{safe}"')


def _compile_step(model: GeneratedModel, target: Target, cfg: FirmwareConfig, tc: Toolchain,
                  budget_ticks: int | None) -> CBuild:
    """Model + runtime compiled, partially linked into hb_firmware.o (no libraries yet)."""
    defines = firmware_defines(cfg, budget_ticks)
    runtime = runtime_sources(cfg)
    if cfg.inputs != "stream":
        return _compile_objects(model, cfg, tc, defines, runtime)
    with tempfile.TemporaryDirectory(prefix="hilbench-fw-") as tmp:
        results_c = Path(tmp) / RESULTS_SOURCE
        results_c.write_text(results_source(model))
        return _compile_objects(model, cfg, tc, (*defines, *stream_defines(cfg, target, model)),
                                [*runtime, results_c])


def _compile_objects(model: GeneratedModel, cfg: FirmwareConfig, tc: Toolchain,
                     defines: Sequence[str], runtime: Sequence[Path]) -> CBuild:
    return build_c(
        "firmware-objects",
        dataclasses.replace(tc, ldflags=()),
        model.sources,
        list(runtime),
        [model.out_dir, *model.include_dirs, cfg.runtime, cfg.common],
        OBJECTS_NAME,
        extra_cflags=(*defines, "-include", MARKERS_HEADER),
        extra_ldflags=("-r", "-nostdlib"),
    )


def _link_step(objects: Path, tc: Toolchain, inputs_c: Path, script: Path) -> CBuild:
    """inputs.c compiled and linked with hb_firmware.o, the libraries and `script`. The
    output folder's src/ keeps copies of hb_firmware.o and link.ld (build_c copies every
    input there), which is what link_firmware relinks from."""
    return build_c(
        "firmware",
        dataclasses.replace(tc, ldflags=()),
        [inputs_c],
        [],
        [],
        FIRMWARE_ELF,
        extra_ldflags=(f"src/{objects.name}", "-T", f"src/{script.name}",
                       "-Wl,-Map=firmware.map", *tc.ldflags),
        extra_files=(objects, script),
    )


def _link(target: Target, model: GeneratedModel, objects: Path, inputs: bytes, n: int,
          model_metrics: Mapping[str, Metric], commands: Sequence[Command], cache_hit: bool
          ) -> Artifact:
    from .backends.base import Artifact  # runtime import: backends import this module

    cfg = FirmwareConfig.from_target(target)
    tc = Toolchain.from_target(target)
    what = "model" if n == 0 else f"firmware with {n} inputs of {model.input_bytes} B"
    with tempfile.TemporaryDirectory(prefix="hilbench-fw-") as tmp:
        inputs_c = Path(tmp) / "inputs.c"
        inputs_c.write_text(inputs_source(inputs, n, model.input_bytes))
        script = Path(tmp) / LINKER_SCRIPT
        script.write_text(linker_script(cfg))
        try:
            linked = _link_step(objects, tc, inputs_c, script)
        except BuildError as exc:
            if "overflowed" not in str(exc):
                raise
            script.write_text(linker_script(cfg, _MEASURE_BYTES, _MEASURE_BYTES))
            measured = _link_step(objects, tc, inputs_c, script)
            mem, _ = elf_memory(tc, measured.output)
            raise _too_large(cfg, mem, what) from None
    mem, size_cmd = elf_memory(tc, linked.output)
    if not mem.fits(cfg):
        raise _too_large(cfg, mem, what)
    how = "size -A of the ELF"
    metrics = {
        **model_metrics,
        "firmware_flash_bytes": Metric(mem.flash, "B", "static-analysis",
                                       f"whole image incl. runtime, libc and {max(n, 1)} "
                                       f"input record(s): {how}"),
        "firmware_ram_bytes": Metric(mem.ram, "B", "static-analysis",
                                     f".data+.bss+{mem.stack_reserved} B reserved stack: "
                                     f"{how}"),
    }
    return Artifact(target, linked.output, model, [*commands, *linked.commands, size_cmd],
                    metrics, {"cc": tc.version()}, cache_hit and linked.cache_hit)


def build_firmware(model: GeneratedModel, target: Target, inputs: bytes = b"", n: int = 0,
                   *, budget_ticks: int | None = None) -> Artifact:
    """Compile `model` with the target's runtime and link an image with `n` input records
    (`inputs`, packed as backends.base.pack_samples does; n = 0: none, the image a
    backend's build() checks). `budget_ticks`: the per-inference budget in counter-timer
    ticks (targets with firmware.budget.kind cmsdk-timer; None = the maximum, 2^32-1).

    Artifact.metrics: flash_bytes / ram_bytes of the model's own objects (static analysis,
    comparable with other backends), firmware_flash_bytes / firmware_ram_bytes of the whole
    image (runtime, libc, inputs, reserved stack), stack_estimate_bytes and arena_bytes.
    Raises ModelTooLargeError when the image or the model's stack estimate does not fit."""
    cfg = FirmwareConfig.from_target(target)
    tc = Toolchain.from_target(target)
    objects = _compile_step(model, target, cfg, tc, budget_ticks)
    fp = footprint(tc, objects.model_objects)
    if fp.stack > cfg.stack_bytes:
        raise ModelTooLargeError(
            f"model needs about {fp.stack} B of stack (estimate from -fstack-usage), target "
            f"{cfg.target_name} reserves {cfg.stack_bytes} B (firmware.stack_bytes)")
    model_metrics = {
        "flash_bytes": Metric(fp.flash, "B", "static-analysis",
                              "text+rodata+data of the model's objects (size -A)"),
        "ram_bytes": Metric(fp.static_ram + fp.stack, "B", "static-analysis",
                            "data+bss (arena) of the model's objects + stack estimate "
                            "(-fstack-usage)"),
        "stack_estimate_bytes": Metric(fp.stack, "B", "static-analysis",
                                       "hb_model_invoke frame + deepest other frame "
                                       "(-fstack-usage)"),
        "arena_bytes": Metric(model.arena_bytes, "B", "static-analysis", "memory plan"),
    }
    return _link(target, model, objects.output, inputs, n, model_metrics, objects.commands,
                 objects.cache_hit)


def link_firmware(built: Artifact, inputs: bytes, n: int) -> Artifact:
    """Relink an image made by build_firmware with other inputs: no compiler run on the
    model (its generated sources may be gone), only inputs.c and the link."""
    objects = built.path.parent / "src" / OBJECTS_NAME
    if not objects.is_file():
        raise BuildError(f"{built.path} was not made by build_firmware ({objects} is missing; "
                         "was the build cache cleared?): build the model again")
    keep = ("flash_bytes", "ram_bytes", "stack_estimate_bytes", "arena_bytes")
    model_metrics = {k: built.metrics[k] for k in keep if k in built.metrics}
    return _link(built.target, built.model, objects, inputs, n, model_metrics, [], True)


def inputs_per_firmware(artifact: Artifact) -> int:
    """Input records that fit in flash (unified layout: in the one RAM) next to the program
    of an n=0 image (at least 1)."""
    cfg = FirmwareConfig.from_target(artifact.target)
    record = artifact.model.input_bytes
    if cfg.unified:
        mem, _ = elf_memory(Toolchain.from_target(artifact.target), artifact.path)
        used, room = mem.total, cfg.ram_bytes
    else:
        used = int(artifact.metrics["firmware_flash_bytes"].value)  # holds one record already
        room = cfg.flash_bytes
    free = room - used + record - 2 * INPUTS_ALIGN
    return max(1, free // record)


def symbol_at(target: Target, elf: Path, address: int) -> str | None:
    """Name of the function holding `address` (from `nm` next to the target's compiler)."""
    cc = Toolchain.from_target(target).cc
    nm = cc[: -len("gcc")] + "nm" if cc.endswith("gcc") else "nm"
    if which(nm) is None:
        return None
    done = execute(Command((nm, "-n", "--defined-only", str(elf))), check=False,
                   error=BuildError)
    best: tuple[int, str] | None = None
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[1] not in "tTwW":
            continue
        addr = int(parts[0], 16) & ~1
        if addr <= (address & ~1) and (best is None or addr >= best[0]):
            best = (addr, parts[2])
    return best[1] if best else None


# ---------------------------------------------------------------------------------------
# Console protocol


@dataclass(frozen=True)
class InputResult:
    index: int
    count: int          # counter units (timer ticks or cycles) around hb_model_invoke
    output: bytes


_CFSR_BITS = {
    0: "IACCVIOL", 1: "DACCVIOL", 3: "MUNSTKERR", 4: "MSTKERR", 5: "MLSPERR", 7: "MMARVALID",
    8: "IBUSERR", 9: "PRECISERR", 10: "IMPRECISERR", 11: "UNSTKERR", 12: "STKERR",
    13: "LSPERR", 15: "BFARVALID", 16: "UNDEFINSTR", 17: "INVSTATE", 18: "INVPC", 19: "NOCP",
    24: "UNALIGNED", 25: "DIVBYZERO",
}
_HFSR_BITS = {1: "VECTTBL", 30: "FORCED", 31: "DEBUGEVT"}


def describe_cfsr(cfsr: int, hfsr: int = 0) -> str:
    """The set fault-status bits by name, e.g. 'UNDEFINSTR, FORCED'."""
    names = [n for bit, n in _CFSR_BITS.items() if cfsr >> bit & 1]
    names += [n for bit, n in _HFSR_BITS.items() if hfsr >> bit & 1]
    return ", ".join(names) or "no status bits"


@dataclass(frozen=True)
class Fault:
    name: str                  # HardFault, BusFault, NMI, IRQ9, ...
    pc: int | None
    cfsr: int | None
    hfsr: int | None
    input: int | None          # index of the input being run, None outside an inference
    line: str

    def describe(self, symbol: str | None = None) -> str:
        text = self.name
        if self.pc is not None:
            text += f" at pc=0x{self.pc:08x}" + (f" in {symbol}" if symbol else "")
        if self.cfsr is not None and self.hfsr is not None:
            text += (f" (cfsr=0x{self.cfsr:08x} hfsr=0x{self.hfsr:08x}: "
                     f"{describe_cfsr(self.cfsr, self.hfsr)})")
        if self.input is not None:
            text += f" during input {self.input}"
        return text


@dataclass(frozen=True)
class BudgetStop:
    input: int
    ticks: int


@dataclass
class FirmwareReport:
    """What one firmware run printed."""

    boot: dict[str, int] = field(default_factory=dict)
    results: list[InputResult] = field(default_factory=list)
    layers: dict[int, int] = field(default_factory=dict)
    instret: dict[int, int] = field(default_factory=dict)  # HB_INSTRET, by input index
    ended: bool = False
    fault: Fault | None = None
    budget: BudgetStop | None = None
    malformed: list[str] = field(default_factory=list)   # HB_ lines that do not parse

    def outputs(self) -> bytes:
        return b"".join(r.output for r in sorted(self.results, key=lambda r: r.index))

    def counts(self) -> list[int]:
        return [r.count for r in sorted(self.results, key=lambda r: r.index)]

    def instructions(self) -> list[int]:
        """HB_INSTRET counts in input order (empty when the board printed none)."""
        return [self.instret[i] for i in sorted(self.instret)]

    def check(self, n: int, output_bytes: int, where: str, symbol: str | None = None) -> None:
        """Raise RunError unless the run ended normally with n well-formed results (a budget
        stop raises RunTimeoutError; callers that know the budget's unit may check
        `budget` first for a better message). `symbol`: the function at the fault's pc."""
        if self.fault is not None:
            raise RunError(f"{where}: firmware stopped with {self.fault.describe(symbol)}")
        if self.budget is not None:
            raise RunTimeoutError(
                f"{where}: firmware did not print HB_END: stopped by its per-inference budget "
                f"({self.budget.ticks} ticks) during input {self.budget.input}")
        if self.malformed:
            raise RunError(f"{where}: malformed console line(s): "
                           + "; ".join(repr(m[:120]) for m in self.malformed[:3]))
        if not self.ended:
            raise RunError(f"{where}: firmware did not print HB_END ({len(self.results)} of "
                           f"{n} results received)")
        indices = sorted(r.index for r in self.results)
        if indices != list(range(n)):
            raise RunError(f"{where}: expected results for inputs 0..{n - 1}, got "
                           f"{len(indices)} ({indices[:5]}...)")
        if self.boot.get("output_bytes", output_bytes) != output_bytes:
            raise RunError(f"{where}: firmware was built for {self.boot['output_bytes']} output "
                           f"bytes, the model has {output_bytes}")
        wrong = [r.index for r in self.results if len(r.output) != output_bytes]
        if wrong:
            raise RunError(f"{where}: result {wrong[0]} holds "
                           f"{len(self.results[wrong[0]].output)} output bytes, expected "
                           f"{output_bytes}")


_BOOT = re.compile(r"^HB_BOOT((?: \w+=\d+)*)$")
_RESULT = re.compile(r"^HB_RESULT (\d+) (\d+)(?: ((?:[0-9a-f]{2})*))?$")
_LAYER = re.compile(r"^HB_LAYER (\d+) (\d+)$")
_INSTRET = re.compile(r"^HB_INSTRET (\d+) (\d+)$")
_FAULT = re.compile(r"^HB_FAULT (\w+)((?: \w+=\w+)*)$")
_TIMEOUT = re.compile(r"^HB_TIMEOUT (\d+) (\d+)$")
_NO_INPUT = 0xFFFFFFFF


def _key_values(text: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in text.split())


def parse_console(text: str) -> FirmwareReport:
    """Parse the firmware's console. Lines not starting with HB_ are ignored (boot banners,
    simulator messages); HB_ lines that do not parse land in `malformed`. Parsing stops at
    HB_END, a HB_FAULT or a HB_TIMEOUT line."""
    report = FirmwareReport()
    seen: set[int] = set()
    for raw in text.replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line.startswith("HB_"):
            continue
        if line == "HB_END":
            report.ended = True
            break
        if m := _RESULT.match(line):
            index = int(m.group(1))
            if index in seen:
                report.malformed.append(line)
                continue
            seen.add(index)
            output = bytes.fromhex(m.group(3) or "")
            report.results.append(InputResult(index, int(m.group(2)), output))
        elif m := _LAYER.match(line):
            report.layers[int(m.group(1))] = int(m.group(2))
        elif m := _INSTRET.match(line):
            report.instret[int(m.group(1))] = int(m.group(2))
        elif m := _BOOT.match(line):
            report.boot = {k: int(v) for k, v in _key_values(m.group(1)).items()}
        elif m := _FAULT.match(line):
            fields = _key_values(m.group(2))

            def number(key: str) -> int | None:
                try:
                    return int(fields[key], 0)
                except (KeyError, ValueError):
                    return None

            current = number("input")
            report.fault = Fault(m.group(1), number("pc"), number("cfsr"), number("hfsr"),
                                 None if current in (None, _NO_INPUT) else current, line)
            break
        elif m := _TIMEOUT.match(line):
            report.budget = BudgetStop(int(m.group(1)), int(m.group(2)))
            break
        else:
            report.malformed.append(line)
    return report
