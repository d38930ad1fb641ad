"""TFLite import: the MLPerf Tiny models, and clear errors for files hilbench cannot use."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hb_testutil import FLOAT_MODELS, INT8_MODELS, model_path

from harness.errors import ModelError, ModelFormatError, UnsupportedOpError
from harness.importers import load_model
from harness.importers.tflite import parse_tflite


@pytest.mark.parametrize("stem", INT8_MODELS + FLOAT_MODELS)
def test_imports_reference_models(stem: str) -> None:
    g = load_model(model_path(stem))
    assert g.ops and g.inputs and g.outputs
    assert g.dtype == ("int8" if stem in INT8_MODELS else "float32")
    for op in g.ops:
        for i in op.inputs:
            assert i == -1 or 0 <= i < len(g.tensors)


def test_kws_structure() -> None:
    g = load_model(model_path("kws_ref_model"))
    assert [op.kind for op in g.ops].count("DEPTHWISE_CONV_2D") == 4
    assert g.input_tensors()[0].shape == (1, 49, 10, 1)
    conv = g.ops[0]
    assert conv.attrs["padding"] in ("SAME", "VALID") and conv.attrs["activation"] == "RELU"
    w = g.tensor(conv.inputs[1])
    assert w.dtype == "int8" and w.quant is not None and w.quant.axis == 0
    assert len(w.quant.scale) == w.shape[0]  # per-channel
    assert g.macs() == 2_656_768  # published with the reference model


def test_published_mac_counts() -> None:
    for stem, macs in [("vww_96_int8", 7_489_664), ("pretrainedResnet_quant", 12_501_632),
                       ("ad01_int8", 264_192)]:
        assert load_model(model_path(stem)).macs() == macs


def test_hybrid_conv_is_marked() -> None:
    g = load_model(model_path("kws_ref_model_float32"))
    hybrid = [op for op in g.ops if op.attrs.get("hybrid")]
    assert len(hybrid) == 5 and all(op.kind == "CONV_2D" for op in hybrid)


def test_constant_data_matches_shape() -> None:
    g = load_model(model_path("ad01_int8"))
    w = g.tensor(g.ops[0].inputs[1])
    assert w.data is not None and w.data.shape == w.shape and w.data.dtype == np.int8


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "nope.tflite")


def test_random_file(tmp_path: Path) -> None:
    f = tmp_path / "random.tflite"
    f.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ModelFormatError, match="not a TFLite model"):
        load_model(f)


@pytest.mark.parametrize("keep", [8, 100, 1000, 20000, 200000])
def test_truncated_file(tmp_path: Path, keep: int) -> None:
    data = model_path("ad01_int8").read_bytes()[:keep]
    with pytest.raises(ModelFormatError, match="truncated or corrupt"):
        parse_tflite(data, source="cut.tflite")


def test_unknown_suffix(tmp_path: Path) -> None:
    f = tmp_path / "model.pb"
    f.write_bytes(b"x")
    with pytest.raises(ModelFormatError, match="unknown model format"):
        load_model(f)


def test_unsupported_op_names_op_node_and_model(unsupported_op_model: Path) -> None:
    with pytest.raises(UnsupportedOpError) as info:
        load_model(unsupported_op_model)
    msg = str(info.value)
    assert "LOG_SOFTMAX" in msg and "op #0" in msg and "logsoftmax_model.tflite" in msg
    assert "supported ops:" in msg and "\n" not in msg
