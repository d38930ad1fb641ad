"""A guide CNN for token dropping: scores every 4x4 patch of a 28x28 image with a
class-activation map (CAM), gradient-free.

    (28, 28, 1) -> conv 4x4 stride 4 (one cell per patch, 7x7) -> conv 3x3 SAME -> conv 3x3
    SAME -> conv 1x1 to one map per class (7, 7, classes) -> full-window average pool -> logits

The 1x1 class-map convolution before the average pool is the CAM construction of Zhou et al.
(2016) with the pool and the classifier swapped (both are linear, so the logits are the same):
`class_maps(x)` is the deployed guide model, and the map of the predicted class (argmax of the
maps' spatial mean) is each patch's saliency. About 9 k parameters, 0.45 M MACs.
"""
from __future__ import annotations

import torch
from torch import nn

from .blocks import ConvBlock

__all__ = ["build", "GuideCNN"]


class GuideCNN(nn.Module):
    def __init__(self, patch: int = 4, width: int = 16, hidden: int = 24, grid: int = 7,
                 classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            ConvBlock(1, width, patch, stride=patch),
            ConvBlock(width, hidden, 3, padding=1),
            ConvBlock(hidden, hidden, 3, padding=1),
        )
        self.maps = nn.Conv2d(hidden, classes, 1)
        self.pool = nn.AvgPool2d(grid)

    def class_maps(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 28, 28, 1) channel-last images -> (N, 7, 7, classes) class maps, channel-last."""
        return self.maps(self.features(x.permute(0, 3, 1, 2))).permute(0, 2, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.maps(self.features(x.permute(0, 3, 1, 2)))
        return self.pool(maps).flatten(1)


class ClassMaps(nn.Module):
    """The deployed guide: images -> class maps (what `GuideCNN.class_maps` computes)."""

    def __init__(self, guide: GuideCNN) -> None:
        super().__init__()
        self.guide = guide

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.guide.class_maps(x)


def build(width: int = 16, hidden: int = 24, classes: int = 10) -> nn.Module:
    """The guide CNN for (28, 28, 1) images and 4x4 patches."""
    return GuideCNN(4, width, hidden, 7, classes)
