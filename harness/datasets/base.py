"""What a data set loader returns: labelled train / validation / test splits, checked.

Every loader reads local files only (nothing is downloaded at run time), verifies a SHA-256
of what it read, and raises `DatasetError` naming the file and the remedy when the data is
missing or altered. Samples are float32 and channel-last (N, ..., C), the layout the
generated C and TFLite use; labels are int64 class indices into `classes`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DatasetError

__all__ = ["Split", "Dataset", "sha256_of", "verify_sha256", "stratified_indices",
           "training_fingerprint"]


@dataclass(frozen=True)
class Split:
    """Samples `x` (float32, (n, ...)) and their labels `y` (int64, (n,))."""

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        if self.x.shape[0] != self.y.shape[0]:
            raise ValueError(f"{self.x.shape[0]} samples but {self.y.shape[0]} labels")

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def take(self, indices: np.ndarray) -> Split:
        return Split(self.x[indices], self.y[indices])


@dataclass(frozen=True)
class Dataset:
    """A labelled data set with its identity: name, classes, checksum and attribution."""

    name: str
    classes: tuple[str, ...]
    train: Split
    val: Split
    test: Split
    sha256: str            # of the files the loader read (the bundle, or the source files)
    source: str            # where it comes from and its licence, one line
    primary_metric: str = "accuracy"   # or "balanced_accuracy" where one class dominates
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.train.x.shape[1:])


def sha256_of(*paths: Path) -> str:
    """SHA-256 over the bytes of the files, in the given order."""
    h = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def verify_sha256(path: Path, expected: str, remedy: str) -> str:
    """Check one file against its known SHA-256; DatasetError with `remedy` when missing/altered."""
    if not path.is_file():
        raise DatasetError(f"{path} is missing; {remedy}")
    got = sha256_of(path)
    if got != expected:
        raise DatasetError(
            f"{path} is altered: SHA-256 {got[:16]}..., expected {expected[:16]}...; {remedy}")
    return got


def stratified_indices(y: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """A fixed, seeded, class-stratified subset of n indices (sorted), every class kept.

    Each class gets a share proportional to its frequency, at least one sample while n allows
    (rarest classes first), so a small subset still scores every class."""
    y = np.asarray(y)
    if n >= len(y):
        return np.arange(len(y))
    if n < 1:
        raise ValueError(f"subset size must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    quota = np.zeros(len(classes), dtype=np.int64)
    for c in np.argsort(counts, kind="stable")[:n]:   # one each, rarest first, while n allows
        quota[c] = 1
    # The rest in proportion to the class sizes: floors, then the largest remainders.
    share = (counts - quota) / max(int((counts - quota).sum()), 1) * (n - int(quota.sum()))
    quota += np.minimum(np.floor(share).astype(np.int64), counts - quota)
    for c in np.argsort(-(share - np.floor(share)), kind="stable"):
        if quota.sum() >= n:
            break
        if quota[c] < counts[c]:
            quota[c] += 1
    for c in np.argsort(-(counts - quota), kind="stable"):   # rounding shortfall, if any
        while quota.sum() < n and quota[c] < counts[c]:
            quota[c] += 1
    picked = [rng.choice(np.flatnonzero(y == cls), size=int(q), replace=False)
              for cls, q in zip(classes, quota) if q > 0]
    return np.sort(np.concatenate(picked))


_FINGERPRINTS: dict[int, tuple[Dataset, str]] = {}


def training_fingerprint(dataset: Dataset) -> str:
    """SHA-256 of the train and validation arrays as the loader made them (shapes, dtypes and
    bytes): what training and calibration see. A cache key built on it follows a change of the
    preprocessing code too, which the checksum of the source files (`sha256`) cannot see."""
    hit = _FINGERPRINTS.get(id(dataset))
    if hit is not None and hit[0] is dataset:
        return hit[1]
    h = hashlib.sha256()
    for split in (dataset.train, dataset.val):
        for array in (split.x, split.y):
            a = np.ascontiguousarray(array)
            h.update(f"{a.dtype.str}{a.shape};".encode())
            h.update(a.view(np.uint8).reshape(-1).data if a.size else b"")
    digest = h.hexdigest()
    _FINGERPRINTS[id(dataset)] = (dataset, digest)
    return digest
