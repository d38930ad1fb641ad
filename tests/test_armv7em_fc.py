"""The armv7em FULLY_CONNECTED kernel's build-time specialisation against golden, bit for bit:
the row-pair layout (rows a, b packed as 256 b + a: one SXTB16 per weight word), its limits
and fallback to the four-row interleaved layout, and the per-shape kernels of model.c
(constant loop bounds: every remainder of the four-step loop, row-group tails, batches).

The layout's arithmetic is checked in NumPy at the edges of its proof; the C (host) and the
inline assembly (cortex-m4-iss) on layers whose accumulators reach those edges, with output
scales that keep the results unsaturated.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hb_testutil import model_path
from test_armv7em_kernels import _host, _on_target
from test_codegen import CC
from test_rvx_kernels import assert_bit_exact, fc_model
from test_sparse_kernels import merged

from harness.codegen import generate
from harness.codegen.armv7em_fc import PAIR_SUM_LIMIT, fc_pairs
from harness.importers import load_model
from harness.inputs import random_inputs
from harness.ir import Graph, Quantization


def _wrap(v: np.ndarray) -> np.ndarray:
    """int64 -> int32 modulo 2^32, as the SMLAD accumulators hold it."""
    return ((v + (1 << 31)) % (1 << 32)) - (1 << 31)


def _sxtb16_pairs(words: np.ndarray) -> np.ndarray:
    """[..., 4] bytes of words -> the int16 halfwords SXTB16 makes of bytes 0 and 2."""
    return words[..., [0, 2]].astype(np.int64)


def pair_kernel(layout: np.ndarray, n: int, depth: int, x: np.ndarray) -> np.ndarray:
    """What hb_arm_mac_pairs and the row-b recovery compute, in NumPy, from the layout bytes:
    per group of 4 rows and 4-input step, words E0 O0 E1 O1; SMLAD of the unpacked inputs
    (x0, x2) / (x1, x3) with each word (its int16 halfwords) and with SXTB16 of it."""
    words = (depth + 3) // 4
    groups = -(-n // 4)
    xs = np.zeros(4 * words, np.int64)
    xs[:depth] = x
    xw = xs.reshape(words, 4)
    even, odd = xw[:, [0, 2]], xw[:, [1, 3]]                       # [words, 2]
    w = layout.reshape(groups, words, 2, 2, 4)                     # group, step, pair, E/O
    half = layout.view("<i2").astype(np.int64).reshape(groups, words, 2, 2, 2)
    out = np.zeros(groups * 4, np.int64)
    for g in range(groups):
        for p in range(2):
            mix = (even * half[g, :, p, 0]).sum() + (odd * half[g, :, p, 1]).sum()
            lo = ((even * _sxtb16_pairs(w[g, :, p, 0])).sum()
                  + (odd * _sxtb16_pairs(w[g, :, p, 1])).sum())
            out[4 * g + 2 * p] = _wrap(lo)
            out[4 * g + 2 * p + 1] = _wrap(_wrap(mix) - _wrap(lo)) >> 8
    return out[:n]


def _extreme_inputs(depth: int, rng: np.random.Generator) -> list[np.ndarray]:
    return [np.full(depth, -128, np.int64), np.full(depth, 127, np.int64),
            np.where(np.arange(depth) % 2 == 0, -128, 127).astype(np.int64),
            rng.integers(-128, 128, depth)]


def test_pair_layout_reproduces_the_matrix_product() -> None:
    """Random rows of odd shape and rows at the proof's edges (sum |b| just below 2^16, x at
    -128 / 127: |sum x b| just below 2^23, the mix accumulator wrapping) give rows @ x."""
    rng = np.random.default_rng(5)
    edge_b = (PAIR_SUM_LIMIT - 1) // 127           # 516 inputs of 127: sum |b| = 65532
    cases = [rng.integers(-127, 128, (13, 27)), rng.integers(-128, 128, (6, 8)) // 2,
             np.stack([rng.integers(-128, 128, edge_b), np.full(edge_b, 127),
                       rng.integers(-128, 0, edge_b), np.full(edge_b, -127),
                       np.full(edge_b, -128), np.where(np.arange(edge_b) % 3, 127, -127)])]
    for rows in cases:
        rows = rows.astype(np.int8)
        layout = fc_pairs(rows)
        assert layout is not None and layout.dtype == np.int8
        for x in _extreme_inputs(rows.shape[1], rng):
            want = rows.astype(np.int64) @ x
            assert np.array_equal(pair_kernel(layout, *rows.shape, x), want)
    assert np.abs(cases[2][1].astype(np.int64) @ np.full(edge_b, -128)).max() > (1 << 23) - 2**10


def test_pair_layout_refuses_what_it_cannot_hold() -> None:
    """b = -128 next to a negative a does not fit 256 b + a in int16; sum |b| of 2^16 could
    carry row b's sum past 2^23. Both keep the interleaved layout; b = -128 next to a >= 0
    and large row-a sums are fine."""
    rows = np.zeros((4, 8), np.int8)
    rows[1, 3], rows[0, 3] = -128, -1
    assert fc_pairs(rows) is None
    rows[0, 3] = 0
    assert fc_pairs(rows) is not None
    depth = PAIR_SUM_LIMIT // 128
    big = np.zeros((2, depth), np.int8)
    big[1] = -128
    big[1, 0] = 0                                  # sum |b| = 2^16 - 128 < 2^16
    assert fc_pairs(big) is not None
    big[1, 0] = -128                               # 2^16
    assert fc_pairs(big) is None
    big[1], big[0] = 1, -128                       # row a has no limit
    assert fc_pairs(big) is not None


def fc_with(rows: np.ndarray, out_scale: float, in_zp: int = -3, act: str = "NONE",
            batches: int = 1) -> Graph:
    """An int8 FC layer (input scale 0.05, weight scale 0.01) with these weight rows and an
    output scale chosen by the caller (large accumulators need a large one to stay inside
    int8)."""
    graph = fc_model(rows.shape[1], rows.shape[0], in_zp=in_zp, act=act, batches=batches)
    op = graph.ops[0]
    w, out = graph.tensor(op.inputs[1]), graph.tensor(op.outputs[0])
    graph.tensors[w.index] = replace(w, data=rows.astype(np.int8))
    graph.tensors[out.index] = replace(out, quant=Quantization((out_scale,), (-6,), None))
    return graph


def scales_at_and_over_one(depth: int = 10) -> Graph:
    """A per-channel FC layer whose effective scales include 1.25 and 1.0 (multiplier 0: the
    double path for every accumulator, the kernel's all_scaled = 0) next to small ones."""
    graph = fc_model(depth, 6, per_channel=True, in_zp=2, act="NONE")
    op = graph.ops[0]
    w, b = graph.tensor(op.inputs[1]), graph.tensor(op.inputs[2])
    w_scales = (0.004, 3.0, 0.01, 2.4, 0.02, 0.007)    # effective = 0.05 s / 0.12
    rng = np.random.default_rng(8)
    graph.tensors[w.index] = replace(w, data=rng.integers(-2, 3, w.shape).astype(np.int8),
                                     quant=Quantization(w_scales, (0,) * 6, 0))
    graph.tensors[b.index] = replace(
        b, data=rng.integers(-20, 20, 6).astype(np.int32),
        quant=Quantization(tuple(0.05 * s for s in w_scales), (0,) * 6, 0))
    return graph


def _edge_rows(depth: int) -> np.ndarray:
    """Rows at the pair layout's limit: b rows of +-127 (sum |b| just below 2^16 for 516
    inputs), a rows of -128 and random values."""
    rng = np.random.default_rng(9)
    return np.stack([rng.integers(-128, 128, depth), np.full(depth, 127),
                     np.full(depth, -128), np.full(depth, -127),
                     rng.integers(-128, 0, depth),
                     np.where(np.arange(depth) % 3, 127, -127)]).astype(np.int8)


def _layers() -> dict[str, Graph]:
    """FC layers for both layouts and every specialised remainder: words = depth / 4 of
    2, 3 (1 + 2), 5 (1 + 4), 7 (1 + 2 + 4), 8; row counts 1 to 4 past a group of 4;
    per-channel scales of 1 and more."""
    rng = np.random.default_rng(21)
    minus128 = rng.integers(-127, 128, (5, 37)).astype(np.int8)
    minus128[1, 4], minus128[0, 4] = -128, -7                    # b = -128 beside a < 0
    over = rng.integers(-127, 128, (4, 600)).astype(np.int8)
    over[3] = 127                                                # sum |b| = 76200
    return {
        "pairs_edge_516x6": fc_with(_edge_rows(516), 35.0, in_zp=0),
        "interleaved_minus128_37x5": fc_with(minus128, 0.3, in_zp=11, act="RELU"),
        "interleaved_sum_600x4": fc_with(over, 40.0, in_zp=-128),
        "pairs_8x13": fc_with(rng.integers(-127, 128, (13, 8)), 0.12, in_zp=-128, act="RELU"),
        "pairs_12x7": fc_with(rng.integers(-127, 128, (7, 12)), 0.2, in_zp=5),
        "pairs_20x6_batch2": fc_with(rng.integers(-127, 128, (6, 20)), 0.3, in_zp=-1,
                                     act="RELU6", batches=2),
        "pairs_28x5": fc_with(rng.integers(-127, 128, (5, 28)), 0.3, in_zp=100),
        "pairs_32x1": fc_with(rng.integers(-127, 128, (1, 32)), 0.3, in_zp=-20),
        "pairs_29x8_batch3": fc_with(rng.integers(-127, 128, (8, 29)), 0.3, in_zp=7,
                                     act="RELU", batches=3),
        "pairs_scales_over_1_10x6": scales_at_and_over_one(),
    }


def _inputs(graph: Graph, seed: int) -> list[np.ndarray]:
    """Random inputs plus all -128, all 127 and alternating, per graph input."""
    out = []
    for arr in random_inputs(graph, 3, seed=seed):
        extreme = np.stack([np.full(arr.shape[1:], -128), np.full(arr.shape[1:], 127),
                            np.where(np.arange(arr[0].size).reshape(arr.shape[1:]) % 2, 127,
                                     -128)]).astype(np.int8)
        out.append(np.concatenate([arr, extreme]))
    return out


def _layouts(model_c: str) -> list[int]:
    return [int(v) for v in re.findall(r"\.pairs = (\d)", model_c)]


def test_layers_bit_exact_on_host_with_the_expected_layout(tmp_path: Path) -> None:
    layers = _layers()
    graph = merged(list(layers.values()), "fc_layers")
    inputs = _inputs(graph, 3)
    got = _host(graph, inputs, tmp_path / "gen", "armv7em")
    assert_bit_exact(graph, inputs, got)
    model_c = (tmp_path / "gen" / "model.c").read_text()
    assert _layouts(model_c) == [0 if k.startswith("interleaved") else 1 for k in layers]
    assert len(re.findall(r"\.per_channel = 1, \.pairs = 1, \.all_scaled = 0", model_c)) == 1
    edge = got[0].astype(np.int64)
    assert len(np.unique(edge)) > 6 and np.abs(edge).max() < 127     # large, unsaturated


def test_layers_bit_exact_on_cortex_m4_iss(tmp_path: Path) -> None:
    """The inline assembly of both layouts and every loop remainder."""
    graph = merged(list(_layers().values()), "fc_layers")
    inputs = _inputs(graph, 4)
    assert_bit_exact(graph, inputs, _on_target("cortex-m4-iss", graph, inputs, tmp_path / "g"))


def test_one_kernel_per_layer_shape(tmp_path: Path) -> None:
    """AD's ten FC layers have five shapes: after the preprocessor, model.c defines five
    specialised kernels (each layer's text repeats its shape's definition behind a guard),
    each with its constants, and calls one per layer."""
    path = model_path("ad01_int8")
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    gen = generate(load_model(path), tmp_path / "gen", kernels="armv7em")
    done = subprocess.run([CC, "-E", "-P", *(f"-I{d}" for d in gen.include_dirs),
                           str(tmp_path / "gen" / "model.c")],
                          capture_output=True, text=True, check=True)
    defined = re.findall(r"void (hb_arm_fc_s8_\d\w+)\(", done.stdout)
    called = re.findall(r"\b(hb_arm_fc_s8_\w+)\(&", done.stdout)
    assert len(defined) == len(set(defined)) == 5 and len(called) == 10
    assert set(called) == set(defined)
    assert "hb_arm_fc_s8_1_128_128_m128_127_0_1_1" in defined
    assert re.search(r"\.accum_depth = 640, \.out_depth = 128, \.words = 160,", done.stdout)
