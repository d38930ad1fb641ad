"""`low-rank`: truncated SVD of Conv2d / Linear weights into two ordinary layers, fine-tuned.

A weight W of shape (out, in, kh, kw) is read as a matrix (out, in*kh*kw) = U S V^T; keeping
r singular values gives a k x k convolution with r filters (sqrt(S) V^T, the original
stride and padding, no bias) followed by a 1 x 1 convolution to `out` channels (U sqrt(S),
the original bias); a Linear becomes Linear(in, r) then Linear(r, out). The rank is `rank`
(fixed) or, with `energy`, the smallest r keeping that fraction of sum(S^2); exactly one is
given. A rank above a layer's max rank min(out, in*kh*kw) is an error; a layer where the
rank would not save parameters (r * (in*kh*kw + out) >= out*in*kh*kw) stays as it is unless
named in `layers`. Depthwise (grouped) convolutions are never factorised. First and last
layers are included unless `skip_first` / `skip_last`. Then `epochs` of fine-tuning at `lr`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from ..errors import ModelError
from .technique import Context, Params, Stage, Technique

if TYPE_CHECKING:
    from torch import nn

    from ._layers import Layer

__all__ = ["TECHNIQUE", "LowRankParams"]


class LowRankParams(Params):
    rank: int | None = Field(None, ge=1)
    energy: float | None = Field(None, gt=0.0, le=1.0)
    layers: list[str] | None = None
    skip_first: bool = False
    skip_last: bool = False
    epochs: int = Field(3, ge=0)
    lr: float = Field(5e-4, gt=0)

    @model_validator(mode="after")
    def _one_of(self) -> LowRankParams:
        if (self.rank is None) == (self.energy is None):
            raise ValueError("give exactly one of rank and energy")
        return self


def _matrix(m: Layer) -> Any:
    return m.weight.detach().reshape(m.weight.shape[0], -1).double()


def _rank(name: str, m: Layer, params: LowRankParams) -> int:
    import torch

    w = _matrix(m)
    max_rank = min(w.shape)
    if params.rank is not None:
        if params.rank > max_rank:
            raise ModelError(f"low-rank: rank {params.rank} is larger than the max rank "
                             f"{max_rank} of layer {name} (weight {tuple(m.weight.shape)}); "
                             f"use rank <= {max_rank}, energy, or name the layers")
        return params.rank
    s2 = torch.linalg.svdvals(w) ** 2
    kept = torch.cumsum(s2, 0) / s2.sum().clamp(min=1e-30)
    assert params.energy is not None
    return min(max_rank, int((kept < params.energy - 1e-12).sum()) + 1)


def _factorise(m: Layer, r: int) -> nn.Module:
    import torch
    from torch import nn

    u, s, vh = torch.linalg.svd(_matrix(m), full_matrices=False)
    root = s[:r].sqrt()
    first = (root[:, None] * vh[:r]).float()
    second = (u[:, :r] * root[None, :]).float()
    bias = m.bias.detach().clone() if m.bias is not None else None
    a: Layer
    b: Layer
    if isinstance(m, nn.Linear):
        a = nn.Linear(m.in_features, r, bias=False)
        b = nn.Linear(r, m.out_features, bias=bias is not None)
        a.weight.data.copy_(first)
        b.weight.data.copy_(second)
    else:
        a = nn.Conv2d(m.in_channels, r, m.kernel_size, stride=m.stride,  # type: ignore[arg-type]
                      padding=m.padding, dilation=m.dilation, bias=False)  # type: ignore[arg-type]
        b = nn.Conv2d(r, m.out_channels, 1, bias=bias is not None)
        a.weight.data.copy_(first.reshape(r, *m.weight.shape[1:]))
        b.weight.data.copy_(second.reshape(m.out_channels, r, 1, 1))
    if bias is not None and b.bias is not None:
        b.bias.data.copy_(bias)
    return nn.Sequential(a, b)


def _saves(m: Layer, r: int) -> bool:
    out, cols = int(m.weight.shape[0]), int(m.weight[0].numel())
    return r * (cols + out) < out * cols


def _apply(stage: Stage, params: LowRankParams, ctx: Context) -> Stage:
    from torch import nn

    from ._layers import finetune, select_layers

    model = stage.model
    chosen = select_layers(model, "low-rank", params.layers, params.skip_first,
                           params.skip_last)
    factorised: dict[str, int] = {}
    for name, m in chosen:
        if isinstance(m, nn.Conv2d) and m.groups != 1:
            if params.layers is not None:
                raise ModelError(f"low-rank: layer {name!r} is a grouped (depthwise) "
                                 f"convolution, which is not factorised")
            continue
        r = _rank(name, m, params)
        if params.layers is None and not _saves(m, r):
            continue
        parent_name, _, attr = name.rpartition(".")
        setattr(model.get_submodule(parent_name), attr, _factorise(m, r))
        factorised[name] = r
    if not factorised:
        raise ModelError(f"low-rank: no layer was factorised (the rank would not reduce any "
                         f"layer's parameters); layers considered: "
                         f"{', '.join(n for n, _ in chosen)}")
    ctx.progress(f"low-rank: factorised {', '.join(f'{n} (rank {r})' for n, r in factorised.items())}")
    notes: dict[str, Any] = {"ranks": factorised}
    if params.epochs > 0:
        model, history = finetune(model, ctx, params.epochs, params.lr, "low-rank")
        notes["history"] = history.as_dict()
    model.eval()
    return Stage(model, stage.quantizer, stage.weight_bits, {**stage.notes, "low_rank": notes})


TECHNIQUE = Technique("low-rank", LowRankParams, _apply,
                      summary="SVD of conv/FC weights into two layers (rank or energy), fine-tune")
