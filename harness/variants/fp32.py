"""`fp32`: the trained reference as it is (BatchNorm folded), converted to a float32 model."""
from __future__ import annotations

from .technique import Context, Params, Stage, Technique

__all__ = ["TECHNIQUE"]


class Fp32Params(Params):
    """No parameters."""


def _apply(stage: Stage, params: Fp32Params, ctx: Context) -> Stage:
    return stage


TECHNIQUE = Technique("fp32", Fp32Params, _apply, quantizes=False,
                      summary="the float32 reference, unchanged")
