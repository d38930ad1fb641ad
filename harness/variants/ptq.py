"""`int8-ptq`: post-training static quantization (PT2E) calibrated on training samples.

Weights per-channel symmetric int8, activations per-tensor asymmetric int8; the activation
ranges come from `samples` training samples (a seeded, class-stratified subset) observed with
the `calibration` method (`minmax`, `percentile` at `percentile`, or `histogram`; see
observers.py). After the binary / ternary techniques (`weight_levels` in the stage's notes),
their layers' channels get their level as scale, so the int8 filters hold {-1, 0, +1}. int16x8 (16-bit activations) is not offered: hilbench's importer and kernels
run int8 only.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from ..datasets import stratified_indices
from .technique import Context, Params, Stage, Technique

__all__ = ["TECHNIQUE", "PtqParams", "calibrate"]

if TYPE_CHECKING:
    import torch


class PtqParams(Params):
    calibration: Literal["minmax", "percentile", "histogram"] = "minmax"
    percentile: float = Field(99.99, gt=50.0, le=100.0)
    samples: int = Field(200, ge=1)
    batch_size: int = Field(64, ge=1)


def calibrate(module: torch.nn.Module, ctx: Context, samples: int, batch_size: int) -> int:
    """Run `samples` stratified training samples through the observed module; returns N."""
    import torch

    split = ctx.dataset.train
    idx = stratified_indices(split.y, samples, seed=ctx.seed)
    x = torch.from_numpy(split.x[idx])
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            module(x[i:i + batch_size])
    return len(idx)


def _apply(stage: Stage, params: PtqParams, ctx: Context) -> Stage:
    from torchao.quantization.pt2e import quantize_pt2e  # heavy: imported when used

    from ._export import export_for_pt2e
    from .observers import quantizer

    levels = "weight_levels" in stage.notes
    q = quantizer(params.calibration, params.percentile, qat=False, weight_levels=levels)
    prepared = quantize_pt2e.prepare_pt2e(export_for_pt2e(stage.model, ctx.example), q)
    n = calibrate(prepared, ctx, params.samples, params.batch_size)
    ctx.progress(f"int8-ptq: calibrated on {n} training samples ({params.calibration})")
    converted = quantize_pt2e.convert_pt2e(prepared, fold_quantize=False)
    return Stage(converted, q, 8, {**stage.notes, "calibration_samples": n})


TECHNIQUE = Technique("int8-ptq", PtqParams, _apply, quantizes=True,
                      summary="post-training int8 (per-channel weights, calibrated activations)")
