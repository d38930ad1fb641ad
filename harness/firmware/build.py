"""Building a firmware image in two cached steps (model + runtime once, then inputs + link),
relinking it with other inputs, and reading symbols back."""
from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from ..artifacts import Artifact
from ..build import CBuild, Footprint, Toolchain, build_c, footprint
from ..commands import Command, execute, which
from ..errors import BuildError, ModelTooLargeError
from ..measure import Metric
from ..targets import Target
from .config import (
    FIRMWARE_ELF,
    INPUTS_ALIGN,
    LINKER_SCRIPT,
    MARKERS_HEADER,
    OBJECTS_NAME,
    FirmwareConfig,
    firmware_defines,
    runtime_sources,
)
from .elf_sizes import elf_memory, too_large
from .linker import linker_script
from .runner_c import RESULTS_SOURCE, inputs_source, results_source, stream_defines

if TYPE_CHECKING:
    from ..codegen import GeneratedModel

__all__ = ["build_firmware", "link_firmware", "inputs_per_firmware", "symbol_at",
           "model_footprint_metrics"]

# Size the regions get when the real ones overflow, to measure how much is needed.
_MEASURE_BYTES = 0x10000000


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
            raise too_large(cfg, mem, what) from None
    mem, size_cmd = elf_memory(tc, linked.output)
    if not mem.fits(cfg):
        raise too_large(cfg, mem, what)
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
    model_metrics = model_footprint_metrics(fp, model.arena_bytes, cfg)
    return _link(target, model, objects.output, inputs, n, model_metrics, objects.commands,
                 objects.cache_hit)


def model_footprint_metrics(fp: Footprint, arena_bytes: int, cfg: FirmwareConfig
                            ) -> dict[str, Metric]:
    """flash_bytes, ram_bytes, stack_estimate_bytes and arena_bytes of the model's own
    objects; ModelTooLargeError when its stack estimate exceeds firmware.stack_bytes."""
    if fp.stack > cfg.stack_bytes:
        raise ModelTooLargeError(
            f"model needs about {fp.stack} B of stack (estimate from -fstack-usage), target "
            f"{cfg.target_name} reserves {cfg.stack_bytes} B (firmware.stack_bytes)")
    return {
        "flash_bytes": Metric(fp.flash, "B", "static-analysis",
                              "text+rodata+data of the model's objects (size -A)"),
        "ram_bytes": Metric(fp.static_ram + fp.stack, "B", "static-analysis",
                            "data+bss (arena) of the model's objects + stack estimate "
                            "(-fstack-usage)"),
        "stack_estimate_bytes": Metric(fp.stack, "B", "static-analysis",
                                       "hb_model_invoke frame + deepest other frame "
                                       "(-fstack-usage)"),
        "arena_bytes": Metric(arena_bytes, "B", "static-analysis", "memory plan"),
    }


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
