"""SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM (issue 13), one-op models with variable state tensors
built with LiteRT's object API: golden vs LiteRT BUILTIN_REF over many consecutive inputs
(SVDF int8 and float32 bit for bit; the float32 LSTM within tolerance, as LiteRT takes sigmoid
and tanh from Eigen's approximations), the generated C on the host and on the Cortex-M4 ISS vs
golden, state reset per inference, and the import errors of malformed models."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from seq_models import lstm, svdf
from tflite_build import ModelBuilder, options

from harness.bench import bench_model
from harness.errors import ModelFormatError, UnsupportedOpError
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.importers.tflite import parse_tflite
from harness.inputs import random_inputs
from harness.litert_ref import litert_unavailable, run_litert

pytest.importorskip("ai_edge_litert.schema_py_generated")
needs_litert = pytest.mark.skipif(litert_unavailable() is not None,
                                  reason=litert_unavailable() or "")

SVDF_CASES = {
    "int8_rank1": dict(dtype="int8"),
    "int8_rank2": dict(dtype="int8", rank=2, n_memory=8),
    "int8_rank2_nobias": dict(dtype="int8", rank=2, bias=False, n_input=3),
    "f32_rank1_none": dict(dtype="float32", activation=0),
    "f32_rank2_relu": dict(dtype="float32", rank=2, n_input=13),
    "f32_rank1_relu6_nobias": dict(dtype="float32", activation=3, bias=False, n_memory=9),
}
LSTM_CASES = {
    "plain": {},
    "cifg_peephole": dict(cifg=True, peephole=True),
    "projection_clips": dict(projection=True, n_output=3, cell_clip=1.5, proj_clip=0.4),
    "peephole_relu": dict(peephole=True, activation=1, n_input=9),
    "cifg_projection": dict(cifg=True, projection=True, n_output=4, steps=7),
}
# edge shapes: one input / one memory slot / one unit, rank 3, widths around the lane count 4
SVDF_EDGES = {
    "int8_one_everything": dict(dtype="int8", n_input=1, n_unit=1, n_memory=1),
    "int8_rank3_wide": dict(dtype="int8", rank=3, n_input=37, n_memory=2),
    "f32_one_input_memory": dict(dtype="float32", n_input=1, n_memory=1, activation=0),
    "f32_rank3_wide": dict(dtype="float32", rank=3, n_input=37, n_unit=2, n_memory=4),
}
LSTM_EDGES = {
    "one_step_one_input": dict(steps=1, n_input=1, n_cell=9),
    "projection_to_one": dict(projection=True, n_output=1, n_input=8, n_cell=4),
}
SVDF_CASES.update(SVDF_EDGES)
LSTM_CASES.update(LSTM_EDGES)
SAMPLES = 64


def _svdf_path(tmp_path: Path, name: str, seed: int) -> Path:
    kw = dict(SVDF_CASES[name])
    m, ins, outs = svdf(str(kw.pop("dtype")), seed, **kw)  # type: ignore[arg-type]
    return m.save(tmp_path / f"svdf_{name}_{seed}.tflite", ins, outs)


def _lstm_path(tmp_path: Path, name: str, seed: int) -> Path:
    m, ins, outs = lstm(seed, **LSTM_CASES[name])  # type: ignore[arg-type]
    return m.save(tmp_path / f"lstm_{name}_{seed}.tflite", ins, outs)


def _golden_and_litert(path: Path, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The output of SAMPLES consecutive random inputs, from golden and from LiteRT."""
    graph = load_model(path)
    inputs = random_inputs(graph, SAMPLES, seed=seed)
    got, = GoldenInterpreter(graph).run(inputs)
    want, = run_litert(path, inputs)
    assert got.dtype == want.dtype
    assert got.shape == want.shape == (SAMPLES, *graph.output_tensors()[0].shape[1:])
    return got, want


@needs_litert
@pytest.mark.parametrize("name", list(SVDF_CASES))
def test_svdf_golden_bit_exact_with_litert(name: str, tmp_path: Path) -> None:
    for seed in range(3):
        got, want = _golden_and_litert(_svdf_path(tmp_path, name, seed), seed)
        bad = np.count_nonzero(got != want)
        assert bad == 0, f"{bad} of {got.size} values differ"
        assert len(np.unique(got)) > got.size // 8, "outputs should vary, not saturate"


@needs_litert
@pytest.mark.parametrize("name", list(LSTM_CASES))
def test_lstm_golden_within_tolerance_of_litert(name: str, tmp_path: Path) -> None:
    for seed in range(2):
        got, want = _golden_and_litert(_lstm_path(tmp_path, name, seed), seed)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@needs_litert
def test_state_is_reset_for_every_input(tmp_path: Path) -> None:
    """The same input twice gives the same output (golden, LiteRT): no state carries over."""
    for path in (_svdf_path(tmp_path, "int8_rank1", 0), _lstm_path(tmp_path, "plain", 0)):
        graph = load_model(path)
        one = random_inputs(graph, 3, seed=1)[0]
        twice = [np.concatenate([one, one])]
        golden, = GoldenInterpreter(graph).run(twice)
        litert, = run_litert(path, twice)
        assert np.array_equal(golden[:3], golden[3:]) and np.array_equal(litert[:3], litert[3:])
        assert np.abs(golden.astype(np.float64) - litert).max() < 1e-5


@pytest.mark.parametrize("name", ["int8_rank2", "f32_rank2_relu", "int8_rank3_wide",
                                  "f32_one_input_memory"])
def test_svdf_host_bit_exact_with_golden(name: str, tmp_path: Path) -> None:
    result = bench_model(_svdf_path(tmp_path, name, 4), "host", n_inputs=24, seed=4)
    c = result.comparison
    assert c.bit_exact and c.mismatches == 0, f"{c.mismatches} values differ from golden"
    assert result.measurement.extra["reference_agreement"] in ("bit-exact", "unavailable")


@pytest.mark.parametrize("name", ["plain", "projection_clips", "cifg_peephole",
                                  "one_step_one_input"])
def test_lstm_host_within_tolerance_of_golden(name: str, tmp_path: Path) -> None:
    result = bench_model(_lstm_path(tmp_path, name, 4), "host", n_inputs=24, seed=4)
    c = result.comparison
    assert c.ok, f"max |diff| {c.max_abs_diff:g}"
    assert c.max_abs_diff < 1e-5
    assert result.measurement.extra["reference_agreement"] in (
        "bit-exact", "within-tolerance", "unavailable")


@pytest.mark.sim
@pytest.mark.parametrize("kind", ["svdf_int8", "svdf_float32", "lstm_float32"])
def test_sequence_op_on_cortex_m4_iss(kind: str, tmp_path: Path) -> None:
    """The same ref kernels on the MCU firmware path (Cortex-M4 ISS)."""
    from harness.backends import backend_for
    from harness.targets import load_target
    reason = backend_for(load_target("cortex-m4-iss")).available()
    if reason:
        pytest.skip(reason)
    path = {"svdf_int8": lambda: _svdf_path(tmp_path, "int8_rank2", 2),
            "svdf_float32": lambda: _svdf_path(tmp_path, "f32_rank2_relu", 2),
            "lstm_float32": lambda: _lstm_path(tmp_path, "cifg_peephole", 2)}[kind]()
    result = bench_model(path, "cortex-m4-iss", n_inputs=4, seed=2)
    c = result.comparison
    if kind.startswith("svdf"):
        assert c.bit_exact, f"{c.mismatches} values differ"
    else:
        assert c.ok and c.max_abs_diff < 1e-5, f"max |diff| {c.max_abs_diff:g}"
    assert result.measurement.metrics["cycles_per_inference"].value > 0


def test_macs_count_every_weight_matrix_per_step() -> None:
    m, ins, outs = svdf("int8", 0, rank=2, n_input=10, n_unit=4, n_memory=5)
    assert parse_tflite(m.build(ins, outs)).macs() == 8 * 10 + 8 * 5
    m, ins, outs = lstm(0, steps=4, n_input=5, n_cell=6, projection=True, n_output=3)
    assert parse_tflite(m.build(ins, outs)).macs() == 4 * (4 * 6 * 5 + 4 * 6 * 3 + 3 * 6)


def test_builtin_code_only_models_import_as_their_op(tmp_path: Path) -> None:
    for kind, built in (("SVDF", svdf("float32", 0)), ("UNIDIRECTIONAL_SEQUENCE_LSTM", lstm(0))):
        m, ins, outs = built
        graph = parse_tflite(m.build(ins, outs, builtin_code_only=True))
        assert [op.kind for op in graph.ops] == [kind]


def _svdf_model(*, activation: int = 1, state_data: bool = False, variable: bool = True,
                dtype: str = "int8") -> bytes:
    m, ins, outs = svdf(dtype, 0, activation=activation)
    state = m.ops[0].inputs[4]
    m.tensors[state].isVariable = variable
    if state_data:
        from tflite_build import schema
        buf = schema.BufferT()
        buf.data = [0] * (2 * int(np.prod(m.tensors[state].shape)))
        m.buffers.append(buf)
        m.tensors[state].buffer = len(m.buffers) - 1
    return m.build(ins, outs)


@pytest.mark.parametrize("kw,error,match", [
    (dict(activation=0), ModelFormatError, "LiteRT runs int8 SVDF only with RELU"),
    (dict(state_data=True), ModelFormatError, "is a variable tensor with data"),
    (dict(variable=False), ModelFormatError, "is not a variable tensor"),
])
def test_malformed_svdf_is_refused_in_one_line(kw: dict, error: type, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(error, match=match) as info:
        parse_tflite(_svdf_model(**kw))
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


def test_unsupported_or_malformed_lstm_forms_are_named() -> None:
    m, ins, outs = lstm(0)
    norm = m.tensor((6,), "float32", data=np.ones(6))
    m.ops[0].inputs[20] = norm
    with pytest.raises(UnsupportedOpError, match="layer-norm LSTM is not supported"):
        parse_tflite(m.build(ins, outs))
    m, ins, outs = lstm(0, cifg=True)
    m.ops[0].inputs[12] = m.tensor((6,), "float32", data=np.ones(6))
    with pytest.raises(ModelFormatError, match="a CIFG LSTM has an input-gate bias"):
        parse_tflite(m.build(ins, outs))
    m, ins, outs = lstm(0, activation=0)
    with pytest.raises(UnsupportedOpError, match="activation NONE: LiteRT's LSTM then reads"):
        parse_tflite(m.build(ins, outs))
    m, ins, outs = lstm(0)
    m.ops[0].builtinOptions.timeMajor = True
    with pytest.raises(UnsupportedOpError, match="time-major LSTM input is not supported"):
        parse_tflite(m.build(ins, outs))


def test_shared_state_is_refused() -> None:
    m = ModelBuilder()
    x = m.tensor((1, 4), "float32")
    wf = m.tensor((2, 4), "float32", data=np.ones((2, 4)))
    wt = m.tensor((2, 3), "float32", data=np.ones((2, 3)))
    state = m.tensor((1, 6), "float32")
    m.tensors[state].isVariable = True
    mid, out = m.tensor((1, 2), "float32"), m.tensor((1, 2), "float32")
    wf2 = m.tensor((2, 2), "float32", data=np.ones((2, 2)))
    m.op("SVDF", [x, wf, wt, -1, state], [mid], options("SVDF", rank=1))
    m.op("SVDF", [mid, wf2, wt, -1, state], [out], options("SVDF", rank=1))
    with pytest.raises(UnsupportedOpError, match="shares state tensor"):
        parse_tflite(m.build([x], [out]))


@needs_litert
def test_fuzzed_sequence_models_fail_cleanly_or_agree(tmp_path: Path) -> None:
    """Mutants of SVDF / LSTM models: a clean error or a run LiteRT agrees with, never a
    traceback or a contradicted result."""
    from harness.fuzz import BAD_OUTCOMES, fuzz
    models = [_svdf_path(tmp_path, "int8_rank2", 1), _svdf_path(tmp_path, "f32_rank2_relu", 1),
              _lstm_path(tmp_path, "cifg_projection", 1), _lstm_path(tmp_path, "plain", 1)]
    report = fuzz(models, 200, seed=3)
    assert sum(report.counts.values()) == 200
    assert not any(report.counts[o] for o in BAD_OUTCOMES), report.bad[:3]
    assert report.counts["agree"] > 0 and report.counts["error"] > 0
