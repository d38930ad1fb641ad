"""Multi-exit networks: a backbone cut into stages, a classifier head after each stage.

    MultiExit(stages=[s1, s2], heads=[h1, h2], weights=(0.5, 1.0))
    forward(x) -> (logits of exit 0, logits of exit 1, ...)   exit order = tuple order

The last head is the full-depth classifier. Training (`harness.training.fit`) sums the
exits' cross-entropy losses with `exit_weights`; validation scores the last exit. The
converter (litert-torch) makes one TFLite output per tuple element, named `output_<k>` in
the signature; `harness.exits.meta` reads that name to know which tensor is exit k.

A suite adds exits to any zoo model by building it this way: a `build()` returning a
MultiExit whose stages are the model's blocks (channel-last input, as every zoo model) and
whose heads are small (a full-window AvgPool, Flatten and one Linear: ops every target runs).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["MultiExit", "pool_head"]


def pool_head(channels: int, steps: tuple[int, int], classes: int) -> nn.Module:
    """Global average pool over an (H, W) = `steps` map, then one fully connected layer."""
    return nn.Sequential(nn.AvgPool2d(steps), nn.Flatten(), nn.Linear(channels, classes))


class MultiExit(nn.Module):
    """Stages and one head per stage; input channel-last (N, H, W, C), like the zoo."""

    def __init__(self, stages: Sequence[nn.Module], heads: Sequence[nn.Module],
                 weights: Sequence[float]) -> None:
        super().__init__()
        if not len(stages) == len(heads) == len(weights) or len(stages) < 2:
            raise ValueError(f"a multi-exit model needs >= 2 stages with one head and one loss "
                             f"weight each, got {len(stages)}, {len(heads)}, {len(weights)}")
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError(f"exit loss weights must be >= 0 with a positive sum, got {weights}")
        self.stages = nn.ModuleList(stages)
        self.heads = nn.ModuleList(heads)
        self.exit_weights = tuple(float(w) for w in weights)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = x.permute(0, 3, 1, 2)
        outs = []
        for stage, head in zip(self.stages, self.heads):
            x = stage(x)
            outs.append(head(x))
        return tuple(outs)
