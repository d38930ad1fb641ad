"""A streaming firmware as a PlatformIO project: the generated model C, the shared runtime
(runner_mlperf.c, console, markers), the board support layer the target's `firmware:` section
selects, the linker script, and `platformio.ini` from the target's `platformio:` section.

    platformio.ini         [env:<env>] platform, board, build_flags (-I, -D, -include),
                           board_build.ldscript, extra_scripts, upload_*, monitor_speed
    hilbench_flags.py      pre: script adding the target's compiler and linker flags
                           (toolchain.cflags / ldflags of its target.yaml) to the build
    link.ld                harness/firmware/linker.py for the target's memory map
    src/model/             model.c, weights.c, model.h, kernels/ (harness/codegen)
    src/runtime/           start-up, UART, counter, budget, exit of the board folder and
                           targets/mcu-common; hb_results.c (the output printer)

The same files compile with the target's own toolchain (build_firmware): only the driver
differs. render_project() returns the files as data (the build cache key is their hash);
write_project() puts them in a folder.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from ..build import Toolchain
from ..errors import TargetConfigError
from ..target_schema import PlatformioSpec
from ..targets import Target
from .config import MARKERS_HEADER, FirmwareConfig, firmware_defines, runtime_sources
from .linker import linker_script
from .runner_c import RESULTS_SOURCE, results_source, stream_defines

if TYPE_CHECKING:
    from ..codegen import GeneratedModel

__all__ = ["PioProject", "platformio_spec", "render_project", "write_project", "ELF_NAME"]

ELF_NAME = "firmware.elf"       # PROGNAME of hilbench-mps2, ststm32, nordicnrf52, ...
# Flags the linker needs as well as the compiler (they choose the multilib of libc).
_ARCH_FLAGS = ("-mcpu=", "-march=", "-mabi=", "-mthumb", "-mfloat-abi=", "-mfpu=")


@dataclass(frozen=True)
class PioProject:
    """A written project: its folder, its environment name and where `pio run` puts the ELF."""

    folder: Path
    env: str

    @property
    def elf(self) -> Path:
        return self.folder / ".pio" / "build" / self.env / ELF_NAME


def platformio_spec(target: Target) -> PlatformioSpec:
    """The target's `platformio:` section, with {target_dir} in `platform` resolved."""
    spec = target.spec.platformio
    if spec is None:
        raise TargetConfigError(f"target {target.name}: no 'platformio:' section in its "
                                "target.yaml (platform, board): it cannot be built as a "
                                "PlatformIO project")
    platform = spec.platform.replace("{target_dir}", str(target.folder.resolve()))
    return spec.model_copy(update={"platform": platform})


def render_project(model: GeneratedModel, target: Target) -> dict[str, bytes]:
    """The project's files (relative path -> content) for `model` on `target`."""
    spec = platformio_spec(target)
    cfg = FirmwareConfig.from_target(target)
    if cfg.inputs != "stream":
        raise TargetConfigError(f"target {target.name}: a PlatformIO project streams its "
                                "inputs over the serial line: set firmware.inputs: stream")
    tc = Toolchain.from_target(target)
    files: dict[str, bytes] = {}
    for path in model.sources:
        files[f"src/model/{_below(path, model.out_dir)}"] = path.read_bytes()
    for folder in model.include_dirs:
        for header in sorted(folder.glob("*.h")):
            files[f"src/model/{_below(header, model.out_dir)}"] = header.read_bytes()
    for path in runtime_sources(cfg):
        files[f"src/runtime/{path.name}"] = path.read_bytes()
    for folder in (cfg.common, cfg.runtime, *([cfg.board] if cfg.board else [])):
        for header in sorted(folder.glob("*.h")):
            files[f"src/runtime/{header.name}"] = header.read_bytes()
    files[f"src/runtime/{RESULTS_SOURCE}"] = results_source(model).encode()
    files["link.ld"] = linker_script(cfg).encode()
    includes = sorted({str(Path(name).parent) for name in files
                       if name.startswith("src/") and name.endswith(".h")})
    defines = (*firmware_defines(cfg, None), *stream_defines(cfg, target, model))
    files["hilbench_flags.py"] = flags_script(tc).encode()
    files["platformio.ini"] = ini_text(spec, target, includes, defines, model).encode()
    return files


def write_project(files: Mapping[str, bytes], folder: Path) -> None:
    """Write render_project's files below `folder` (created if needed)."""
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def ini_text(spec: PlatformioSpec, target: Target, includes: list[str],
             defines: tuple[str, ...], model: GeneratedModel) -> str:
    """platformio.ini: one environment, everything the build needs spelled out."""
    baud = (target.spec.firmware.uart.baud if target.spec.firmware is not None else None) \
        or 115200
    what = model.source.name if model.source is not None else "the generated model"
    flags = [f"-I{inc}" for inc in includes]
    flags += [_ini_define(d) for d in defines]
    flags.append(f"-include src/runtime/{MARKERS_HEADER}")
    lines = [
        f"; Generated by hilbench (harness/firmware/pio_project.py) for target {target.name},",
        f"; {what}. Build: pio run; flash: pio run -t upload; the board then answers the",
        "; MLPerf Tiny device protocol on its serial port (hilbench run, or the EEMBC runner).",
        "",
        "[platformio]",
        f"default_envs = {spec.env}",
        "",
        f"[env:{spec.env}]",
        f"platform = {spec.platform}",
        f"board = {spec.board}",
    ]
    if spec.framework:
        lines.append(f"framework = {spec.framework}")
    lines.append("build_flags =")
    lines += [f"    {flag}" for flag in flags]
    lines += ["board_build.ldscript = link.ld", "extra_scripts = pre:hilbench_flags.py",
              f"monitor_speed = {baud}"]
    if spec.upload_protocol:
        lines.append(f"upload_protocol = {spec.upload_protocol}")
    if spec.upload_command:
        lines.append(f"upload_command = {shlex.join(spec.upload_command)}")
    for key, value in spec.options.items():
        lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def flags_script(tc: Toolchain) -> str:
    """hilbench_flags.py: the target's cflags for the compiler (-std for C only; plus
    -fstack-usage, for the model's stack estimate), the architecture flags and ldflags for
    the linker, -l libraries as LIBS."""
    cflags = [*(f for f in tc.cflags if not f.startswith("-std=")), "-fstack-usage"]
    std = [f for f in tc.cflags if f.startswith("-std=")]
    arch = [f for f in tc.cflags if f.startswith(_ARCH_FLAGS)]
    libs = [f[2:] for f in tc.ldflags if f.startswith("-l")]
    link = [*arch, *(f for f in tc.ldflags if not f.startswith("-l"))]
    return "\n".join([
        '"""Generated by hilbench: the compiler and linker flags of the target.yaml\'s',
        'toolchain section, added before the platform\'s own build script runs."""',
        'Import("env")  # noqa: F821 (SCons)',
        "",
        f"env.Append(CFLAGS={std!r})  # noqa: F821",
        f"env.Append(CCFLAGS={cflags!r})  # noqa: F821",
        f"env.Append(LINKFLAGS={link!r})  # noqa: F821",
        f"env.Append(LIBS={libs!r})  # noqa: F821",
        "",
    ])


def _ini_define(flag: str) -> str:
    """A -D flag as platformio.ini writes it: a string value in single quotes."""
    return f"'{flag}'" if '"' in flag else flag


def _below(path: Path, root: Path) -> str:
    """`path` relative to `root` (its name alone when it is elsewhere)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name
