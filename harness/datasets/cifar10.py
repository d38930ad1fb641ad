"""CIFAR-10 test set (10 000 images, 32x32x3) for the MLPerf Tiny image-classification model.

Not bundled: put the "CIFAR-10 python version" batches (the `test_batch` file from
cifar-10-python.tar.gz, https://www.cs.toronto.edu/~kriz/cifar.html) in
/work/shared/data/cifar10/ or in the folder named by $HILBENCH_CIFAR10. Only evaluation is
supported (the IC model comes trained), so train and val are empty. Pixels are kept as 0..255
float32, (32, 32, 3), the MLPerf Tiny IC model's input range. The file is checked by its
structure (10 000 images, labels 0..9); its SHA-256 is recorded, not pinned. The batch is a
pickle: it is read by an unpickler that resolves only the few numpy names such a batch holds,
so a file that would run anything else when unpickled is refused, never run.
"""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from .base import Dataset, Split, sha256_of

__all__ = ["load", "default_root"]

TEST_FILE = "test_batch"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
           "truck")
REMEDY = ("extract `test_batch` of cifar-10-python.tar.gz (https://www.cs.toronto.edu/~kriz/"
          "cifar.html) into /work/shared/data/cifar10/ or set $HILBENCH_CIFAR10 to its folder")


# The globals a CIFAR-10 python batch refers to (numpy arrays pickled by Python 2 or 3, numpy
# 1 or 2); anything else (os.system, builtins.eval, ...) is refused.
_ALLOWED_GLOBALS = frozenset({
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")})


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"it refers to {module}.{name}, which a CIFAR-10 "
                                         "batch never does (refused, not run)")
        return super().find_class(module, name)


def default_root() -> Path:
    """$HILBENCH_CIFAR10 when set, else /work/shared/data/cifar10."""
    return Path(os.environ.get("HILBENCH_CIFAR10") or "/work/shared/data/cifar10")


def load(root: Path | None = None, quick: bool = False) -> Dataset:
    """The CIFAR-10 test set; DatasetError saying where to put it when it is absent."""
    path = (Path(root) if root is not None else default_root()) / TEST_FILE
    if not path.is_file():
        raise DatasetError(f"{path} is missing; {REMEDY}")
    digest = sha256_of(path)
    try:
        with open(path, "rb") as f:
            batch = _BatchUnpickler(f, encoding="bytes").load()
        x = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        y = np.asarray(batch[b"labels"], dtype=np.int64)
    except Exception as exc:
        raise DatasetError(f"{path} is not a CIFAR-10 python batch ({exc}); {REMEDY}") from None
    if x.shape[0] != 10000 or y.shape != (10000,) or y.min() < 0 or y.max() > 9:
        raise DatasetError(f"{path} is altered: {x.shape[0]} images, expected 10000; {REMEDY}")
    x = x.transpose(0, 2, 3, 1)
    empty = Split(np.zeros((0, 32, 32, 3), np.float32), np.zeros((0,), np.int64))
    return Dataset(
        name="cifar10", classes=CLASSES, train=empty, val=empty,
        test=Split(x.astype(np.float32), y), sha256=digest,
        source="CIFAR-10, A. Krizhevsky 2009 (test batch of the python version)",
        notes={"layout": "(32, 32, 3) pixels 0..255", "use": "evaluation only"})
