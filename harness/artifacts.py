"""What flows out of a build and a run, for every backend: an Artifact (the executable or
image, its footprint, how it was made) and a RunResult (outputs, counters with provenance,
log), plus the packing of a batch of inputs into per-sample records.

Below the backends in the data flow: firmware building makes Artifacts without importing any
backend.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .commands import Command
from .measure import LayerMetric, Metric
from .targets import Target

if TYPE_CHECKING:
    from .codegen import GeneratedModel

__all__ = ["Artifact", "RunResult", "pack_samples", "unpack_samples"]


@dataclass
class Artifact:
    """A build ready to run: the executable/ELF, its footprint and how it was made."""

    target: Target
    path: Path
    model: GeneratedModel
    commands: list[Command] = field(default_factory=list)
    metrics: dict[str, Metric] = field(default_factory=dict)   # flash_bytes, ram_bytes, ...
    tool_versions: dict[str, str] = field(default_factory=dict)
    cache_hit: bool = False


@dataclass
class RunResult:
    """Outputs batched like the inputs (leading dim = sample), counters, per-layer counts."""

    outputs: list[np.ndarray]
    metrics: dict[str, Metric] = field(default_factory=dict)
    layers: list[LayerMetric] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    log: str = ""
    extra: dict[str, Any] = field(default_factory=dict)   # JSON-able facts for Measurement.extra
    # per input, in input order: "cycles" (the counts whose mean is cycles_per_inference)
    per_input: dict[str, list[float]] = field(default_factory=dict)


def pack_samples(arrays: Sequence[np.ndarray]) -> bytes:
    """Per sample, the bytes of every array concatenated in order (the firmware's record)."""
    n = arrays[0].shape[0]
    if n == 0:
        return b""
    flat = [np.ascontiguousarray(a).reshape(n, -1).view(np.uint8) for a in arrays]
    return np.concatenate(flat, axis=1).tobytes()


def unpack_samples(data: bytes, n: int, specs: Sequence[tuple[tuple[int, ...], str]]) -> list[np.ndarray]:
    """Inverse of pack_samples for arrays of per-sample (shape, dtype)."""
    sizes = [int(np.prod(s, dtype=np.int64)) * np.dtype(d).itemsize for s, d in specs]
    record = sum(sizes)
    if len(data) != n * record:
        raise ValueError(f"expected {n} records of {record} bytes, got {len(data)} bytes")
    rows = np.frombuffer(data, dtype=np.uint8).reshape(n, record)
    out, start = [], 0
    for (shape, dtype), size in zip(specs, sizes):
        chunk = np.ascontiguousarray(rows[:, start:start + size])
        out.append(chunk.view(np.dtype(dtype)).reshape(n, *shape))
        start += size
    return out
