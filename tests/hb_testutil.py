"""Paths and model builders shared by the harness's own tests (imported as `hb_testutil`)."""
from __future__ import annotations

from pathlib import Path

import tflite

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "models" / "mlperf-tiny"
INT8_MODELS = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"]
FLOAT_MODELS = ["kws_ref_model_float32", "vww_96_float", "pretrainedResnet", "ad01_fp32"]


def model_path(stem: str) -> Path:
    return MODELS / f"{stem}.tflite"


def with_opcode(src: Path, dst: Path, builtin_code: int) -> Path:
    """Copy a model whose first operator code is rewritten to `builtin_code` (an op hilbench
    does not support), by patching the flatbuffer's deprecated_builtin_code byte in place."""
    buf = bytearray(src.read_bytes())
    code = tflite.Model.GetRootAsModel(buf, 0).OperatorCodes(0)
    field = code._tab.Offset(4)  # deprecated_builtin_code (int8)
    assert field, "model without an inline opcode byte"
    buf[code._tab.Pos + field] = builtin_code
    dst.write_bytes(bytes(buf))
    return dst
