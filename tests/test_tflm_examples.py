"""Real TensorFlow Lite Micro example models (models/tflm-examples/, sources in its README.md).

Each one: the bytes are the C array of the upstream file (length and `TFL3` checked), the golden
interpreter agrees with LiteRT's BUILTIN_REF (int8 internals bit for bit, float outputs within
the comparison tolerance), and the generated C on `host` agrees with golden bit for bit.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.bench import bench_model
from harness.compare import compare
from harness.errors import ModelFormatError, UnsupportedOpError
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.inputs import random_inputs
from harness.litert_ref import litert_unavailable, run_litert

EXAMPLES = Path(__file__).resolve().parent.parent / "models" / "tflm-examples"
_REASON = litert_unavailable()
needs_litert = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")

# stem -> (upstream byte length, op kinds in order)
MODELS: dict[str, tuple[int, list[str]]] = {
    "hello_world": (2512, ["QUANTIZE", "FULLY_CONNECTED", "FULLY_CONNECTED",
                           "FULLY_CONNECTED", "DEQUANTIZE"]),
    "hello_world_sine_float": (2640, ["FULLY_CONNECTED"] * 3),
    "micro_speech": (18712, ["RESHAPE", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"]),
    "magic_wand": (19616, ["DEPTHWISE_CONV_2D", "MAX_POOL_2D", "CONV_2D", "MAX_POOL_2D",
                           "FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX"]),
    "magic_wand_int8": (8800, ["QUANTIZE", "CONV_2D", "MAX_POOL_2D", "CONV_2D", "MAX_POOL_2D",
                               "RESHAPE", "FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX",
                               "DEQUANTIZE"]),
    "network_tester": (1720, ["DEPTHWISE_CONV_2D"]),
    "test_conv_model": (21344, ["QUANTIZE", "CONV_2D", "CONV_2D", "MAX_POOL_2D", "RESHAPE",
                                "FULLY_CONNECTED", "DEQUANTIZE"]),
}
SAMPLES = 100
SEED = 13


@pytest.mark.parametrize("stem", sorted(MODELS))
def test_bytes_and_ops_are_the_upstream_model(stem: str) -> None:
    data = (EXAMPLES / f"{stem}.tflite").read_bytes()
    length, kinds = MODELS[stem]
    assert len(data) == length and data[4:8] == b"TFL3"
    assert [op.kind for op in load_model(EXAMPLES / f"{stem}.tflite").ops] == kinds


@needs_litert
@pytest.mark.parametrize("stem", sorted(MODELS))
def test_golden_agrees_with_litert(stem: str) -> None:
    path = EXAMPLES / f"{stem}.tflite"
    graph = load_model(path)
    inputs = random_inputs(graph, SAMPLES, SEED)
    golden = GoldenInterpreter(graph).run(inputs)
    reference = run_litert(path, inputs)
    result = compare(golden, reference)
    assert result.ok and result.top1_agreement == 1.0, f"max |diff| {result.max_abs_diff}"
    if all(np.issubdtype(r.dtype, np.integer) for r in reference):
        assert result.bit_exact


@pytest.mark.parametrize("stem", sorted(MODELS))
def test_host_c_is_bit_exact_with_golden(stem: str) -> None:
    result = bench_model(EXAMPLES / f"{stem}.tflite", "host", n_inputs=SAMPLES, seed=SEED)
    assert result.comparison.bit_exact and result.comparison.mismatches == 0
    agreement = result.measurement.extra.get("reference_agreement")
    assert agreement in (("unavailable", "bit-exact", "within-tolerance") if _REASON else
                         ("bit-exact", "within-tolerance"))


@pytest.mark.parametrize("stem", ["hello_world_sine_float", "network_tester", "test_conv_model"])
def test_copied_models_bit_exact_on_cortex_m4_iss(stem: str) -> None:
    """Each takes 1-3 s on the ISS (10 inputs, armv7em kernels)."""
    from harness.backends import backend_for
    from harness.targets import load_target
    reason = backend_for(load_target("cortex-m4-iss")).available()
    if reason:
        pytest.skip(f"target cortex-m4-iss is not available: {reason}")
    result = bench_model(EXAMPLES / f"{stem}.tflite", "cortex-m4-iss", n_inputs=10, seed=SEED)
    assert result.comparison.bit_exact and result.comparison.mismatches == 0


def test_micro_speech_bit_exact_on_cortex_m4_iss() -> None:
    """The depthwise layer (1 input channel, multiplier 8) runs on armv7em's conv kernel."""
    from harness.backends import backend_for
    from harness.targets import load_target
    reason = backend_for(load_target("cortex-m4-iss")).available()
    if reason:
        pytest.skip(f"target cortex-m4-iss is not available: {reason}")
    result = bench_model(EXAMPLES / "micro_speech.tflite", "cortex-m4-iss", n_inputs=10,
                         seed=SEED, kernels="armv7em")
    assert result.comparison.bit_exact and result.comparison.mismatches == 0
    assert result.measurement.extra["kernels"] == "armv7em"


def test_variant_label_follows_the_activations() -> None:
    """An int8 graph with float input/output (QUANTIZE ... DEQUANTIZE) is an int8 variant; a
    float graph stays fp32."""
    from harness.catalog import describe
    from harness.importers import load_tflite
    names = ("hello_world", "magic_wand_int8", "magic_wand", "micro_speech")
    labels = {n: describe(EXAMPLES / f"{n}.tflite", load_tflite(EXAMPLES / f"{n}.tflite")).variant
              for n in names}
    assert labels["hello_world"] == "int8" and labels["magic_wand_int8"] == "int8"
    assert labels["magic_wand"] == "fp32" and labels["micro_speech"] == "int8"


# The keyword benchmark's scrambled model (SVDF x 4, FC, int16 SOFTMAX out, DEQUANTIZE): upstream
# stores it without the 'TFL3' identifier, which TFLM does not check but LiteRT's verifier does.
KEYWORD = EXAMPLES / "keyword_scrambled.tflite"


def test_keyword_scrambled_is_refused_like_litert_refuses_it() -> None:
    data = KEYWORD.read_bytes()
    assert len(data) == 34520 and data[4:8] == b"\0\0\0\0"
    with pytest.raises(ModelFormatError, match="no 'TFL3' file identifier"):
        load_model(KEYWORD)
    if _REASON is None:
        from ai_edge_litert.interpreter import Interpreter
        with pytest.raises(ValueError, match="not a valid Flatbuffer"):
            Interpreter(model_path=str(KEYWORD))


def test_keyword_scrambled_with_identifier_lists_its_unsupported_ops(tmp_path: Path) -> None:
    """With 'TFL3' written in, the flatbuffer parses; LiteRT still refuses it (its int16
    DEQUANTIZE has zero point -32768), and hilbench names every op x dtype it does not run."""
    patched = tmp_path / "keyword_scrambled_tfl3.tflite"
    patched.write_bytes(KEYWORD.read_bytes()[:4] + b"TFL3" + KEYWORD.read_bytes()[8:])
    with pytest.raises(UnsupportedOpError) as err:
        load_model(patched)
    assert "DEQUANTIZE(int16->int32) x1" in str(err.value)
    assert "SOFTMAX(int8->int16) x1" in str(err.value)
    if _REASON is None:
        from ai_edge_litert.interpreter import Interpreter
        with pytest.raises(RuntimeError, match="zero_point"):
            Interpreter(model_path=str(patched)).allocate_tensors()


# hello_xmos's MNIST model (TFLM's experimental XMOS example; FC 784->10, int8 SOFTMAX): its
# converter stored the FC bias in buffer 0, the schema's empty sentinel, which LiteRT runs as a
# data-less tensor; its SOFTMAX output scale is 0.003906, within LiteRT's 0.1 % of 1/256.
MNIST = EXAMPLES / "hello_xmos_mnist.tflite"


def _bias_moved_out_of_buffer_0(path: Path, softmax_scale: float | None = None) -> bytes:
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(path.read_bytes(), 0))
    moved = schema.BufferT()
    moved.data = model.buffers[0].data
    model.buffers[0].data = None
    model.buffers.append(moved)
    for tensor in model.subgraphs[0].tensors:
        if tensor.buffer == 0:
            tensor.buffer = len(model.buffers) - 1
        if softmax_scale is not None and tensor.name == b"Identity_int8":
            tensor.quantization.scale = [softmax_scale]
    builder = flatbuffers.Builder(16384)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def test_mnist_bias_in_buffer_0_is_refused_like_litert_cannot_run_it() -> None:
    data = MNIST.read_bytes()
    assert len(data) == 8912 and data[4:8] == b"TFL3"
    with pytest.raises(ModelFormatError, match="buffer 0, which TFLite reserves"):
        load_model(MNIST)
    if _REASON is None:
        from ai_edge_litert.interpreter import Interpreter
        interpreter = Interpreter(model_path=str(MNIST))
        interpreter.allocate_tensors()
        with pytest.raises(RuntimeError, match="lacks data"):
            interpreter.invoke()


@needs_litert
def test_mnist_with_its_bias_moved_is_bit_exact(tmp_path: Path) -> None:
    """The same weights with the bias in a buffer of its own: LiteRT runs it, and golden and the
    generated C agree with it bit for bit (SOFTMAX output scale 0.003906 accepted as LiteRT does)."""
    path = tmp_path / "hello_xmos_mnist_bias_moved.tflite"
    path.write_bytes(_bias_moved_out_of_buffer_0(MNIST))
    graph = load_model(path)
    assert [op.kind for op in graph.ops] == ["FULLY_CONNECTED", "SOFTMAX"]
    inputs = random_inputs(graph, SAMPLES, SEED)
    result = compare(GoldenInterpreter(graph).run(inputs), run_litert(path, inputs))
    assert result.bit_exact and result.top1_agreement == 1.0
    host = bench_model(path, "host", n_inputs=SAMPLES, seed=SEED)
    assert host.comparison.bit_exact and host.measurement.extra["reference_agreement"] == "bit-exact"


def test_mnist_softmax_scale_beyond_litert_tolerance_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mnist_bad_softmax_scale.tflite"
    path.write_bytes(_bias_moved_out_of_buffer_0(MNIST, softmax_scale=1.002 / 256))
    with pytest.raises(UnsupportedOpError, match="scale 1/256"):
        load_model(path)
    if _REASON is None:
        from ai_edge_litert.interpreter import Interpreter
        with pytest.raises(RuntimeError, match="1.f / 256"):
            Interpreter(model_path=str(path)).allocate_tensors()
