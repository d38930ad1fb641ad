"""Binary and ternary weights trained with a straight-through estimator (shared by the
`binary` and `ternary` techniques).

Every selected Conv2d / Linear is fine-tuned for `epochs` at `lr` with its weight replaced,
in the forward pass, by scale_c * {-1, +1} (binary: scale = mean|w| of output channel c) or
scale_c * {-1, 0, +1} (ternary, TWN: |w| <= 0.7 * mean|w| becomes 0, scale = mean of the
kept |w|); the gradient passes through unchanged (see `_parametrize.py`). The first and
last layers stay 8-bit unless `quantize_first` / `quantize_last` say otherwise (or
`layers` names the layers). Afterwards the weights are exactly scale * level, and the notes
say which layers hold levels so that `int8-ptq` gives those channels the scale s: their
int8 filters are then {-1, +1} or {-1, 0, +1} and the packed kernels can use them.
"""
from __future__ import annotations

from collections.abc import Callable

from pydantic import Field

from .technique import Context, Params, Stage

__all__ = ["LevelParams", "apply_levels", "BITS"]

BITS = {"binary": 1, "ternary": 2}


class LevelParams(Params):
    epochs: int = Field(4, ge=1)
    lr: float = Field(1e-3, gt=0)
    quantize_first: bool = False
    quantize_last: bool = False
    layers: list[str] | None = None


def apply_levels(kind: str) -> Callable[[Stage, LevelParams, Context], Stage]:
    """The `apply` of the binary (kind "binary") or ternary technique."""

    def apply(stage: Stage, params: LevelParams, ctx: Context) -> Stage:
        import torch
        from torch.nn.utils import parametrize

        from ._layers import finetune, select_layers
        from ._parametrize import Levels, levels

        model = stage.model
        layers = select_layers(model, kind, params.layers, not params.quantize_first,
                               not params.quantize_last)
        for _, m in layers:
            parametrize.register_parametrization(m, "weight", Levels(kind))
        model, history = finetune(model, ctx, params.epochs, params.lr, kind)
        with torch.no_grad():
            for _, m in layers:
                parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
                m.weight.copy_(levels(m.weight, kind))
        model.eval()
        names = [n for n, _ in layers]
        ctx.progress(f"{kind}: {len(names)} layers hold {BITS[kind]}-bit weights: "
                     f"{', '.join(names)}")
        notes = {"kind": kind, "bits": BITS[kind], "layers": names,
                 "history": history.as_dict()}
        return Stage(model, stage.quantizer, stage.weight_bits,
                     {**stage.notes, "weight_levels": notes})

    return apply
