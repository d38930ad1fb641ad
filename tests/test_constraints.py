"""constraints.txt pins every dependency that pyproject.toml names, within its range.

scripts/setup.sh installs with `-c constraints.txt` because pip's resolver, unpinned, backtracks
through hundreds of releases and gives up (resolution-too-deep) on a fresh machine. A
dependency added to pyproject.toml without a pin, or a range that excludes its pin, would bring
that failure back only on a fresh machine; these tests catch it on any machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser from PyPI
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep, f"constraints.txt: {line!r} is not an exact pin (name==version)"
        pins[canonicalize_name(name)] = Version(version)
    return pins


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs.extend(extra)
    return [Requirement(s) for s in specs]


def test_every_dependency_is_pinned_within_its_range() -> None:
    pins = _pins()
    problems = []
    for req in _requirements():
        name = canonicalize_name(req.name)
        if name not in pins:
            problems.append(f"{req.name}: no pin in constraints.txt")
        elif not req.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{req.name}: pin {pins[name]} outside {req.specifier}")
    assert not problems, "\n".join(problems)


def test_torch_pin_is_the_cpu_build_on_disk() -> None:
    # torch==2.13.0 matches the local 2.13.0+cpu wheel; a newer pin pulls a CUDA build.
    assert _pins()["torch"] == Version("2.13.0")


def test_setup_installs_with_the_constraints() -> None:
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert "-c constraints.txt" in setup
    assert "constraints.txt" in setup.split("stamp=", 1)[1].split("\n", 2)[1]
