"""A DS-CNN-like network for Fashion-MNIST (after Zhang et al.'s keyword-spotting DS-CNN).

(28, 28, 1) -> conv 3x3 stride 2 VALID (13x13) -> `blocks` x [depthwise 3x3 SAME + pointwise
1x1] -> full-window average pool -> FC 10. Stride 2 uses VALID padding because a symmetric
padding of 1 on an even input is not TFLite SAME and would convert to an extra PAD op.
"""
from __future__ import annotations

from torch import nn

from .blocks import ChannelLast, ConvBlock

__all__ = ["build"]


def build(width: int = 32, blocks: int = 3, classes: int = 10) -> nn.Module:
    """The DS-CNN; `width` channels throughout, `blocks` depthwise-separable blocks."""
    layers: list[nn.Module] = [ConvBlock(1, width, 3, stride=2)]
    for _ in range(blocks):
        layers += [ConvBlock(width, width, 3, padding=1, groups=width),
                   ConvBlock(width, width, 1)]
    layers += [nn.AvgPool2d(13), nn.Flatten(), nn.Linear(width, classes)]
    return ChannelLast(nn.Sequential(*layers))
