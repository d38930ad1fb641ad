"""What a compression technique is: a named step with checked parameters that turns one stage
of a variant into the next.

A variant is a chain of techniques applied to the trained fp32 reference. A stage holds a
PyTorch module: a float `nn.Module` while the chain transforms the network (fp32; prune,
distil, low-rank... later), then, after the one quantizing step that must end the chain, a
PT2E-converted graph plus the quantizer `convert.py` hands to litert-torch. Adding a
technique: one file defining a `Technique`, one line in `techniques.TECHNIQUES`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    import torch
    from torch import nn

    from ..datasets import Dataset
    from ..training import TrainConfig

__all__ = ["Technique", "Stage", "Context", "Params"]


class Params(BaseModel):
    """Base of every technique's parameters: unknown keys are errors, values are checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class Stage:
    """A variant between steps: the module, and (once quantized) the PT2E quantizer."""

    model: nn.Module
    quantizer: Any = None            # litert-torch PT2EQuantizer after a quantizing step
    weight_bits: int = 32
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def quantized(self) -> bool:
        return self.quantizer is not None


@dataclass(frozen=True)
class Context:
    """What a step may use: the data set, the reference's training config, one example input."""

    dataset: Dataset
    train: TrainConfig
    example: torch.Tensor            # one training sample, batch of 1, channel-last
    seed: int
    quick: bool
    progress: Callable[[str], None]


@dataclass(frozen=True)
class Technique:
    """A registered technique: `apply(stage, params, context) -> stage`.

    `quantizes` marks a step that produces an integer model; it must be the chain's last."""

    name: str
    params: type[Params]
    apply: Callable[[Stage, Any, Context], Stage]
    quantizes: bool = False
    summary: str = ""
