"""Sparse and packed (binary / ternary) int8 CONV_2D and FULLY_CONNECTED kernels
(harness/codegen/sparse.py, weight_formats.py, kernels/ref/sparse_s8.c and packed_s8.c).

A model whose layers are stored sparse or packed must compute exactly what the dense int8
model computes (its "dense twin": the same file generated with weight_format="dense") and
what the golden interpreter computes. Many layers are merged into one graph (independent
inputs and outputs) so one firmware per target checks them all: every padding / stride /
dilation case the dense kernels take, 1x1 convolutions, FC with batches and per-channel
scales, all-zero channels, sparsity 0 and 100 %, gaps of more than 255 columns.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from hb_testutil import model_path
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from test_codegen import build_host, run_host
from test_rvx_kernels import assert_bit_exact, conv_model, fc_model

from harness.codegen import generate
from harness.codegen.weight_formats import (
    GROUP,
    choose,
    decode_sparse,
    encode_sparse,
    format_bytes,
    pack_binary,
    pack_ternary,
    packed_pays,
    sparse_threshold,
    unpack_binary,
    unpack_ternary,
)
from harness.golden import GoldenInterpreter
from harness.inputs import random_inputs
from harness.ir import Graph, Op
from harness.variants.int8_edit import binarize, magnitude_prune, weight_slots


# --------------------------------------------------------------------------------------
# test models: single layers with edited weights, merged into one graph
# --------------------------------------------------------------------------------------
def _weights(graph: Graph) -> np.ndarray:
    return np.asarray(graph.tensor(graph.ops[0].inputs[1]).data, np.int8)


def _set_weights(graph: Graph, values: np.ndarray) -> Graph:
    t = graph.tensor(graph.ops[0].inputs[1])
    graph.tensors[t.index] = replace(t, data=values.astype(np.int8).reshape(t.shape))
    return graph


def pruned(graph: Graph, sparsity: float, seed: int = 0, zero_rows: int = 0) -> Graph:
    """`graph` with round(sparsity * size) random weights zeroed (at least that fraction is
    zero) and its first `zero_rows` channels all 0."""
    w = _weights(graph).copy()
    rng = np.random.default_rng(seed)
    w.reshape(-1)[rng.permutation(w.size)[:int(round(sparsity * w.size))]] = 0
    w[:zero_rows] = 0
    return _set_weights(graph, w)


def packed(graph: Graph, mode: str, seed: int = 0) -> Graph:
    rng = np.random.default_rng(seed)
    shape = _weights(graph).shape
    values = [-1, 1] if mode == "binary" else [-1, 0, 1]
    return _set_weights(graph, rng.choice(values, shape))


def loud(graph: Graph, factor: float) -> Graph:
    """`graph` with weights in {-1, 0, +1} (97 % zeros), no bias and its output scale divided
    by `factor`: effective scales of 1 or more take the two-rounding requantisation (hb_mbqm
    with a left shift) instead of the one-step one, without saturating every output."""
    pruned(graph, 0.97, seed=5)
    _set_weights(graph, np.sign(_weights(graph)))
    b = graph.tensor(graph.ops[0].inputs[2])
    graph.tensors[b.index] = replace(b, data=np.zeros_like(b.data))
    t = graph.tensor(graph.outputs[0])
    assert t.quant is not None
    quant = replace(t.quant, scale=tuple(s / factor for s in t.quant.scale))
    graph.tensors[t.index] = replace(t, quant=quant)
    return graph


def merged(graphs: list[Graph], name: str = "merged") -> Graph:
    """One graph running every graph's ops side by side (inputs and outputs concatenated)."""
    tensors, ops, inputs, outputs = [], [], [], []
    for g in graphs:
        base = len(tensors)
        tensors += [replace(t, index=base + t.index, name=f"g{len(inputs)}_{t.name}")
                    for t in g.tensors]
        ops += [Op(op.kind, f"{op.name}_{len(ops)}",
                   [i + base if i >= 0 else i for i in op.inputs],
                   [o + base for o in op.outputs], dict(op.attrs)) for op in g.ops]
        inputs += [i + base for i in g.inputs]
        outputs += [o + base for o in g.outputs]
    return Graph(name, tensors, ops, inputs, outputs)


CASES: dict[str, Callable[[], Graph]] = {
    "conv3x3_s2_same_95": lambda: pruned(conv_model("CONV_2D", (1, 9, 8, 4), 7, (3, 3), (2, 2),
                                                    "SAME", in_zp=3), 0.95),
    "conv3x3_valid_90_zero_rows": lambda: pruned(conv_model(
        "CONV_2D", (1, 9, 7, 5), 6, (3, 3), (2, 2), "VALID", in_zp=127), 0.9, zero_rows=2),
    "conv3x3_dil2x3_93": lambda: pruned(conv_model(
        "CONV_2D", (1, 10, 11, 9), 3, (3, 3), (1, 2), "SAME", dilation=(2, 3), in_zp=64), 0.93),
    "conv1x1_odd_pixels_75": lambda: pruned(conv_model(
        "CONV_2D", (1, 3, 5, 16), 9, (1, 1), (1, 1), "VALID", in_zp=17), 0.75),
    "conv1x1_s2_same_95": lambda: pruned(conv_model(
        "CONV_2D", (1, 7, 7, 12), 4, (1, 1), (2, 2), "SAME", in_zp=-5), 0.95),
    "conv10x4_c1_first_30": lambda: pruned(conv_model(
        "CONV_2D", (1, 13, 8, 1), 9, (5, 4), (2, 2), "SAME", in_zp=-83), 0.3),
    "conv2x5_oc1_none_0": lambda: pruned(conv_model(
        "CONV_2D", (1, 6, 11, 7), 1, (2, 5), (1, 2), "SAME", in_zp=-1, act="NONE"), 0.0),
    "conv3x3_all_zero": lambda: pruned(conv_model("CONV_2D", (1, 5, 6, 8), 5, (3, 3), (1, 1),
                                                  "SAME"), 1.0),
    "conv3x3_loud_scale_97": lambda: loud(conv_model(
        "CONV_2D", (1, 6, 5, 3), 4, (3, 3), (1, 1), "SAME", in_zp=-20, act="NONE"), 500.0),
    "fc_40x5_batch2_binary": lambda: packed(fc_model(40, 5, batches=2, in_zp=1), "binary"),
    "fc_640x13_90": lambda: pruned(fc_model(640, 13, in_zp=-128, act="RELU"), 0.9),
    "fc_640x6_gaps_over_255": lambda: pruned(fc_model(640, 6, in_zp=9), 0.995, seed=4),
    "fc_27x5_per_channel_80": lambda: pruned(fc_model(27, 5, per_channel=True, in_zp=-3), 0.8),
    "fc_16x3_batch3_zero_rows": lambda: pruned(fc_model(16, 3, batches=3), 0.7, zero_rows=1),
    "conv3x3_s2_binary": lambda: packed(conv_model("CONV_2D", (1, 9, 8, 12), 5, (3, 3), (2, 2),
                                                   "SAME", in_zp=-7), "binary"),
    "conv1x1_binary": lambda: packed(conv_model("CONV_2D", (1, 4, 3, 40), 6, (1, 1), (1, 1),
                                                "VALID", in_zp=100), "binary"),
    "conv3x3_dil2_ternary": lambda: packed(conv_model(
        "CONV_2D", (1, 9, 9, 8), 4, (3, 3), (1, 1), "SAME", dilation=(2, 2)), "ternary"),
    "fc_100x7_binary": lambda: packed(fc_model(100, 7, in_zp=-128), "binary"),
    "fc_33x4_per_channel_ternary": lambda: packed(fc_model(33, 4, per_channel=True, in_zp=5),
                                                  "ternary"),
    "fc_64x32_binary": lambda: packed(fc_model(64, 32, in_zp=-128), "binary"),
}
# The layers that `auto` must leave dense (too few zeros) are checked on the host only.
AUTO_DENSE = {"conv10x4_c1_first_30", "conv2x5_oc1_none_0"}


def _graph(names: list[str]) -> Graph:
    return merged([CASES[n]() for n in names])


def _check(graph: Graph, inputs: list[np.ndarray], got: list[np.ndarray],
           twin: list[np.ndarray]) -> None:
    """got is bit-exact with golden and with the dense twin's outputs."""
    assert_bit_exact(graph, inputs, got)
    for i, (a, b) in enumerate(zip(got, twin)):
        assert np.array_equal(a, b), f"output {i} ({graph.ops[i].name}) differs from the twin"


def _inputs(graph: Graph, n: int) -> list[np.ndarray]:
    return random_inputs(graph, n, seed=17)


# --------------------------------------------------------------------------------------
# host: every case, forced formats and `auto`, against golden and the dense twin
# --------------------------------------------------------------------------------------
def _host(graph: Graph, inputs: list[np.ndarray], out: Path, **options: str):
    gen = generate(graph, out, **options)  # type: ignore[arg-type]
    got, _ = run_host(gen, build_host(gen), inputs)
    return gen, got


def test_all_cases_bit_exact_with_golden_and_dense_twin_on_host(tmp_path: Path) -> None:
    graph = _graph(sorted(CASES))
    inputs = _inputs(graph, 3)
    _, dense = _host(graph, inputs, tmp_path / "dense", weight_format="dense")
    assert_bit_exact(graph, inputs, dense)
    for option in ("auto", "sparse", "packed"):
        gen, got = _host(graph, inputs, tmp_path / option, weight_format=option)
        _check(graph, inputs, got, dense)
        if option == "auto":
            auto = gen.weight_formats
    for name, fmt in zip(sorted(CASES), auto):
        want = ("dense" if name in AUTO_DENSE else "binary" if "binary" in name
                else "ternary" if "ternary" in name else "sparse")
        assert fmt == want, name


def test_armv7em_and_rvx_sets_keep_the_sparse_layers(tmp_path: Path) -> None:
    """The formats are portable: any kernel set runs them, the other layers keep the set's.
    Next to the optimised sets `auto` packs binary FC layers of whole words only (a binary
    conv is faster as int8 with SMLAD); `packed` forces the conv too."""
    graph = _graph(["fc_640x13_90", "conv1x1_binary", "conv10x4_c1_first_30",
                    "fc_64x32_binary"])
    inputs = _inputs(graph, 2)
    for kernels in ("armv7em", "rvx"):
        gen, got = _host(graph, inputs, tmp_path / kernels, kernels=kernels)
        assert gen.weight_formats == ("sparse", "dense", "dense", "binary")
        names = {p.name for p in gen.sources}
        assert {"sparse_s8.c", "packed_s8.c"} <= names
        assert_bit_exact(graph, inputs, got)
        gen, got = _host(graph, inputs, tmp_path / f"{kernels}_packed", kernels=kernels,
                         weight_format="packed")
        assert gen.weight_formats == ("dense", "binary", "dense", "binary")
        assert_bit_exact(graph, inputs, got)


def test_auto_packs_where_armv7em_would_run_ref(tmp_path: Path) -> None:
    """A binary conv whose scale armv7em's requantisation cannot take runs ref when dense,
    so `auto` packs it (3-6x faster than ref); with a scale it takes, it stays dense."""
    graph = packed(conv_model("CONV_2D", (1, 6, 5, 3), 4, (3, 3), (1, 1), "SAME", in_zp=-20,
                              act="NONE"), "binary")
    assert generate(graph, tmp_path / "a", kernels="armv7em").weight_formats == ("dense",)
    t = graph.tensor(graph.outputs[0])
    assert t.quant is not None
    graph.tensors[t.index] = replace(t, quant=replace(t.quant, scale=(t.quant.scale[0] / 500,)))
    assert generate(graph, tmp_path / "b", kernels="armv7em").weight_formats == ("binary",)


def test_sparse_and_packed_weights_take_less_constant_data(tmp_path: Path) -> None:
    graph = _graph(["fc_640x13_90", "fc_100x7_binary"])
    dense = generate(graph, tmp_path / "d", weight_format="dense").weights_bytes
    auto = generate(graph, tmp_path / "a").weights_bytes
    w = [np.asarray(graph.tensor(op.inputs[1]).data) for op in graph.ops]
    saved = w[0].size - format_bytes(w[0], "sparse") + w[1].size - format_bytes(w[1], "binary")
    assert format_bytes(w[0], "sparse") < 0.3 * w[0].size
    assert format_bytes(w[1], "binary") == 7 * 4 * 4     # 100 weights: 4 words per channel
    # what changes besides the weights: the folded biases and FC integer multipliers
    assert dense - auto >= saved - 8 * (13 + 7)


# --------------------------------------------------------------------------------------
# every MCU target: one firmware with a sparse and packed layer set, and its dense twin
# --------------------------------------------------------------------------------------
MCU_CASES = ["conv3x3_s2_same_95", "conv3x3_dil2x3_93", "conv1x1_s2_same_95",
             "conv3x3_valid_90_zero_rows", "fc_640x6_gaps_over_255", "fc_27x5_per_channel_80",
             "fc_16x3_batch3_zero_rows", "conv3x3_all_zero", "conv3x3_loud_scale_97",
             "fc_40x5_batch2_binary", "conv3x3_s2_binary",
             "conv3x3_dil2_ternary", "fc_100x7_binary", "fc_33x4_per_channel_ternary",
             "fc_64x32_binary"]
# what `auto` packs next to the optimised kernel sets (armv7em, rvx): binary FC of whole words
OPTIMISED_PACKED = {"fc_64x32_binary"}


@pytest.mark.parametrize("target", ["host", "mps2-an386", "cortex-m4-iss", "rv32-base",
                                    "rv32-nnx"])
def test_sparse_and_packed_bit_exact_on_target(target: str, tmp_path: Path) -> None:
    from harness.backends import backend_for
    from harness.targets import load_target
    spec = load_target(target)
    backend = backend_for(spec)
    reason = backend.available()
    if reason:
        pytest.skip(f"target {target} is not available: {reason}")
    graph = _graph(MCU_CASES)
    inputs = _inputs(graph, 2)
    runs = {}
    # next to ref `auto` takes every sparse / packed layer; next to armv7em / rvx it leaves the
    # packed layers that would be slower dense, so `packed` runs those on the target
    optimised = spec.kernels != "ref"
    options = ("auto", "dense", "packed") if optimised else ("auto", "dense")
    for option in options:
        gen = generate(graph, tmp_path / option, kernels=spec.kernels, weight_format=option)
        runs[option] = list(backend.run(backend.build(gen), inputs, 1).outputs)
        if option == "auto":
            dense = [n for n, f in zip(MCU_CASES, gen.weight_formats) if f == "dense"]
            assert dense == ([n for n in MCU_CASES if ("binary" in n or "ternary" in n)
                              and n not in OPTIMISED_PACKED] if optimised else [])
        if option == "packed":
            assert all(f in ("binary", "ternary") for n, f in zip(MCU_CASES, gen.weight_formats)
                       if "binary" in n or "ternary" in n)
    assert_bit_exact(graph, inputs, runs["dense"])
    for option in (o for o in options if o != "dense"):
        _check(graph, inputs, runs[option], runs["dense"])


# --------------------------------------------------------------------------------------
# the formats in Python
# --------------------------------------------------------------------------------------
ROWS = arrays(np.int8, st.tuples(st.integers(1, 6), st.integers(1, 700)),
              elements=st.sampled_from([0, 0, 0, 0, 1, -1, 127, -128, 5]))


@settings(max_examples=150, deadline=None)
@given(ROWS)
def test_sparse_round_trip_and_invariants(rows: np.ndarray) -> None:
    sp = encode_sparse(rows)
    assert np.array_equal(decode_sparse(sp), rows)
    assert np.all(sp.counts % GROUP == 0) and int(sp.counts.sum()) == len(sp.values)
    # every read stays inside the row: base + offset < depth
    k = 0
    for count in sp.counts:
        base = 0
        for j in range(int(count)):
            assert base + int(sp.deltas[k]) < rows.shape[1]
            if j % GROUP == GROUP - 1:
                base += int(sp.deltas[k])
            k += 1


@settings(max_examples=100, deadline=None)
@given(arrays(np.int8, st.tuples(st.integers(1, 5), st.integers(1, 200)),
              elements=st.sampled_from([-1, 1])))
def test_binary_round_trip(rows: np.ndarray) -> None:
    bits = pack_binary(rows)
    assert bits.dtype == np.uint32 and bits.shape == (len(rows), -(-rows.shape[1] // 32))
    assert np.array_equal(unpack_binary(bits, rows.shape[1]), rows)


@settings(max_examples=100, deadline=None)
@given(arrays(np.int8, st.tuples(st.integers(1, 5), st.integers(1, 200)),
              elements=st.sampled_from([-1, 0, 1])))
def test_ternary_round_trip(rows: np.ndarray) -> None:
    bits = pack_ternary(rows)
    assert bits.shape == (len(rows), 2 * -(-rows.shape[1] // 32))
    assert np.array_equal(unpack_ternary(bits, rows.shape[1]), rows)


def test_packing_refuses_other_values() -> None:
    with pytest.raises(ValueError, match="binary"):
        pack_binary(np.array([[1, 0]], np.int8))
    with pytest.raises(ValueError, match="ternary"):
        pack_ternary(np.array([[2, 0]], np.int8))


def test_binary_bit_order() -> None:
    rows = np.full((1, 40), -1, np.int8)
    rows[0, [0, 5, 33]] = 1
    assert pack_binary(rows).tolist() == [[1 | 1 << 5, 1 << 1]]


def test_format_choice() -> None:
    rng = np.random.default_rng(0)
    dense = rng.integers(-100, 100, (8, 64)).astype(np.int8)
    dense[dense == 0] = 3
    at = dense.copy()
    at.reshape(-1)[:int(np.ceil(0.5 * at.size))] = 0
    below = dense.copy()
    below.reshape(-1)[:int(0.5 * below.size) - 1] = 0
    binary = rng.choice([-1, 1], (8, 64)).astype(np.int8)
    ternary = rng.choice([-1, 0, 1], (8, 64)).astype(np.int8)
    sparse_ternary = ternary * (rng.random((8, 64)) < 0.2)
    assert choose(dense, "auto") == "dense" and choose(at, "auto") == "sparse"
    assert choose(below, "auto") == "dense"
    assert choose(binary, "auto") == "binary" and choose(ternary, "auto") == "ternary"
    assert choose(sparse_ternary, "auto") == "sparse"     # 80 % zeros: sparse is smaller
    for rows in (dense, at, binary, ternary):
        assert choose(rows, "dense") == "dense"
        assert choose(rows, "sparse") == "sparse"
    assert choose(dense, "packed") == "dense" and choose(ternary, "packed") == "ternary"
    assert choose(binary, "packed") == "binary"
    assert choose(at, "auto", 0.6) == "dense"
    # packed only where packed_pays() says so for the layer; sparse still wins by zeros
    assert choose(binary, "auto", 0.8, ()) == "dense"
    assert choose(ternary, "auto", 0.8, ("binary",)) == "dense"
    assert choose(sparse_ternary, "auto", 0.8, ()) == "sparse"
    assert choose(binary, "packed", 0.8, ()) == "binary"      # explicit choices stay
    assert choose(ternary, "packed", 0.8, ()) == "ternary"
    for kind in ("CONV_2D", "FULLY_CONNECTED"):
        assert packed_pays("ref", kind, "binary", (1, 5)) and packed_pays("ref", kind,
                                                                         "ternary", (1, 5))
        for kernels in ("armv7em", "rvx"):
            assert not packed_pays(kernels, kind, "ternary", (128, 128))
    for kernels in ("armv7em", "rvx"):
        assert not packed_pays(kernels, "CONV_2D", "binary", (32, 256))
        assert packed_pays(kernels, "FULLY_CONNECTED", "binary", (16, 32))
        assert packed_pays(kernels, "FULLY_CONNECTED", "binary", (128, 640))
        assert not packed_pays(kernels, "FULLY_CONNECTED", "binary", (8, 128))   # 1.07x
        assert not packed_pays(kernels, "FULLY_CONNECTED", "binary", (128, 8))   # 1.16x
        assert not packed_pays(kernels, "FULLY_CONNECTED", "binary", (64, 48))   # 1.03x
    assert sparse_threshold("ref", "CONV_2D") == sparse_threshold("ref", "FULLY_CONNECTED") == 0.5
    assert sparse_threshold("armv7em", "FULLY_CONNECTED") == 0.6
    assert sparse_threshold("armv7em", "CONV_2D") == sparse_threshold("rvx", "CONV_2D") == 0.8
    with pytest.raises(ValueError, match="auto, dense, sparse, packed"):
        choose(dense, "csr")


def test_layers_the_kernels_do_not_take_stay_dense(tmp_path: Path) -> None:
    dw = pruned(conv_model("DEPTHWISE_CONV_2D", (1, 6, 5, 8), 0, (3, 3), (1, 1), "SAME"), 0.9)
    assert generate(dw, tmp_path / "dw").weight_formats == ("dense",)
    with pytest.raises(ValueError, match="weight format 'x'"):
        generate(dw, tmp_path / "dw", weight_format="x")


# --------------------------------------------------------------------------------------
# int8_edit: pruned and binarized copies of a model file
# --------------------------------------------------------------------------------------
def test_magnitude_prune_zeroes_the_smallest_and_nothing_else(tmp_path: Path) -> None:
    from harness.errors import ModelError
    from harness.litert_ref import run_litert
    src = model_path("ad01_int8")
    if not src.is_file():
        pytest.skip(f"{src} is not available")
    dst = magnitude_prune(src, tmp_path / "ad90.tflite", 0.9)
    a, b = bytearray(src.read_bytes()), bytearray(dst.read_bytes())
    assert len(a) == len(b)
    slots = weight_slots(a)
    assert len(slots) == 10
    for s in slots:
        before = np.frombuffer(a, np.int8, s.size, s.start)
        after = np.frombuffer(b, np.int8, s.size, s.start)
        assert np.count_nonzero(after == 0) >= round(0.9 * s.size)
        kept = after != 0
        assert np.array_equal(after[kept], before[kept])
        assert np.abs(before[~kept].astype(int)).max() <= np.abs(before[kept].astype(int)).min()
        a[s.start:s.start + s.size] = b[s.start:s.start + s.size]
    assert a == b                                  # only weight bytes changed
    from harness.importers import load_model
    graph = load_model(dst)
    inputs = random_inputs(graph, 4, seed=2)
    for got, want in zip(run_litert(dst, inputs), GoldenInterpreter(graph).run(inputs)):
        assert np.array_equal(got, want)
    assert magnitude_prune(src, tmp_path / "ad0.tflite", 0.0).read_bytes() == src.read_bytes()
    with pytest.raises(ModelError, match="outside"):
        magnitude_prune(src, tmp_path / "x.tflite", 1.5)


def test_binarize_keeps_the_first_and_last_layer(tmp_path: Path) -> None:
    from harness.errors import ModelError
    src = model_path("ad01_int8")
    if not src.is_file():
        pytest.skip(f"{src} is not available")
    for mode, values in (("binary", {-1, 1}), ("ternary", {-1, 0, 1})):
        buf = binarize(src, tmp_path / f"{mode}.tflite", mode).read_bytes()
        slots = weight_slots(buf)
        got = [set(np.unique(np.frombuffer(buf, np.int8, s.size, s.start)).tolist())
               for s in slots]
        assert all(g <= values for g in got[1:-1])
        assert not got[0] <= values and not got[-1] <= values
    with pytest.raises(ModelError, match="neither"):
        binarize(src, tmp_path / "x.tflite", "quaternary")


def test_hilbench_run_records_smaller_flash_and_the_formats(tmp_path: Path) -> None:
    src = model_path("ad01_int8")
    if not src.is_file():
        pytest.skip(f"{src} is not available")
    pruned_ad = magnitude_prune(src, tmp_path / "ad01_int8.tflite", 0.9)
    records = {}
    for option in ("dense", "auto"):
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli", "run", str(pruned_ad), "-t", "host", "-n", "3",
             "--weight-format", option, "--json", "--results", str(tmp_path / "r.sqlite"),
             "-q"], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        records[option] = json.loads(done.stdout.strip().splitlines()[-1])
    dense, auto = records["dense"], records["auto"]
    assert dense["bit_exact"] is True and auto["bit_exact"] is True
    assert dense["weight_formats"] == ["dense"] * 10 and auto["weight_formats"] == ["sparse"] * 10
    assert auto["weight_format"] == "auto"
    assert auto["flash_bytes"] < 0.45 * dense["flash_bytes"]
