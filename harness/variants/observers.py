"""Activation observers and the PT2E quantization config hilbench's int8 models use.

int8 per the TFLite spec: weights per-channel symmetric int8 ([-127, 127]), activations
per-tensor asymmetric int8, int32 bias (derived at conversion). litert-torch's stock config
observes activations with a HistogramObserver; here the calibration method is a choice:

- `minmax`: the range seen over the calibration samples (MinMaxObserver);
- `percentile`: the p-th and (100-p)-th percentiles of all values seen, so rare outliers do
  not stretch the scale. PT2E has no such observer, so `PercentileObserver` keeps (a seeded
  subsample of) the values and computes the range at `calculate_qparams`;
- `histogram`: litert-torch's default (HistogramObserver, an L2-optimal range search).

Weights: per-channel max|w| / 127 (PerChannelMinMaxObserver). With `weight_levels`, a channel
whose nonzero weights all share one magnitude s (the binary / ternary techniques' output)
gets the scale s instead (`LevelWeightObserver`), so its int8 values are exactly {-1, 0, +1}
and the packed 1-/2-bit kernels can use them; other channels are quantized as usual.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch
from litert_torch.quantize import pt2e_quantizer as pq
from torchao.quantization.pt2e.observer import MinMaxObserver, PerChannelMinMaxObserver

__all__ = ["PercentileObserver", "LevelWeightObserver", "Quantizer", "quantization_config",
           "quantizer", "CALIBRATIONS"]

CALIBRATIONS = ("minmax", "percentile", "histogram")
_EPS = 2 ** -12          # litert-torch's smallest scale


class Quantizer(pq.PT2EQuantizer):
    """litert-torch's PT2E quantizer without its conv+BatchNorm QAT patterns.

    Those patterns fail to trace under torch 2.13 (they hand a function to torch.export);
    hilbench folds BatchNorm before quantizing, so they would match nothing anyway."""

    STATIC_QAT_ONLY_OPS: list[str] = []


class PercentileObserver(MinMaxObserver):
    """Range = [percentile(100 - p), percentile(p)] of the observed values (p in (50, 100])."""

    def __init__(self, percentile: float = 99.99, max_values: int = 4_000_000,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.percentile = float(percentile)
        self.max_values = int(max_values)
        self._values: list[np.ndarray] = []
        self._kept = 0
        self._rng = np.random.default_rng(0)

    def forward(self, x_orig: torch.Tensor) -> torch.Tensor:
        out = super().forward(x_orig)
        values = x_orig.detach().float().reshape(-1).numpy()
        room = self.max_values - self._kept
        if room <= 0:
            return out
        if values.size > room:
            values = self._rng.choice(values, size=room, replace=False)
        self._values.append(values.copy())
        self._kept += values.size
        return out

    @torch.jit.export
    def calculate_qparams(self) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        if not self._values:
            return super().calculate_qparams()
        values = np.concatenate(self._values)
        lo, hi = np.percentile(values, [100.0 - self.percentile, self.percentile])
        return self._calculate_qparams(torch.tensor([float(lo)]), torch.tensor([float(hi)]))


class LevelWeightObserver(PerChannelMinMaxObserver):
    """Per-channel symmetric weights; a channel whose nonzero values all have the magnitude s
    (values in {-s, 0, +s}) gets scale s, so it quantizes to {-1, 0, +1} exactly."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.level_scale = torch.zeros(0)

    def forward(self, x_orig: torch.Tensor) -> torch.Tensor:
        out = super().forward(x_orig)
        a = x_orig.detach().float().transpose(0, self.ch_axis).flatten(start_dim=1).abs()
        top = a.amax(dim=1)
        single = ((a == 0) | (a == top[:, None])).all(dim=1) & (top > 0)
        self.level_scale = torch.where(single, top, torch.zeros_like(top))
        return out

    @torch.jit.export
    def calculate_qparams(self) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        scale, zero_point = super().calculate_qparams()
        if self.level_scale.numel() == scale.numel():
            level = torch.clamp(self.level_scale, min=self.eps.item()).to(scale.dtype)
            scale = torch.where(self.level_scale > 0, level, scale)
        return scale, zero_point


def quantization_config(calibration: str = "minmax", percentile: float = 99.99,
                        qat: bool = False, weight_levels: bool = False) -> Any:
    """The PT2E QuantizationConfig: per-channel int8 weights, observed int8 activations."""
    base = pq.get_symmetric_quantization_config(is_per_channel=True, is_qat=qat)
    if weight_levels and not qat:
        weight = dataclasses.replace(
            base.weight, observer_or_fake_quant_ctr=LevelWeightObserver.with_args(eps=_EPS))
        base = dataclasses.replace(base, weight=weight)
    if qat or calibration == "histogram":
        return base
    if calibration == "minmax":
        ctr = MinMaxObserver.with_args(eps=_EPS)
    elif calibration == "percentile":
        ctr = PercentileObserver.with_args(eps=_EPS, percentile=percentile)
    else:
        raise ValueError(f"calibration {calibration!r} is not one of {', '.join(CALIBRATIONS)}")
    act = dataclasses.replace(base.input_activation, observer_or_fake_quant_ctr=ctr)
    return dataclasses.replace(base, input_activation=act, output_activation=act)


def quantizer(calibration: str = "minmax", percentile: float = 99.99, qat: bool = False,
              weight_levels: bool = False) -> Quantizer:
    """A quantizer with `quantization_config(...)` set globally."""
    q = Quantizer()
    q.set_global(quantization_config(calibration, percentile, qat, weight_levels))
    return q

