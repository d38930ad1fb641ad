"""The technique registry: name -> Technique. Add a technique with one file and one line."""
from __future__ import annotations

from . import fp32, ptq, qat
from .technique import Technique

__all__ = ["TECHNIQUES"]

TECHNIQUES: dict[str, Technique] = {
    t.name: t for t in (
        fp32.TECHNIQUE,
        ptq.TECHNIQUE,
        qat.TECHNIQUE,
    )
}
