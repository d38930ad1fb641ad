"""A tiny CNN for the 8x8 digits: two 3x3 conv blocks, 2x2 max pool, global average pool, FC.

(8, 8, 1) -> conv 3x3 SAME -> conv 3x3 SAME -> max pool 2 -> avg pool 4x4 -> FC 10.
About 1.4 k parameters and 80 k MACs with the default width.
"""
from __future__ import annotations

from torch import nn

from .blocks import ChannelLast, ConvBlock

__all__ = ["build"]


def build(width: int = 8, classes: int = 10) -> nn.Module:
    """The digits CNN; `width` is the first block's channels (the second has twice that)."""
    body = nn.Sequential(
        ConvBlock(1, width, 3, padding=1),
        ConvBlock(width, 2 * width, 3, padding=1),
        nn.MaxPool2d(2),
        nn.AvgPool2d(4),
        nn.Flatten(),
        nn.Linear(2 * width, classes),
    )
    return ChannelLast(body)
