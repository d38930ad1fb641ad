"""Reading a 32-bit little-endian ARM ELF executable with `struct`: the loadable segments
(placed at their physical addresses, like QEMU's loader), the symbols and the ARM mapping
symbols ($t code, $d data) that tell where Thumb code is.
"""
from __future__ import annotations

import struct
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RunError

__all__ = ["Segment", "Symbol", "ElfImage", "read_elf"]

_PT_LOAD = 1
_SHT_SYMTAB = 2
_STT_FUNC = 2
_PF_X = 1
_EM_ARM = 40


@dataclass(frozen=True)
class Segment:
    """A PT_LOAD program header. Its file contents go to the load address (flash, for
    .data's initial values); the `memsz - len(data)` zero bytes that follow them belong to
    the run address (RAM, for .bss), never to the load address: a .bss placed after the end
    of flash has a load address past it (into a mirror of flash, on mps2-an386)."""

    address: int        # physical (load) address of the file contents
    data: bytes         # file contents
    memsz: int
    executable: bool
    vaddr: int = -1     # run address (-1: the same as `address`)

    @property
    def zero_fill(self) -> tuple[int, int]:
        """(address, size) of the zero-initialised tail, at the run address."""
        run = self.address if self.vaddr < 0 else self.vaddr
        return run + len(self.data), max(0, self.memsz - len(self.data))


@dataclass(frozen=True)
class Symbol:
    name: str
    address: int        # Thumb bit cleared for functions
    size: int
    is_function: bool


@dataclass
class ElfImage:
    path: Path
    entry: int
    segments: list[Segment]
    symbols: list[Symbol] = field(default_factory=list)
    mapping: list[tuple[int, str]] = field(default_factory=list)  # sorted ($t/$d/$a address)
    _functions: list[tuple[int, int, str]] | None = field(default=None, repr=False)
    _starts: list[int] = field(default_factory=list, repr=False)

    def symbol(self, name: str) -> Symbol | None:
        for s in self.symbols:
            if s.name == name:
                return s
        return None

    def code_bytes(self) -> int:
        return sum(s.memsz for s in self.segments if s.executable)

    def thumb_ranges(self) -> list[tuple[int, int]]:
        """[start, end) ranges holding Thumb instructions: functions minus their $d literal
        pools when symbols exist, else every executable segment."""
        funcs = sorted((s.address, s.address + s.size) for s in self.symbols
                       if s.is_function and s.size > 0)
        if not funcs:
            return [(s.address, s.address + s.memsz) for s in self.segments if s.executable]
        data_marks = [a for a, kind in self.mapping if kind == "d"]
        code_marks = [a for a, kind in self.mapping if kind != "d"]
        out: list[tuple[int, int]] = []
        for start, end in funcs:
            cur = start
            while cur < end:
                j = bisect_right(data_marks, cur)
                data_at = data_marks[j] if j < len(data_marks) else end
                if data_at >= end:
                    out.append((cur, end))
                    break
                if data_at > cur:
                    out.append((cur, data_at))
                k = bisect_right(code_marks, data_at)
                cur = code_marks[k] if k < len(code_marks) else end
        return out

    def function_at(self, address: int) -> str:
        """Name of the function containing `address`, or its hex form."""
        if self._functions is None:
            self._functions = sorted((s.address, s.address + max(s.size, 1), s.name)
                                     for s in self.symbols if s.is_function)
            self._starts = [f[0] for f in self._functions]
        k = bisect_right(self._starts, address) - 1
        while k >= 0:
            start, end, name = self._functions[k]
            if address < end:
                return name
            if start + 0x10000 < address:  # no enclosing function nearby
                break
            k -= 1
        return f"0x{address:08x}"


def read_elf(path: str | Path) -> ElfImage:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RunError(f"cannot read firmware {path}: {exc}") from None
    if data[:4] != b"\x7fELF" or len(data) < 52:
        raise RunError(f"{path} is not an ELF file")
    if data[4] != 1 or data[5] != 1:
        raise RunError(f"{path} is not a 32-bit little-endian ELF (class {data[4]}, "
                       f"data {data[5]}); build it with arm-none-eabi-gcc")
    (_type, machine, _version, entry, phoff, shoff, _flags, _ehsize, phentsize, phnum,
     shentsize, shnum, _shstrndx) = struct.unpack_from("<HHIIIIIHHHHHH", data, 16)
    if machine != _EM_ARM:
        raise RunError(f"{path} is not an ARM ELF (e_machine {machine})")
    segments = []
    for i in range(phnum):
        (p_type, offset, vaddr, paddr, filesz, memsz, flags,
         _align) = struct.unpack_from("<IIIIIIII", data, phoff + i * phentsize)
        if p_type == _PT_LOAD and memsz > 0:
            segments.append(Segment(paddr, data[offset:offset + filesz], memsz,
                                    bool(flags & _PF_X), vaddr))
    image = ElfImage(path, entry, segments)
    _read_symbols(data, shoff, shentsize, shnum, image)
    return image


def _read_symbols(data: bytes, shoff: int, shentsize: int, shnum: int, image: ElfImage) -> None:
    sections = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize)
                for i in range(shnum)] if shoff else []
    for sh in sections:
        sh_type, sh_offset, sh_size, sh_link, sh_entsize = sh[1], sh[4], sh[5], sh[6], sh[9]
        if sh_type != _SHT_SYMTAB or sh_entsize == 0:
            continue
        str_off = sections[sh_link][4]
        for k in range(sh_size // sh_entsize):
            name_off, value, size, info, _other, _shndx = struct.unpack_from(
                "<IIIBBH", data, sh_offset + k * sh_entsize)
            end = data.index(b"\0", str_off + name_off)
            name = data[str_off + name_off:end].decode("utf-8", "replace")
            if name in ("$t", "$d", "$a") or name.startswith(("$t.", "$d.", "$a.")):
                image.mapping.append((value & ~1, name[1]))
            elif name:
                is_func = (info & 0xF) == _STT_FUNC
                image.symbols.append(Symbol(name, value & ~1 if is_func else value, size,
                                            is_func))
    image.mapping.sort()
