"""Building blocks that convert to the ops hilbench runs, and BatchNorm folding.

A `ConvBlock` is Conv2d -> BatchNorm2d -> ReLU/ReLU6/none. After training, `fold_batchnorm`
folds every block's BatchNorm into its convolution (eval statistics), so the converter sees
Conv2d + ReLU only: TFLite CONV_2D / DEPTHWISE_CONV_2D with a fused activation. Folding
before quantization is also what makes PT2E QAT work here: litert-torch's conv-bn QAT
patterns fail to trace under torch 2.13, and a folded model does not need them.

Models take channel-last input (N, H, W, C), the layout of the data sets and of TFLite, and
permute to NCHW as their first step; the converter absorbs that permute (no TRANSPOSE op).
"""
from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

__all__ = ["ConvBlock", "ChannelLast", "fold_batchnorm", "ACTIVATIONS"]

ACTIVATIONS = ("relu", "relu6", "none")


class ConvBlock(nn.Module):
    """Conv2d (no bias) + BatchNorm2d + activation; `groups=in_ch` makes it depthwise."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                 groups: int = 1, act: str = "relu") -> None:
        super().__init__()
        if act not in ACTIVATIONS:
            raise ValueError(f"activation {act!r} is not one of {', '.join(ACTIVATIONS)}")
        self.conv = nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=padding,
                              groups=groups, bias=False)
        self.bn: nn.Module = nn.BatchNorm2d(out_ch)
        self.act: nn.Module = {"relu": nn.ReLU(), "relu6": nn.ReLU6(), "none": nn.Identity()}[act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class ChannelLast(nn.Module):
    """Runs `body` (NCHW) on channel-last input: (N, H, W, C) -> body -> logits."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x.permute(0, 3, 1, 2))


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """A copy of `model` in eval mode with every ConvBlock's BatchNorm folded into its conv."""
    folded = copy.deepcopy(model).eval()
    for block in folded.modules():
        if isinstance(block, ConvBlock) and isinstance(block.bn, nn.BatchNorm2d):
            block.conv = fuse_conv_bn_eval(block.conv, block.bn)
            block.bn = nn.Identity()
    return folded
