"""The layers compression techniques act on, and fine-tuning with the reference's loss.

A weighted layer is an `nn.Conv2d` or `nn.Linear` of the float stage, named as in
`named_modules()` (e.g. `body.0.conv`, `body.6`), in definition order; the zoo's models are
sequential, so the first and last of the list are the network's first and last layers.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from torch import nn

from ..errors import ModelError
from ..training import History
from ..training.loop import LossFn, fit
from .technique import Context

__all__ = ["weighted_layers", "select_layers", "finetune", "Layer"]

Layer = nn.Conv2d | nn.Linear


def weighted_layers(model: nn.Module) -> list[tuple[str, Layer]]:
    """(name, module) of every Conv2d and Linear, in definition order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def select_layers(model: nn.Module, technique: str, names: Iterable[str] | None,
                  keep_first: bool, keep_last: bool) -> list[tuple[str, Layer]]:
    """The layers named in `names` (all when None), minus the first / last when asked.

    An unknown name is a ModelError listing the model's weighted layers."""
    layers = weighted_layers(model)
    known = [n for n, _ in layers]
    if names is not None:
        wanted = list(names)
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise ModelError(f"{technique}: no weighted layer {unknown[0]!r}; the model's "
                             f"Conv2d/Linear layers: {', '.join(known)}")
        return [(n, m) for n, m in layers if n in wanted]
    chosen = layers[1 if keep_first else 0:len(layers) - 1 if keep_last else len(layers)]
    return chosen


def finetune(model: nn.Module, ctx: Context, epochs: int, lr: float, label: str,
             loss: LossFn | None = None) -> tuple[nn.Module, History]:
    """Train `model` for `epochs` at `lr` (cosine) with the reference's loss, sampling and
    batch size; the epoch with the best validation score is kept."""
    config = dataclasses.replace(ctx.train, epochs=epochs, lr=lr, schedule="cosine",
                                 seed=ctx.seed)
    return fit(model, ctx.dataset, config, ctx.progress, label=label, loss=loss)
