"""`hilbench sweep`: every variant of a recipe on every target, scored on the data set's test
split, one row per (variant, target) with the variant's facts; and nothing recorded for a
variant that fails or a target whose outputs disagree with the golden interpreter.

The digits recipe trains in seconds (`--quick`); trained models and converted variants are
cached by content hash, so the tests of one session share them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from harness.cli import main
from harness.results import ResultStore

REPO = Path(__file__).resolve().parent.parent
DIGITS = REPO / "suites" / "digits" / "recipe.yaml"
DIGITS_TEST_SIZE = 359   # harness.datasets.digits: the seeded stratified test split of 1797
VARIANT_FIELDS = ("techniques", "parent_sha256", "params", "macs", "weight_bits", "sparsity",
                  "model_bytes", "dataset", "dataset_sha256", "n_eval", "train_seed")


def _sweep(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", "sweep", str(DIGITS), *args,
                           "--quick", "--json", "--results", str(db)],
                          capture_output=True, text=True, timeout=1800, cwd=REPO)


@pytest.mark.sim
def test_digits_sweep_on_host_and_the_m4_iss_scores_every_variant(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    done = _sweep("--target", "host", "--target", "cortex-m4-iss", db=db)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted((r["variant"], r["target"]) for r in records) == sorted(
        (v, t) for v in ("fp32", "int8-ptq", "int8-qat") for t in ("host", "cortex-m4-iss"))
    for r in records:
        assert r["model"] == "digits"
        assert isinstance(r["accuracy"], float) and r["accuracy"] > 0.8, r
        assert r["accuracy_provenance"] == "dataset"
        assert r["n_eval"] == DIGITS_TEST_SIZE == r["n_inputs"]
        for key in VARIANT_FIELDS:
            assert r[key] is not None, key
        if r["variant"].startswith("int8"):
            assert r["bit_exact"] is True and r["weight_bits"] == 8
        else:
            assert r["within_tolerance"] is True and r["weight_bits"] == 32
    by = {(r["variant"], r["target"]): r for r in records}
    # int8 variants are bit-exact everywhere, so every target scores them the same.
    for v in ("int8-ptq", "int8-qat"):
        assert by[(v, "host")]["accuracy"] == by[(v, "cortex-m4-iss")]["accuracy"]
    assert by[("int8-ptq", "cortex-m4-iss")]["cycles_provenance"] == "iss-cycle-model"
    assert by[("int8-ptq", "host")]["model_bytes"] < by[("fp32", "host")]["model_bytes"]
    assert "seconds per stage: train" in done.stderr
    assert ResultStore(db).count() == 6
    # The report answers the question: a Pareto figure and a LaTeX table for the suite.
    out = tmp_path / "report"
    assert main(["report", "--results", str(db), "--out", str(out)]) == 0
    assert (out / "pareto_digits.png").stat().st_size > 0
    tex = (out / "variants_digits.tex").read_text()
    assert "int8-qat" in tex and "\\toprule" in tex and f"{DIGITS_TEST_SIZE} samples" in tex


@pytest.mark.sim
def test_digits_sweep_on_rv32_nnx_runs_a_stratified_subset(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    done = _sweep("--target", "rv32-nnx", "--variant", "int8-ptq", "--subset", "20", db=db)
    assert done.returncode == 0, done.stderr
    (r,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert r["bit_exact"] is True and r["n_eval"] == 20 == r["n_inputs"]
    assert r["cycles_provenance"] == "rtl-cycle-exact"
    assert "class-stratified subset" in r["accuracy_provenance_note"]
    # The golden interpreter's score on the whole split, under its own provenance.
    assert r["accuracy_golden_full_provenance"] == "golden-dataset"
    assert 0.8 < r["accuracy_golden_full"] <= 1.0


def test_unknown_variant_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["sweep", str(DIGITS), "--target", "host", "--variant", "int4", "--quick",
               "--results", str(tmp_path / "r.sqlite")])
    err = capsys.readouterr().err.splitlines()
    assert rc == 1
    assert [line for line in err if line.startswith("error:")] == [
        f"error: {DIGITS}: no variant int4; the recipe has: fp32, int8-ptq, int8-qat"]


def test_unknown_target_fails_before_anything_is_built(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["sweep", str(DIGITS), "--target", "no-such-board", "--quick",
               "--results", str(tmp_path / "r.sqlite")])
    err = capsys.readouterr().err
    assert rc == 1 and "error: unknown target 'no-such-board'" in err
    assert "building" not in err


def test_a_failed_variant_writes_no_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    import harness.variants as variants

    def failing(recipe: Any, **_kw: Any) -> Iterator[Any]:
        yield variants.VariantFailure("int8-ptq", "conversion failed: made to fail in a test")

    monkeypatch.setattr(variants, "build_variants", failing)
    db = tmp_path / "r.sqlite"
    rc = main(["sweep", str(DIGITS), "--target", "host", "--quick", "--json", "--results", str(db)])
    captured = capsys.readouterr()
    assert rc == 1 and captured.out == ""
    assert "error: variant int8-ptq failed: conversion failed: made to fail in a test" in captured.err
    assert ResultStore(db).count() == 0


def test_outputs_that_disagree_with_golden_write_no_row(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from harness.backends.host import HostBackend

    real_run = HostBackend.run

    def corrupting_run(self: HostBackend, *args: Any, **kwargs: Any) -> Any:
        result = real_run(self, *args, **kwargs)
        out = result.outputs[0].copy()
        flat = out.reshape(-1)
        flat[0] = flat[0] + (1 if out.dtype != np.float32 else 1.0)   # one element off
        result.outputs[0] = out
        return result

    monkeypatch.setattr(HostBackend, "run", corrupting_run)
    db = tmp_path / "r.sqlite"
    rc = main(["sweep", str(DIGITS), "--target", "host", "--variant", "int8-ptq", "--quick",
               "--json", "--results", str(db)])
    captured = capsys.readouterr()
    assert rc == 1 and captured.out == ""
    assert "disagree with the golden interpreter (1 elements differ" in captured.err
    assert ResultStore(db).count() == 0
