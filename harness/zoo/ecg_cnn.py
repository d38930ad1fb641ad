"""A small 1-D CNN classifying ECG beats (MIT-BIH, AAMI N/S/V/F) for a Cortex-M4.

Input (1, 128, 6) channel-last, as harness.datasets.mitbih makes it: the beat (128 samples at
180 Hz), the beat minus the patient's median beat, and four RR / amplitude ratios broadcast
along time; the first convolution mixes them with the morphology, so no concatenation op is
needed on the target.
Four stride-2 convolutions, kernel 8 with padding 3 (TFLite SAME: no PAD op), halve the time
axis 128 -> 8; a full-window average pool and one FC give the logits. Width 16: 15.3 k
parameters, 0.25 M MACs, 24 kB as int8 TFLite.

What the inputs are worth (MIT-BIH DS2 balanced accuracy, epoch chosen on validation
patients, this network): the beat and three RR ratios 0.59-0.62 (two seeds); plus the
amplitude ratio 0.64-0.73; plus the beat minus the patient's median beat 0.725 / 0.734 /
0.737 (seeds 0-2, lr 0.001), with S sensitivity 73-91 %; int8 (PTQ) 0.722 / 0.735 / 0.736.
F stays weak (21-29 %): in DS1 it comes almost only from one patient (208).
"""
from __future__ import annotations

from itertools import pairwise

from torch import nn

from .blocks import ChannelLast, ConvBlock

__all__ = ["build"]


def build(channels: int = 6, steps: int = 128, width: int = 16, kernel: int = 8,
          classes: int = 4, dropout: float = 0.0) -> nn.Module:
    """The ECG CNN; `kernel` even (SAME padding at stride 2), `steps` divisible by 16."""
    if kernel % 2 != 0 or steps % 16 != 0:
        raise ValueError(f"kernel must be even and steps divisible by 16, got {kernel}, {steps}")
    pad = (0, kernel // 2 - 1)
    chans = [channels, width, width, 2 * width, 2 * width]
    blocks = [ConvBlock(a, b, (1, kernel), stride=(1, 2), padding=pad)
              for a, b in pairwise(chans)]
    body = nn.Sequential(
        *blocks,
        nn.AvgPool2d((1, steps // 16)),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(2 * width, classes),
    )
    return ChannelLast(body)
