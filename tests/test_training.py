"""Training: seeded and deterministic (same inputs, same weight bytes), cached by content
hash, the best validation epoch kept, class weights and balanced sampling."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="needs the compress extra: pip install -e '.[compress]'")
pytest.importorskip("sklearn", reason="needs the compress extra: pip install -e '.[compress]'")

from harness.datasets import load_dataset
from harness.training import TrainConfig, train_cached
from harness.training.loop import _batches, _class_weights

CONFIG = TrainConfig(epochs=2, batch_size=64, lr=0.01, seed=5)


def test_same_inputs_same_weights_and_cached(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    d = load_dataset("digits")
    lines: list[str] = []
    monkeypatch.setenv("HILBENCH_CACHE", str(tmp_path / "a"))
    first = train_cached("digits-cnn", {"width": 4}, d, CONFIG, progress=lines.append)
    assert not first.cached and first.seconds > 0
    assert [ln.split(":")[0] for ln in lines] == ["digits-cnn epoch 1/2", "digits-cnn epoch 2/2"]
    again = train_cached("digits-cnn", {"width": 4}, d, CONFIG)
    assert again.cached and again.seconds == 0.0 and again.sha256 == first.sha256
    monkeypatch.setenv("HILBENCH_CACHE", str(tmp_path / "b"))
    fresh = train_cached("digits-cnn", {"width": 4}, d, CONFIG)
    assert not fresh.cached and fresh.sha256 == first.sha256       # bit-identical retraining
    other = train_cached("digits-cnn", {"width": 4}, d,
                         TrainConfig(epochs=2, batch_size=64, lr=0.01, seed=6))
    assert other.sha256 != first.sha256
    h = first.history
    assert h["metric"] == "accuracy" and len(h["val"]) == 2
    assert h["best_val"] == max(h["val"]) and h["val"][h["best_epoch"] - 1] == h["best_val"]


def test_class_weights_and_balanced_sampling() -> None:
    import torch

    y = np.array([0] * 90 + [1] * 10)
    w = _class_weights(TrainConfig(class_weights="balanced"), y, 2)
    assert w is not None and torch.allclose(w, torch.tensor([100 / 180, 100 / 20]))
    assert _class_weights(TrainConfig(), y, 2) is None
    explicit = _class_weights(TrainConfig(class_weights=(1.0, 3.0)), y, 2)
    assert explicit is not None and explicit.tolist() == [1.0, 3.0]
    gen = torch.Generator().manual_seed(0)
    drawn = torch.cat(_batches(TrainConfig(sampling="balanced", batch_size=32), y, 2, gen))
    share = float((torch.from_numpy(y)[drawn] == 1).float().mean())
    assert 0.35 < share < 0.65                                     # ~half the minority class


def test_bad_config_values() -> None:
    with pytest.raises(ValueError, match="sampling"):
        TrainConfig(sampling="oversample")
    with pytest.raises(ValueError, match="class_weights"):
        TrainConfig(class_weights="inverse")
    with pytest.raises(ValueError, match="positive"):
        TrainConfig(epochs=0)
