"""Training cached by content hash: the same model, data, config, seed and code train once.

Key = sha256 of (code version, model name + params, data set name + sha256 + split sizes +
quick, training config). An entry under `cache_root()/train/<key>` holds `state_dict.pt`, the
best epoch's weights, and `history.json` (per-epoch validation score and the key's inputs).
"""
from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..cache import cached_build, content_key
from ..datasets import Dataset, training_fingerprint
from ..zoo import build_model
from .config import TrainConfig
from .loop import deterministic, fit

__all__ = ["CODE_VERSION", "Trained", "train_cached", "training_key", "state_dict_sha256"]

# Bump when the training loop changes what it produces for the same inputs.
CODE_VERSION = "hilbench-train-1"


@dataclass(frozen=True)
class Trained:
    """A trained reference model: the module (eval mode, BatchNorm not folded) and its origin."""

    model: nn.Module
    model_name: str
    model_params: dict[str, Any]
    sha256: str                 # of the saved state_dict bytes
    history: dict[str, Any]
    folder: Path                # the cache entry
    seconds: float              # time spent training now (0.0 on a cache hit)
    cached: bool


def state_dict_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def training_key(model_name: str, params: dict[str, Any], dataset: Dataset,
                 config: TrainConfig, quick: bool) -> str:
    data = [dataset.name, dataset.sha256, training_fingerprint(dataset), str(len(dataset.train)),
            str(len(dataset.val)), f"quick={quick}"]
    return content_key([CODE_VERSION, model_name, json.dumps(params, sort_keys=True), *data,
                        config.canonical(), torch.__version__])


def train_cached(model_name: str, params: dict[str, Any], dataset: Dataset,
                 config: TrainConfig, quick: bool = False,
                 progress: Callable[[str], None] | None = None) -> Trained:
    """Train (or fetch from the cache) the zoo model `model_name` on `dataset`."""
    key = training_key(model_name, params, dataset, config, quick)
    started = time.perf_counter()

    def build(folder: Path) -> None:
        deterministic(config.seed)
        model = build_model(model_name, params)
        model, history = fit(model, dataset, config, progress, label=f"{model_name}")
        buf = io.BytesIO()
        torch.save(model.state_dict(), buf)
        (folder / "state_dict.pt").write_bytes(buf.getvalue())
        meta = {"model": model_name, "params": params, "dataset": dataset.name,
                "dataset_sha256": dataset.sha256, "quick": quick, "config": config.as_dict(),
                "code_version": CODE_VERSION, "torch": torch.__version__,
                "history": history.as_dict()}
        (folder / "history.json").write_text(json.dumps(meta, indent=1, sort_keys=True))

    folder, hit = cached_build("train", key, build)
    if hit and progress:
        progress(f"{model_name}: trained weights from the cache ({folder.name[:12]})")
    model = build_model(model_name, params)
    model.load_state_dict(torch.load(folder / "state_dict.pt", weights_only=True))
    model.eval()
    meta = json.loads((folder / "history.json").read_text())
    return Trained(model, model_name, dict(params), state_dict_sha256(folder / "state_dict.pt"),
                   meta["history"], folder, 0.0 if hit else time.perf_counter() - started, hit)
