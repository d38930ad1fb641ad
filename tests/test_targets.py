"""Target descriptions and the backend registry."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from hb_testutil import MODELS, REPO

from harness.backends import BACKENDS, backend_for
from harness.errors import TargetConfigError
from harness.paths import KERNELS_DIR
from harness.targets import list_targets, load_target, targets_dir


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
    ("clock_hz: 5\n", "backend: missing; a target needs at least 'backend"),
    ("backend: [unclosed\n", "invalid YAML"),
    ("backend: host\nclock_hz: fast\n", "clock_hz: expected an integer, got 'str'"),
])
def test_invalid_yaml(tmp_path: Path, text: str, match: str) -> None:
    f = tmp_path / "target.yaml"
    f.write_text(text)
    with pytest.raises(TargetConfigError, match=match):
        load_target(f)


_HOST = "backend: host\ntoolchain: {cc: gcc, cflags: [-O2]}\n"

# (target.yaml text, the error after "<file>: ") for every kind of mistake the schema catches
BAD_TARGETS = {
    "wrong-type": (_HOST + "clock_hz: fast\n", "clock_hz: expected an integer, got 'str'"),
    "missing-key": ("backend: host\ntoolchain: {cflags: [-O2]}\n",
                    "toolchain.cc: missing (expected a string)"),
    "unknown-key": (_HOST + "clockhz: 5\n",
                    "clockhz: unknown key (expected one of: backend, description, clock_hz, "
                    "memory, toolchain, energy, timeout_s, default_inputs, kernels, firmware, "
                    "qemu, iss, iss_rv, verilator, serial, renode, pipeline)"),
    "unknown-nested-key": ("backend: host\ntoolchain: {cc: gcc, cflag: [-O2]}\n",
                           "toolchain.cflag: unknown key (expected one of: cc, cflags, ldflags, "
                           "size)"),
    "negative-memory": (_HOST + "memory: {ram_bytes: -4096}\n",
                        "memory.ram_bytes: expected an integer > 0, got -4096"),
    "cflags-string": ("backend: host\ntoolchain: {cc: gcc, cflags: -O2}\n",
                      "toolchain.cflags: expected a list of strings, got 'str'"),
    "cflags-item": ("backend: host\ntoolchain: {cc: gcc, cflags: [-O2, 3]}\n",
                    "toolchain.cflags[1]: expected a string, got 3"),
    "kernels-missing-set": (_HOST + "kernels: turbo\n",
                            "kernels: expected one of the kernel sets armv7em, ref, rvx, got 'turbo'"),
    "kernels-outside": (_HOST + "kernels: ../../../etc\n",
                        "kernels: expected the name of a kernel set (a folder of "
                        f"{KERNELS_DIR}), got the path '../../../etc' outside it"),
    "default-inputs-zero": (_HOST + "default_inputs: 0\n",
                            "default_inputs: expected an integer > 0, got 0"),
    "default-inputs-negative": (_HOST + "default_inputs: -3\n",
                                "default_inputs: expected an integer > 0, got -3"),
    "backend-section-missing": ("backend: qemu\ntoolchain: {cc: gcc}\n"
                                "memory: {flash_bytes: 4096, ram_bytes: 4096}\n"
                                "firmware: {uart: {kind: hb-soc, base: 0}, counter: dwt}\n",
                                "qemu: missing (the qemu backend needs a 'qemu:' section)"),
    "literal": ("backend: iss_rv\ntoolchain: {cc: gcc}\nmemory: {ram_bytes: 4096}\n"
                "firmware: {arch: mips, uart: {kind: hb-soc, base: 0}, counter: mcycle}\n",
                "firmware.arch: expected one of cortex-m, riscv, got 'mips'"),
    "ssh-key-elsewhere": (_HOST + "host: 10.0.0.1\n",
                          "host: unknown key for backend 'host' (connection keys belong to ssh "
                          "targets)"),
    "not-a-mapping": ("- backend\n- host\n",
                      "expected a mapping of keys (backend: ..., ...), got 'list'"),
}


def _write_bad(tmp_path: Path, case: str) -> Path:
    folder = tmp_path / "targets" / case
    folder.mkdir(parents=True)
    file = folder / "target.yaml"
    file.write_text(BAD_TARGETS[case][0])
    return file


@pytest.mark.parametrize("case", sorted(BAD_TARGETS))
def test_bad_target_yaml_is_one_line_naming_file_and_key(tmp_path: Path, case: str) -> None:
    file = _write_bad(tmp_path, case)
    with pytest.raises(TargetConfigError) as info:
        load_target(file)
    assert str(info.value) == f"{file}: {BAD_TARGETS[case][1]}"


def test_non_utf8_target_yaml(tmp_path: Path) -> None:
    file = tmp_path / "target.yaml"
    file.write_bytes(b"backend: host\ndescription: caf\xe9\n")
    with pytest.raises(TargetConfigError) as info:
        load_target(file)
    assert str(info.value) == f"{file}: not UTF-8 text (byte 30: b'\\xe9')"


@pytest.mark.parametrize("case", ["cflags-string", "kernels-outside", "default-inputs-zero",
                                  "unknown-key"])
def test_bad_target_yaml_through_the_cli(tmp_path: Path, case: str) -> None:
    file = _write_bad(tmp_path, case)
    done = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(MODELS / "ad01_int8.tflite"),
                           "--target", str(file), "--no-record", "-q"],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 1
    assert done.stderr == f"error: {file}: {BAD_TARGETS[case][1]}\n"


def test_a_folder_in_the_cwd_does_not_hide_a_target(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "host").mkdir()
    (tmp_path / "host" / "target.yaml").write_text("backend: warp-drive\n")
    monkeypatch.chdir(tmp_path)
    t = load_target("host")
    assert t.backend == "host" and t.folder == (targets_dir() / "host").resolve()
    # an explicit path is a path
    assert load_target("host/target.yaml").backend == "warp-drive"
    assert load_target("./host").backend == "warp-drive"
    with pytest.raises(TargetConfigError, match="nowhere/target.yaml: no such target file"):
        load_target("nowhere/")


def test_target_spec_is_typed_and_follows_replace() -> None:
    t = load_target("mps2-an386")
    assert t.spec.qemu is not None and t.spec.qemu.machine == "mps2-an386"
    assert t.spec.firmware is not None and t.spec.firmware.counter.kind == "cmsdk-timer"
    assert t.spec.toolchain is not None and "-mthumb" in t.spec.toolchain.cflags
    assert t.toolchain["cc"] == "arm-none-eabi-gcc" and t.kernels == "armv7em"
    slower = dataclasses.replace(t, clock_hz=1000)
    assert slower.spec.clock_hz == 1000


def test_energy_per_cycle_from_current_per_mhz(tmp_path: Path) -> None:
    (tmp_path / "target.yaml").write_text(
        "backend: host\ntoolchain: {cc: gcc}\nenergy: {ua_per_mhz: 100, volts: 1.8}\n")
    t = load_target(tmp_path)
    # 100 uA/MHz at 1.8 V: 180 pJ per cycle
    assert t.joules_per_cycle() == pytest.approx(180e-12)
    assert t.options == {}
