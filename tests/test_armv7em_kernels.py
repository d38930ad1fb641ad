"""The armv7em kernel set (kernels/armv7em + harness/codegen/armv7em.py) against the golden
interpreter, bit for bit.

On the host the DSP intrinsics are plain C of the same meaning, so the layouts, the folded
biases, the im2col and the requantisation are checked fast on many shapes (odd channel counts,
padding, strides, dilation, depthwise fallbacks, FC requantisation ties). The ARMv7E-M code
itself (the inline assembly) runs on the cortex-m4-iss and mps2-an386 targets: single layers
and the four MLPerf Tiny int8 models.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hb_testutil import model_path
from test_codegen import T, _pool_case, add_options, build_host, run_host, tiny_model
from test_rvx_kernels import LAYERS, assert_bit_exact, conv_model, fc_model

from harness.codegen import generate
from harness.codegen.armv7em_fc import fc_requant
from harness.importers import load_model
from harness.importers.tflite import parse_tflite
from harness.inputs import random_inputs
from harness.ir import Graph

MORE = {
    "conv1x1_c16_oc9_odd_pixels": lambda: conv_model("CONV_2D", (1, 3, 5, 16), 9, (1, 1),
                                                     (1, 1), "VALID", in_zp=17),
    "conv1x1_c12_oc4_s2": lambda: conv_model("CONV_2D", (1, 7, 7, 12), 4, (1, 1), (2, 2),
                                             "SAME", in_zp=-5),
    "conv1x1_c13_oc2": lambda: conv_model("CONV_2D", (1, 4, 3, 13), 2, (1, 1), (1, 1),
                                          "VALID", in_zp=0),
    "conv3x3_c3_oc16_s2_first": lambda: conv_model("CONV_2D", (1, 12, 11, 3), 16, (3, 3),
                                                   (2, 2), "SAME", in_zp=-128),
    "conv10x4_c1_oc8_kws_first": lambda: conv_model("CONV_2D", (1, 15, 10, 1), 8, (10, 4),
                                                    (2, 2), "SAME", in_zp=101),
    "conv3x3_c9_oc3_dil2x3": lambda: conv_model("CONV_2D", (1, 10, 11, 9), 3, (3, 3), (1, 2),
                                                "SAME", dilation=(2, 3), in_zp=64),
    "dw3x3_c7_same_dil2": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 7, 8, 7), 0, (3, 3),
                                             (1, 1), "SAME", dilation=(2, 2), in_zp=-20),
    "dw3x3_c64_s2_same": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 9, 6, 64), 0, (3, 3),
                                            (2, 2), "SAME", in_zp=-128),
    "dw2x2_c6_valid": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 5, 5, 6), 0, (2, 2), (1, 1),
                                         "VALID", in_zp=3),
    "fc_640x13": lambda: fc_model(640, 13, in_zp=-128, act="RELU"),
    # one input channel, depth multiplier m: run as a CONV_2D of 1 input and m output channels
    "dw10x8_c1_dm8_s2_same_micro_speech": lambda: conv_model(
        "DEPTHWISE_CONV_2D", (1, 49, 40, 1), 0, (10, 8), (2, 2), "SAME", multiplier=8,
        in_zp=-128),
    "dw3x5_c1_dm2_valid_odd": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 7, 9, 1), 0, (3, 5),
                                                 (1, 1), "VALID", multiplier=2, in_zp=9),
    "dw4x3_c1_dm4_s3x2_same": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 11, 8, 1), 0, (4, 3),
                                                 (3, 2), "SAME", multiplier=4, in_zp=-33),
    "dw3x3_c1_dm8_dil2_same": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 9, 10, 1), 0, (3, 3),
                                                 (1, 1), "SAME", dilation=(2, 2), multiplier=8,
                                                 in_zp=77),
    "dw1x1_c1_dm4_pointwise": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 3, 5, 1), 0, (1, 1),
                                                 (1, 1), "VALID", multiplier=4, in_zp=0),
    "dw5x1_c1_dm3_s2_valid_odd": lambda: conv_model(
        "DEPTHWISE_CONV_2D", (1, 13, 3, 1), 0, (5, 1), (2, 1), "VALID", multiplier=3, in_zp=-1),
    "fc_3x2_per_channel": lambda: fc_model(3, 2, per_channel=True, in_zp=-1),
}


def add_model(shape: tuple[int, ...], scales: tuple[float, float, float],
              zps: tuple[int, int, int], act: str) -> Graph:
    import tflite
    tensors = [T(shape, "int8", [s], [z]) for s, z in zip(scales, zps)]
    return parse_tflite(tiny_model(tensors, tflite.BuiltinOperator.ADD, [0, 1], [2],
                                   add_options(act)), name="add_case")


MORE.update({
    "add_relu_odd": lambda: add_model((1, 5, 7, 3), (0.05, 0.021, 0.06), (3, -10, -2), "RELU"),
    "add_none_wide": lambda: add_model((1, 4, 4, 16), (0.5, 0.01, 0.3), (-128, 127, 0), "NONE"),
    "add_relu6": lambda: add_model((1, 33), (0.02, 0.02, 0.025), (5, 5, -128), "RELU6"),
})
MORE.update({
    "gap_25x5_c64": lambda: parse_tflite(_pool_case("AVERAGE_POOL_2D", "int8", (1, 25, 5, 64),
                                                    (25, 5), (25, 5), "VALID", "NONE")),
    "gap_3x3_c8_relu": lambda: parse_tflite(_pool_case("AVERAGE_POOL_2D", "int8", (1, 3, 3, 8),
                                                       (3, 3), (1, 1), "VALID", "RELU")),
    "avgpool_windowed_ref": lambda: parse_tflite(_pool_case(
        "AVERAGE_POOL_2D", "int8", (1, 6, 6, 4), (2, 2), (2, 2), "SAME", "NONE")),
})
CASES = {**LAYERS, **MORE}


def _host(graph: Graph, inputs: list[np.ndarray], out: Path, kernels: str) -> list[np.ndarray]:
    gen = generate(graph, out, kernels=kernels)
    got, _ = run_host(gen, build_host(gen), inputs)
    return got


@pytest.mark.parametrize("case", sorted(CASES))
def test_single_layer_bit_exact_on_host(case: str, tmp_path: Path) -> None:
    graph = CASES[case]()
    inputs = random_inputs(graph, 4, seed=11)
    assert_bit_exact(graph, inputs, _host(graph, inputs, tmp_path / "gen", "armv7em"))


def test_layers_use_armv7em_kernels(tmp_path: Path) -> None:
    """The specialised kernels run where they apply; the ref kernels stay for the rest."""
    gen = generate(CASES["conv3x3_c3_oc5_same"](), tmp_path / "a", kernels="armv7em")
    assert [p.name for p in gen.sources][2:] == ["arm_conv_s8.c"]
    assert "hb_arm_conv2d_s8(" in (tmp_path / "a" / "model.c").read_text()
    gen = generate(CASES["dw3x3_c3_dm2"](), tmp_path / "b", kernels="armv7em")
    assert [p.name for p in gen.sources][2:] == ["depthwise_conv.c"]
    gen = generate(CASES["dw3x5_c1_dm2_valid_odd"](), tmp_path / "b1", kernels="armv7em")
    assert [p.name for p in gen.sources][2:] == ["arm_conv_s8.c"]
    gen = generate(CASES["fc_64x12"](), tmp_path / "c", kernels="armv7em")
    assert [p.name for p in gen.sources][2:] == ["arm_fc_s8.c"]
    gen = generate(CASES["gap_25x5_c64"](), tmp_path / "d", kernels="armv7em")
    assert [p.name for p in gen.sources][2:] == ["arm_pool_s8.c"]
    gen = generate(CASES["avgpool_windowed_ref"](), tmp_path / "e", kernels="armv7em")
    assert [p.name for p in gen.sources][2:] == ["pooling.c"]


DW_ONE_CHANNEL = sorted(c for c in MORE if "_c1_dm" in c)


@pytest.mark.parametrize("case", DW_ONE_CHANNEL)
def test_one_channel_depthwise_runs_on_the_conv_kernel(case: str, tmp_path: Path) -> None:
    """A depthwise layer of one input channel and multiplier m is a conv of m output channels:
    the conv kernel runs it (its bit-exactness: the single-layer tests above)."""
    gen = generate(CASES[case](), tmp_path / "g", kernels="armv7em")
    assert [p.name for p in gen.sources][2:] == ["arm_conv_s8.c"]
    assert "hb_arm_conv2d_s8(" in (tmp_path / "g" / "model.c").read_text()


@pytest.mark.parametrize("stem", ["kws_ref_model", "ad01_int8", "pretrainedResnet_quant",
                                  "vww_96_int8"])
def test_mlperf_tiny_int8_bit_exact_on_host(stem: str, tmp_path: Path) -> None:
    path = model_path(stem)
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    graph = load_model(path)
    inputs = random_inputs(graph, 3, seed=5)
    assert_bit_exact(graph, inputs, _host(graph, inputs, tmp_path / "gen", "armv7em"))


def test_fc_requantisation_constants() -> None:
    """multiplier = floor(scale * 2^32) for 0 < scale < 1; other scales stay double."""
    m = fc_requant(0.0123)
    assert 0 <= 0.0123 * 2.0 ** 32 - m < 1
    assert fc_requant(1.0) == 0 and fc_requant(0.0) == 0 and fc_requant(3.5) == 0


def test_fc_requantisation_ties_take_the_double_path(tmp_path: Path) -> None:
    """Accumulators that land on and next to .5 after scaling round as LiteRT does."""
    graph = fc_model(8, 6, in_zp=0, act="NONE")
    x = graph.tensor(graph.inputs[0])
    inputs = [np.random.default_rng(3).integers(-128, 128, (64, *x.shape[1:]), dtype=np.int8)]
    assert_bit_exact(graph, inputs, _host(graph, inputs, tmp_path / "gen", "armv7em"))


# --------------------------------------------------------------------------------------
# on the Cortex-M4 targets: the inline assembly and the DSP intrinsics themselves
# --------------------------------------------------------------------------------------
def _target_or_skip(name: str):  # type: ignore[no-untyped-def]
    from harness.backends import backend_for
    from harness.targets import load_target
    target = load_target(name)
    backend = backend_for(target)
    reason = backend.available()
    if reason:
        pytest.skip(f"target {name} is not available: {reason}")
    return backend


def _on_target(name: str, graph: Graph, inputs: list[np.ndarray], out: Path) -> list[np.ndarray]:
    backend = _target_or_skip(name)
    gen = generate(graph, out, kernels="armv7em")
    return list(backend.run(backend.build(gen), inputs, 1).outputs)


ISS_CASES = ["gap_25x5_c64", "gap_3x3_c8_relu", "add_relu_odd", "add_none_wide", "conv1x1_c8_oc6", "conv3x3_c3_oc5_same", "conv3x3_c4_oc7_s2_same",
             "conv10x4_c1_oc9_s2", "conv3x3_c8_dil2", "conv2x5_c7_oc1_s1x2",
             "conv1x1_c16_oc9_odd_pixels", "conv1x1_c12_oc4_s2", "dw3x3_c8_same",
             "dw3x3_c5_s2_valid", "dw3x3_c7_same_dil2", "dw3x3_c64_s2_same", "dw2x2_c6_valid",
             "fc_64x12", "fc_27x5_odd_depth", "fc_16x3_batch3", "fc_640x13",
             "dw10x8_c1_dm8_s2_same_micro_speech", "dw3x5_c1_dm2_valid_odd",
             "dw4x3_c1_dm4_s3x2_same", "dw5x1_c1_dm3_s2_valid_odd"]


@pytest.mark.parametrize("case", ISS_CASES)
def test_single_layer_bit_exact_on_cortex_m4_iss(case: str, tmp_path: Path) -> None:
    graph = CASES[case]()
    inputs = random_inputs(graph, 3, seed=13)
    assert_bit_exact(graph, inputs, _on_target("cortex-m4-iss", graph, inputs, tmp_path / "g"))


def test_fc_requantisation_ties_on_cortex_m4_iss(tmp_path: Path) -> None:
    graph = fc_model(8, 6, in_zp=0, act="NONE")
    x = graph.tensor(graph.inputs[0])
    inputs = [np.random.default_rng(3).integers(-128, 128, (24, *x.shape[1:]), dtype=np.int8)]
    assert_bit_exact(graph, inputs, _on_target("cortex-m4-iss", graph, inputs, tmp_path / "g"))


@pytest.mark.parametrize("target", ["cortex-m4-iss", "mps2-an386"])
@pytest.mark.parametrize("stem", [
    "kws_ref_model", "ad01_int8",
    pytest.param("pretrainedResnet_quant", marks=pytest.mark.slow),
    pytest.param("vww_96_int8", marks=pytest.mark.slow),
])
def test_mlperf_tiny_int8_bit_exact_on_m4_targets(stem: str, target: str) -> None:
    """The acceptance check of the kernel set: bit-exact end to end, the set recorded."""
    from harness.bench import bench_model
    _target_or_skip(target)
    path = model_path(stem)
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    result = bench_model(path, target, n_inputs=2, seed=3, kernels="armv7em")
    assert result.comparison.bit_exact, result.comparison
    assert result.measurement.extra["kernels"] == "armv7em"


# --------------------------------------------------------------------------------------
# the kernel set as a benchmark dimension
# --------------------------------------------------------------------------------------
def test_kernels_option_is_recorded(tmp_path: Path) -> None:
    """`hilbench run --kernels` overrides the target's set; the JSON record and the stored
    row say which set ran; an unknown set is an error that lists the sets."""
    import json
    import subprocess
    import sys
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", str(model_path("ad01_int8")), "-t", "host",
         "--kernels", "armv7em", "-n", "3", "--json", "--results", str(tmp_path / "r.sqlite"),
         "-q"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout.strip().splitlines()[-1])
    assert record["kernels"] == "armv7em" and record["bit_exact"] is True
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", str(model_path("ad01_int8")), "-t", "host",
         "--kernels", "nosuch", "--no-record", "-q"], capture_output=True, text=True,
        timeout=600)
    assert done.returncode != 0 and "armv7em" in done.stderr and "nosuch" in done.stderr


def test_m4_targets_default_to_armv7em() -> None:
    from harness.targets import load_target
    for name in ("cortex-m4-iss", "mps2-an386", "mps2-an386-pty", "mps2-an386-serial"):
        assert load_target(name).kernels == "armv7em"


# --------------------------------------------------------------------------------------
# requantisation scales in [1/4, 1/2): one right shift (e = 1), the ternary ECG layer's case
# --------------------------------------------------------------------------------------
def scaled_conv(scales: list[float], seed: int = 0, kind: str = "CONV_2D") -> Graph:
    """A 1x2 CONV_2D over 2 channels (a 3x3 DEPTHWISE_CONV_2D over len(scales)) whose
    per-channel effective scales are `scales`, weights in [-2, 2] and small biases, so the
    accumulators land inside the output range."""
    from dataclasses import replace

    from harness.ir import Quantization
    dw = kind == "DEPTHWISE_CONV_2D"
    graph = conv_model(kind, (1, 7, 6, len(scales) if dw else 2), len(scales),
                       (3, 3) if dw else (1, 2), (1, 1), "SAME", in_zp=3, act="NONE")
    op = graph.ops[0]
    x, w, b, out = (graph.tensor(t) for t in (*op.inputs, op.outputs[0]))
    assert x.quant and out.quant
    ratio = out.quant.scale[0] / x.quant.scale[0]
    rng = np.random.default_rng(seed)
    w_scales = tuple(float(s) * ratio for s in scales)
    graph.tensors[w.index] = replace(
        w, data=rng.integers(-2, 3, w.shape).astype(np.int8),
        quant=Quantization(w_scales, (0,) * len(scales), 3 if dw else 0))
    graph.tensors[b.index] = replace(b, data=rng.integers(-40, 40, b.shape).astype(np.int32))
    return graph


ONE_SHIFT = [0.25, 0.2500001, 0.31, 0.38, 0.4999999, 0.2499999, 0.1, 0.0]


def test_requantisation_records_match_golden_for_every_right_shift() -> None:
    """The record arithmetic of hb_arm_requantize (armv7em._channels, both builds: the
    default for e >= 2 with the low word 2^30 an immediate, HB_ARM_ONE_SHIFT for e >= 1 with
    it in the shift word) against the golden MultiplyByQuantizedMultiplier, accumulators at
    the int32 edges and between."""
    from harness import fixedpoint as fp
    from harness.codegen.armv7em import _channels, one_shift
    from harness.lower import quantize_multiplier
    rng = np.random.default_rng(7)
    a = np.concatenate([rng.integers(-2**31, 2**31, 4000), rng.integers(-3000, 3000, 4000),
                        [-2**31, 2**31 - 1, -1, 0, 1]]).astype(np.int64)
    for one in (False, True):
        for e in range(1 if one else 2, 32):
            for frac in (0.5, 0.5000001, 0.618, 0.9999999):
                m, shift = quantize_multiplier(frac * 2.0 ** -e)
                assert shift == -e and one_shift(np.array([m]), np.array([shift])) == (e == 1)
                _, mult, sw, rh = (int(v) for v in _channels(
                    np.zeros(1, np.int64), np.array([m]), np.array([shift]), one))
                low = (sw & 0xFFFFFFFF) & 0xC0000000 if one else 1 << 30
                v = (rh << 32) + low - np.where(a < 0, 1 << 31, 0) + a * mult
                got = (v >> 32) >> (sw & 0xFF)
                want = fp.multiply_by_quantized_multiplier(a, m, shift)
                assert np.array_equal(got, want), (one, e, frac)


def test_one_right_shift_takes_armv7em_bit_exact(tmp_path: Path) -> None:
    """Scales in [1/4, 1/2) run the armv7em conv's HB_ARM_ONE_SHIFT build (host C of the same
    arithmetic); layers of scales below 1/4 keep the default build; 1/2 keeps ref."""
    graph = scaled_conv(ONE_SHIFT)
    inputs = random_inputs(graph, 4, seed=3)
    gen = generate(graph, tmp_path / "a", kernels="armv7em")
    assert [p.name for p in gen.sources][2:] == ["arm_conv_s8_r1.c"]
    got, _ = run_host(gen, build_host(gen), inputs)
    assert_bit_exact(graph, inputs, got)
    assert len({int(v) for v in np.unique(got[0])}) > 50       # not all saturated
    low = generate(scaled_conv([0.2499999, 0.1]), tmp_path / "d", kernels="armv7em")
    assert [p.name for p in low.sources][2:] == ["arm_conv_s8.c"]
    # one build per model: a layer of small scales next to one that needs e = 1 takes it too
    from test_sparse_kernels import merged
    both = merged([scaled_conv([0.2499999, 0.1], seed=2), scaled_conv([0.3, 0.38])])
    gen = generate(both, tmp_path / "e", kernels="armv7em")
    assert [p.name for p in gen.sources][2:] == ["arm_conv_s8_r1.c"]
    both_inputs = random_inputs(both, 3, seed=5)
    got, _ = run_host(gen, build_host(gen), both_inputs)
    assert_bit_exact(both, both_inputs, got)
    half = generate(scaled_conv([0.3, 0.5]), tmp_path / "b", kernels="armv7em")
    assert [p.name for p in half.sources][2:] == ["conv.c"]
    dw = scaled_conv(ONE_SHIFT, kind="DEPTHWISE_CONV_2D")
    gen = generate(dw, tmp_path / "c", kernels="armv7em")
    assert [p.name for p in gen.sources][2:] == ["arm_dwconv_s8_r1.c"]
    inputs = random_inputs(dw, 4, seed=3)
    got, _ = run_host(gen, build_host(gen), inputs)
    assert_bit_exact(dw, inputs, got)


@pytest.mark.parametrize("kind", ["CONV_2D", "DEPTHWISE_CONV_2D"])
def test_one_right_shift_bit_exact_on_cortex_m4_iss(kind: str, tmp_path: Path) -> None:
    """The assembly of both kernels (conv pairs, depthwise 3x3 groups) at e = 1 and e >= 2."""
    graph = scaled_conv(ONE_SHIFT, seed=1, kind=kind)
    inputs = random_inputs(graph, 3, seed=4)
    assert_bit_exact(graph, inputs, _on_target("cortex-m4-iss", graph, inputs, tmp_path / "g"))
