"""Model importers: a file in, a `harness.ir.Graph` out, chosen by the file's suffix."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..errors import ModelError, ModelFormatError
from ..ir import Graph
from .tflite import load_tflite

__all__ = ["IMPORTERS", "load_model"]

IMPORTERS: dict[str, Callable[[Path], Graph]] = {
    ".tflite": load_tflite,
}


def load_model(path: str | Path) -> Graph:
    """Import a model file; a missing file or an unknown format is a `ModelError`."""
    path = Path(path)
    if path.is_dir():
        raise ModelError(f"{path} is a folder, not a model file: give the model file's path")
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    importer = IMPORTERS.get(path.suffix.lower())
    if importer is None:
        raise ModelFormatError(
            f"{path}: unknown model format {path.suffix!r}; supported: {', '.join(IMPORTERS)}"
        )
    try:
        return importer(path)
    except OSError as exc:  # unreadable (permissions), or gone since the check above
        raise ModelError(f"cannot read the model file {path}: {exc.strerror or exc}") from None
