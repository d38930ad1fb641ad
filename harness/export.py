"""`hilbench export MODEL --board BOARD --out DIR`: the model as a PlatformIO project for a
board (a target with a `platformio:` section): generated model C, runtime, streaming runner,
board support and platformio.ini (harness/firmware/pio_project.py). The user builds and
flashes it with `pio run -t upload`; the firmware then answers the MLPerf Tiny protocol.

The folder is written whole or not at all: into a temporary sibling, renamed at the end."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .codegen import generate
from .errors import HilbenchError, TargetConfigError
from .firmware.pio_project import render_project, write_project
from .importers import load_model
from .targets import list_targets, load_target

__all__ = ["export_project", "board_names"]


def board_names() -> list[str]:
    """Targets that can be exported as a PlatformIO project."""
    names = []
    for target in list_targets():
        try:
            if target.spec.platformio is not None:
                names.append(target.name)
        except HilbenchError:
            continue
    return names


def export_project(model_path: Path, board: str, out: Path, kernels: str | None = None
                   ) -> list[str]:
    """Write the project of `model_path` for target `board` into the new folder `out`;
    returns the files written (relative paths). `out` must not exist, or be empty."""
    target = load_target(board)
    if target.spec.platformio is None:
        raise TargetConfigError(f"target {board} has no 'platformio:' section: boards that "
                                f"can be exported: {', '.join(board_names()) or '(none)'}")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise HilbenchError(f"{out} exists and is not an empty folder: give a new folder "
                            "(--out)")
    graph = load_model(model_path)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=parent))
    except OSError as exc:
        raise HilbenchError(f"cannot write into {parent}: {exc.strerror or exc}") from None
    try:
        with tempfile.TemporaryDirectory(prefix="hilbench-gen-") as tmp:
            generated = generate(graph, Path(tmp), kernels=kernels or target.kernels)
            files = render_project(generated, target)
        write_project(files, staging)
        if out.exists():
            out.rmdir()
        os.rename(staging, out)
    except OSError as exc:
        raise HilbenchError(f"cannot write the project into {out}: {exc.strerror or exc}"
                            ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(files)
