"""Targets: what to run on, described in `targets/<name>/target.yaml` (description apart from
mechanism: the YAML says which backend, clock, memory, toolchain and energy model; the backend
class says how).

Required keys: `backend`. Optional: `description`, `clock_hz`, `memory` (`flash_bytes`,
`ram_bytes`), `toolchain` (`cc`, `cflags`, `ldflags`, `size`), `energy` (`joules_per_cycle`, or
`ua_per_mhz` and `volts`), `timeout_s`, `default_inputs` (inputs checked per model when the
user gives no count: slow simulators set fewer than 100), `kernels` (the C kernel set, a folder
of harness/codegen/kernels/, default `ref`), and any backend-specific keys, kept in `options`.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import TargetConfigError

__all__ = ["Target", "targets_dir", "load_target", "list_targets"]

_KNOWN = {"backend", "description", "clock_hz", "memory", "toolchain", "energy", "timeout_s",
          "default_inputs", "kernels"}


@dataclass(frozen=True)
class Target:
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
    return Path(env) if env else Path(__file__).resolve().parent.parent / "targets"


def load_target(name_or_path: str | Path) -> Target:
    """Load a target by name (a folder of targets_dir()) or by a path to a target.yaml/folder."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        file = path
    elif path.is_dir():
        file = path / "target.yaml"
    else:
        file = targets_dir() / str(name_or_path) / "target.yaml"
    if not file.is_file():
        known = ", ".join(t.name for t in list_targets()) or "(none)"
        raise TargetConfigError(f"unknown target {str(name_or_path)!r}; known targets: {known}")
    try:
        data = yaml.safe_load(file.read_text()) or {}
    except (yaml.YAMLError, ValueError, OSError) as exc:  # ValueError: not UTF-8
        raise TargetConfigError(f"{file}: invalid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("backend"), str):
        raise TargetConfigError(f"{file}: a target needs at least 'backend: <name>'")
    memory = data.get("memory") or {}
    try:
        target = Target(
            name=file.parent.name,
            backend=str(data["backend"]),
            folder=file.parent.resolve(),
            description=str(data.get("description", "")),
            clock_hz=int(data["clock_hz"]) if data.get("clock_hz") else None,
            flash_bytes=int(memory["flash_bytes"]) if memory.get("flash_bytes") else None,
            ram_bytes=int(memory["ram_bytes"]) if memory.get("ram_bytes") else None,
            toolchain=dict(data.get("toolchain") or {}),
            energy={k: float(v) for k, v in (data.get("energy") or {}).items()},
            timeout_s=float(data.get("timeout_s", 300.0)),
            default_inputs=int(data.get("default_inputs", 100)),
            kernels=str(data.get("kernels", "ref")),
            options={k: v for k, v in data.items() if k not in _KNOWN},
        )
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise TargetConfigError(f"{file}: {exc}") from None
    for key in ("clock_hz", "flash_bytes", "ram_bytes", "timeout_s", "default_inputs"):
        value = getattr(target, key)
        if value is not None and not 0 < value < math.inf:   # negative, zero, NaN, infinite
            raise TargetConfigError(f"{file}: {key} must be a positive number, got {value!r}")
    if not all(0 <= v < math.inf for v in target.energy.values()):
        raise TargetConfigError(f"{file}: energy values must be non-negative numbers")
    return target


def list_targets() -> list[Target]:
    root = targets_dir()
    if not root.is_dir():
        return []
    return [load_target(p) for p in sorted(root.iterdir()) if (p / "target.yaml").is_file()]
