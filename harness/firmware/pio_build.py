"""Building a target's firmware as a PlatformIO project: the project written into the build
cache (keyed by the hash of its files and the PlatformIO version), `pio run` in it, and the
ELF's footprint. The project is built where it stays (PlatformIO cleans a build that moved),
under a lock file, so that several workers build it once. Flashing is the target's command (serial.flash / serial.launch), with
`pio_placeholders` filling in {pio}, {project}, {env} and {elf}."""
from __future__ import annotations

import fcntl
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ..artifacts import Artifact
from ..build import Toolchain, footprint
from ..cache import cache_root, content_key
from ..commands import Command, execute, tool_version
from ..errors import BuildError, TargetUnavailableError
from ..measure import Metric
from ..targets import Target
from .build import model_footprint_metrics
from .config import FirmwareConfig
from .elf_sizes import elf_memory, too_large
from .pio import pio_environment, pio_program, platform_problem, prepare_core
from .pio_project import ELF_NAME, PioProject, platformio_spec, render_project, write_project

if TYPE_CHECKING:
    from ..codegen import GeneratedModel

__all__ = ["build_pio_firmware", "pio_placeholders", "pio_problem", "project_of"]


def pio_problem(target: Target) -> str | None:
    """Why the target's PlatformIO project cannot be built here (with the fix), or None."""
    if pio_program() is None:
        return ("PlatformIO (pio) not found: pip install 'platformio==6.2.0' 'scons>=4.8' into "
                "the venv (extra 'boards' of pyproject.toml)")
    try:
        import SCons  # noqa: F401
    except ImportError:
        return "SCons not found (PlatformIO's build tool here): pip install 'scons>=4.8'"
    return platform_problem(platformio_spec(target).platform)


def build_pio_firmware(model: GeneratedModel, target: Target) -> Artifact:
    """`pio run` on the project of `model` for `target`, cached by the project's content."""
    problem = pio_problem(target)
    if problem is not None:
        raise TargetUnavailableError(f"target {target.name}: {problem}")
    spec = platformio_spec(target)
    files = render_project(model, target)
    pio = str(pio_program())
    version = tool_version([pio, "--version"])
    key = content_key([version, *(part for name in sorted(files)
                                  for part in (name, files[name]))])
    core = prepare_core()
    cmd = Command((pio, "run", "-d", "{project}", "-e", spec.env), env=pio_environment(core),
                  timeout_s=max(target.timeout_s, 600.0))

    folder, hit = _built_once(cache_root() / "pio-projects" / key[:32], files, cmd)
    project = PioProject(folder, spec.env)
    if not project.elf.is_file():
        raise BuildError(f"pio run left no {ELF_NAME} in {project.elf.parent} (platform "
                         f"{spec.platform}: does its builder set PROGNAME=firmware?)")
    tc = Toolchain.from_target(target)
    mem, size_cmd = elf_memory(tc, project.elf)
    how = f"size -A of the ELF built by PlatformIO ({spec.platform}, board {spec.board})"
    objects = sorted((project.elf.parent / "src" / "model").rglob("*.o"))
    fp = footprint(tc, objects)
    cfg = FirmwareConfig.from_target(target)
    if not mem.fits(cfg):
        raise too_large(cfg, mem, "firmware")
    metrics = {
        **model_footprint_metrics(fp, model.arena_bytes, cfg),
        "firmware_flash_bytes": Metric(mem.flash, "B", "static-analysis",
                                       f"whole image incl. runtime and libc: {how}"),
        "firmware_ram_bytes": Metric(mem.ram, "B", "static-analysis",
                                     f".data+.bss+{mem.stack_reserved} B reserved stack: {how}"),
    }
    run = Command(tuple(a.replace("{project}", str(folder)) for a in cmd.argv), env=cmd.env)
    return Artifact(target, project.elf, model, [run, size_cmd], metrics,
                    {"platformio": version, "cc": tc.version()}, hit)


def _built_once(folder: Path, files: dict[str, bytes], cmd: Command) -> tuple[Path, bool]:
    """(folder, cache hit): the project written into `folder` and built there, once."""
    done = folder / ".complete"
    if done.is_file():
        return folder, True
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        lock = open(folder.parent / f".{folder.name}.lock", "w")  # noqa: SIM115
    except OSError as exc:
        raise BuildError(f"cannot use the build cache folder {folder.parent}: "
                         f"{exc.strerror or exc}; point HILBENCH_CACHE at a writable "
                         "folder") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.is_file():                      # another worker built it meanwhile
            return folder, True
        shutil.rmtree(folder, ignore_errors=True)     # what a failed build left
        try:
            write_project(files, folder)
            argv = tuple(a.replace("{project}", str(folder)) for a in cmd.argv)
            execute(Command(argv, env=cmd.env, timeout_s=cmd.timeout_s), error=BuildError)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        done.write_text("ok\n")
    return folder, False


def project_of(artifact: Artifact) -> PioProject:
    """The PlatformIO project an artifact of build_pio_firmware was built in."""
    return PioProject(artifact.path.parent.parent.parent.parent,
                      artifact.path.parent.name)


def pio_placeholders(argv: tuple[str, ...], artifact: Artifact) -> tuple[str, ...]:
    """A flash or launch command with {pio}, {project}, {env} and {elf} filled in."""
    project = project_of(artifact)
    values = {"{pio}": pio_program() or "pio", "{project}": str(project.folder),
              "{env}": project.env, "{elf}": str(artifact.path)}
    out = []
    for arg in argv:
        for key, value in values.items():
            arg = arg.replace(key, value)
        out.append(arg)
    return tuple(out)
