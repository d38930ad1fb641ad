"""Seeded, class-stratified carving of a validation split (and CI-sized training subsets)."""
from __future__ import annotations

import numpy as np

from .base import Split, stratified_indices

__all__ = ["carve_val", "quick_subset"]


def carve_val(train: Split, fraction: float, seed: int) -> tuple[Split, Split]:
    """Split `train` into (train, val) with `fraction` of every class in val, seeded."""
    n_val = max(1, int(round(len(train) * fraction)))
    val_idx = stratified_indices(train.y, n_val, seed=seed)
    keep = np.ones(len(train), dtype=bool)
    keep[val_idx] = False
    return train.take(np.flatnonzero(keep)), train.take(val_idx)


def quick_subset(split: Split, n: int, seed: int) -> Split:
    """A fixed stratified subset of at most n samples (the whole split when it is smaller)."""
    return split.take(stratified_indices(split.y, n, seed=seed))
