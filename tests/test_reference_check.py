"""Every run is cross-checked against LiteRT BUILTIN_REF: bit-exact / within-tolerance /
differs (fails the run, no row) / unavailable (with the reason)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hb_testutil import model_path

from harness.bench import bench_model
from harness.errors import ReferenceMismatchError
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.inputs import random_inputs
from harness.litert_ref import litert_unavailable
from harness.measure import to_json_record
from harness.reference_check import check_reference

needs_litert = pytest.mark.skipif(litert_unavailable() is not None,
                                  reason=litert_unavailable() or "")


def _golden(stem: str, n: int = 3) -> tuple[Path, list[np.ndarray], list[np.ndarray]]:
    path = model_path(stem)
    graph = load_model(path)
    inputs = random_inputs(graph, n, seed=5)
    return path, inputs, GoldenInterpreter(graph).run(inputs)


@needs_litert
def test_int8_bit_exact_and_float_within_tolerance() -> None:
    a = check_reference(*_golden("ad01_int8"))
    assert (a.status, a.samples) == ("bit-exact", 3)
    b = check_reference(*_golden("kws_ref_model_float32"))
    assert b.status in ("bit-exact", "within-tolerance")


@needs_litert
def test_differs_fails_with_one_line() -> None:
    path, inputs, golden = _golden("ad01_int8")
    wrong = [g.copy() for g in golden]
    wrong[0][0, 0] = np.int8(wrong[0][0, 0] ^ 1)
    with pytest.raises(ReferenceMismatchError, match="1 output values differ") as info:
        check_reference(path, inputs, wrong)
    assert "\n" not in str(info.value)
    a = check_reference(path, inputs, wrong, raise_on_differs=False)
    assert a.status == "differs"


@needs_litert
def test_model_litert_cannot_load(tmp_path: Path) -> None:
    path, inputs, golden = _golden("ad01_int8")
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model at all")
    a = check_reference(bad, inputs, golden)
    assert a.status == "unavailable" and "LiteRT cannot load" in a.detail


def test_unavailable_without_litert(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    a = check_reference(*_golden("ad01_int8", 1))
    assert a.status == "unavailable" and "pip install ai-edge-litert" in a.detail


@needs_litert
def test_bench_records_agreement_and_flag_skips() -> None:
    r = bench_model(model_path("ad01_int8"), "host", n_inputs=4)
    assert r.measurement.extra["reference_agreement"] == "bit-exact"
    assert to_json_record(r.measurement)["reference_agreement"] == "bit-exact"
    r = bench_model(model_path("ad01_int8"), "host", n_inputs=2, reference_check=False)
    assert r.measurement.extra["reference_agreement"] == "unavailable"
    assert "disabled" in r.measurement.extra["reference_detail"]


@needs_litert
def test_bench_fails_when_golden_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    """A golden interpreter that misreads the model fails the run before any row exists."""
    real = GoldenInterpreter.run

    def off_by_one(self, inputs, keep=False):  # type: ignore[no-untyped-def]
        out = real(self, inputs, keep)
        return [np.clip(o.astype(np.int16) + 1, -128, 127).astype(o.dtype) for o in out]

    monkeypatch.setattr(GoldenInterpreter, "run", off_by_one)
    with pytest.raises(ReferenceMismatchError, match="disagrees with LiteRT"):
        bench_model(model_path("ad01_int8"), "host", n_inputs=2)


@needs_litert
def test_cli_json_record_and_no_reference_check(tmp_path: Path) -> None:
    import json
    import subprocess
    base = [sys.executable, "-m", "harness.cli", "run", str(model_path("ad01_int8")), "-t",
            "host", "-n", "3", "--json", "--no-record"]
    done = subprocess.run(base, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["reference_agreement"] == "bit-exact"
    assert "cross-check with LiteRT BUILTIN_REF" in done.stderr
    done = subprocess.run(base + ["--no-reference-check"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["reference_agreement"] == "unavailable"
