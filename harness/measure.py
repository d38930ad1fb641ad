"""Measurement rows: what was measured, how (provenance), and with which tools.

Every number hilbench reports carries a provenance, because a wall-clock latency on a host and
a cycle count from an RTL simulation are not comparable. A `Measurement` is one model variant
run on one target; a `RunContext` groups all measurements of one pytest session or CLI call.
"""
from __future__ import annotations

import math
import numbers
import platform
import re
import socket
import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .paths import REPO_ROOT

__all__ = [
    "PROVENANCES",
    "STANDARD_METRICS",
    "RESERVED_METRIC_NAMES",
    "VARIANT_KEYS",
    "Metric",
    "LayerMetric",
    "Measurement",
    "RunContext",
    "to_json_record",
]

PROVENANCES = (
    "rtl-cycle-exact",
    "iss-cycle-model",
    "instructions",
    "hw-counter",
    "wall-clock",
    "power-sensor",  # on-board sensors (INA3221, PMIC) read by the board itself
    "power-meter",  # an external meter on the supply (Joulescope, PPK2, LPM01A): harness/power
    "energy-model",
    "static-analysis",  # sizes read from an object/ELF file or a memory plan
    "dataset",  # accuracy of the target's own outputs on N labelled samples
    "golden-dataset",  # accuracy of the golden interpreter's outputs (never the target's)
)

# Facts about a compressed variant and its evaluation, kept in Measurement.extra and lifted to
# the top level of the JSON record (and of report frames): where it came from, what it costs.
VARIANT_KEYS = (
    "recipe", "techniques", "parent_sha256", "params", "macs", "weight_bits", "sparsity",
    "model_bytes", "train_seed", "dataset", "dataset_sha256", "eval_split", "n_eval",
    "accuracy_provenance_note", "primary_metric",
    # early-exit runs (harness/exit_bench.py)
    "exit_threshold", "exit_histogram", "accuracy_per_exit", "exit_temperatures",
    "exit_calibration", "exit_stage_macs",
    # pipeline runs (harness/pipeline)
    "placement", "pipeline", "forwarded_fraction", "bytes_sent_mean",
    # token dropping (harness.tokendrop): macs above are guide + ViT
    "keep_ratio", "kept_tokens", "precision", "vit_macs", "guide_macs",
)

STANDARD_METRICS = (
    "cycles_per_inference",
    "instructions_per_inference",
    "latency_ms",
    "flash_bytes",
    "ram_bytes",
    "energy_uj_per_inference",
    "accuracy",
)

# Column names of the flat JSON record and the results store; a metric may not shadow them.
RESERVED_METRIC_NAMES = frozenset(
    {
        "id", "measurement_id", "run_id", "time_utc", "host", "git_commit", "git_dirty",
        "hilbench_version", "python", "model", "variant", "target", "backend", "model_path",
        "model_sha256", "n_inputs", "bit_exact", "mismatches", "max_abs_diff", "seed",
        "commands", "tool_versions", "extra", "metrics", "layers",
        "commands_json", "tool_versions_json", "extra_json",
        "cycles_provenance", "energy_provenance",
    }
)

_METRIC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_GIT_TIMEOUT_S = 10.0


def _check_provenance(provenance: object) -> None:
    if provenance not in PROVENANCES:
        raise ValueError(f"unknown provenance {provenance!r}; choose one of: {', '.join(PROVENANCES)}")


def _as_number(value: object, what: str) -> float | int:
    """Return `value` as a plain finite Python int or float (numpy scalars included)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be an int or float, not {type(value).__name__} ({value!r})")
    number: float | int = int(value) if isinstance(value, numbers.Integral) else float(value)
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {number!r}; leave the metric out instead")
    return number


def _check_metric_name(name: object) -> None:
    if not isinstance(name, str) or not _METRIC_NAME.match(name):
        raise ValueError(f"metric name {name!r} must match {_METRIC_NAME.pattern}")
    if name in RESERVED_METRIC_NAMES or name.endswith(("_unit", "_provenance")):
        raise ValueError(
            f"metric name {name!r} clashes with a column of the results; "
            "it must not be a measurement field nor end with _unit or _provenance"
        )


@dataclass(frozen=True)
class Metric:
    """One measured number with its unit and how it was obtained."""

    value: float | int
    unit: str
    provenance: str
    note: str = ""  # how it was obtained, e.g. "perf stat -e instructions, user space only"

    def __post_init__(self) -> None:
        _check_provenance(self.provenance)
        object.__setattr__(self, "value", _as_number(self.value, "Metric.value"))
        if not isinstance(self.unit, str) or not isinstance(self.note, str):
            raise TypeError("Metric.unit and Metric.note must be str")


@dataclass(frozen=True)
class LayerMetric:
    """Cycles spent in one layer (op) of the model, from a cycle-level target."""

    index: int
    name: str
    op: str
    cycles: float
    provenance: str

    def __post_init__(self) -> None:
        _check_provenance(self.provenance)
        if isinstance(self.index, bool) or not isinstance(self.index, numbers.Integral):
            raise TypeError(f"LayerMetric.index must be an int, got {self.index!r}")
        object.__setattr__(self, "index", int(self.index))
        object.__setattr__(self, "cycles", float(_as_number(self.cycles, "LayerMetric.cycles")))
        if self.cycles < 0:
            raise ValueError(f"LayerMetric.cycles must not be negative, got {self.cycles!r}")


@dataclass
class Measurement:
    """One model variant run on one target through one backend, with its metrics."""

    model: str  # workload name, e.g. "kws"
    variant: str  # e.g. "int8", "fp32", "int8-pruned50"
    target: str  # e.g. "host"
    backend: str  # e.g. "host"
    model_path: str
    model_sha256: str
    n_inputs: int
    bit_exact: bool | None
    mismatches: int | None  # number of output elements that differ from the golden interpreter
    max_abs_diff: float | None
    metrics: dict[str, Metric] = field(default_factory=dict)
    layers: list[LayerMetric] = field(default_factory=list)
    commands: list[list[str]] = field(default_factory=list)  # exact argv of every tool run
    tool_versions: dict[str, str] = field(default_factory=dict)
    seed: int | None = None
    extra: dict[str, object] = field(default_factory=dict)  # JSON-able
    # per input (early-exit runs): input_index, exit_index, cycles, label, prediction
    per_input: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if isinstance(self.bit_exact, np.bool_):  # e.g. straight from np.array_equal
            self.bit_exact = bool(self.bit_exact)
        self.validate()

    def validate(self) -> None:
        """Raise TypeError/ValueError if a field cannot be stored; called again before storing
        because metrics and layers may be added after construction."""
        for key in ("model", "variant", "target", "backend", "model_path", "model_sha256"):
            if not isinstance(getattr(self, key), str):
                raise TypeError(f"Measurement.{key} must be str, got {getattr(self, key)!r}")
        if isinstance(self.n_inputs, bool) or not isinstance(self.n_inputs, numbers.Integral):
            raise TypeError(f"Measurement.n_inputs must be an int, got {self.n_inputs!r}")
        if self.bit_exact is not None and not isinstance(self.bit_exact, bool):
            raise TypeError(f"Measurement.bit_exact must be bool or None, got {self.bit_exact!r}")
        for key in ("mismatches", "seed"):
            value = getattr(self, key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
                raise TypeError(f"Measurement.{key} must be an int or None, got {value!r}")
        if self.max_abs_diff is not None:
            _as_number(self.max_abs_diff, "Measurement.max_abs_diff")
        for name, metric in self.metrics.items():
            _check_metric_name(name)
            if not isinstance(metric, Metric):
                raise TypeError(f"metrics[{name!r}] must be a Metric, got {type(metric).__name__}")
        seen: set[int] = set()
        for layer in self.layers:
            if not isinstance(layer, LayerMetric):
                raise TypeError(f"layers must hold LayerMetric, got {type(layer).__name__}")
            if layer.index in seen:
                raise ValueError(f"layer index {layer.index} appears twice in layers")
            seen.add(layer.index)
        if not all(isinstance(argv, list) and all(isinstance(a, str) for a in argv) for argv in self.commands):
            raise TypeError("Measurement.commands must be a list of argv lists of str")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in self.tool_versions.items()):
            raise TypeError("Measurement.tool_versions must map str to str")


def _git(repo_dir: Path, *args: str) -> str | None:
    """stdout of `git <args>` in repo_dir, or None when git is missing or it is not a repo."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=repo_dir, capture_output=True, text=True, timeout=_GIT_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _hilbench_version() -> str:
    try:
        return metadata.version("hilbench")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True)
class RunContext:
    """Where and when a group of measurements was taken (one pytest session or CLI call)."""

    run_id: str
    time_utc: str
    host: str
    git_commit: str | None
    git_dirty: bool | None
    hilbench_version: str
    python: str

    @classmethod
    def collect(cls, repo_dir: Path | None = None) -> RunContext:
        """Describe this process now. repo_dir defaults to the checkout holding this package;
        git facts are None when git is missing or repo_dir is not a repository."""
        where = Path(repo_dir) if repo_dir is not None else REPO_ROOT
        head = _git(where, "rev-parse", "HEAD")
        commit = head.strip() if head is not None else ""
        status = _git(where, "status", "--porcelain")
        return cls(
            run_id=uuid.uuid4().hex,
            # fixed-width microsecond timestamps sort correctly as strings
            time_utc=datetime.now(timezone.utc).isoformat(timespec="microseconds"),
            host=socket.gethostname(),
            git_commit=commit or None,
            git_dirty=bool(status.strip()) if status is not None else None,
            hilbench_version=_hilbench_version(),
            python=platform.python_version(),
        )


def to_json_record(m: Measurement) -> dict[str, object]:
    """A flat, JSON-serialisable dict of one measurement: the identifying fields, every
    standard metric (None where absent), every other metric, and their provenances."""
    m.validate()
    record: dict[str, object] = {
        "model": m.model,
        "variant": m.variant,
        "target": m.target,
        "backend": m.backend,
        "bit_exact": m.bit_exact,
        "mismatches": None if m.mismatches is None else int(m.mismatches),
        "max_abs_diff": None if m.max_abs_diff is None else float(m.max_abs_diff),
        "n_inputs": int(m.n_inputs),
        "within_tolerance": m.extra.get("within_tolerance"),   # float models: the check
        "top1_agreement": m.extra.get("top1_agreement"),
        "reference_agreement": m.extra.get("reference_agreement"),   # vs LiteRT BUILTIN_REF
        "kernels": m.extra.get("kernels"),                      # the C kernel set, if any
        "weight_format": m.extra.get("weight_format"),          # auto / dense / sparse / packed
        "weight_formats": m.extra.get("weight_formats"),        # per layer, what it got
    }
    for key in VARIANT_KEYS:
        if key in m.extra and key not in m.metrics:   # a metric of the same name wins
            record[key] = m.extra[key]
    for name in STANDARD_METRICS:
        record[name] = m.metrics[name].value if name in m.metrics else None
    cycles = m.metrics.get("cycles_per_inference")
    energy = m.metrics.get("energy_uj_per_inference")
    record["cycles_provenance"] = cycles.provenance if cycles is not None else None
    record["energy_provenance"] = energy.provenance if energy is not None else None
    for name in sorted(m.metrics):
        if name in ("cycles_per_inference", "energy_uj_per_inference"):
            continue
        record[name] = m.metrics[name].value
        record[f"{name}_provenance"] = m.metrics[name].provenance
    return record
