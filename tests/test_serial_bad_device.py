"""A board that says wrong things: every number a device sends over the MLPerf Tiny protocol
is checked (harness/mlperf_dut.py), and a wrong answer is a RunError, never a stored figure.

The parser is fed scripted answers; the serial backend talks to a fake device thread behind
a real pseudo-terminal (no toolchain, no QEMU: the artifact is a stand-in)."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator

import numpy as np
import pytest
import yaml

from harness.backends.base import Artifact
from harness.backends.serial import SerialBackend
from harness.errors import RunError
from harness.mlperf_dut import check_identity, parse_infer, parse_profile
from harness.targets import Target, load_target, targets_dir

GOOD = ["m-warmup-start-0", "m-warmup-done", "m-infer-start-1", "m-lap-us-10", "m-lap-us-30",
        "m-infer-done", "m-results-[0.250]", "m-hb-output-[40c0]", "m-hb-count-[1234]",
        "m-hb-layers-[1000,200]"]


def answer(**changes: str) -> list[str]:
    """GOOD with the lines whose prefix is a key (m-hb-count -> m_hb_count) replaced."""
    lines = list(GOOD)
    for key, line in changes.items():
        prefix = key.replace("_", "-")
        lines = [line if x.startswith(prefix) else x for x in lines]
    return lines


def test_a_good_answer_parses() -> None:
    r = parse_infer(GOOD, 1, 0, "b")
    assert (r.output, r.count, r.layers, r.lap_us) == (b"\x40\xc0", 1234, [1000, 200], (10, 30))


@pytest.mark.parametrize("lines, message", [
    (answer(m_hb_count="m-hb-count-[0]"), "counted 0 ticks over 1 inference"),
    (answer(m_hb_count="m-hb-count-[1" + "0" * 400 + "]"), "m-hb-count '1000.* is not a counter"),
    (answer(m_hb_count="m-hb-count-[18446744073709551616]"), "not a counter value"),
    (answer(m_hb_count="m-hb-count-[-1234]"), r"m-hb-count '-1234', which is not a counter"),
    (answer(m_hb_count="m-hb-count-[12.5]"), "not a counter value"),
    (answer(m_hb_count="m-hb-count-[ 12]"), "not a counter value"),
    (answer(m_hb_layers="m-hb-layers-[1000,-200]"), r"m-hb-layers value '-200'"),
    (answer(m_hb_layers="m-hb-layers-[1000,2000]"), "add up to 3000, more than the 1234"),
    (answer(m_lap_us="m-lap-us-12ab"), r"m-lap-us '12ab', which is not a counter value"),
    ([x for x in GOOD if x != "m-lap-us-30"], "1 m-lap-us lines"),
    (answer(m_infer_start="m-infer-start-7"), r"asked for 1, the board answered 'm-infer-start-7'"),
    (answer(m_warmup_start="m-warmup-start-x"), "infer-start|warmup-start 'x'"),
    (answer(m_hb_output="m-hb-output-[4]"), "malformed answer to 'infer'"),
    ([x for x in GOOD if x != "m-infer-done"], "no m-infer-done"),
])
def test_bad_numbers_are_refused(lines: list[str], message: str) -> None:
    with pytest.raises(RunError, match=message):
        parse_infer(lines, 1, 0, "board")


def test_identity_is_checked() -> None:
    profile = parse_profile(["m-name-dut-[hilbench]", "m-profile-[hilbench]", "m-model-[vww]"])
    check_identity(profile, "vww", "b")
    with pytest.raises(RunError, match=r"the board runs 'vww', expected 'kws': flash the image"):
        check_identity(profile, "kws", "b")
    with pytest.raises(RunError, match="no model name .no m-model line."):
        check_identity(parse_profile(["m-name-dut-[x]"]), "kws", "b")


# ---- the backend against a fake device behind a pseudo-terminal -------------------------


class FakeDevice:
    """Reads `cmd%` commands from the pty master and answers like runner_mlperf.c would,
    with `infer` answered by `on_infer(n, warmup)` and the model named `model`."""

    def __init__(self, model: str, on_infer: Callable[[int, int], list[str]],
                 input_bytes: int) -> None:
        self.master, self.slave = os.openpty()
        self.model = model
        self.on_infer = on_infer
        self.input_bytes = input_bytes
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def port(self) -> str:
        return os.ttyname(self.slave)

    def _answer(self, command: str) -> list[str]:
        verb, *rest = command.split()
        if verb == "name":
            return ["m-name-dut-[hilbench]"]
        if verb == "profile":
            return ["m-profile-[hilbench]", f"m-model-[{self.model}]"]
        if verb == "db" and rest[:1] == ["load"]:
            self.loaded, self.expected = 0, int(rest[1])
            return [f"m-[Expecting {rest[1]} bytes]"]
        if verb == "db":
            self.loaded += len(rest[0]) // 2
            return ["m-load-done"] if self.loaded == self.expected else []
        if verb == "infer":
            return self.on_infer(int(rest[0]), int(rest[1]))
        return [f"e-[unknown command: {verb}]"]

    def _serve(self) -> None:
        pending = b""
        while not self.stop:
            try:
                pending += os.read(self.master, 4096)
            except OSError:
                return
            while b"%" in pending:
                command, pending = pending.split(b"%", 1)
                lines = self._answer(command.decode()) + ["m-ready"]
                os.write(self.master, "".join(f"{x}\r\n" for x in lines).encode())

    def close(self) -> None:
        self.stop = True
        for fd in (self.slave, self.master):
            os.close(fd)


def good_infer(n: int, warmup: int, **changes: str) -> list[str]:
    lines = [f"m-warmup-start-{warmup}", "m-warmup-done", f"m-infer-start-{n}", "m-lap-us-10",
             "m-lap-us-30", "m-infer-done", "m-results-[1.0]", "m-hb-output-[" + "07" * 4 + "]",
             f"m-hb-count-[{1000 * n}]", f"m-hb-layers-[{600 * n},{300 * n}]"]
    for key, line in changes.items():
        lines = [line if x.startswith(key.replace("_", "-")) else x for x in lines]
    return lines


@pytest.fixture
def board(tmp_path: Path) -> Iterator[Callable[..., tuple[SerialBackend, Artifact, FakeDevice]]]:
    devices: list[FakeDevice] = []

    def make(model: str = "affine", model_id: str | None = None,
             on_infer: Callable[[int, int], list[str]] = good_infer
             ) -> tuple[SerialBackend, Artifact, FakeDevice]:
        device = FakeDevice(model, on_infer, 4)
        devices.append(device)
        data = yaml.safe_load((targets_dir() / "mps2-an386-serial" / "target.yaml").read_text())
        data["serial"]["port"] = device.port
        data["timeout_s"] = 5
        if model_id:
            data["serial"]["model_id"] = model_id
        folder = tmp_path / f"board{len(devices)}"
        folder.mkdir()
        (folder / "target.yaml").write_text(yaml.safe_dump(data))
        target: Target = load_target(folder / "target.yaml")
        stand_in: Any = SimpleNamespace(
            input_bytes=4, output_bytes=4, layer_names=["layer0", "layer1"],
            layer_ops=["FULLY_CONNECTED", "ADD"], output_specs=[((4,), "uint8")],
            source=tmp_path / "affine.tflite")
        artifact = Artifact(target, tmp_path / "firmware.elf", stand_in)
        return SerialBackend(target), artifact, device

    yield make
    for device in devices:
        device.close()


def inputs(n: int) -> list[np.ndarray]:
    return [np.zeros((n, 4), dtype=np.uint8)]


def test_fake_board_runs(board: Callable[..., Any]) -> None:
    backend, artifact, _ = board()
    result = backend.run(artifact, inputs(2), repeats=3)
    assert np.array_equal(result.outputs[0], np.full((2, 4), 7, dtype=np.uint8))
    assert result.metrics["cycles_per_inference"].value == 1000
    assert result.metrics["latency_ms"].value == pytest.approx(1000 / 25e6 * 1e3)
    assert [lay.cycles for lay in result.layers] == [600, 300]


def test_shipped_serial_target_checks_the_model_by_default(board: Callable[..., Any]) -> None:
    assert "model_id" not in load_target("mps2-an386-serial").options["serial"]
    backend, artifact, _ = board(model="vww_96_int8")
    with pytest.raises(RunError, match=r"the board runs 'vww_96_int8', expected 'affine': flash "
                       r"the image built for this model \(.*firmware.elf\)"):
        backend.run(artifact, inputs(1))
    backend, artifact, _ = board(model="kws", model_id="kws")   # serial.model_id wins
    backend.run(artifact, inputs(1))


@pytest.mark.parametrize("changes, message", [
    ({"m_hb_count": "m-hb-count-[0]"}, "counted 0 ticks"),
    ({"m_hb_count": "m-hb-count-[1" + "0" * 400 + "]"}, "not a counter value"),
    ({"m_hb_count": "m-hb-count-[-5]"}, "not a counter value"),
    ({"m_hb_layers": "m-hb-layers-[-600,300]"}, "not a counter value"),
    ({"m_hb_layers": "m-hb-layers-[1,2,3]"}, "3 per-layer counts, the model has 2 layers"),
    ({"m_lap_us": "m-lap-us-soon"}, "m-lap-us 'soon'"),
])
def test_a_board_sending_bad_numbers_gives_no_result(board: Callable[..., Any],
                                                     changes: dict[str, str],
                                                     message: str) -> None:
    backend, artifact, _ = board(on_infer=lambda n, w: good_infer(n, w, **changes))
    with pytest.raises(RunError, match=message):
        backend.run(artifact, inputs(2), repeats=2)


def test_no_negative_layer_cycles() -> None:
    from harness.measure import LayerMetric

    with pytest.raises(ValueError, match="must not be negative"):
        LayerMetric(0, "conv", "CONV_2D", -600, "hw-counter")
