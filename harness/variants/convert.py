"""A variant's final stage to a .tflite file with litert-torch.

Float stages convert with `litert_torch.convert`; quantized stages (PT2E-converted graphs)
with the quantizer passed as `QuantConfig(pt2e_quantizer=...)`, which gives int8 input and
output tensors. The converter absorbs the zoo models' NHWC->NCHW permute (no TRANSPOSE) and
their convolutions map to CONV_2D / DEPTHWISE_CONV_2D with fused ReLU. Any converter failure
is a `ModelError` naming the variant.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import torch

from ..errors import ModelError
from .technique import Stage

__all__ = ["to_tflite"]


@contextlib.contextmanager
def _quiet_converter() -> Iterator[None]:
    """litert-torch prints a progress tree on stdout by default; hilbench reports its own."""
    old = os.environ.get("LITERT_TORCH_SHOW_PROGRESS")
    os.environ["LITERT_TORCH_SHOW_PROGRESS"] = "n"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("LITERT_TORCH_SHOW_PROGRESS", None)
        else:
            os.environ["LITERT_TORCH_SHOW_PROGRESS"] = old


def to_tflite(stage: Stage, example: torch.Tensor, out: Path, variant: str) -> Path:
    """Convert `stage` at batch 1 (the shape of `example`) and write `out`."""
    import litert_torch
    from litert_torch.quantize.quant_config import QuantConfig

    kwargs = {}
    if stage.quantized:
        kwargs["quant_config"] = QuantConfig(pt2e_quantizer=stage.quantizer)
    try:
        with _quiet_converter():
            model = stage.model if stage.quantized else stage.model.eval()
            edge = litert_torch.convert(model, (example,), **kwargs)
            edge.export(str(out))
    except Exception as exc:  # the converter fails in many ways (export, MLIR, flatbuffer)
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        raise ModelError(f"variant {variant}: conversion to TFLite failed "
                         f"({type(exc).__name__}: {first})") from None
    if not out.is_file() or out.stat().st_size == 0:
        raise ModelError(f"variant {variant}: the converter wrote no model to {out}")
    return out
