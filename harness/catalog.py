"""Names for models: the workload and variant a report groups by.

A folder of models may hold a `models.yaml` mapping file names to `workload`, `variant` and
`task`; a file it does not list is named by its stem, with the variant from its dtype.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from .ir import Graph
from .paths import MODELS_DIR

__all__ = ["ModelInfo", "describe", "models_dir", "mlperf_tiny_models", "sha256_file"]

_DTYPE_VARIANT = {"int8": "int8", "float32": "fp32", "int16": "int16", "uint8": "uint8"}


@dataclass(frozen=True)
class ModelInfo:
    path: Path
    workload: str
    variant: str
    task: str = ""


def models_dir() -> Path:
    """The repository's `models/` folder (bundled reference models)."""
    return MODELS_DIR


def describe(path: Path, graph: Graph | None = None) -> ModelInfo:
    """Workload/variant of a model file, from its folder's models.yaml or its name and dtype."""
    path = Path(path)
    index = path.parent / "models.yaml"
    if index.is_file():
        entry = (yaml.safe_load(index.read_text()) or {}).get(path.name)
        if entry:
            return ModelInfo(path, str(entry["workload"]), str(entry["variant"]),
                             str(entry.get("task", "")))
    variant = _DTYPE_VARIANT.get(graph.dtype, graph.dtype) if graph is not None else "unknown"
    return ModelInfo(path, path.stem, variant)


def mlperf_tiny_models() -> list[ModelInfo]:
    """The eight MLPerf Tiny reference models bundled in models/mlperf-tiny, int8 first."""
    folder = models_dir() / "mlperf-tiny"
    infos = [describe(p) for p in sorted(folder.glob("*.tflite"))]
    return sorted(infos, key=lambda m: (m.variant != "int8", m.workload))


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
