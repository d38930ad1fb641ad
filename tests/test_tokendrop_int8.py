"""The int8 ViT of a token-drop variant (issue 19): litert-torch's PT2E int8 conversion of the
tiny ViT is mixed precision, and the importer, the golden interpreter and the host's C run it
bit for bit like LiteRT's reference kernels.

A 1-block ViT with random (non-trivial) layer-norm parameters, calibrated on random tokens:
its int8 model holds int8 FULLY_CONNECTED / GELU (lookup table) / broadcast ADD (the layer
norm's bias) / MUL / MEAN / TRANSPOSE of k, and float islands (layer norm's MEAN, SUB, RSQRT;
the attention matmuls as float FULLY_CONNECTED with an activation as weights; SOFTMAX)
between QUANTIZE and DEQUANTIZE."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from harness.bench import bench_model
from harness.importers import load_model
from harness.tokendrop.build import _Tokens
from harness.tokendrop.int8 import quantized_stage
from harness.variants.check import check_against_litert
from harness.variants.convert import to_tflite
from harness.zoo import build_model


@pytest.fixture(scope="module")
def int8_vit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    vit = build_model("tiny-vit", {"width": 16, "depth": 1, "heads": 2, "mlp": 32}).eval()
    with torch.no_grad():
        for name, p in vit.named_parameters():
            if "norm" in name:      # trained layer norms have a bias: an int8 broadcast ADD
                p.add_(0.3 * torch.randn_like(p))
    rng = np.random.default_rng(0)
    calibration = rng.random((64, 12, 65)).astype(np.float32)
    calibration[..., 16:] = np.eye(49, dtype=np.float32)[rng.integers(0, 49, (64, 12))]
    stage = quantized_stage(_Tokens(vit).eval(), calibration)
    return to_tflite(stage, torch.zeros(1, 12, 65),
                     tmp_path_factory.mktemp("int8vit") / "vit-int8.tflite", "int8")


def test_litert_torch_int8_vit_is_mixed_precision(int8_vit: Path) -> None:
    g = load_model(int8_vit)
    kinds = Counter((op.kind, g.tensor(op.inputs[0]).dtype) for op in g.ops)
    assert g.tensor(g.inputs[0]).dtype == "int8" and g.tensor(g.outputs[0]).dtype == "int8"
    for int8_op in ("FULLY_CONNECTED", "GELU", "ADD", "MUL", "MEAN", "TRANSPOSE"):
        assert kinds[(int8_op, "int8")], int8_op
    for float_op in ("SOFTMAX", "RSQRT", "SUB", "FULLY_CONNECTED"):
        assert kinds[(float_op, "float32")], float_op
    assert kinds[("QUANTIZE", "float32")] and kinds[("DEQUANTIZE", "int8")]
    assert not any(kind == "BATCH_MATMUL" for kind, _ in kinds)


def test_golden_and_host_c_are_bit_exact_with_litert(int8_vit: Path) -> None:
    x = np.random.default_rng(1).random((6, 12, 65)).astype(np.float32)
    _, check = check_against_litert(int8_vit, x, "int8")       # golden vs BUILTIN_REF
    assert check.bit_exact and check.max_abs_diff == 0.0
    result = bench_model(int8_vit, "host", n_inputs=8)          # generated C on this machine
    assert result.comparison.bit_exact
    assert result.measurement.bit_exact
