"""`prune-structured`: remove whole filters (output channels) with torch-pruning, then fine-tune.

The dependency graph of torch-pruning removes each filter together with everything that
consumes it (the next layer's input channels, the FC's inputs after the pooling), so the
result is a smaller dense model: fewer parameters, MACs, bytes and cycles with the ordinary
kernels. Filters are ranked per layer by the `criterion`: `l1` / `l2` norm of their weights,
or `taylor`, the first-order Taylor score |w * dL/dw| (Molchanov et al. 2019) on
`taylor_samples` training samples. `ratio` is the fraction of filters removed from every
layer (`global_ranking: true` ranks all layers together instead, so some lose more); `ratios`
gives some layers (by module name, e.g. `body.1.conv`) their own. The last layer (the
logits) is never pruned. Then `epochs` of fine-tuning at `lr` with the reference's loss.
When nothing is removed (ratio 0) the model is returned as it was, without fine-tuning.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from ..datasets import stratified_indices
from ..errors import ModelError
from .technique import Context, Params, Stage, Technique

if TYPE_CHECKING:
    from torch import nn

__all__ = ["TECHNIQUE", "PruneStructuredParams"]


class PruneStructuredParams(Params):
    ratio: float = Field(0.5, ge=0.0, lt=1.0)
    ratios: dict[str, Annotated[float, Field(ge=0.0, lt=1.0)]] = Field(default_factory=dict)
    criterion: Literal["l1", "l2", "taylor"] = "l1"
    global_ranking: bool = False
    taylor_samples: int = Field(256, ge=1)
    epochs: int = Field(3, ge=0)
    lr: float = Field(5e-4, gt=0)


def _importance(params: PruneStructuredParams) -> object:
    import torch_pruning as tp

    if params.criterion == "taylor":
        return tp.importance.TaylorImportance()
    return tp.importance.MagnitudeImportance(p=1 if params.criterion == "l1" else 2)


def _taylor_gradients(model: nn.Module, ctx: Context, samples: int) -> None:
    """Accumulate dL/dw over `samples` stratified training samples (the Taylor score's input)."""
    import torch

    split = ctx.dataset.train
    idx = stratified_indices(split.y, samples, seed=ctx.seed)
    model.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(split.x[idx])),
                                       torch.from_numpy(split.y[idx]))
    loss.backward()


def _apply(stage: Stage, params: PruneStructuredParams, ctx: Context) -> Stage:
    import torch_pruning as tp

    from ._layers import finetune, weighted_layers

    model = stage.model
    layers = dict(weighted_layers(model))
    for name in params.ratios:
        if name not in layers:
            raise ModelError(f"prune-structured: no weighted layer {name!r}; the model's "
                             f"Conv2d/Linear layers: {', '.join(layers)}")
    last = list(layers.values())[-1]
    before = sum(p.numel() for p in model.parameters())
    if params.ratio == 0 and not any(params.ratios.values()):
        return Stage(model, stage.quantizer, stage.weight_bits,
                     {**stage.notes, "prune_structured": {"params_before": before,
                                                          "params_after": before}})
    model.train()
    pruner = tp.pruner.MetaPruner(
        model, ctx.example, importance=_importance(params), pruning_ratio=params.ratio,
        pruning_ratio_dict={layers[n]: r for n, r in params.ratios.items()} or None,
        global_pruning=params.global_ranking, ignored_layers=[last])
    if params.criterion == "taylor":
        _taylor_gradients(model, ctx, params.taylor_samples)
    pruner.step()
    model.zero_grad(set_to_none=True)
    after = sum(p.numel() for p in model.parameters())
    ctx.progress(f"prune-structured: {before} -> {after} parameters ({params.criterion})")
    notes = {"params_before": before, "params_after": after,
             "channels": {n: getattr(m, "out_channels", getattr(m, "out_features", 0))
                          for n, m in weighted_layers(model)}}
    if params.epochs > 0:
        model, history = finetune(model, ctx, params.epochs, params.lr, "prune-structured")
        notes["history"] = history.as_dict()
    model.eval()
    return Stage(model, stage.quantizer, stage.weight_bits,
                 {**stage.notes, "prune_structured": notes})


TECHNIQUE = Technique("prune-structured", PruneStructuredParams, _apply,
                      summary="remove filters (l1 | l2 | taylor), fine-tune; a smaller dense model")
