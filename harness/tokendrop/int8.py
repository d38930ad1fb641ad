"""The int8 ViT of a token-drop variant: post-training static quantization (PT2E) with the
quantizer hilbench's `int8-ptq` uses (per-channel symmetric int8 weights, per-tensor int8
activations observed min/max), calibrated on the kept tokens of training images.

litert-torch quantizes what its PT2E patterns cover (the linear layers, GELU, the residual
MULs, concatenation, transposes) and leaves the rest in float between QUANTIZE / DEQUANTIZE:
layer norm's MEAN/SUB/RSQRT/ADD, the attention matmuls (float FULLY_CONNECTED with an
activation as weights) and SOFTMAX. The model's input and output tensors are int8.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..variants.technique import Stage

__all__ = ["quantized_stage"]


def quantized_stage(module: nn.Module, calibration: np.ndarray, batch_size: int = 64) -> Stage:
    """`module` (tokens -> logits) quantized after observing the (N, T, width) tokens."""
    from torchao.quantization.pt2e import quantize_pt2e  # heavy: imported when used

    from ..variants._export import export_for_pt2e
    from ..variants.observers import quantizer

    q = quantizer("minmax")
    example = torch.from_numpy(calibration[:1])
    prepared = quantize_pt2e.prepare_pt2e(export_for_pt2e(module.eval(), example), q)
    x = torch.from_numpy(calibration)
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            prepared(x[i:i + batch_size])
    converted = quantize_pt2e.convert_pt2e(prepared, fold_quantize=False)
    return Stage(converted, q, 8, {"calibration_samples": len(x)})
