"""What a training run is: the hyper-parameters that, with model, data and seed, determine it.

Loss is cross-entropy, optionally weighted per class ("balanced": n / (k * n_c), or explicit
weights); `sampling="balanced"` draws each batch with class-balanced probabilities instead
(for data sets where one class dominates, e.g. MIT-BIH). Adam with weight decay, the learning
rate constant or cosine-annealed over the epochs.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

__all__ = ["TrainConfig", "SAMPLING", "SCHEDULES"]

SAMPLING = ("shuffle", "balanced")
SCHEDULES = ("cosine", "constant")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    schedule: str = "cosine"
    class_weights: str | tuple[float, ...] | None = None   # None, "balanced" or one per class
    sampling: str = "shuffle"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0 or self.weight_decay < 0:
            raise ValueError(f"epochs, batch_size and lr must be positive, weight_decay >= 0: "
                             f"{self}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule {self.schedule!r} is not one of {', '.join(SCHEDULES)}")
        if self.sampling not in SAMPLING:
            raise ValueError(f"sampling {self.sampling!r} is not one of {', '.join(SAMPLING)}")
        if isinstance(self.class_weights, str) and self.class_weights != "balanced":
            raise ValueError(f"class_weights must be 'balanced' or a list of numbers, "
                             f"got {self.class_weights!r}")

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        if isinstance(self.class_weights, tuple):
            d["class_weights"] = list(self.class_weights)
        return d

    def canonical(self) -> str:
        """A stable text form, part of the training cache key."""
        return json.dumps(self.as_dict(), sort_keys=True)
