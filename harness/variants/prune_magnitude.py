"""`prune-magnitude`: unstructured magnitude pruning to a target `sparsity`, gradually.

Each selected Conv2d / Linear weight gets a mask; before every fine-tuning epoch the mask
keeps the largest-magnitude weights of the layer so that its sparsity follows Zhu & Gupta's
cubic schedule s_e = s * (1 - (1 - e / E_ramp)^3) from 0 to the target over the first
`ramp` fraction of the epochs (E_ramp = max(1, round(ramp * epochs))); masks only grow, the
remaining epochs train at the target sparsity and the best of those (on validation) is kept.
Every selected layer reaches the target exactly (floor(sparsity * n) zeros of its n
weights). The zeros are exact float zeros, which symmetric per-channel int8 quantization keeps
as int8 zeros, so the .tflite filters are at least that sparse (a tiny weight may round to
zero too). `skip_first` / `skip_last` keep the first conv / the logits layer dense;
`layers` names the layers instead.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import Field

from .technique import Context, Params, Stage, Technique

if TYPE_CHECKING:
    import torch

__all__ = ["TECHNIQUE", "PruneMagnitudeParams", "cubic_sparsity"]


class PruneMagnitudeParams(Params):
    sparsity: float = Field(0.8, ge=0.0, lt=1.0)
    epochs: int = Field(4, ge=1)
    ramp: float = Field(0.5, gt=0.0, le=1.0)
    lr: float = Field(5e-4, gt=0)
    skip_first: bool = False
    skip_last: bool = False
    layers: list[str] | None = None


def cubic_sparsity(target: float, epoch: int, ramp_epochs: int) -> float:
    """Zhu & Gupta's schedule: the sparsity to reach before epoch `epoch` (0-based) + 1."""
    t = min(1.0, (epoch + 1) / ramp_epochs)
    return target * (1.0 - (1.0 - t) ** 3)


def _mask(weight: torch.Tensor, old: torch.Tensor, sparsity: float) -> torch.Tensor:
    """Keep the largest |w| (already-pruned weights stay pruned), zero floor(s * n) weights."""
    import torch

    n = weight.numel()
    zeros = math.floor(sparsity * n + 1e-9)
    score = torch.where(old, weight.detach().abs(), torch.full_like(weight, -1.0)).reshape(-1)
    order = torch.argsort(score, stable=True)
    keep = torch.ones(n, dtype=torch.bool)
    keep[order[:zeros]] = False
    return keep.reshape(weight.shape) & old


def _apply(stage: Stage, params: PruneMagnitudeParams, ctx: Context) -> Stage:
    import torch
    from torch.nn.utils import parametrize

    from ._layers import finetune, select_layers
    from ._parametrize import Mask

    model = stage.model
    layers = select_layers(model, "prune-magnitude", params.layers, params.skip_first,
                           params.skip_last)
    masks = []
    for _, m in layers:
        mask = Mask(m.weight)
        parametrize.register_parametrization(m, "weight", mask)
        masks.append(mask)
    ramp_epochs = max(1, round(params.ramp * params.epochs))
    best: tuple[float, dict[str, torch.Tensor]] | None = None
    history: list[dict[str, float]] = []
    for epoch in range(params.epochs):
        s = cubic_sparsity(params.sparsity, epoch, ramp_epochs)
        with torch.no_grad():
            for (_, m), mask in zip(layers, masks):
                mask.mask.copy_(_mask(m.weight, mask.mask, s))      # pruned ones score -1
        lr = params.lr * 0.5 * (1 + math.cos(math.pi * epoch / params.epochs))
        sub = Context(ctx.dataset, ctx.train, ctx.example, ctx.seed + epoch, ctx.quick,
                      ctx.progress)
        model, h = finetune(model, sub, 1, lr, f"prune-magnitude (sparsity {s:.3f})")
        history.append({"sparsity": round(s, 4), "val": h.val[0], "loss": h.loss[0]})
        if epoch + 1 >= ramp_epochs and (best is None or h.val[0] > best[0]):
            best = (h.val[0], {k: v.clone() for k, v in model.state_dict().items()})
    assert best is not None
    model.load_state_dict(best[1])
    for _, m in layers:
        parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
    model.eval()
    zeros = sum(int(torch.count_nonzero(m.weight == 0)) for _, m in layers)
    total = sum(int(m.weight.numel()) for _, m in layers)
    ctx.progress(f"prune-magnitude: {zeros}/{total} weights of {len(layers)} layers are zero")
    notes = {"layers": [n for n, _ in layers], "zeros": zeros, "weights": total,
             "history": history, "best_val": best[0]}
    return Stage(model, stage.quantizer, stage.weight_bits,
                 {**stage.notes, "prune_magnitude": notes})


TECHNIQUE = Technique("prune-magnitude", PruneMagnitudeParams, _apply,
                      summary="unstructured magnitude pruning to a sparsity, cubic schedule")
