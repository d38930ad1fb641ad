"""Boards built with PlatformIO: the local tool-scons package against PlatformIO's own
requirement, `hilbench export` (a project `pio project config` accepts), and the whole path
offline: `pio run` with hilbench's local platform -> `pio run -t upload` starting QEMU behind
a pty -> the serial backend streaming the inputs -> bit-exact, with a recording proxy to show
that PlatformIO tried no download."""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hb_testutil import model_path

from harness.backends.serial import SerialBackend
from harness.errors import HilbenchError
from harness.export import export_project
from harness.firmware.pio import SCONS_PACKAGE_VERSION, pio_environment, pio_program, prepare_core
from harness.paths import REPO_ROOT
from harness.targets import load_target

KWS = model_path("kws_ref_model")


def _unavailable() -> str | None:
    return SerialBackend(load_target("mps2-an386-pio")).available()


needs_pio = pytest.mark.skipif(_unavailable() is not None, reason=str(_unavailable()))


class RecordingProxy:
    """A TCP server standing in for an HTTP(S) proxy: it counts the connections made to it
    and closes each at once. With HTTP_PROXY / HTTPS_PROXY pointing here, every request
    PlatformIO (requests) makes would show up in `connections`."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


@pytest.fixture
def offline_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], RecordingProxy]]:
    proxy = RecordingProxy()
    env = {**os.environ, "HILBENCH_CACHE": str(tmp_path / "cache"),
           "HTTP_PROXY": proxy.url, "HTTPS_PROXY": proxy.url, "ALL_PROXY": proxy.url,
           "http_proxy": proxy.url, "https_proxy": proxy.url, "NO_PROXY": ""}
    env.pop("PLATFORMIO_CORE_DIR", None)
    try:
        yield env, proxy
    finally:
        proxy.close()


def _hilbench(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def test_local_tool_scons_satisfies_platformio(tmp_path: Path) -> None:
    pytest.importorskip("platformio")
    from platformio.dependencies import get_core_dependencies
    from semantic_version import SimpleSpec, Version

    wanted = SimpleSpec(get_core_dependencies()["tool-scons"])
    assert wanted.match(Version(SCONS_PACKAGE_VERSION)), wanted
    core = prepare_core(tmp_path / "core")
    meta = json.loads((core / "packages" / "tool-scons" / ".piopm").read_text())
    assert meta["version"] == SCONS_PACKAGE_VERSION and meta["spec"]["owner"] == "platformio"
    assert prepare_core(core) == core            # idempotent


def test_pio_environment_turns_off_the_network_features(tmp_path: Path) -> None:
    env = pio_environment(tmp_path)
    assert env["PLATFORMIO_CORE_DIR"] == str(tmp_path)
    assert env["PLATFORMIO_SETTING_ENABLE_TELEMETRY"] == "no"
    assert env["PLATFORMIO_DISABLE_UPGRADE_CHECK"] == "true"


@pytest.mark.parametrize("board", ["mps2-an386-pio", "nucleo-l4r5zi", "nrf52840-dk"])
@needs_pio
def test_export_writes_a_project_pio_accepts(tmp_path: Path, board: str) -> None:
    out = tmp_path / "project"
    files = export_project(KWS, board, out)
    assert "platformio.ini" in files and "src/model/model.c" in files
    ini = (out / "platformio.ini").read_text()
    assert "board_build.ldscript = link.ld" in ini
    for name in ("src/model/model.c", "src/runtime/runner_mlperf.c", "src/runtime/startup.c",
                 "src/runtime/hb_results.c", "link.ld", "hilbench_flags.py"):
        assert (out / name).is_file(), name
    env = {**os.environ, **pio_environment(prepare_core(tmp_path / "core"))}
    config = subprocess.run([str(pio_program()), "project", "config", "-d", str(out),
                             "--json-output"], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert config.returncode == 0, config.stdout + config.stderr
    sections = dict(json.loads(config.stdout))
    spec = load_target(board).spec.platformio
    assert spec is not None
    options = dict(sections[f"env:{spec.env}"])
    assert options["board"] == spec.board
    assert any("HB_MODEL_ID" in flag for flag in options["build_flags"])
    with pytest.raises(HilbenchError, match="not an empty folder"):
        export_project(KWS, board, out)


def test_export_command_line(tmp_path: Path) -> None:
    done = _hilbench(["export", str(KWS), "--board", "mps2-an386", "--out",
                      str(tmp_path / "p")], os.environ.copy())
    assert done.returncode == 1
    assert "no 'platformio:' section" in done.stderr and "mps2-an386-pio" in done.stderr
    assert not (tmp_path / "p").exists()
    done = _hilbench(["export", str(KWS), "--board", "mps2-an386-pio", "--out",
                      str(tmp_path / "q")], os.environ.copy())
    assert done.returncode == 0, done.stderr
    assert "pio run -d" in done.stdout and (tmp_path / "q" / "platformio.ini").is_file()


@pytest.mark.sim
@needs_pio
def test_kws_built_uploaded_and_streamed_with_platformio_offline(
        offline_env: tuple[dict[str, str], RecordingProxy], tmp_path: Path) -> None:
    env, proxy = offline_env
    results = tmp_path / "r.sqlite"
    done = _hilbench(["run", str(KWS.relative_to(REPO_ROOT)), "--target", "mps2-an386-pio",
                      "--json", "-n", "2", "--results", str(results)], env)
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout.splitlines()[-1])
    assert row["bit_exact"] is True and row["n_inputs"] == 2
    assert row["instructions_per_inference_provenance"] == "instructions"
    assert row["firmware_flash_bytes"] > row["flash_bytes"] > 0
    assert proxy.connections == 0, "PlatformIO tried to reach the network"
    core = Path(env["HILBENCH_CACHE"]) / "platformio-core"
    assert (core / "packages" / "tool-scons" / ".piopm").is_file()


@pytest.mark.sim
@needs_pio
def test_a_board_with_another_identity_gives_no_row(
        offline_env: tuple[dict[str, str], RecordingProxy], tmp_path: Path) -> None:
    env, _ = offline_env
    data = yaml.safe_load((REPO_ROOT / "targets" / "mps2-an386-pio" / "target.yaml").read_text())
    data["serial"]["model_id"] = "vww_96_int8"     # the board must say this; it says kws
    data["platformio"]["platform"] = data["platformio"]["platform"].replace(
        "{target_dir}", str(REPO_ROOT / "targets" / "mps2-an386-pio"))
    folder = tmp_path / "other-board"
    folder.mkdir()
    (folder / "target.yaml").write_text(yaml.safe_dump(data))
    results = tmp_path / "r.sqlite"
    done = _hilbench(["run", str(KWS), "--target", str(folder / "target.yaml"), "--json",
                      "-n", "1", "--results", str(results), "--no-reference-check"], env)
    assert done.returncode == 1
    assert "vww_96_int8" in done.stderr and done.stdout == ""
    if results.exists():
        with sqlite3.connect(results) as db:
            assert db.execute("SELECT COUNT(*) FROM measurements").fetchone() == (0,)


@needs_pio
def test_flash_commands_are_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.artifacts import Artifact
    from harness.firmware.pio_build import pio_placeholders

    project = tmp_path / "proj"
    elf = project / ".pio" / "build" / "nucleo_l4r5zi" / "firmware.elf"
    artifact = Artifact(load_target("nucleo-l4r5zi"), elf, None)  # type: ignore[arg-type]
    openocd = ("openocd", "-f", "target/stm32l4x.cfg", "-c", "program {elf} verify reset exit")
    assert pio_placeholders(openocd, artifact)[-1] == f"program {elf} verify reset exit"
    stflash = ("st-flash", "write", "{project}/.pio/build/{env}/firmware.bin", "0x08000000")
    assert pio_placeholders(stflash, artifact)[2] == str(elf.with_name("firmware.bin"))
    pio = pio_placeholders(("{pio}", "run", "-d", "{project}", "-e", "{env}"), artifact)
    assert pio[1:] == ("run", "-d", str(project), "-e", "nucleo_l4r5zi")

    data = yaml.safe_load((REPO_ROOT / "targets" / "nucleo-l4r5zi" / "target.yaml").read_text())
    data["serial"]["flash"] = ["no-such-flasher", "write", "{elf}"]
    data["platformio"]["platform"] = "symlink://" + str(
        REPO_ROOT / "targets" / "mps2-an386-pio" / "platform")
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "target.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.delenv("HILBENCH_PORT", raising=False)
    reason = SerialBackend(load_target(tmp_path / "t" / "target.yaml")).available()
    assert reason is not None and "no serial port" in reason and "no flasher" in reason
    monkeypatch.setenv("HILBENCH_PORT", "/dev/ttyACM7")
    reason = SerialBackend(load_target(tmp_path / "t" / "target.yaml")).available()
    assert reason == "no flasher: no-such-flasher (serial.flash) not found: install it"
