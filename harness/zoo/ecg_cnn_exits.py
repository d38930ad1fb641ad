"""The ECG CNN (ecg_cnn.py) with early exits: the same four stride-2 convolutions, cut
into stages, and a pool + FC head after each.

    exits=(2, 4): exit 0 after conv block 2 (16 channels x 32 steps), exit 1 after block 4
    (the full-depth classifier of ecg-cnn). exits=(1, 2, 4) gives three exits.

`exit_weights` weigh the exits' losses in training (class-weighted cross-entropy each, as the
reference). Exit 0 after block 2 costs about 0.13 M of the 0.25 M MACs.
"""
from __future__ import annotations

from itertools import pairwise

from torch import nn

from .blocks import ConvBlock
from .multi_exit import MultiExit, pool_head

__all__ = ["build"]


def build(channels: int = 6, steps: int = 128, width: int = 16, kernel: int = 8,
          classes: int = 4, exits: tuple[int, ...] = (2, 4),
          exit_weights: tuple[float, ...] = (1.0, 1.0)) -> nn.Module:
    """`exits`: after which of the 4 conv blocks an exit sits (increasing, last one 4)."""
    exits = tuple(int(e) for e in exits)
    if kernel % 2 != 0 or steps % 16 != 0:
        raise ValueError(f"kernel must be even and steps divisible by 16, got {kernel}, {steps}")
    if not exits or list(exits) != sorted(set(exits)) or exits[0] < 1 or exits[-1] != 4:
        raise ValueError(f"exits must increase from >= 1 and end at block 4, got {exits}")
    if len(exit_weights) != len(exits):
        raise ValueError(f"{len(exits)} exits need {len(exits)} exit_weights, "
                         f"got {len(exit_weights)}")
    pad = (0, kernel // 2 - 1)
    chans = [channels, width, width, 2 * width, 2 * width]
    blocks = [ConvBlock(a, b, (1, kernel), stride=(1, 2), padding=pad)
              for a, b in pairwise(chans)]
    stages, heads, start = [], [], 0
    for e in exits:
        stages.append(nn.Sequential(*blocks[start:e]))
        heads.append(pool_head(chans[e], (1, steps >> e), classes))
        start = e
    return MultiExit(stages, heads, exit_weights)
