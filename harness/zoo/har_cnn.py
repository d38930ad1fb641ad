"""A small 1-D CNN for human-activity recognition (BasicMotions: 6 channels x 100 steps).

The signal is an image of height 1, (1, 100, 6) channel-last, so Conv2d with (1, k) kernels
is a 1-D convolution over time: conv (1,5) SAME -> max pool (1,2) -> conv (1,5) SAME ->
max pool (1,2) -> average pool over the remaining 25 steps -> FC.
"""
from __future__ import annotations

from torch import nn

from .blocks import ChannelLast, ConvBlock

__all__ = ["build"]


def build(channels: int = 6, steps: int = 100, width: int = 16, kernel: int = 5,
          classes: int = 4) -> nn.Module:
    """The HAR CNN; `kernel` must be odd (SAME padding), `steps` divisible by 4."""
    if kernel % 2 != 1 or steps % 4 != 0:
        raise ValueError(f"kernel must be odd and steps divisible by 4, got {kernel}, {steps}")
    pad = (0, kernel // 2)
    body = nn.Sequential(
        ConvBlock(channels, width, (1, kernel), padding=pad),
        nn.MaxPool2d((1, 2)),
        ConvBlock(width, 2 * width, (1, kernel), padding=pad),
        nn.MaxPool2d((1, 2)),
        nn.AvgPool2d((1, steps // 4)),
        nn.Flatten(),
        nn.Linear(2 * width, classes),
    )
    return ChannelLast(body)
