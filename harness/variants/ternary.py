"""`ternary`: weights scale_c * {-1, 0, +1} per output channel (TWN threshold), trained with a
straight-through estimator; first and last layers stay 8-bit by default (weight_levels.py)."""
from __future__ import annotations

from .technique import Technique
from .weight_levels import LevelParams, apply_levels

__all__ = ["TECHNIQUE"]

TECHNIQUE = Technique("ternary", LevelParams, apply_levels("ternary"),
                      summary="2-bit weights {-1,0,+1} x per-channel scale (STE fine-tuning)")
