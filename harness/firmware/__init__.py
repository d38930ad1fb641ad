"""Bare-metal firmware for MCU-class targets (Cortex-M, RV32): build it, and read what it prints.

Shared by every backend that runs the generated C as a firmware image (QEMU, instruction-set
simulators, the Verilator RTL simulation, boards over a serial line). The runtime is in two
parts: `targets/mcu-common/` (the runner loop, console formatting, per-layer markers and the
console protocol, the same on every architecture; its README describes the protocol) and the
board folder `targets/<runtime>/` (start-up, UART, counter, budget, exit for one kind of
board: targets/cortex-m4, targets/rv32). This package turns a target's YAML into defines, a
linker script and a list of runtime sources:

    config.py     FirmwareConfig (the checked `firmware:` section), -D flags, runtime files
    linker.py     the two GNU ld script templates (cortex-m, riscv)
    runner_c.py   generated C: inputs.c, hb_results.c (streaming firmware)
    elf_sizes.py  what a linked image occupies (size -A), the does-not-fit message
    build.py      build_firmware / link_firmware / inputs_per_firmware / symbol_at
    console.py    the console protocol (parse_console, FirmwareReport, faults)
    pio.py        PlatformIO Core offline: core folder, environment, local tool-scons
    pio_project.py  a streaming firmware as a PlatformIO project (platformio.ini, src/, link.ld)
    pio_build.py  `pio run` on that project in the build cache; flash-command placeholders

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

from .build import build_firmware, inputs_per_firmware, link_firmware, symbol_at
from .config import ARCHES, FirmwareConfig, firmware_defines, runtime_sources
from .console import BudgetStop, Fault, FirmwareReport, InputResult, describe_cfsr, parse_console
from .elf_sizes import ElfMemory, elf_memory
from .linker import linker_script
from .runner_c import inputs_source, results_source, stream_defines

__all__ = [
    "FirmwareConfig",
    "FirmwareReport",
    "InputResult",
    "Fault",
    "BudgetStop",
    "ElfMemory",
    "ARCHES",
    "build_firmware",
    "link_firmware",
    "inputs_per_firmware",
    "parse_console",
    "linker_script",
    "inputs_source",
    "results_source",
    "stream_defines",
    "firmware_defines",
    "runtime_sources",
    "elf_memory",
    "describe_cfsr",
    "symbol_at",
]
