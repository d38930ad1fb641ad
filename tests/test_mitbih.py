"""The shipped MIT-BIH beat bundle: checksum, errors with the remedy, class counts, split,
rebuild; and the ECG zoo model on its samples."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.datasets import load_dataset, mitbih, sha256_of
from harness.errors import DatasetError

MITDB = Path("/work/shared/data/mitbih")
REPO = Path(__file__).resolve().parent.parent

# Usable beats (valid window, both RR intervals, Q dropped) per set, as documented in
# harness/datasets/data/README.md: the README table of the records minus the first/last beat
# of each record and beats too close to its edges.
EXPECTED = {"DS1": {"N": 45824, "S": 943, "V": 3788, "F": 414},
            "DS2": {"N": 44218, "S": 1836, "V": 3219, "F": 388}}
# Every beat annotation of the records (PhysioNet's table, AAMI classes, Q included).
EXPECTED_ALL = {"DS1": [45866, 944, 3788, 415, 8], "DS2": [44259, 1837, 3221, 388, 7]}


def test_bundle_checksum() -> None:
    assert sha256_of(mitbih.BUNDLE) == mitbih.MITBIH_SHA256


def test_missing_bundle_names_remedy(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"mitbih_beats\.npz is missing.*build_mitbih\.py"):
        mitbih.load(root=tmp_path)


def test_altered_bundle_names_remedy(tmp_path: Path) -> None:
    bad = tmp_path / mitbih.BUNDLE.name
    shutil.copyfile(mitbih.BUNDLE, bad)
    with open(bad, "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(DatasetError, match=r"mitbih_beats\.npz is altered.*build_mitbih\.py"):
        mitbih.load(root=tmp_path)


def test_class_counts_match_documented_table() -> None:
    table = mitbih.beat_table()
    for name, recs in (("DS1", mitbih.DS1), ("DS2", mitbih.DS2)):
        in_set = np.isin(table["record"], recs)
        assert np.bincount(table["label"][in_set], minlength=5).tolist() == EXPECTED_ALL[name]
        usable = in_set & table["valid"] & (table["label"] < 4)
        got = np.bincount(table["label"][usable], minlength=4)
        assert dict(zip(mitbih.CLASSES, got.tolist())) == EXPECTED[name]


def test_splits_are_inter_patient() -> None:
    assert not set(mitbih.DS1) & set(mitbih.DS2)
    assert len(mitbih.DS1) == len(mitbih.DS2) == 22
    assert not {102, 104, 107, 217} & set(mitbih.DS1 + mitbih.DS2)
    assert set(mitbih.VAL_RECORDS) < set(mitbih.DS1)
    ds = load_dataset("mitbih")
    assert ds.primary_metric == "balanced_accuracy" and ds.classes == ("N", "S", "V", "F")
    n_train = {c: int((ds.train.y == i).sum()) for i, c in enumerate(ds.classes)}
    n_val = {c: int((ds.val.y == i).sum()) for i, c in enumerate(ds.classes)}
    assert {c: n_train[c] + n_val[c] for c in ds.classes} == EXPECTED["DS1"]
    assert {c: int((ds.test.y == i).sum()) for i, c in enumerate(ds.classes)} == EXPECTED["DS2"]
    assert all(n_val[c] > 0 for c in ds.classes)
    assert ds.test.x.dtype == np.float32 and ds.test.x.shape[1:] == ds.sample_shape
    assert float(np.abs(ds.test.x).max()) <= 1.0


def test_quick_split_is_small_stratified_and_keeps_test() -> None:
    full, quick = load_dataset("mitbih"), load_dataset("mitbih", quick=True)
    assert len(quick.train) == mitbih.QUICK_TRAIN
    assert set(np.unique(quick.train.y)) == {0, 1, 2, 3}
    assert np.array_equal(quick.test.y, full.test.y)


def test_rr_features_premature_beat() -> None:
    sample = np.array([0, 360, 720, 950, 1440, 1800])        # beat 3 comes early
    feats = mitbih.rr_features(np.zeros(6, dtype=np.int16), sample)
    mean_rr = 360.0
    assert feats[3, 0] == pytest.approx(230 / mean_rr)        # pre-RR / mean
    assert feats[3, 1] == pytest.approx(490 / mean_rr)        # post-RR / mean
    assert feats[3, 2] < 0.8                                  # premature against local rhythm


@pytest.mark.slow
@pytest.mark.skipif(not MITDB.is_dir(), reason=f"{MITDB} (the PhysioNet MIT-BIH records) "
                    "is not here; the rebuild check needs them")
@pytest.mark.skipif(importlib.util.find_spec("wfdb") is None
                    or importlib.util.find_spec("scipy") is None,
                    reason="the rebuild needs wfdb and scipy: .venv/bin/pip install -e '.[data]'")
def test_rebuild_is_bit_identical(tmp_path: Path) -> None:
    script = REPO / "scripts" / "build_mitbih.py"
    spec = importlib.util.spec_from_file_location("build_mitbih", script)
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    out = tmp_path / "mitbih_beats.npz"
    assert build.build(MITDB, out) == mitbih.MITBIH_SHA256


def test_ecg_model_takes_the_samples() -> None:
    import torch

    from harness.zoo import build_model
    ds = load_dataset("mitbih", quick=True)
    model = build_model("ecg-cnn", {"channels": ds.sample_shape[-1]}).eval()
    with torch.no_grad():
        out = model(torch.from_numpy(ds.val.x[:3]))
    assert tuple(out.shape) == (3, len(ds.classes))
    assert sum(p.numel() for p in model.parameters()) < 40_000


def test_ecg_model_converts_to_supported_ops(tmp_path: Path) -> None:
    """SAME-padded stride-2 convs and a full-window average pool: no PAD, MEAN, TRANSPOSE."""
    pytest.importorskip("litert_torch")
    import torch

    from harness.importers import load_model
    from harness.variants.convert import to_tflite
    from harness.variants.technique import Stage
    from harness.zoo import build_model, fold_batchnorm

    model = fold_batchnorm(build_model("ecg-cnn"))
    path = to_tflite(Stage(model), torch.zeros(1, 1, 128, 6), tmp_path / "ecg.tflite", "fp32")
    graph = load_model(path)
    assert [op.kind for op in graph.ops] == ["CONV_2D"] * 4 + ["AVERAGE_POOL_2D",
                                                              "FULLY_CONNECTED"]
    assert graph.input_tensors()[0].shape == (1, 1, 128, 6)
