"""Names for models: the workload and variant a report groups by.

A folder of models may hold a `models.yaml` mapping file names to `workload`, `variant` and
`task`; a file it does not list is named by its stem, with the variant from its dtype.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ModelError
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
        entry = _index_entry(index, path.name)
        if entry:
            return ModelInfo(path, entry["workload"], entry["variant"], entry.get("task", ""))
    variant = _DTYPE_VARIANT.get(graph.dtype, graph.dtype) if graph is not None else "unknown"
    activations = {t.dtype for t in graph.tensors if not t.is_constant} if graph else set()
    if "int16" in activations:
        variant = "int16x8"   # int16 activations, whatever the interface dtype
    elif variant == "fp32" and "int8" in activations:
        variant = "int8"      # int8 inside, float input/output (QUANTIZE ... DEQUANTIZE)
    return ModelInfo(path, path.stem, variant)


def _index_entry(index: Path, name: str) -> dict[str, str] | None:
    """The models.yaml entry of file `name` ({workload, variant, task}), checked; None when
    the file is not listed. A malformed index is a ModelError naming it and what to fix."""
    fix = ("models.yaml maps file names to {workload: ..., variant: ..., task: ...}; fix it or "
           "remove it")
    try:
        data = yaml.safe_load(index.read_text()) or {}
    except (yaml.YAMLError, OSError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelError(f"{index}: cannot be read as YAML ({first}); {fix}") from None
    if not isinstance(data, dict):
        raise ModelError(f"{index}: is a {type(data).__name__}, not a mapping; {fix}")
    entry = data.get(name)
    if entry is None:
        return None
    if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), (str, int, float)) and str(entry.get(k)).strip()
            for k in ("workload", "variant")):
        raise ModelError(f"{index}: the entry of {name} needs `workload` and `variant` (names), "
                         f"got {entry!r}; {fix}")
    return {k: str(entry[k]) for k in ("workload", "variant", "task") if entry.get(k) is not None}


def mlperf_tiny_models() -> list[ModelInfo]:
    """The eight MLPerf Tiny reference models bundled in models/mlperf-tiny, int8 first."""
    folder = models_dir() / "mlperf-tiny"
    infos = [describe(p) for p in sorted(folder.glob("*.tflite"))]
    return sorted(infos, key=lambda m: (m.variant != "int8", m.workload))


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
