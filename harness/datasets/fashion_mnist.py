"""Fashion-MNIST (Zalando, MIT licence) from the Debian package `dataset-fashion-mnist`.

The four IDX files (gzip) are read from /usr/share/datasets/fashion-mnist, or `root`, and
checked against their SHA-256 before parsing. Images are (28, 28, 1) in [0, 1]; the
validation split (10 %) is carved from the 60 000 training images, stratified and seeded;
the test split is the official 10 000 images. `quick` keeps 3000 training and 1000
validation images (stratified, seeded).
"""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from ._split import carve_val, quick_subset
from .base import Dataset, Split, sha256_of, verify_sha256

__all__ = ["load", "read_idx", "FILES", "DEFAULT_ROOT"]

DEFAULT_ROOT = Path("/usr/share/datasets/fashion-mnist")
FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")
SEED = 20240
QUICK_TRAIN = 3000
QUICK_VAL = 1000
REMEDY = "install it with `apt-get install dataset-fashion-mnist`"
_IDX_DTYPES = {0x08: np.uint8}


def read_idx(path: Path) -> np.ndarray:
    """Parse a gzip'd IDX file (magic 0x0000 <dtype> <ndim>, big-endian dims, then the data)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0:2] != b"\0\0" or raw[2] not in _IDX_DTYPES:
        raise DatasetError(f"{path} is not an unsigned-byte IDX file; {REMEDY}")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=_IDX_DTYPES[raw[2]], offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise DatasetError(f"{path} holds {data.size} values, its header says {dims}; {REMEDY}")
    return data.reshape(dims)


def load(root: Path | None = None, quick: bool = False) -> Dataset:
    """Fashion-MNIST from `root` (default the Debian package's folder), checked and split."""
    folder = Path(root) if root is not None else DEFAULT_ROOT
    paths = [folder / name for name in FILES]
    for path, expected in zip(paths, FILES.values()):
        verify_sha256(path, expected, REMEDY)
    xtr, ytr, xte, yte = (read_idx(p) for p in paths)
    train = Split((xtr / 255.0).astype(np.float32)[..., None], ytr.astype(np.int64))
    test = Split((xte / 255.0).astype(np.float32)[..., None], yte.astype(np.int64))
    train, val = carve_val(train, 0.1, SEED)
    if quick:
        train = quick_subset(train, QUICK_TRAIN, SEED + 1)
        val = quick_subset(val, QUICK_VAL, SEED + 2)
    return Dataset(
        name="fashion-mnist", classes=CLASSES, train=train, val=val, test=test,
        sha256=sha256_of(*paths),
        source="Fashion-MNIST, Xiao, Rasul & Vollgraf 2017 (MIT); Debian dataset-fashion-mnist",
        notes={"layout": "(28, 28, 1) pixels in [0, 1]", "split": f"seed {SEED}: val 10 % of train"})
