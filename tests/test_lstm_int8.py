"""The int8 UNIDIRECTIONAL_SEQUENCE_LSTM (TFLite's integer 8x8_16 LSTM, issue 13): one-op models
built with LiteRT's object API (tests/lstm8_models.py) in every variant LiteRT's BUILTIN_REF
runs (plain, CIFG, peephole, projection, clips, layer norm, and their mixes), several sizes:
golden == BUILTIN_REF bit for bit on random inputs, the generated C == golden on the host and
on the Cortex-M4 ISS, the int16 fixed-point sigmoid/tanh against the real functions, and the
one-line refusals of what LiteRT cannot run."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lstm8_models import lstm_int8

from harness.bench import bench_model
from harness.errors import HilbenchError
from harness.fixedpoint16 import logistic16, tanh16
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.importers.tflite import parse_tflite
from harness.inputs import random_inputs
from harness.litert_ref import litert_unavailable, run_litert

pytest.importorskip("ai_edge_litert.schema_py_generated")
needs_litert = pytest.mark.skipif(litert_unavailable() is not None,
                                  reason=litert_unavailable() or "")

CASES: dict[str, dict[str, object]] = {
    "plain": {},
    "cifg": dict(cifg=True, n_input=8),
    "peephole": dict(peephole=True, n_cell=9),
    "cifg_peephole": dict(cifg=True, peephole=True, steps=6),
    "projection": dict(projection=True, n_output=3),
    "projection_hidden_zp": dict(projection=True, n_output=4, hidden_zp=5),
    "projection_hidden_zp_neg": dict(projection=True, n_output=5, hidden_zp=-7, n_cell=8),
    "clips": dict(projection=True, n_output=4, cell_clip=3.0, proj_clip=0.5),
    "cell_clip_only": dict(cell_clip=1.0, cell_log2=-12),
    "peephole_projection": dict(peephole=True, projection=True, n_output=4),
    "layer_norm": dict(layer_norm=True),
    "layer_norm_pot_cells": dict(layer_norm=True, n_cell=8, peephole=True),
    "layer_norm_cifg_peephole_projection": dict(layer_norm=True, cifg=True, peephole=True,
                                                projection=True, n_output=4),
    "cell_scale_2^-9": dict(cell_log2=-9, n_input=3),
    "cell_scale_2^-15": dict(cell_log2=-15, steps=2),
    "one_step_one_input": dict(steps=1, n_input=1, n_cell=4),
    "wide": dict(n_input=33, n_cell=20, steps=3),
}
SAMPLES = 48


def _path(tmp_path: Path, name: str, seed: int) -> Path:
    m, ins, outs = lstm_int8(seed, **CASES[name])  # type: ignore[arg-type]
    return m.save(tmp_path / f"lstm8_{name}_{seed}.tflite", ins, outs)


@needs_litert
@pytest.mark.parametrize("name", list(CASES))
def test_golden_bit_exact_with_litert(name: str, tmp_path: Path) -> None:
    for seed in range(3):
        path = _path(tmp_path, name, seed)
        graph = load_model(path)
        inputs = random_inputs(graph, SAMPLES, seed=seed)
        got, = GoldenInterpreter(graph).run(inputs)
        want, = run_litert(path, inputs)
        assert got.dtype == want.dtype == np.int8 and got.shape == want.shape
        bad = np.count_nonzero(got != want)
        assert bad == 0, f"seed {seed}: {bad} of {got.size} values differ"
        assert len(np.unique(got)) > 20, "outputs should vary, not saturate"


@needs_litert
def test_state_is_reset_for_every_input(tmp_path: Path) -> None:
    path = _path(tmp_path, "cifg_peephole", 0)
    graph = load_model(path)
    one = random_inputs(graph, 3, seed=1)[0]
    twice = [np.concatenate([one, one])]
    golden, = GoldenInterpreter(graph).run(twice)
    litert, = run_litert(path, twice)
    assert np.array_equal(golden[:3], golden[3:]) and np.array_equal(golden, litert)


@pytest.mark.parametrize("name", ["plain", "clips", "layer_norm_cifg_peephole_projection",
                                  "projection_hidden_zp_neg", "cell_scale_2^-15"])
def test_host_bit_exact_with_golden(name: str, tmp_path: Path) -> None:
    result = bench_model(_path(tmp_path, name, 4), "host", n_inputs=24, seed=4)
    c = result.comparison
    assert c.bit_exact and c.mismatches == 0, f"{c.mismatches} values differ from golden"
    assert result.measurement.extra["reference_agreement"] in ("bit-exact", "unavailable")


@pytest.mark.sim
@pytest.mark.parametrize("name", ["peephole_projection", "layer_norm"])
def test_cortex_m4_iss_bit_exact_with_golden(name: str, tmp_path: Path) -> None:
    from harness.backends import backend_for
    from harness.targets import load_target
    reason = backend_for(load_target("cortex-m4-iss")).available()
    if reason:
        pytest.skip(reason)
    result = bench_model(_path(tmp_path, name, 2), "cortex-m4-iss", n_inputs=4, seed=2)
    assert result.comparison.bit_exact, f"{result.comparison.mismatches} values differ"
    assert result.measurement.metrics["cycles_per_inference"].value > 0


def test_int16_sigmoid_and_tanh_approximate_the_real_functions() -> None:
    raw = np.arange(-32768, 32768)
    assert np.abs(logistic16(raw, 3) / 32768 - 1 / (1 + np.exp(-raw / 4096))).max() < 3e-4
    for bits in range(7):
        assert np.abs(tanh16(raw, bits) / 32768 - np.tanh(raw / 2 ** (15 - bits))).max() < 4e-4


@pytest.mark.parametrize("kw,match", [
    (dict(activation=1), "LiteRT's integer LSTM has only TANH"),
    (dict(intermediates=4), "4 intermediate tensors; LiteRT's int8 LSTM needs 5"),
    (dict(cell_log2=-8), "must be 2\\^k with -15 <= k <= -9"),
])
def test_unsupported_int8_lstms_are_refused_in_one_line(kw: dict, match: str) -> None:  # type: ignore[type-arg]
    m, ins, outs = lstm_int8(0, **kw)
    with pytest.raises(HilbenchError, match=match) as info:
        parse_tflite(m.build(ins, outs))
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


def test_malformed_int8_lstms_are_refused_in_one_line() -> None:
    m, ins, outs = lstm_int8(0)
    m.tensors[m.ops[0].inputs[19]].quantization.scale = [0.0003]     # not a power of two
    with pytest.raises(HilbenchError, match="is not|must be 2") as info:
        parse_tflite(m.build(ins, outs))
    assert "\n" not in str(info.value)
    m, ins, outs = lstm_int8(0, peephole=True)
    m.tensors[m.ops[0].inputs[10]].type = 9                            # int8 peephole
    m.buffers[m.tensors[m.ops[0].inputs[10]].buffer].data = [0] * 6
    with pytest.raises(HilbenchError, match="int16 expected"):
        parse_tflite(m.build(ins, outs))
    m, ins, outs = lstm_int8(0)
    m.ops[0].builtinOptions.timeMajor = True
    with pytest.raises(HilbenchError, match="time-major LSTM input is not supported"):
        parse_tflite(m.build(ins, outs))


@needs_litert
def test_fuzzed_int8_lstm_models_fail_cleanly_or_agree(tmp_path: Path) -> None:
    """Mutants of int8 LSTM models: a clean error or a run LiteRT agrees with, never a
    traceback or a contradicted result."""
    from harness.fuzz import BAD_OUTCOMES, fuzz
    models = [_path(tmp_path, "plain", 1), _path(tmp_path, "layer_norm_cifg_peephole_projection", 1)]
    report = fuzz(models, 120, seed=5)
    assert sum(report.counts.values()) == 120
    assert not any(report.counts[o] for o in BAD_OUTCOMES), report.bad[:3]
    assert report.counts["agree"] > 0 and report.counts["error"] > 0
