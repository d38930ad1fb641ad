"""`hilbench run MODEL --dataset NAME`: the target's own outputs on labelled samples, scored.

CIFAR-10 is not bundled; a batch file in the CIFAR-10 python format, made here from seeded
random pixels, stands in for it to exercise the whole path (loader, quantized inputs, the host
target, scoring, the golden-interpreter figure on the whole split, the JSON record)."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from harness.cli import main

MODELS = Path(__file__).resolve().parent.parent / "models" / "mlperf-tiny"


@pytest.fixture
def fake_cifar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    rng = np.random.default_rng(7)
    batch = {b"data": rng.integers(0, 256, size=(10000, 3072), dtype=np.uint8),
             b"labels": [int(v) for v in rng.integers(0, 10, size=10000)]}
    folder = tmp_path / "cifar"
    folder.mkdir()
    (folder / "test_batch").write_bytes(pickle.dumps(batch))
    monkeypatch.setenv("HILBENCH_CIFAR10", str(folder))
    return folder


def test_ic_model_on_a_cifar10_subset_reports_accuracy_with_its_data(
        fake_cifar: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc = main(["run", str(MODELS / "pretrainedResnet_quant.tflite"), "--target", "host",
               "--dataset", "cifar10", "--subset", "30", "--json", "--quiet",
               "--results", str(tmp_path / "r.sqlite")])
    assert rc == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["bit_exact"] is True and record["n_inputs"] == 30
    assert record["n_eval"] == 30 and record["dataset"] == "cifar10"
    assert record["accuracy_provenance"] == "dataset"
    assert 0.0 <= record["accuracy"] <= 1.0
    assert len(record["dataset_sha256"]) == 64
    assert "class-stratified subset" in record["accuracy_provenance_note"]
    assert "accuracy_golden_full" not in record   # only with --golden-full


def test_missing_data_set_is_one_error_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HILBENCH_CIFAR10", str(tmp_path / "nothing-here"))
    rc = main(["run", str(MODELS / "pretrainedResnet_quant.tflite"), "--target", "host",
               "--dataset", "cifar10", "--no-record", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and err[0].startswith("error: ") and "HILBENCH_CIFAR10" in err[0]
    assert not (tmp_path / "r.sqlite").exists()


def test_data_set_that_does_not_fit_the_model_is_refused(capsys: pytest.CaptureFixture[str],
                                                        tmp_path: Path) -> None:
    rc = main(["run", str(MODELS / "kws_ref_model.tflite"), "--target", "host", "--dataset",
               "digits", "--quiet", "--results", str(tmp_path / "r.sqlite")])
    err = capsys.readouterr().err
    assert rc == 1 and "error: the data set's samples are shaped" in err
    from harness.results import ResultStore
    assert ResultStore(tmp_path / "r.sqlite").count() == 0


def test_inputs_and_dataset_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["run", str(MODELS / "kws_ref_model.tflite"), "--target", "host", "--dataset",
               "digits", "--inputs", "3", "--no-record"])
    assert rc == 2 and "exclude each other" in capsys.readouterr().err
