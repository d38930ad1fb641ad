"""Building generated C: toolchain commands as data, run through the content-hash cache, and
the memory footprint read back from the objects.

The same steps serve every C target (host gcc, arm-none-eabi-gcc, riscv64-unknown-elf-gcc):
compile each source to an object with `-fstack-usage`, link, then measure flash (text, rodata,
data of the model's objects), static RAM (data, bss) and a stack estimate from the .su files.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .cache import cached_build, content_key
from .commands import Command, execute, tool_version
from .errors import BuildError
from .targets import Target

__all__ = ["Toolchain", "Footprint", "CBuild", "build_c", "footprint"]


@dataclass(frozen=True)
class Toolchain:
    cc: str
    cflags: tuple[str, ...] = ()
    ldflags: tuple[str, ...] = ()
    size: str = "size"

    @classmethod
    def from_target(cls, target: Target) -> Toolchain:
        """The target's checked `toolchain:` section (harness/target_schema.py)."""
        tc = target.spec.toolchain
        if tc is None:
            raise BuildError(f"target {target.name}: target.yaml has no toolchain.cc")
        return cls(cc=tc.cc, cflags=tuple(tc.cflags), ldflags=tuple(tc.ldflags), size=tc.size)

    def version(self) -> str:
        return tool_version([self.cc, "--version"])


@dataclass(frozen=True)
class Footprint:
    """Bytes of the model's own objects (not the runner or libc)."""

    text: int
    rodata: int
    data: int
    bss: int
    stack: int  # estimate: deepest frame chain of the model code, from -fstack-usage

    @property
    def flash(self) -> int:
        return self.text + self.rodata + self.data

    @property
    def static_ram(self) -> int:
        return self.data + self.bss


@dataclass
class CBuild:
    folder: Path
    output: Path
    model_objects: list[Path]
    commands: list[Command] = field(default_factory=list)
    cache_hit: bool = False


def build_c(
    kind: str,
    tc: Toolchain,
    model_sources: Sequence[Path],
    runtime_sources: Sequence[Path],
    include_dirs: Sequence[Path],
    output_name: str,
    extra_cflags: Sequence[str] = (),
    extra_ldflags: Sequence[str] = (),
    extra_files: Sequence[Path] = (),
) -> CBuild:
    """Compile model and runtime sources and link `output_name`, cached by content.

    Sources, the headers of `include_dirs` and `extra_files` (linker scripts, ...) are copied
    into the build folder's `src/` and compiled from there, so the stored commands stay valid.
    The key covers all of them, the flags and the compiler's version."""
    headers = sorted({p.name: p for d in include_dirs for p in Path(d).glob("*.h")}.values())
    sources = [Path(p) for p in [*model_sources, *runtime_sources]]
    names = [p.name for p in [*sources, *headers, *map(Path, extra_files)]]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise BuildError(f"build of {output_name}: several inputs are named {', '.join(dup)}")
    key = content_key(
        [*sources, *headers, *map(Path, extra_files), tc.version(), *tc.cflags, *tc.ldflags,
         *extra_cflags, *extra_ldflags, output_name]
    )

    def plan(out: Path) -> tuple[list[Command], list[Path], Command]:
        src = out / "src"
        compiles, objects = [], []
        for i, source in enumerate(sources):
            obj = out / f"{i:02d}_{source.stem}.o"
            argv = [tc.cc, *tc.cflags, *extra_cflags, "-fstack-usage", f"-I{src}", "-c",
                    str(src / source.name), "-o", str(obj)]
            compiles.append(Command(tuple(argv), cwd=out))
            objects.append(obj)
        link = Command((tc.cc, *tc.cflags, *extra_cflags, *map(str, objects), "-o",
                        str(out / output_name), *tc.ldflags, *extra_ldflags), cwd=out)
        return compiles, objects, link

    def do_build(out: Path) -> None:
        (out / "src").mkdir()
        for f in [*sources, *headers, *map(Path, extra_files)]:
            shutil.copyfile(f, out / "src" / f.name)
        compiles, _, link = plan(out)
        for cmd in [*compiles, link]:
            execute(cmd, error=BuildError)

    folder, hit = cached_build(kind, key, do_build)
    compiles, objects, link = plan(folder)
    return CBuild(folder, folder / output_name, objects[: len(model_sources)],
                  [*compiles, link], hit)


_SIZE_LINE = re.compile(r"^(\.\S+)\s+(\d+)\s+\d+")


def footprint(tc: Toolchain, objects: Sequence[Path], entry: str = "hb_model_invoke") -> Footprint:
    """Section sizes of `objects` (`size -A`) and a stack estimate: the frame of `entry` plus
    the largest frame of any other function (kernels are leaves or inline their helpers)."""
    text = rodata = data = bss = 0
    for obj in objects:
        out = execute(Command((tc.size, "-A", str(obj))), error=BuildError).stdout
        for line in out.splitlines():
            m = _SIZE_LINE.match(line.strip())
            if not m:
                continue
            name, size = m.group(1), int(m.group(2))
            if name.startswith(".text"):
                text += size
            elif name.startswith((".rodata", ".srodata")):
                rodata += size
            elif name.startswith((".data", ".sdata")):
                data += size
            elif name.startswith((".bss", ".sbss")) or name == "COMMON":
                bss += size
    entry_frame, other = 0, 0
    for obj in objects:
        su = obj.with_suffix(".su")
        if not su.exists():
            continue
        for line in su.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) < 2 or not parts[1].strip().isdigit():
                continue
            func, frame = parts[0].rsplit(":", 1)[-1], int(parts[1])
            if func == entry:
                entry_frame = frame
            else:
                other = max(other, frame)
    return Footprint(text, rodata, data, bss, entry_frame + other)
