"""PlatformIO Core as hilbench runs it: its own core folder in the build cache, telemetry and
upgrade checks off, and nothing fetched from the network.

PlatformIO 6.2 runs every build through its core package `tool-scons`, which it would
download on first use. Here that package is a small local folder (package.json and the
`.piopm` PlatformIO writes for packages it owns, with the version this PlatformIO asks for)
whose `scons.py` starts the SCons that pip installed from PyPI. With a platform given as
`symlink://<folder>` (targets/mps2-an386-pio/platform) and Debian's arm-none-eabi-gcc, `pio
run` then needs no download at all. Official platforms (`ststm32`, `nordicnrf52`, ...) are
installed by the user, online, into the same core folder.

    pio_core_dir()        $PLATFORMIO_CORE_DIR, else <hilbench cache>/platformio-core
    pio_environment()     the environment variables every pio command gets
    pio_program()         the `pio` next to this Python, else on PATH (None: not installed)
    prepare_core(dir)     the local tool-scons package in the core folder (idempotent)
    platform_problem(p)   why platform `p` cannot be used offline, or None
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..cache import cache_root
from ..commands import which

__all__ = ["pio_core_dir", "pio_environment", "pio_program", "prepare_core", "platform_problem",
           "SCONS_PACKAGE_VERSION"]

# The tool-scons version PlatformIO 6.2 requires ("~4.41101.0": SCons 4.11.1 in its scheme).
SCONS_PACKAGE_VERSION = "4.41101.0"

_SCONS_MAIN = '''\
"""tool-scons for PlatformIO, written by hilbench: the SCons installed from PyPI."""
import SCons.Script.Main

SCons.Script.Main.main()
'''


def pio_core_dir() -> Path:
    """Where PlatformIO keeps its platforms and packages: $PLATFORMIO_CORE_DIR when the user
    set it, else a folder of the hilbench cache (never ~/.platformio behind the user's back)."""
    own = os.environ.get("PLATFORMIO_CORE_DIR")
    return Path(own) if own else cache_root() / "platformio-core"


def pio_environment(core_dir: Path | None = None) -> dict[str, str]:
    """Variables for every pio command: the core folder, no telemetry, no upgrade, core
    package update or prune check at the end of a command (each would reach the network),
    no colour codes in the output."""
    return {
        "PLATFORMIO_CORE_DIR": str(core_dir or pio_core_dir()),
        "PLATFORMIO_SETTING_ENABLE_TELEMETRY": "no",
        "PLATFORMIO_DISABLE_UPGRADE_CHECK": "true",
        "PLATFORMIO_SETTING_CHECK_PRUNE_SYSTEM_THRESHOLD": "0",
        "PLATFORMIO_SETTING_ENABLE_CACHE": "no",
        "PLATFORMIO_NO_ANSI": "true",
        "PLATFORMIO_DISABLE_PROGRESSBAR": "true",
    }


def pio_program() -> str | None:
    """The `pio` executable of this Python's environment, else the one on PATH."""
    own = Path(sys.executable).parent / "pio"
    if own.is_file() and os.access(own, os.X_OK):
        return str(own)
    return which("pio")


def prepare_core(core_dir: Path | None = None) -> Path:
    """The core folder with the local tool-scons package in it (written once; rewritten when
    its version is not the one PlatformIO asks for; a tool-scons PlatformIO installed itself
    is left alone). Returns the core folder."""
    core = core_dir or pio_core_dir()
    package = core / "packages" / "tool-scons"
    meta = {"type": "tool", "name": "tool-scons", "version": SCONS_PACKAGE_VERSION,
            "spec": {"owner": "platformio", "id": None, "name": "tool-scons",
                     "requirements": None, "uri": None}}
    piopm = package / ".piopm"
    if piopm.is_file() and (package / "scons.py").is_file():
        try:
            if json.loads(piopm.read_text()).get("version") == SCONS_PACKAGE_VERSION:
                return core
        except ValueError:
            pass
    manifest_file = package / "package.json"
    if manifest_file.is_file() and "hilbench" not in manifest_file.read_text():
        return core             # PlatformIO's own tool-scons (a user's core): left alone
    package.mkdir(parents=True, exist_ok=True)
    manifest = {"name": "tool-scons", "version": SCONS_PACKAGE_VERSION,
                "description": "SCons from PyPI (written by hilbench, harness/firmware/pio.py)"}
    _write(package / "package.json", json.dumps(manifest, indent=2) + "\n")
    _write(package / "scons.py", _SCONS_MAIN)
    _write(piopm, json.dumps(meta))           # last: its presence means the package is whole
    return core


def platform_problem(platform: str, core_dir: Path | None = None) -> str | None:
    """Why the PlatformIO platform `platform` cannot build here without the network, or None:
    a symlink:// folder must hold a platform.json; a named platform must be installed in the
    core folder (the user installs it once, online)."""
    if platform.startswith("symlink://"):
        folder = Path(platform.removeprefix("symlink://"))
        if not (folder / "platform.json").is_file():
            return f"PlatformIO platform folder {folder} has no platform.json"
        return None
    core = core_dir or pio_core_dir()
    name = platform.split("@")[0].split("/")[-1]
    if not (core / "platforms" / name / "platform.json").is_file():
        return (f"PlatformIO platform {name} is not installed in {core}: run "
                f"PLATFORMIO_CORE_DIR={core} pio pkg install -g -p {name} (online, once)")
    return None


def _write(path: Path, text: str) -> None:
    """Write through a temporary file and rename (several workers may prepare the core)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
