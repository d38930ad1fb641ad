"""Energy on a board: the serial backend runs the streaming firmware (QEMU's mps2-an386
behind a pty) with a power meter on its "supply" (the simulated LPM01A of meter_fakes.py):
the row gets energy per inference with provenance power-meter; a meter that stops
streaming ends the run with a clear error and no row."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hb_testutil import model_path
from mcu_fixture import expected_outputs, write_model
from meter_fakes import FakeLpm01a

from harness.backends import backend_for
from harness.backends.serial import SerialBackend
from harness.paths import REPO_ROOT
from harness.targets import Target, load_target, targets_dir

needs_qemu = pytest.mark.skipif(
    SerialBackend(load_target("mps2-an386-pty")).available() is not None,
    reason=str(SerialBackend(load_target("mps2-an386-pty")).available()))


def _with_meter(tmp_path: Path, port: str, **meter: Any) -> Target:
    data = yaml.safe_load((targets_dir() / "mps2-an386-pty" / "target.yaml").read_text())
    data["meter"] = {"kind": "lpm01a", "port": port, "rate_hz": 1000, "volts": 3.3,
                     "inferences": 5, "idle_s": 0.2, **meter}
    folder = tmp_path / "pty-with-meter"
    folder.mkdir(exist_ok=True)
    (folder / "target.yaml").write_text(yaml.safe_dump(data))
    return load_target(folder / "target.yaml")


@pytest.mark.sim
@needs_qemu
def test_energy_per_inference_from_the_meter(tmp_path: Path) -> None:
    meter = FakeLpm01a(idle_a=1e-3).start()       # a board drawing 1 mA throughout
    try:
        target = _with_meter(tmp_path, meter.port)
        backend = backend_for(target)
        artifact = backend.build(write_model(tmp_path / "model", "affine"))
        inputs = np.random.default_rng(0).integers(0, 256, size=(2, 32), dtype=np.uint8)
        result = backend.run(artifact, [inputs])
    finally:
        meter.close()
    assert np.array_equal(result.outputs[0], expected_outputs(inputs))
    energy = result.metrics["energy_uj_per_inference"]
    assert energy.provenance == "power-meter" and "LPM01A" in energy.note
    window = result.extra["power_window_s"][1] - result.extra["power_window_s"][0]
    assert energy.value == pytest.approx(3.3 * 1e-3 * window / 5 * 1e6, rel=0.02)
    assert result.metrics["power_idle_w"].value == pytest.approx(3.3e-3, rel=0.01)
    assert abs(result.metrics["energy_above_idle_uj_per_inference"].value) < 0.02 * energy.value
    assert result.extra["power_inferences"] == 5


@pytest.mark.sim
@needs_qemu
def test_a_meter_that_stops_streaming_records_nothing(tmp_path: Path) -> None:
    meter = FakeLpm01a(stop_after_s=0.05).start()
    try:
        target = _with_meter(tmp_path, meter.port, stall_s=0.1)
        results = tmp_path / "r.sqlite"
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli", "run", str(model_path("kws_ref_model")),
             "--target", str(target.folder / "target.yaml"), "-n", "1", "--results",
             str(results), "--no-reference-check", "--json"],
            cwd=REPO_ROOT, env={**os.environ}, capture_output=True, text=True, timeout=600,
            check=False)
    finally:
        meter.close()
    assert done.returncode == 1 and done.stdout == ""
    assert "stopped streaming" in done.stderr and "nothing recorded" in done.stderr
    if results.exists():
        with sqlite3.connect(results) as db:
            assert db.execute("SELECT COUNT(*) FROM measurements").fetchone() == (0,)
