"""Import fidelity (issue 13): op codes read from the right field, every op/dtype a model
cannot run listed in one line, contradictory models refused with one clear line."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hb_testutil import model_path
from op_models import example

from harness.errors import ModelFormatError, UnsupportedOpError
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.importers.tflite import OP_TYPES, parse_tflite
from harness.inputs import random_inputs
from harness.litert_ref import litert_unavailable, run_litert

pytest.importorskip("ai_edge_litert.schema_py_generated")
needs_litert = pytest.mark.skipif(litert_unavailable() is not None,
                                  reason=litert_unavailable() or "")

CASES = [(kind, pair) for kind in sorted(OP_TYPES) for pair in sorted(OP_TYPES[kind])]


def _id(case: tuple[str, tuple[str, str]]) -> str:
    kind, (a, b) = case
    return f"{kind}-{a}" if a == b else f"{kind}-{a}-{b}"


@needs_litert
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_builtin_code_only_model_imports_as_its_op(case: tuple[str, tuple[str, str]],
                                                   tmp_path: Path) -> None:
    """A model writing its op code only in `builtin_code` (deprecated field 0 = ADD) imports
    as that op, and the golden interpreter agrees with LiteRT on it."""
    kind, pair = case
    m, ins, outs = example(kind, pair, seed=1)
    path = m.save(tmp_path / f"{kind.lower()}.tflite", ins, outs, builtin_code_only=True)
    graph = load_model(path)
    assert [op.kind for op in graph.ops] == [kind]
    inputs = random_inputs(graph, 4, seed=3)
    golden = GoldenInterpreter(graph).run(inputs)
    reference = run_litert(path, inputs)
    for got, want in zip(golden, reference):
        if got.dtype == np.int8:
            assert np.array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_all_unsupported_ops_in_one_line() -> None:
    from tflite_build import ModelBuilder
    m = ModelBuilder()
    x = m.tensor((1, 8), "int8", scale=0.1, zero_point=0)
    prev = x
    for kind in ["LOG_SOFTMAX", "LOG_SOFTMAX", "SIGN", "LOG_SOFTMAX"]:  # SIGN: code 158 > 127
        name = "model/very_long_fused_name/" * 12 + kind
        y = m.tensor((1, 8), "int8", scale=0.1, zero_point=0, name=name)
        m.op(kind, [prev], [y])
        prev = y
    with pytest.raises(UnsupportedOpError) as info:
        parse_tflite(m.build([x], [prev]), source="many.tflite")
    msg = str(info.value)
    assert "4 op(s) not supported" in msg and "LOG_SOFTMAX(int8->int8) x3" in msg
    assert "SIGN(int8->int8) x1" in msg and "\n" not in msg and len(msg) < 200


def _corrupt(edit: str) -> bytes:
    """The int8 conv example with one field edited through the object API."""
    from tflite_build import ModelBuilder, options
    m = ModelBuilder()
    rng = np.random.default_rng(0)
    shape_in, shape_out = (1, 6, 6, 2), (1, 6, 6, 3)
    stride = 0 if edit == "stride0" else 1
    dilation = 0 if edit == "dilation0" else 1
    in_scale = {"nan": float("nan"), "inf": float("inf"), "neg": -0.5, "zero": 0.0}.get(edit, 0.05)
    in_zp = 300 if edit == "zp_range" else -3
    x = m.tensor(shape_in, "int8", scale=in_scale, zero_point=in_zp)
    w_zp = [0, 5, 0] if edit == "weights_zp" else [0, 0, 0]
    w_scales = [0.01, 0.01] if edit == "scale_count" else [0.01, 0.02, 0.03]
    w_data = rng.integers(-127, 128, (3, 3, 3, 2))
    if edit == "buffer_size":
        w_data = w_data[:2]
    w = m.tensor((3, 3, 3, 2), "int8", scale=w_scales,
                 zero_point=w_zp[:len(w_scales)], axis=0, data=w_data)
    b = m.tensor((3,), "int32", scale=[5e-4, 1e-3, 1.5e-3], zero_point=[0, 0, 0],
                 data=rng.integers(-100, 100, 3))
    out_shape = (1, 5, 6, 3) if edit == "out_shape" else shape_out
    y = m.tensor(out_shape, "int8", scale=0.1, zero_point=2)
    pad = 7 if edit == "padding" else 0
    m.op("CONV_2D", [x, w, b], [y], options("Conv2D", padding=pad, strideH=stride,
                                            strideW=1, dilationHFactor=dilation,
                                            dilationWFactor=1))
    return m.build([x], [y])


@pytest.mark.parametrize("edit,match", [
    ("nan", "scale nan is not a finite positive"),
    ("inf", "scale inf is not a finite positive"),
    ("neg", "scale -0.5 is not a finite positive"),
    ("zero", "scale 0.0 is not a finite positive"),
    ("zp_range", "zero point 300 is outside the int8 range"),
    ("weights_zp", "the int8 spec requires 0"),
    ("scale_count", "2 per-axis scales for dimension 0 of size 3"),
    ("buffer_size", "holds 36 bytes, its shape"),
    ("stride0", r"stride \(0, 1\) must be > 0"),
    ("dilation0", r"dilation \(0, 1\) must be > 0"),
    ("padding", "unknown padding code 7"),
    ("out_shape", r"stored output shape \(1, 5, 6, 3\) contradicts \(1, 6, 6, 3\)"),
])
def test_contradictory_model_is_refused_in_one_line(edit: str, match: str) -> None:
    parse_tflite(_corrupt("none"), source="ok.tflite")   # the unedited model imports
    with pytest.raises(ModelFormatError, match=match) as info:
        parse_tflite(_corrupt(edit), source="bad.tflite")
    msg = str(info.value)
    assert msg.startswith("bad.tflite: ") and "\n" not in msg and len(msg) < 200


def test_shape_contradiction_in_a_bundled_model_is_found() -> None:
    """A stored shape edited in a real model: the contradiction names the op."""
    import ai_edge_litert.schema_py_generated as schema
    import flatbuffers
    buf = model_path("kws_ref_model").read_bytes()
    model = schema.ModelT.InitFromPackedBuf(buf, 0)
    sg = model.subgraphs[0]
    target = sg.operators[2].outputs[0]
    sg.tensors[target].shape = [1, 13, 5, 63]
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    with pytest.raises(ModelFormatError, match=r"op #2 .*stored output shape \(1, 13, 5, 63\)"):
        parse_tflite(bytes(b.Output()), source="kws_edit.tflite")


def test_long_names_are_shortened() -> None:
    from harness.importers.messages import one_line, short_name
    name = "sequential/conv2d_12/BiasAdd;sequential/conv2d_12/Conv2D;" * 8
    assert len(short_name(name)) == 40 and "..." in short_name(name)
    assert len(one_line("x" * 500)) < 200
