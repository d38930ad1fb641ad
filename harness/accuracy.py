"""Scores of a classifier's predictions on labelled data: accuracy, balanced accuracy, and
per-class sensitivity (recall) and positive predictive value (precision).

Balanced accuracy is the mean sensitivity over the classes present in the labels, so a data
set dominated by one class (MIT-BIH: ~90 % N beats) cannot be scored well by always
predicting that class.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Scores", "score", "predictions"]


@dataclass(frozen=True)
class Scores:
    n: int
    accuracy: float
    balanced_accuracy: float
    sensitivity: dict[str, float | None]   # None: the class has no sample in the labels
    ppv: dict[str, float | None]           # None: the class was never predicted
    confusion: list[list[int]]             # rows: true class, columns: predicted class

    def as_dict(self) -> dict[str, object]:
        return {"n": self.n, "accuracy": self.accuracy,
                "balanced_accuracy": self.balanced_accuracy,
                "sensitivity": self.sensitivity, "ppv": self.ppv, "confusion": self.confusion}


def predictions(outputs: np.ndarray) -> np.ndarray:
    """Top-1 class per sample of a (n, ..., classes) output (int8 or float): argmax."""
    flat = np.asarray(outputs).reshape(outputs.shape[0], -1)
    return np.argmax(flat, axis=1).astype(np.int64)


def score(y_true: np.ndarray, y_pred: np.ndarray, classes: tuple[str, ...] | list[str]) -> Scores:
    """Scores of predictions `y_pred` against labels `y_true` (class indices into `classes`)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"labels {y_true.shape} and predictions {y_pred.shape} must be equal 1-D")
    if y_true.size == 0:
        raise ValueError("cannot score zero samples")
    k = len(classes)
    for what, arr in (("label", y_true), ("prediction", y_pred)):
        if arr.min() < 0 or arr.max() >= k:
            raise ValueError(f"a {what} lies outside the {k} classes {list(classes)}")
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    true_counts = confusion.sum(axis=1)
    pred_counts = confusion.sum(axis=0)
    diag = np.diag(confusion)
    sens = {c: (float(diag[i] / true_counts[i]) if true_counts[i] else None)
            for i, c in enumerate(classes)}
    ppv = {c: (float(diag[i] / pred_counts[i]) if pred_counts[i] else None)
           for i, c in enumerate(classes)}
    present = [v for v in sens.values() if v is not None]
    return Scores(
        n=int(y_true.size),
        accuracy=float(diag.sum() / y_true.size),
        balanced_accuracy=float(np.mean(present)),
        sensitivity=sens,
        ppv=ppv,
        confusion=confusion.tolist(),
    )
