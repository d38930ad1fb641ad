"""The CV32E40X targets (rtl/cv32e40x, backend verilator with `verilator.core: cv32e40x`):
MLPerf Tiny int8 models bit-exact with the golden interpreter, cycles from the core's own
mcycle (rtl-cycle-exact). CV32E40X simulates at ~1-1.6 M cycles/s with cv_sim.vlt
(rtl/cv32e40x/README.md): CI runs KWS on cv32e40x-nnx (~8 M cycles) and AD on both targets
(~2-4 M); KWS on cv32e40x-base (~48 M) runs with HB_CV_HEAVY=1 (VWW / IC: benchmarks/cores.py)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from harness.backends.verilator import VerilatorBackend, VerilatorOptions
from harness.bench import bench_model
from harness.errors import TargetConfigError
from harness.targets import load_target

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hb_testutil import model_path  # noqa: E402


def _missing() -> str | None:
    return VerilatorBackend(load_target("cv32e40x-nnx")).available()


needs_cv = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")
CI = [("cv32e40x-nnx", "kws_ref_model"), ("cv32e40x-base", "ad01_int8"),
      ("cv32e40x-nnx", "ad01_int8")]
HEAVY = [("cv32e40x-base", "kws_ref_model")]


def _check(target: str, stem: str) -> None:
    result = bench_model(model_path(stem), target, n_inputs=1)
    m = result.measurement
    assert m.bit_exact, f"{stem} on {target}: {m.mismatches} mismatches"
    cycles = m.metrics["cycles_per_inference"]
    assert cycles.provenance == "rtl-cycle-exact"
    assert "cv_soc (CV32E40X)" in cycles.note
    assert m.metrics["instructions_per_inference"].value < cycles.value
    assert m.extra["soc"]["core"] == "cv32e40x"
    assert len(m.layers) == len(result.artifact.model.layer_names)


@pytest.mark.sim
@needs_cv
@pytest.mark.parametrize("target,stem", CI, ids=[f"{t}-{s}" for t, s in CI])
def test_mlperf_tiny_int8_bit_exact_on_cv32e40x(target: str, stem: str) -> None:
    _check(target, stem)


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("HB_CV_HEAVY") != "1",
                    reason="KWS on cv32e40x-base: ~48 M cycles, 30-60 s here: set HB_CV_HEAVY=1")
@needs_cv
@pytest.mark.parametrize("target,stem", HEAVY, ids=[f"{t}-{s}" for t, s in HEAVY])
def test_mlperf_tiny_int8_bit_exact_on_cv32e40x_heavy(target: str, stem: str) -> None:
    _check(target, stem)


def test_cv32e40x_needs_latency_one(tmp_path: Path) -> None:
    text = (Path(load_target("cv32e40x-base").folder) / "target.yaml").read_text()
    (tmp_path / "cv2").mkdir()
    (tmp_path / "cv2" / "target.yaml").write_text(
        text.replace("mem_latency: 1 ", "mem_latency: 2 "))
    with pytest.raises(TargetConfigError, match="mem_latency must be 1 for core cv32e40x"):
        VerilatorOptions.from_target(load_target(tmp_path / "cv2"))
