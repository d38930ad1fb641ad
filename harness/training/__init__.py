"""Seeded, deterministic training of zoo models on CPU, cached by content hash.

    trained = train_cached("digits-cnn", {}, load_dataset("digits"), TrainConfig(epochs=20))
"""
from __future__ import annotations

from .cached import CODE_VERSION, Trained, train_cached
from .config import SAMPLING, SCHEDULES, TrainConfig
from .loop import History, deterministic, fit, predict

__all__ = ["CODE_VERSION", "Trained", "train_cached", "TrainConfig", "SAMPLING", "SCHEDULES",
           "History", "deterministic", "fit", "predict"]
