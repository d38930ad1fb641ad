"""The `hilbench` command line, end to end, through a subprocess like a user's shell."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hb_testutil import MODELS, model_path

from harness.results import ResultStore

STANDARD_KEYS = {
    "model", "target", "bit_exact", "mismatches", "n_inputs", "cycles_per_inference",
    "cycles_provenance", "instructions_per_inference", "latency_ms", "flash_bytes", "ram_bytes",
    "energy_uj_per_inference", "energy_provenance", "accuracy",
}


def hilbench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True,
                          text=True, timeout=600)


def test_targets_lists_host() -> None:
    done = hilbench("targets")
    assert done.returncode == 0
    assert any(line.startswith("host") and "available" in line for line in done.stdout.splitlines())


def test_run_kws_on_host_json(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    done = hilbench("run", str(model_path("kws_ref_model")), "--target", "host", "--json",
                    "--results", str(db))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert STANDARD_KEYS <= record.keys()
    assert record["bit_exact"] is True and record["mismatches"] == 0
    assert record["model"] == "kws" and record["variant"] == "int8" and record["n_inputs"] == 100
    assert record["latency_ms"] > 0 and record["latency_ms_provenance"] == "wall-clock"
    assert record["flash_bytes"] > 28_984  # the constants alone are 28,984 bytes
    assert record["ram_bytes"] > 0 and record["ram_bytes_provenance"] == "static-analysis"
    assert record["energy_uj_per_inference"] is None and record["energy_provenance"] is None
    assert "[1/1] kws_ref_model.tflite on host" in done.stderr  # progress on stderr
    df = ResultStore(db).dataframe()
    assert len(df) == 1 and bool(df.loc[0, "bit_exact"])
    assert "gcc" in df.loc[0, "commands_json"]


def _bad_models(tmp_path: Path, unsupported_op_model: Path) -> dict[str, Path]:
    truncated = tmp_path / "truncated.tflite"
    truncated.write_bytes(model_path("ad01_int8").read_bytes()[:5000])
    random = tmp_path / "random.tflite"
    random.write_bytes(np.random.default_rng(1).bytes(3000))
    return {"truncated": truncated, "random": random, "unsupported": unsupported_op_model,
            "missing": tmp_path / "missing.tflite"}


@pytest.mark.parametrize("kind, message", [
    ("truncated", "truncated or corrupt TFLite file"),
    ("random", "not a TFLite model"),
    ("unsupported", "not supported: LOG_SOFTMAX(int8->int8) x"),
    ("missing", "model file not found"),
])
def test_bad_model_one_line_error_no_row(tmp_path: Path, unsupported_op_model: Path,
                                         kind: str, message: str) -> None:
    db = tmp_path / "r.sqlite"
    bad = _bad_models(tmp_path, unsupported_op_model)[kind]
    done = hilbench("run", str(bad), "--target", "host", "--json", "--results", str(db), "-q")
    assert done.returncode == 1
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("error: ") and message in errors[0]
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not db.exists() or ResultStore(db).count() == 0


def test_unknown_target(tmp_path: Path) -> None:
    done = hilbench("run", str(model_path("ad01_int8")), "--target", "warp9", "-q",
                    "--results", str(tmp_path / "r.sqlite"))
    assert done.returncode == 1
    assert done.stderr.startswith("error: unknown target 'warp9'; known targets:")


def test_run_then_report(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    models = [str(model_path("ad01_int8")), str(model_path("ad01_fp32"))]
    done = hilbench("run", *models, "--target", "host", "-n", "10", "--results", str(db))
    assert done.returncode == 0, done.stderr
    assert "ad/int8 on host: bit-exact" in done.stdout
    out = tmp_path / "report"
    rep = hilbench("report", "--results", str(db), "--out", str(out))
    assert rep.returncode == 0, rep.stderr
    for name in ("summary.csv", "summary.md", "summary.tex", "overview.png", "overview.pdf"):
        assert (out / name).stat().st_size > 0
    md = (out / "summary.md").read_text()
    assert "wall-clock" in md and "fp32" in md and "int8" in md


def test_report_without_store(tmp_path: Path) -> None:
    done = hilbench("report", "--results", str(tmp_path / "none.sqlite"))
    assert done.returncode == 1 and "no results store" in done.stderr
    assert not (tmp_path / "none.sqlite").exists()


def test_bundled_models_folder_has_attribution() -> None:
    assert (MODELS / "LICENSE").exists() and "mlcommons/tiny" in (MODELS / "README.md").read_text()
