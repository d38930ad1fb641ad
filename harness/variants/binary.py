"""`binary`: weights scale_c * {-1, +1} per output channel, trained with a straight-through
estimator; first and last layers stay 8-bit by default (see weight_levels.py)."""
from __future__ import annotations

from .technique import Technique
from .weight_levels import LevelParams, apply_levels

__all__ = ["TECHNIQUE"]

TECHNIQUE = Technique("binary", LevelParams, apply_levels("binary"),
                      summary="1-bit weights {-1,+1} x per-channel scale (STE fine-tuning)")
