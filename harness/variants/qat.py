"""`int8-qat`: quantization-aware fine-tuning (PT2E prepare_qat) from the trained weights.

The folded fp32 model gets fake-quantize nodes (per-channel symmetric int8 weights, moving-
average per-tensor int8 activations) and is fine-tuned for `epochs` at `lr` with the
reference's loss and sampling; the epoch with the best validation score is kept, then the
graph is converted to int8.
"""
from __future__ import annotations

import dataclasses

from pydantic import Field

from ..errors import ModelError
from .technique import Context, Params, Stage, Technique

__all__ = ["TECHNIQUE", "QatParams"]


class QatParams(Params):
    epochs: int = Field(2, ge=1)
    lr: float = Field(5e-4, gt=0)
    batch_size: int | None = Field(None, ge=1)   # None: the reference's batch size
    weight_decay: float = Field(0.0, ge=0)


def _apply(stage: Stage, params: QatParams, ctx: Context) -> Stage:
    from torchao.quantization.pt2e import allow_exported_model_train_eval, quantize_pt2e

    from ..training import fit
    from ._export import export_for_pt2e
    from .observers import quantizer

    if "weight_levels" in stage.notes:
        raise ModelError("int8-qat would retrain the binary/ternary weights into 8-bit ones; "
                         "end this chain with int8-ptq")
    q = quantizer(qat=True)
    prepared = quantize_pt2e.prepare_qat_pt2e(export_for_pt2e(stage.model, ctx.example), q)
    allow_exported_model_train_eval(prepared)
    config = dataclasses.replace(
        ctx.train, epochs=params.epochs, lr=params.lr, weight_decay=params.weight_decay,
        batch_size=params.batch_size or ctx.train.batch_size, schedule="cosine", seed=ctx.seed)
    prepared, history = fit(prepared, ctx.dataset, config, ctx.progress, label="int8-qat")
    converted = quantize_pt2e.convert_pt2e(prepared, fold_quantize=False)
    return Stage(converted, q, 8, {**stage.notes, "qat_history": history.as_dict()})


TECHNIQUE = Technique("int8-qat", QatParams, _apply, quantizes=True,
                      summary="int8 quantization-aware fine-tuning from the fp32 weights")
