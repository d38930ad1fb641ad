"""The technique registry: name -> Technique. Add a technique with one file and one line."""
from __future__ import annotations

from . import (
    binary,
    distill,
    fp32,
    lowrank,
    prune_magnitude,
    prune_structured,
    ptq,
    qat,
    ternary,
)
from .technique import Technique

__all__ = ["TECHNIQUES"]

TECHNIQUES: dict[str, Technique] = {
    t.name: t for t in (
        fp32.TECHNIQUE,
        ptq.TECHNIQUE,
        qat.TECHNIQUE,
        prune_structured.TECHNIQUE,
        prune_magnitude.TECHNIQUE,
        distill.TECHNIQUE,
        lowrank.TECHNIQUE,
        binary.TECHNIQUE,
        ternary.TECHNIQUE,
    )
}
