"""scikit-learn's bundled 8x8 handwritten digits (UCI optdigits test part, 1797 images).

Pixels 0..16 are scaled to [0, 1] and laid out (8, 8, 1). The data ships inside
scikit-learn, so the checksum is over the arrays as loaded. Splits: a seeded stratified
test set of 20 %, then 15 % of the rest as validation.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from ._split import carve_val
from .base import Dataset, Split

__all__ = ["load"]

SEED = 20240
SHA256 = "f6d9e39f37dc45d327f6db33428ee58970ccceabb2535a5c179de35886b70443"
REMEDY = "pip install 'scikit-learn>=1.3' (the digits ship inside it)"


def _arrays() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise DatasetError(f"digits needs scikit-learn ({exc}); {REMEDY}") from None
    bunch = load_digits()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)


def load(root: Path | None = None, quick: bool = False) -> Dataset:
    """The digits data set; `root` is unused (bundled with scikit-learn) and `quick` changes
    nothing (1222 training images are already CI-sized)."""
    x, y = _arrays()
    digest = hashlib.sha256(x.tobytes() + y.tobytes()).hexdigest()
    if digest != SHA256:
        raise DatasetError(f"scikit-learn's digits arrays are altered: SHA-256 {digest[:16]}..., "
                           f"expected {SHA256[:16]}...; reinstall it: {REMEDY}")
    whole = Split((x / 16.0).astype(np.float32).reshape(-1, 8, 8, 1), y)
    rest, test = carve_val(whole, 0.2, SEED)
    train, val = carve_val(rest, 0.15, SEED + 1)
    return Dataset(
        name="digits", classes=tuple(str(d) for d in range(10)), train=train, val=val,
        test=test, sha256=digest,
        source="scikit-learn load_digits (UCI optdigits, E. Alpaydin & C. Kaynak; CC BY 4.0)",
        notes={"layout": "(8, 8, 1) pixels in [0, 1]", "split": f"seed {SEED}: test 20 %, val 15 %"})
