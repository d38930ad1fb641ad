"""Weight parametrizations used while fine-tuning (torch.nn.utils.parametrize).

`Mask` multiplies a weight by a 0/1 mask (magnitude pruning); `Levels` replaces it by a
per-output-channel scale times {-1, +1} (binary) or {-1, 0, +1} (ternary, TWN threshold
0.7 * mean|w|) in the forward pass and lets the gradient through unchanged (straight-through
estimator). `levels(w, kind)` is the same quantizer without the estimator, for the final
weights.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["Mask", "Levels", "levels", "TERNARY_THRESHOLD"]

TERNARY_THRESHOLD = 0.7          # Li & Liu, Ternary Weight Networks: delta = 0.7 * E|w|


class Mask(nn.Module):
    """weight where mask else 0; the mask is a buffer the pruning schedule rewrites."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mask", torch.ones_like(weight, dtype=torch.bool))

    mask: torch.Tensor

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return torch.where(self.mask, w, torch.zeros_like(w))


def levels(w: torch.Tensor, kind: str) -> torch.Tensor:
    """scale_c * {-1, +1} (binary) or scale_c * {-1, 0, +1} (ternary) per output channel c.

    Binary: scale = mean|w| of the channel (XNOR-Net). Ternary: weights with |w| above
    0.7 * mean|w| keep their sign, the others become 0, scale = mean|w| of the kept ones.
    A channel that is all zeros stays zero."""
    flat = w.reshape(w.shape[0], -1)
    a = flat.abs()
    if kind == "binary":
        scale = a.mean(dim=1, keepdim=True)
        sign = torch.where(flat >= 0, torch.ones_like(flat), -torch.ones_like(flat))
        return (sign * scale).reshape(w.shape)
    keep = a > TERNARY_THRESHOLD * a.mean(dim=1, keepdim=True)
    count = keep.sum(dim=1, keepdim=True).clamp(min=1)
    scale = (a * keep).sum(dim=1, keepdim=True) / count
    return (torch.sign(flat) * keep * scale).reshape(w.shape)


class Levels(nn.Module):
    """Forward: levels(w); backward: identity (straight-through estimator)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return w + (levels(w, self.kind) - w).detach()
