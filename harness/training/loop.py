"""The training loop: seeded, deterministic, on CPU, keeping the best epoch on validation.

`fit` trains any module mapping a float batch to logits (the zoo's models, and the PT2E QAT
graphs of `harness.variants`), scores every epoch on the validation split with the data set's
primary metric (accuracy or balanced accuracy) and returns the best epoch's weights.
"""
from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..accuracy import score
from ..datasets import Dataset, Split
from .config import TrainConfig

__all__ = ["fit", "History", "predict", "deterministic", "class_weights", "LossFn", "final_logits"]

Progress = Callable[[str], None]
# (logits, inputs, labels) -> scalar loss; fit's default is the config's cross-entropy
LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class History:
    """Per-epoch training loss and validation score; `best_epoch` counts from 1."""

    metric: str
    loss: list[float]
    val: list[float]
    best_epoch: int
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {"metric": self.metric, "loss": self.loss, "val": self.val,
                "best_epoch": self.best_epoch, "best_val": self.val[self.best_epoch - 1],
                "seconds": self.seconds}


def deterministic(seed: int) -> None:
    """Seed torch and demand deterministic kernels; set the intra-op threads.

    One thread unless $HILBENCH_THREADS says more (at most the cores this process may use):
    the zoo's models are too small to gain from intra-op threads, and on a shared machine extra
    threads made a digits epoch 6x slower (spinning workers competing for the cores)."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    wanted = int(os.environ.get("HILBENCH_THREADS", "1") or 1)
    torch.set_num_threads(max(1, min(wanted, cores or 1)))


def predict(model: nn.Module, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Class indices (argmax of the logits) for float samples x, in eval mode."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            out.append(final_logits(model(torch.from_numpy(x[i:i + batch_size])))
                       .argmax(dim=1).numpy())
    return np.concatenate(out) if out else np.zeros((0,), np.int64)


def final_logits(out: torch.Tensor | tuple[torch.Tensor, ...]) -> torch.Tensor:
    """The full-depth logits: a multi-exit model (harness.zoo.MultiExit) returns one tensor
    per exit, the last is the full-depth classifier."""
    return out[-1] if isinstance(out, tuple) else out


def _exit_loss(model: nn.Module, ce: nn.Module, out: torch.Tensor | tuple[torch.Tensor, ...],
               y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy; for a multi-exit model the sum over exits weighted by `exit_weights`."""
    if not isinstance(out, tuple):
        return ce(out, y)
    weights = getattr(model, "exit_weights", None) or (1.0,) * len(out)
    return sum((w * ce(o, y) for w, o in zip(weights, out)), torch.zeros(()))


def class_weights(config: TrainConfig, y: np.ndarray, k: int) -> torch.Tensor | None:
    """The cross-entropy class weights `config` asks for on labels `y` (None: unweighted)."""
    if config.class_weights is None:
        return None
    if config.class_weights == "balanced":
        counts = np.bincount(y, minlength=k).astype(np.float64)
        return torch.tensor(len(y) / (k * np.maximum(counts, 1)), dtype=torch.float32)
    weights = list(config.class_weights)
    if len(weights) != k:
        raise ValueError(f"class_weights has {len(weights)} values for {k} classes")
    return torch.tensor(weights, dtype=torch.float32)


_class_weights = class_weights      # the old private name, used by tests


def _batches(config: TrainConfig, y: np.ndarray, k: int, gen: torch.Generator) -> list[torch.Tensor]:
    n = len(y)
    if config.sampling == "balanced":
        counts = np.bincount(y, minlength=k).astype(np.float64)
        p = torch.tensor(1.0 / np.maximum(counts, 1)[y], dtype=torch.float64)
        order = torch.multinomial(p, n, replacement=True, generator=gen)
    else:
        order = torch.randperm(n, generator=gen)
    return [order[i:i + config.batch_size] for i in range(0, n, config.batch_size)]


def fit(model: nn.Module, dataset: Dataset, config: TrainConfig,
        progress: Progress | None = None, label: str = "train",
        train: Split | None = None, loss: LossFn | None = None) -> tuple[nn.Module, History]:
    """Train `model` in place on `train` (default the data set's), return it at its best epoch.

    `loss` replaces the config's (weighted) cross-entropy, e.g. a distillation loss."""
    deterministic(config.seed)
    split = train if train is not None else dataset.train
    k = len(dataset.classes)
    x_all = torch.from_numpy(np.ascontiguousarray(split.x))
    y_all = torch.from_numpy(split.y)
    ce = nn.CrossEntropyLoss(weight=class_weights(config, split.y, k))
    loss_fn: LossFn = loss or (lambda out, _x, y: _exit_loss(model, ce, out, y))
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    gen = torch.Generator().manual_seed(config.seed)
    metric = dataset.primary_metric
    history = History(metric, [], [], 1, 0.0)
    best_state: dict[str, torch.Tensor] | None = None
    start = time.perf_counter()
    for epoch in range(config.epochs):
        lr = config.lr
        if config.schedule == "cosine":
            lr = 0.5 * config.lr * (1 + math.cos(math.pi * epoch / config.epochs))
        for group in opt.param_groups:
            group["lr"] = lr
        model.train()
        total, seen = 0.0, 0
        for idx in _batches(config, split.y, k, gen):
            xb, yb = x_all[idx], y_all[idx]
            batch_loss = loss_fn(model(xb), xb, yb)
            opt.zero_grad()
            batch_loss.backward()
            opt.step()
            total += float(batch_loss.detach()) * len(idx)
            seen += len(idx)
        val_scores = score(dataset.val.y, predict(model, dataset.val.x), dataset.classes)
        value = float(getattr(val_scores, metric))
        history.loss.append(total / max(seen, 1))
        history.val.append(value)
        if best_state is None or value > history.val[history.best_epoch - 1]:
            history.best_epoch = epoch + 1
            best_state = copy.deepcopy(model.state_dict())
        if progress:
            progress(f"{label} epoch {epoch + 1}/{config.epochs}: loss {history.loss[-1]:.4f}, "
                     f"val {metric} {value:.4f}, {time.perf_counter() - start:.1f} s")
    assert best_state is not None
    model.load_state_dict(best_state)
    model.eval()
    history.seconds = time.perf_counter() - start
    return model, history
