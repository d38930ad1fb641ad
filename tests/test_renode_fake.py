"""The `renode` backend against a FAKE Renode (tests/fake_renode.py, put on PATH as `renode`).

CI has no Renode. The fake has Renode 1.15's command line and console monitor and checks the
script hilbench generates as Renode would (absolute paths, peripheral types, the UART name,
the hook on hb_exit), but it runs the firmware in QEMU's mps2-an386: the outputs are really
computed, while its counts are QEMU's 40-instruction ticks scaled to Renode's time base (so
equal to QEMU's counts here; a real Renode's are exact to one instruction). What the fake
cannot show, tests/test_renode_real.py checks against a real Renode where one is installed.

Covered: the script and command as data, the platform file agreeing with target.yaml, the
same ELF as mps2-an386, a normal run bit-exact with golden (fixture and an MLPerf Tiny model,
through the API and the CLI), an instruction-budget stop and a wall-clock kill of a firmware
that never ends (no row stored, no process left), a HardFault and a Renode-style UsageFault,
Renode exiting mid-run, a monitor error in the script, a wrong version, Renode or Mono not
found. No port is opened (the monitor is on standard input), so there is no port to collide.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hb_testutil import REPO, model_path
from mcu_fixture import expected_outputs, write_model

from harness.backends import backend_for, renode_session
from harness.backends.qemu import QemuBackend
from harness.backends.renode import RenodeBackend, RenodeOptions, renode_command, renode_script
from harness.backends.renode_session import SessionFiles
from harness.errors import RunError, RunTimeoutError
from harness.results import ResultStore
from harness.targets import Target, load_target, targets_dir

FAKE = Path(__file__).resolve().parent / "fake_renode.py"
TOOLS = ("arm-none-eabi-gcc", "qemu-system-arm")
needs_tools = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS),
    reason="arm-none-eabi-gcc and qemu-system-arm are needed (Debian: apt-get install "
           "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)")


@pytest.fixture
def fake_renode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`renode` on PATH is the fake; returns the file its processes' pids are written to."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "renode"
    launcher.write_text(f"#!/bin/sh\nexec {sys.executable} {FAKE} \"$@\"\n")
    launcher.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("HILBENCH_RENODE", raising=False)
    pids = tmp_path / "pids.txt"
    monkeypatch.setenv("FAKE_RENODE_PIDS", str(pids))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))   # failed runs keep their files
    monkeypatch.setenv("TMPDIR", str(tmp_path))                # (also in the CLI's process)
    return pids


def _variant(tmp_path: Path, changes: dict[str, Any], repl: str | None = None) -> Target:
    """targets/renode-mps2-an386 copied to tmp_path with YAML sections updated."""
    folder = tmp_path / "renode-variant"
    shutil.copytree(targets_dir() / "renode-mps2-an386", folder)
    data = yaml.safe_load((folder / "target.yaml").read_text())
    for key, value in changes.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    (folder / "target.yaml").write_text(yaml.safe_dump(data))
    if repl is not None:
        (folder / "mps2-an386.repl").write_text(repl)
    return load_target(folder / "target.yaml")


def _inputs(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 32), dtype=np.uint8)


def _alive(pids: Path) -> list[str]:
    """Processes the fake recorded that still run (zombies count as gone)."""
    alive = []
    for line in pids.read_text().splitlines() if pids.exists() else []:
        what, pid = line.split()
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, IndexError):
            continue
        if state != "Z":
            alive.append(f"{what} {pid}")
    return alive


# ---- configuration, script and command (no tools) -------------------------------------


def test_registered_and_the_platform_agrees_with_the_yaml() -> None:
    target = load_target("renode-mps2-an386")
    backend = backend_for(target)
    assert isinstance(backend, RenodeBackend)
    options = backend.options
    assert options.platform.is_absolute() and options.platform.name == "mps2-an386.repl"
    assert [p.name for p in options.peripherals] == ["cmsdk_timer.cs"]
    assert options.per_tick(options.counter_timer_hz) == 1.0     # one tick per instruction
    assert options.per_tick(options.budget_timer_hz) == 40.0     # as QEMU's TIMER1
    assert backend.budget_ticks() == QemuBackend(load_target("mps2-an386")).budget_ticks()
    repl = options.platform.read_text()
    clocks = dict(re.findall(r"^(timer[01]): Timers\.HilbenchCmsdkTimer @ sysbus 0x4000[01]000"
                             r"\n\s+frequency: (\d+)", repl, re.M))
    assert clocks == {"timer0": str(options.counter_timer_hz),
                      "timer1": str(options.budget_timer_hz)}
    assert not re.search(r"^\s*using", repl, re.M)      # no stock file (they fetch SVDs)
    assert "class HilbenchCmsdkTimer" in options.peripherals[0].read_text()


def test_the_firmware_section_is_mps2_an386s() -> None:
    ours = load_target("renode-mps2-an386").spec
    theirs = load_target("mps2-an386").spec
    assert ours.firmware == theirs.firmware and ours.toolchain == theirs.toolchain
    assert ours.kernels == theirs.kernels and ours.memory == theirs.memory


def test_command_and_script_are_data(tmp_path: Path) -> None:
    options = RenodeOptions.from_target(load_target("renode-mps2-an386"), env="")
    files = SessionFiles(tmp_path)
    cmd = renode_command(options, files.script, 12.5)
    assert cmd.argv == ("renode", "--disable-xwt", "--console", "--plain", str(files.script))
    assert cmd.timeout_s == 12.5 and not {"--port", "-P", "--robot-server-port"} & set(cmd.argv)
    script = renode_script(options, Path("/x/firmware.elf"), files, 0x1234).splitlines()
    body = [line for line in script if not line.startswith("#")]
    assert body == [
        "using sysbus",
        f"include @{options.peripherals[0]}",
        'mach create "hilbench"',
        f"machine LoadPlatformDescription @{options.platform}",
        "cpu PerformanceInMips 25",
        'emulation SetGlobalQuantum "0.01"',
        "emulation SetAdvanceImmediately true",
        "sysbus LoadELF @/x/firmware.elf",
        f"uart0 CreateFileBackend @{files.uart} true",
        f"cpu AddHook 0x00001234 \"f = open('{files.exit}', 'w'); f.write('hb_exit r0=' + "
        "str(self.GetRegisterUnsafe(0).RawValue) + ' end'); f.close()\"",
        "start"]
    with pytest.raises(RunError, match="absolute paths without spaces"):
        renode_script(options, Path("/x/my firmware.elf"), files, 0x1234)


def test_mono_launcher_for_renode_exe(tmp_path: Path) -> None:
    target = load_target("renode-mps2-an386")
    exe = tmp_path / "Renode.exe"
    assert RenodeOptions.from_target(target, env=str(exe)).launcher == ("mono", str(exe))
    assert RenodeOptions.from_target(target, env="/opt/renode/renode").launcher == (
        "/opt/renode/renode",)


def test_renode_or_mono_not_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not found: available() stops at the compiler")
    monkeypatch.delenv("HILBENCH_RENODE", raising=False)
    monkeypatch.setenv("PATH", os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "renode").exists()))
    reason = RenodeBackend(load_target("renode-mps2-an386")).available()
    assert reason is not None and reason.startswith(
        "renode (renode.binary in target.yaml) not found: install Renode 1.15")
    monkeypatch.setenv("HILBENCH_RENODE", str(tmp_path / "Renode.exe"))
    reason = RenodeBackend(load_target("renode-mps2-an386")).available()
    assert reason is not None and "Renode.exe (HILBENCH_RENODE) not found" in reason
    (tmp_path / "Renode.exe").write_bytes(b"MZ")
    if shutil.which("mono") is None:
        reason = RenodeBackend(load_target("renode-mps2-an386")).available()
        assert reason == (f"{tmp_path / 'Renode.exe'} (HILBENCH_RENODE) runs under Mono, and "
                          "mono was not found: install it (Debian: apt-get install "
                          "mono-complete)")


@pytest.mark.parametrize("text, message", [
    ("Renode v1.16.0.1234\n  build: 0123abcd-202506011200", "is Renode 1.16.0.1234 "
     r"\(Renode v1.16.0.1234\); target renode-mps2-an386 supports Renode 1.15.x"),
    ("Unexpected options detected: --version", "printed no version"),
])
def test_wrong_version(fake_renode: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                       message: str) -> None:
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not found: available() stops at the compiler")
    monkeypatch.setenv("FAKE_RENODE_VERSION", text)
    reason = RenodeBackend(load_target("renode-mps2-an386")).available()
    assert reason is not None and re.search(message, reason), reason


# ---- runs on the fake -------------------------------------------------------------------


@pytest.mark.sim
@needs_tools
def test_same_elf_as_mps2_an386(tmp_path: Path, fake_renode: Path) -> None:
    model = write_model(tmp_path / "model")
    ours = RenodeBackend(load_target("renode-mps2-an386")).build(model)
    theirs = QemuBackend(load_target("mps2-an386")).build(model)
    assert ours.path.read_bytes() == theirs.path.read_bytes()
    assert ours.tool_versions["renode"] == "Renode v1.15.3.29104"


@pytest.mark.sim
@needs_tools
def test_normal_run_bit_exact(tmp_path: Path, fake_renode: Path) -> None:
    backend = RenodeBackend(load_target("renode-mps2-an386"))
    artifact = backend.build(write_model(tmp_path / "model", "spin"))
    x = _inputs(5)
    result = backend.run(artifact, [x])
    np.testing.assert_array_equal(result.outputs[0], expected_outputs(x))
    instr = result.metrics["instructions_per_inference"]
    assert instr.provenance == "instructions" and instr.unit == "instr"
    assert "PerformanceInMips 25" in instr.note and "1 instruction(s)/tick" in instr.note
    assert set(result.metrics) == {"instructions_per_inference"}      # never cycles
    on_qemu = QemuBackend(load_target("mps2-an386")).run(artifact, [x])
    assert instr.value == on_qemu.metrics["instructions_per_inference"].value
    assert [lay.cycles for lay in result.layers] == [lay.cycles for lay in on_qemu.layers]
    assert {lay.provenance for lay in result.layers} == {"instructions"}
    assert result.commands[-1].argv[1:4] == ("--disable-xwt", "--console", "--plain")
    assert result.extra["renode_version"] == "Renode v1.15.3.29104"
    assert result.log.count("HB_RESULT") == 5 and "hb_exit(0)" in result.log
    assert _alive(fake_renode) == [] and "qemu" in fake_renode.read_text()


@pytest.mark.sim
@needs_tools
def test_the_console_end_line_ends_a_run_whose_hook_stays_silent(
        tmp_path: Path, fake_renode: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_RENODE_MODE", "silent-hook")
    monkeypatch.setattr(renode_session, "HOOK_GRACE_S", 0.3)
    backend = RenodeBackend(load_target("renode-mps2-an386"))
    artifact = backend.build(write_model(tmp_path / "model"))
    x = _inputs(2)
    result = backend.run(artifact, [x])
    np.testing.assert_array_equal(result.outputs[0], expected_outputs(x))
    assert "hb_exit(None)" in result.log and _alive(fake_renode) == []


def test_monitor_errors_are_found_and_log_warnings_are_not() -> None:
    console = ("12:00:01.0000 [INFO] System bus created.\n"
               "12:00:01.1000 [WARNING] nvic: Could not find handler for HFSR read\n"
               "There was an error executing command 'sysbus LoadELF @/x.elf'\n"
               "Could not find file '/x.elf'\n")
    assert renode_session.monitor_error(console) == (
        "There was an error executing command 'sysbus LoadELF @/x.elf': Could not find file "
        "'/x.elf'")
    assert renode_session.monitor_error(console.split("There")[0]) is None


@pytest.mark.sim
@needs_tools
def test_instruction_budget_stops_a_firmware_that_never_ends(tmp_path: Path,
                                                             fake_renode: Path) -> None:
    target = _variant(tmp_path, {"renode": {"max_instructions_per_inference": 200_000}})
    backend = RenodeBackend(target)
    artifact = backend.build(write_model(tmp_path / "model", "forever"))
    with pytest.raises(RunTimeoutError, match=r"within its instruction budget: input 0 executed "
                       r"more than 200,000 instructions \(renode.max_instructions_per_inference"):
        backend.run(artifact, [_inputs(2)])
    assert _alive(fake_renode) == []


@pytest.mark.sim
@needs_tools
def test_wall_clock_kills_renode_that_ignores_quit(tmp_path: Path, fake_renode: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_RENODE_MODE", "deaf")
    monkeypatch.setattr(renode_session, "QUIT_WAIT_S", 0.5)
    target = _variant(tmp_path, {"timeout_s": 3})
    backend = RenodeBackend(target)
    artifact = backend.build(write_model(tmp_path / "model", "forever"))
    with pytest.raises(RunTimeoutError, match=r"firmware did not end within 3 s of wall-clock "
                       r"time .*Renode was stopped.*Machine started"):
        backend.run(artifact, [_inputs(1)])
    assert _alive(fake_renode) == [] and len(fake_renode.read_text().splitlines()) == 2


@pytest.mark.sim
@needs_tools
@pytest.mark.parametrize("behaviour, faults, message", [
    ("bad-read", "", r"firmware stopped with HardFault at pc=0x[0-9a-f]{8} in hb_model_invoke"),
    ("undefined-instruction", "renode", r"firmware stopped with UsageFault at pc=0x[0-9a-f]{8} "
     r"in hb_model_invoke \(cfsr=0x00010000 hfsr=0x00000000: UNDEFINSTR\) during input 0"),
])
def test_faults(tmp_path: Path, fake_renode: Path, monkeypatch: pytest.MonkeyPatch,
                behaviour: str, faults: str, message: str) -> None:
    monkeypatch.setenv("FAKE_RENODE_FAULTS", faults)
    backend = RenodeBackend(load_target("renode-mps2-an386"))
    artifact = backend.build(write_model(tmp_path / "model", behaviour))
    with pytest.raises(RunError, match=message):
        backend.run(artifact, [_inputs(2)])
    assert _alive(fake_renode) == []


@pytest.mark.sim
@needs_tools
def test_renode_exiting_mid_run(tmp_path: Path, fake_renode: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_RENODE_MODE", "crash")
    backend = RenodeBackend(load_target("renode-mps2-an386"))
    artifact = backend.build(write_model(tmp_path / "model", "spin"))
    with pytest.raises(RunError, match=r"Renode exited with status 134 before the firmware "
                       r"ended; Renode's last lines: .*Native Crash Reporting.*files kept in "):
        backend.run(artifact, [_inputs(3)])
    assert _alive(fake_renode) == []           # QEMU, left running by the crash, too


@pytest.mark.sim
@needs_tools
def test_a_monitor_error_fails_at_once(tmp_path: Path, fake_renode: Path) -> None:
    repl = (targets_dir() / "renode-mps2-an386" / "mps2-an386.repl").read_text()
    target = _variant(tmp_path, {}, repl.replace("Timers.HilbenchCmsdkTimer @ sysbus 0x40001000",
                                                 "Timers.CMSDK_Timer @ sysbus 0x40001000"))
    backend = RenodeBackend(target)
    artifact = backend.build(write_model(tmp_path / "model"))
    with pytest.raises(RunError, match=r"Renode could not run .*run.resc: There was an error executing "
                       r"command 'machine LoadPlatformDescription .*': Error E05: Could not "
                       r"resolve type: 'Timers.CMSDK_Timer'"):
        backend.run(artifact, [_inputs(1)])
    assert _alive(fake_renode) == []


def _hilbench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True,
                          text=True, timeout=600, cwd=REPO)


@pytest.mark.sim
@needs_tools
def test_cli_run_mlperf_model_and_a_hung_run_stores_no_row(tmp_path: Path,
                                                           fake_renode: Path) -> None:
    db = tmp_path / "r.sqlite"
    done = _hilbench("run", str(model_path("ad01_int8")), "--target", "renode-mps2-an386",
                     "-n", "3", "--json", "--results", str(db))
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["bit_exact"] is True and record["n_inputs"] == 3
    assert record["instructions_per_inference"] > 1e5
    assert record["instructions_per_inference_provenance"] == "instructions"
    assert record["cycles_per_inference"] is None
    assert ResultStore(db).count() == 1
    hung = _variant(tmp_path, {"renode": {"max_instructions_per_inference": 1000}})
    done = _hilbench("run", str(model_path("ad01_int8")), "--target", str(hung.folder), "-n",
                     "1", "--results", str(db), "-q")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ") and "instruction budget" in done.stderr
    assert ResultStore(db).count() == 1 and _alive(fake_renode) == []
