"""Seeded, deterministic training of zoo models on CPU, cached by content hash.

    trained = train_cached("digits-cnn", {}, load_dataset("digits"), TrainConfig(epochs=20))

The config is importable without torch (recipes are checked without loading it); the loop and
the cache import torch when first used.
"""
from __future__ import annotations

import importlib
from typing import Any

from .config import SAMPLING, SCHEDULES, TrainConfig

__all__ = ["CODE_VERSION", "Trained", "train_cached", "TrainConfig", "SAMPLING", "SCHEDULES",
           "History", "deterministic", "fit", "predict", "class_weights", "LossFn"]

_LAZY = {"CODE_VERSION": "cached", "Trained": "cached", "train_cached": "cached",
         "History": "loop", "deterministic": "loop", "fit": "loop", "predict": "loop",
         "class_weights": "loop", "LossFn": "loop"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
