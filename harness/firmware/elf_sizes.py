"""What a linked image occupies, read back from the ELF (`size -A`), and the message when it
does not fit."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..build import Toolchain
from ..commands import Command, execute
from ..errors import BuildError, ModelTooLargeError
from .config import FirmwareConfig

__all__ = ["ElfMemory", "elf_memory", "too_large", "RAM_ONLY_SECTIONS", "LOADED_SECTIONS"]

# Output sections of the generated linker script by the memory they occupy: every loaded
# section is in flash (.isr_vector, .text, .rodata, .ARM.extab, .ARM.exidx and .data's initial
# values); RAM holds .stack, .data and .bss.
RAM_ONLY_SECTIONS = (".stack", ".bss")
LOADED_SECTIONS = (".data",)
_NOT_LOADED = (".comment", ".ARM.attributes", ".debug", ".stab", ".symtab", ".strtab",
               ".shstrtab")


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


def too_large(cfg: FirmwareConfig, mem: ElfMemory, what: str) -> ModelTooLargeError:
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
