"""Targets: what to run on, described in `targets/<name>/target.yaml` (description apart from
mechanism: the YAML says which backend, clock, memory, toolchain and energy model; the backend
class says how).

The file is parsed and checked once, by `load_target`, against one declarative schema
(harness/target_schema.py: `toolchain`, `memory`, `energy`, `firmware` and one section per
backend; unknown keys are errors). A bad file raises TargetConfigError with one line naming
the file, the key and what was expected. `Target.spec` is the typed result; the flat fields
(`clock_hz`, `flash_bytes`, `kernels`, ...) and `options` (the backend sections as plain data)
are views of it for callers that want them.

A name resolves to a folder of targets_dir(), never to a folder of the working directory;
only an explicit path (a Path, or a string with a slash or ending in .yaml) is a path.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import TargetConfigError
from .paths import TARGETS_DIR
from .target_schema import TargetSpec, spec_error

__all__ = ["Target", "targets_dir", "target_file", "load_target", "list_targets"]


@dataclass(frozen=True)
class Target:
    """One target: its name and folder, the fields most callers read, and `spec`."""

    name: str
    backend: str
    folder: Path
    description: str = ""
    clock_hz: int | None = None
    flash_bytes: int | None = None
    ram_bytes: int | None = None
    toolchain: dict[str, Any] = field(default_factory=dict)
    energy: dict[str, float] = field(default_factory=dict)
    timeout_s: float = 300.0
    default_inputs: int = 100
    kernels: str = "ref"
    options: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def spec(self) -> TargetSpec:
        """The typed, checked description (harness/target_schema.py). load_target sets it from
        the file; a Target made by hand or with dataclasses.replace gets it from its fields."""
        memory = {k: v for k, v in (("flash_bytes", self.flash_bytes),
                                    ("ram_bytes", self.ram_bytes)) if v is not None}
        data: dict[str, Any] = {
            "backend": self.backend, "description": self.description,
            "clock_hz": self.clock_hz, "memory": memory, "energy": dict(self.energy),
            "timeout_s": self.timeout_s, "default_inputs": self.default_inputs,
            "kernels": self.kernels, **self.options,
        }
        if self.toolchain:
            data["toolchain"] = dict(self.toolchain)
        try:
            return TargetSpec.model_validate(data)
        except ValidationError as exc:
            raise TargetConfigError(spec_error(f"target {self.name}", exc)) from None

    def joules_per_cycle(self) -> float | None:
        """Energy per cycle from the YAML: given directly, or as uA/MHz at a supply voltage."""
        if "joules_per_cycle" in self.energy:
            return float(self.energy["joules_per_cycle"])
        if "ua_per_mhz" in self.energy and "volts" in self.energy:
            # I = ua_per_mhz * f[MHz] uA, so energy per cycle = V * I / f = V * ua_per_mhz * 1e-12 J.
            return float(self.energy["volts"]) * float(self.energy["ua_per_mhz"]) * 1e-12
        return None


def targets_dir() -> Path:
    """$HILBENCH_TARGETS, else the repository's `targets/` next to the `harness` package."""
    env = os.environ.get("HILBENCH_TARGETS")
    return Path(env) if env else TARGETS_DIR


def _is_path(name_or_path: str | Path) -> bool:
    if isinstance(name_or_path, Path):
        return True
    text = str(name_or_path)
    return "/" in text or os.sep in text or text.endswith((".yaml", ".yml"))


def target_file(name_or_path: str | Path) -> Path:
    """The target.yaml a name (a folder of targets_dir()) or an explicit path stands for."""
    if not _is_path(name_or_path):
        return targets_dir() / str(name_or_path) / "target.yaml"
    path = Path(name_or_path)
    return path if path.suffix in (".yaml", ".yml") else path / "target.yaml"


def load_target(name_or_path: str | Path) -> Target:
    """Load and check a target by name (a folder of targets_dir()) or by an explicit path to
    a target.yaml or its folder (a Path, or a string containing a slash or ending in .yaml)."""
    file = target_file(name_or_path)
    if not file.is_file():
        if _is_path(name_or_path):
            raise TargetConfigError(f"{file}: no such target file")
        known = ", ".join(t.name for t in list_targets()) or "(none)"
        raise TargetConfigError(f"unknown target {str(name_or_path)!r}; known targets: {known}")
    try:
        data = yaml.safe_load(file.read_bytes().decode("utf-8")) or {}
    except UnicodeDecodeError as exc:
        raise TargetConfigError(f"{file}: not UTF-8 text (byte {exc.start}: "
                                f"{exc.object[exc.start:exc.start + 1]!r})") from None
    except yaml.YAMLError as exc:
        first = " ".join(str(exc).split())
        raise TargetConfigError(f"{file}: invalid YAML: {first}") from None
    if not isinstance(data, dict):
        raise TargetConfigError(f"{file}: expected a mapping of keys (backend: ..., ...), got "
                                f"{type(data).__name__!r}")
    if "backend" not in data:
        raise TargetConfigError(f"{file}: backend: missing; a target needs at least "
                                "'backend: <name>'")
    bad = [k for k in data if not isinstance(k, str)]
    if bad:
        raise TargetConfigError(f"{file}: {bad[0]!r}: expected a key name (a string), got "
                                f"{type(bad[0]).__name__!r}")
    try:
        spec = TargetSpec.model_validate(data)
    except ValidationError as exc:
        raise TargetConfigError(spec_error(file, exc)) from None
    target = Target(
        name=file.parent.name,
        backend=spec.backend,
        folder=file.parent.resolve(),
        description=spec.description,
        clock_hz=spec.clock_hz,
        flash_bytes=spec.memory.flash_bytes,
        ram_bytes=spec.memory.ram_bytes,
        toolchain=spec.toolchain.model_dump() if spec.toolchain is not None else {},
        energy=spec.energy.model_dump(exclude_none=True),
        timeout_s=spec.timeout_s,
        default_inputs=spec.default_inputs,
        kernels=spec.kernels,
        options=spec.options(),
    )
    target.__dict__["spec"] = spec       # checked above: not parsed again
    return target


def list_targets() -> list[Target]:
    root = targets_dir()
    if not root.is_dir():
        return []
    return [load_target(p) for p in sorted(root.iterdir()) if (p / "target.yaml").is_file()]
