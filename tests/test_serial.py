"""The `serial` backend and the MLPerf Tiny device protocol: the parser against scripted
lines, then the streaming firmware on QEMU's mps2-an386 behind a real pseudo-terminal
(target mps2-an386-pty), which is the byte stream a board gives."""
from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hb_testutil import INT8_MODELS, model_path
from mcu_fixture import expected_outputs, write_model

from harness.backends import backend_for
from harness.backends.serial import SerialBackend, SerialOptions
from harness.errors import RunError, RunTimeoutError, TargetConfigError
from harness.launch import launched
from harness.mlperf_dut import Dut
from harness.targets import Target, load_target, targets_dir


@lru_cache(maxsize=1)
def _unavailable() -> str | None:
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            return f"{tool} not found (Debian: apt-get install gcc-arm-none-eabi qemu-system-arm)"
    return SerialBackend(load_target("mps2-an386-pty")).available()


needs_qemu = pytest.mark.skipif(_unavailable() is not None, reason=_unavailable() or "")


def _variant(tmp_path: Path, base: str, changes: dict[str, Any]) -> Target:
    data = yaml.safe_load((targets_dir() / base / "target.yaml").read_text())
    for key, value in changes.items():
        if isinstance(value, dict):
            data[key] = {**data.get(key, {}), **value}
        else:
            data[key] = value
    folder = tmp_path / f"{base}-variant"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "target.yaml").write_text(yaml.safe_dump(data))
    return load_target(folder / "target.yaml")


def _inputs(n: int, size: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, size), dtype=np.uint8)


# ---- the protocol, against scripted lines (no tools) -----------------------------------


class ScriptedLink:
    """Answers each command with canned lines, delivered in pieces to test line joining."""

    def __init__(self, answers: dict[str, list[str]], piece: int = 5) -> None:
        self.answers = answers
        self.piece = piece
        self.pending = b""
        self.written: list[str] = []
        self.timeout: float | None = None

    def write(self, data: bytes) -> int:
        for command in data.decode().split("%")[:-1]:
            self.written.append(command)
            lines = self.answers.get(command.split(" ")[0], []) + ["m-ready"]
            self.pending += "".join(f"{line}\r\n" for line in lines).encode()
        return len(data)

    def read_until(self, expected: bytes = b"\n", size: int | None = None) -> bytes:
        if not self.pending:
            return b""
        end = self.pending.find(b"\n")
        cut = min(self.piece, end + 1) if end >= 0 else self.piece
        chunk, self.pending = self.pending[:cut], self.pending[cut:]
        return chunk


def test_protocol_answers_are_parsed() -> None:
    link = ScriptedLink({
        "name": ["m-name-dut-[hilbench]"],
        "profile": ["m-profile-[hilbench]", "m-model-[kws_ref_model]"],
        "db": ["m-load-done"],
        "infer": ["m-warmup-start-0", "m-warmup-done", "m-infer-start-2", "m-lap-us-10",
                  "m-lap-us-30", "m-infer-done", "m-results-[0.250,-1.500]",
                  "m-hb-output-[40c0]", "m-hb-count-[1234]", "m-hb-layers-[1000,200]"],
    })
    dut = Dut(link, timeout_s=2, where="scripted")
    dut.sync()
    assert dut.profile() == {"name": "hilbench", "profile": "hilbench", "model": "kws_ref_model"}
    dut.load(bytes(range(100)))
    assert link.written[-2:] == ["db " + bytes(range(64)).hex(), "db " + bytes(range(64, 100)).hex()]
    r = dut.infer(2, 0)
    assert (r.output, r.count, r.layers, r.lap_us, r.results, r.n) == (
        b"\x40\xc0", 1234, [1000, 200], (10, 30), [0.25, -1.5], 2)


def test_protocol_errors_are_clear() -> None:
    refused = Dut(ScriptedLink({"db": ["e-[db load: the model takes 490 bytes]"]}),
                  timeout_s=2, where="b")
    with pytest.raises(RunError, match=r"refused 'db load 3': e-\[db load: the model takes 490"):
        refused.load(b"abc")
    fault = Dut(ScriptedLink({"infer": ["m-warmup-start-0", "HB_FAULT HardFault pc=0x00000124 "
                                        "cfsr=0x00008200 hfsr=0x40000000 input=0"]}),
                timeout_s=2, where="b")
    with pytest.raises(RunError, match="firmware stopped during 'infer 1 0': HB_FAULT HardFault"):
        fault.infer()
    foreign = Dut(ScriptedLink({"infer": ["m-infer-done", "m-results-[0.1]"]}), timeout_s=2,
                  where="b")
    with pytest.raises(RunError, match="no m-hb-output line"):
        foreign.infer()
    silent = Dut(ScriptedLink({}), timeout_s=0.3, where="b")
    silent.link.write = lambda data: len(data)  # type: ignore[method-assign]
    with pytest.raises(RunTimeoutError, match="no m-ready within 0.3 s after 'name'"):
        silent.sync()


def test_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    board = load_target("mps2-an386-serial")
    monkeypatch.delenv("HILBENCH_MPS2_PORT", raising=False)
    assert "HILBENCH_MPS2_PORT" in (SerialBackend(board).available() or "")
    monkeypatch.setenv("HILBENCH_MPS2_PORT", "/dev/ttyACM7")
    assert SerialOptions.from_target(board).port == "/dev/ttyACM7"
    compiled = _variant(tmp_path, "mps2-an386-serial", {"firmware": {"inputs": "compiled"}})
    assert "firmware.inputs: stream" in (SerialBackend(compiled).available() or "")
    with pytest.raises(TargetConfigError,
                       match="firmware.inputs: expected one of compiled, stream, got 'usb'"):
        _variant(tmp_path, "mps2-an386-serial", {"firmware": {"inputs": "usb"}})
    with pytest.raises(TargetConfigError, match="serial.flash: flash and launch exclude each other"):
        _variant(tmp_path, "mps2-an386-pty", {"serial": {"flash": ["true"]}})


# ---- the streaming firmware on QEMU behind a pseudo-terminal ---------------------------


def _qemu_running(elf: Path) -> bool:
    """A process whose command line names `elf` (read from /proc: no procps needed)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(elf).encode() in cmdline.read_bytes():
                return True
        except OSError:
            continue
    return False


@pytest.mark.sim
@needs_qemu
def test_fixture_model_over_the_serial_line(tmp_path: Path) -> None:
    target = load_target("mps2-an386-pty")
    backend = backend_for(target)
    artifact = backend.build(write_model(tmp_path / "model", "affine"))
    inputs = _inputs(3)
    result = backend.run(artifact, [inputs], repeats=3)
    assert np.array_equal(result.outputs[0], expected_outputs(inputs))
    m = result.metrics["instructions_per_inference"]
    assert m.provenance == "instructions" and m.value > 0
    assert [lay.name for lay in result.layers] == ["layer0", "layer1"]
    assert result.commands[0].argv[0] == "qemu-system-arm"
    assert "m-hb-output-[" in result.log and result.extra["lap_us"][1] >= result.extra["lap_us"][0]
    assert not _qemu_running(artifact.path)          # the launched simulator is stopped


@pytest.mark.sim
@needs_qemu
def test_board_errors_over_the_serial_line(tmp_path: Path) -> None:
    target = load_target("mps2-an386-pty")
    backend = backend_for(target)
    artifact = backend.build(write_model(tmp_path / "model", "affine"))
    options = SerialOptions.from_target(target)
    argv = [a.replace("{elf}", str(artifact.path)) for a in options.launch]
    with launched(argv, options.port_pattern, target.name) as (port, _cmd):
        import serial

        with serial.serial_for_url(port, baudrate=115200, timeout=1) as link:
            dut = Dut(link, timeout_s=30, where="pty")
            dut.sync()
            with pytest.raises(RunError, match=r"e-\[db load: the model takes 32 bytes\]"):
                dut.load(bytes(31))
            with pytest.raises(RunError, match="no complete input loaded"):
                dut.infer()
            with pytest.raises(RunError, match="unknown command: flash"):
                dut.command("flash")
    faulty = backend.build(write_model(tmp_path / "bad", "bad-read"))
    with pytest.raises(RunError, match="HB_FAULT HardFault"):
        backend.run(faulty, [_inputs(1)])


@needs_qemu
def test_dead_board_and_bad_launch_are_clear(tmp_path: Path) -> None:
    master, slave = os.openpty()          # a port with nothing behind it
    try:
        dead = _variant(tmp_path, "mps2-an386-serial",
                        {"serial": {"port": os.ttyname(slave)}, "timeout_s": 1})
        backend = backend_for(dead)
        artifact = backend.build(write_model(tmp_path / "model", "affine"))
        with pytest.raises(RunTimeoutError, match="the board is silent"):
            backend.run(artifact, [_inputs(1)])
    finally:
        os.close(master)
        os.close(slave)
    nothing = _variant(tmp_path, "mps2-an386-pty", {"serial": {"launch": ["true"]}})
    with pytest.raises(RunError, match=r"serial.launch.: true printed nothing matching"):
        backend_for(nothing).run(artifact, [_inputs(1)])
    missing = _variant(tmp_path, "mps2-an386-serial", {"serial": {"port": str(tmp_path / "tty")}})
    with pytest.raises(RunError, match="cannot open the serial port"):
        backend_for(missing).run(artifact, [_inputs(1)])


@pytest.mark.sim
@needs_qemu
@pytest.mark.parametrize("stem", INT8_MODELS)
def test_mlperf_tiny_int8_bit_exact_over_serial(stem: str) -> None:
    pytest.importorskip("harness.golden")
    from harness.bench import bench_model

    result = bench_model(model_path(stem), "mps2-an386-pty", n_inputs=2)
    m = result.measurement
    assert m.bit_exact, f"{stem}: {m.mismatches} mismatches"
    assert m.metrics["instructions_per_inference"].provenance == "instructions"
    assert len(m.layers) == len(result.artifact.model.layer_names)


@pytest.mark.sim
@needs_qemu
def test_m_results_is_the_dequantised_output(tmp_path: Path) -> None:
    """What the EEMBC runner reads: the output dequantised, 3 decimals."""
    pytest.importorskip("harness.golden")
    from harness.codegen import generate
    from harness.golden import GoldenInterpreter
    from harness.importers import load_model
    from harness.inputs import random_inputs

    graph = load_model(model_path("kws_ref_model"))
    inputs = random_inputs(graph, 1, 3)
    backend = backend_for(load_target("mps2-an386-pty"))
    result = backend.run(backend.build(generate(graph, tmp_path / "gen")), inputs)
    line = next(x for x in result.log.splitlines() if x.startswith("m-results-["))
    shown = [float(v) for v in line[len("m-results-["):-1].split(",")]
    q = graph.output_tensors()[0].quant
    expected = (GoldenInterpreter(graph).run(inputs)[0][0].astype(np.float64)
                - q.zero_point[0]) * q.scale[0]
    assert np.allclose(shown, expected, atol=0.0006), (shown, expected)


def test_board_counter_becomes_cycles_and_latency(tmp_path: Path) -> None:
    """On a board the counter is a 25 MHz timer; with a 100 MHz core each tick is 4 cycles."""
    board = _variant(tmp_path, "mps2-an386-serial", {"serial": {"port": "/dev/ttyACM0"},
                                                     "clock_hz": 100_000_000})
    backend = SerialBackend(board)
    options = SerialOptions.from_target(board)
    assert backend._tick_scale(options) == (4.0, "hw-counter")
    metrics = backend._metrics(options, [100, 300], None, 2)
    assert metrics["cycles_per_inference"].value == 800.0
    assert metrics["cycles_per_inference"].provenance == "hw-counter"
    assert metrics["latency_ms"].value == pytest.approx(800 / 100e6 * 1e3)
    pty = load_target("mps2-an386-pty")
    only = SerialBackend(pty)._metrics(SerialOptions.from_target(pty), [10], None, 1)
    assert list(only) == ["instructions_per_inference"] and only[
        "instructions_per_inference"].value == 400.0
