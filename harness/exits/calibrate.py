"""Temperature scaling per exit (Guo et al. 2017), fitted on a validation split.

For each exit, the temperature t minimising the negative log-likelihood of
softmax(logits / t) on the validation samples, searched on a log grid from 0.05 to 20
(deterministic, no optimiser). The logits are the deployed model's own (the golden
interpreter's outputs, dequantized for int8), so the temperature fits what the target
computes. The facts (per exit: t, NLL and mean max-softmax before and after, accuracy) are
stored with the model (meta.ExitSpec.calibration) and reported.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["fit_temperature", "calibrate_exits", "dequantize"]

GRID = np.exp(np.linspace(np.log(0.05), np.log(20.0), 241))


def dequantize(logits: np.ndarray, scale: float | None, zero: int = 0) -> np.ndarray:
    x = logits.reshape(len(logits), -1)
    if scale is None:
        return x.astype(np.float64)
    return (x.astype(np.float64) - zero) * scale


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _nll(z: np.ndarray, y: np.ndarray) -> float:
    return float(-_log_softmax(z)[np.arange(len(y)), y].mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """The NLL-optimal temperature of float logits (N, classes) with labels y, and facts."""
    nlls = [_nll(logits / t, y) for t in GRID]
    best = float(GRID[int(np.argmin(nlls))])

    def conf(t: float) -> float:
        return float(np.exp(_log_softmax(logits / t)).max(axis=1).mean())

    return {"temperature": round(best, 6), "nll_before": round(_nll(logits, y), 6),
            "nll_after": round(min(nlls), 6), "mean_confidence_before": round(conf(1.0), 6),
            "mean_confidence_after": round(conf(best), 6),
            "accuracy": round(float((logits.argmax(axis=1) == y).mean()), 6)}


def calibrate_exits(exit_logits: list[np.ndarray], y: np.ndarray) -> list[dict[str, Any]]:
    """fit_temperature for each exit's (float) logits."""
    return [fit_temperature(z, y) for z in exit_logits]
