"""Data sets, offline and checked: one loader module per data set, registered in one table.

    load_dataset("digits") -> Dataset(train, val, test, classes, sha256, source)

A loader module defines `load(root: Path | None = None, quick: bool = False) -> Dataset`.
`quick` may return a smaller, still stratified and seeded, training split for CI-sized
training; the test split is the same either way.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from ..errors import DatasetError
from .base import Dataset, Split, sha256_of, stratified_indices, training_fingerprint, verify_sha256

__all__ = ["DATASETS", "Dataset", "Split", "load_dataset", "sha256_of", "stratified_indices",
           "training_fingerprint", "verify_sha256"]

# name -> module of harness.datasets defining load()
DATASETS: dict[str, str] = {
    "digits": "digits",
    "mitbih": "mitbih",
    "fashion-mnist": "fashion_mnist",
    "basic-motions": "basic_motions",
    "cifar10": "cifar10",
}


def load_dataset(name: str, root: Path | None = None, quick: bool = False) -> Dataset:
    """Load a registered data set by name; DatasetError lists the known names."""
    if name not in DATASETS:
        raise DatasetError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
    module = importlib.import_module(f"{__name__}.{DATASETS[name]}")
    dataset: Dataset = module.load(root=root, quick=quick)
    return dataset
