"""Target descriptions and the backend registry."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.backends import BACKENDS, backend_for
from harness.errors import TargetConfigError
from harness.targets import list_targets, load_target


def test_every_target_loads_and_names_a_registered_backend() -> None:
    targets = list_targets()
    assert "host" in [t.name for t in targets]
    for t in targets:
        assert t.backend in BACKENDS, f"{t.name}: backend {t.backend} not registered"


def test_host_target() -> None:
    t = load_target("host")
    assert t.backend == "host" and t.toolchain["cc"] == "gcc"
    assert backend_for(t).available() is None


def test_unknown_target_lists_known_ones() -> None:
    with pytest.raises(TargetConfigError, match="unknown target 'nope'.*host"):
        load_target("nope")


def test_unknown_backend_lists_choices(tmp_path: Path) -> None:
    (tmp_path / "target.yaml").write_text("backend: warp-drive\n")
    with pytest.raises(TargetConfigError, match="'warp-drive' is not in the supported list: host"):
        backend_for(load_target(tmp_path))


@pytest.mark.parametrize("text, match", [
    ("clock_hz: 5\n", "needs at least 'backend"),
    ("backend: [unclosed\n", "invalid YAML"),
    ("backend: host\nclock_hz: fast\n", "invalid literal"),
])
def test_invalid_yaml(tmp_path: Path, text: str, match: str) -> None:
    f = tmp_path / "target.yaml"
    f.write_text(text)
    with pytest.raises(TargetConfigError, match=match):
        load_target(f)


def test_energy_per_cycle_from_current_per_mhz(tmp_path: Path) -> None:
    (tmp_path / "target.yaml").write_text(
        "backend: host\nenergy: {ua_per_mhz: 100, volts: 1.8}\nboard_port: /dev/ttyACM0\n")
    t = load_target(tmp_path)
    # 100 uA/MHz at 1.8 V: 180 pJ per cycle
    assert t.joules_per_cycle() == pytest.approx(180e-12)
    assert t.options == {"board_port": "/dev/ttyACM0"}
