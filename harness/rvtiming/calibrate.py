"""Fit some weights of a timing table to RTL cycle counts (the model is linear in them).

Each sample is one measured window (a layer, or a whole inference) with its feature counts
from the ISS and its cycles from the RTL (the same firmware, the same inputs). The `free`
weights minimise the squared *relative* error of the samples, pulled towards their
documented values by a small ridge term (so a weight the samples cannot tell apart from
another stays at its documented value); the other weights stay fixed.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .cores import CoreTiming
from .features import FEATURES, INDEX

__all__ = ["Sample", "fit", "relative_errors"]


@dataclass(frozen=True)
class Sample:
    name: str                       # e.g. "kws_ref_model/vexriscv-cfu/layer 3"
    features: Mapping[str, int]     # nonzero counts (iss_rv's timing_*features)
    cycles: float                   # the RTL's count of the same window


def _matrix(samples: Sequence[Sample]) -> tuple[np.ndarray, np.ndarray]:
    counts = np.zeros((len(samples), len(FEATURES)))
    for row, sample in enumerate(samples):
        for name, value in sample.features.items():
            counts[row, INDEX[name]] = value
    return counts, np.array([s.cycles for s in samples], dtype=np.float64)


def relative_errors(core: CoreTiming, samples: Sequence[Sample]) -> np.ndarray:
    """(model - RTL) / RTL of each sample."""
    counts, cycles = _matrix(samples)
    return (counts @ core.vector - cycles) / cycles


def fit(core: CoreTiming, samples: Sequence[Sample], free: Sequence[str],
        ridge: float = 1e-4) -> dict[str, float]:
    """The fitted values of the `free` weights (rounded to 0.01 cycle, never negative)."""
    if not samples:
        raise ValueError("no samples to fit on")
    counts, cycles = _matrix(samples)
    scale = 1.0 / cycles                                  # relative errors
    cols = [INDEX[f] for f in free]
    fixed = [i for i in range(len(FEATURES)) if i not in cols]
    a = counts[:, cols] * scale[:, None]
    b = (cycles - counts[:, fixed] @ core.vector[fixed]) * scale
    prior = core.vector[cols]
    # ridge towards the documented values: min |a w - b|^2 + ridge |w - prior|^2
    lhs = a.T @ a + ridge * np.eye(len(cols))
    rhs = a.T @ b + ridge * prior
    solved = np.linalg.solve(lhs, rhs)
    return {name: round(max(0.0, float(v)), 2) for name, v in zip(free, solved)}
