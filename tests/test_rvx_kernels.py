"""The rvx kernel set (kernels/rvx: int8 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED on the
nnx extension) against the golden interpreter, bit for bit.

Each model is generated with kernels="rvx", linked with a small test main that runs
hb_model_invoke on inputs compiled into the ELF and prints the outputs, built for hb_core
with nnx and run on the Unicorn ISS (rtl/model/iss.py, nnx from the golden model).  Single
layers cover the awkward shapes (channel counts that are not multiples of 4, padding,
stride 2, dilation, depth multipliers, odd FC depths).  The speed check runs KWS on the
cycle-exact Verilator bench with ref kernels on the base core and rvx kernels on the nnx
core: cycle counts there are deterministic, so a ratio is a stable assertion.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np
import pytest
import tflite
from hb_testutil import model_path
from test_codegen import T, conv_options, depthwise_options, fc_options, tiny_model

from harness.codegen import generate
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.importers.tflite import parse_tflite
from harness.inputs import random_inputs
from harness.ir import Graph
from harness.lower import out_size

pytestmark = pytest.mark.sim

PICOLIBC = Path("/usr/lib/picolibc/riscv64-unknown-elf")
# picolibc keeps libm inside libc.a; only its math (round, expf) is pulled in
PICOLIBC_LIBM = PICOLIBC / "lib" / "release" / "rv32im" / "ilp32" / "libc.a"

MAIN_C = r"""
#include <stdint.h>
#include "hb_rv.h"
#include "model.h"

static const uint8_t inputs[NSAMPLES][HB_INPUT_BYTES] __attribute__((aligned(16))) = {
%s
};
static uint8_t output[HB_OUTPUT_BYTES] __attribute__((aligned(16)));

int main(void)
{
    int i, j;
    for (i = 0; i < NSAMPLES; ++i) {
        uint32_t c0 = hb_read_mcycle32(), c1;
        hb_model_invoke(inputs[i], output);
        c1 = hb_read_mcycle32();
        hb_puts("out ");
        for (j = 0; j < HB_OUTPUT_BYTES; ++j) {
            hb_putchar("0123456789abcdef"[output[j] >> 4]);
            hb_putchar("0123456789abcdef"[output[j] & 15]);
        }
        hb_puts(" cycles ");
        hb_put_u32(c1 - c0);
        hb_putchar('\n');
    }
    return 0;
}
"""


def _toolchain_or_skip(rtl_bench: bool = False) -> None:
    from rtl.toolchain import missing_tools
    tools = ["riscv-gcc", "unicorn"] + (["verilator"] if rtl_bench else [])
    try:
        missing = missing_tools(*tools)
    except Exception as e:  # unknown tool names in an older rtl.toolchain
        pytest.skip(f"rtl toolchain check failed: {e}")
    if missing:
        pytest.skip("; ".join(missing))
    if not PICOLIBC_LIBM.is_file():
        pytest.skip(f"picolibc (rv32im {PICOLIBC_LIBM}) is not installed")


def _pack(inputs: Sequence[np.ndarray], i: int) -> bytes:
    return b"".join(np.ascontiguousarray(a[i]).tobytes() for a in inputs)


def build_model_elf(graph: Graph, inputs: Sequence[np.ndarray], workdir: Path, *,
                    kernels: str, nnx: bool, cflags: Sequence[str] = ()) -> tuple[Path, object]:
    """Generate `graph` with `kernels`, link it with the test main and the samples."""
    from rtl.sw.build import build_elf
    n = inputs[0].shape[0]
    gen = generate(graph, workdir / "gen", kernels=kernels)
    rows = []
    for i in range(n):
        data = _pack(inputs, i)
        assert len(data) == gen.input_bytes
        rows.append("    {" + ",".join(str(b) for b in data) + "},")
    main = workdir / "main.c"
    main.write_text(MAIN_C % "\n".join(rows))
    elf = build_elf([*gen.sources, main, PICOLIBC_LIBM], workdir / "model.elf", nnx=nnx,
                    include_dirs=[*gen.include_dirs],
                    extra_cflags=["-isystem", str(PICOLIBC / "include"), f"-DNSAMPLES={n}",
                                  *cflags])
    return elf, gen


def parse_outputs(stdout: bytes, gen, n: int) -> tuple[list[np.ndarray], list[int]]:
    lines = re.findall(rb"^out ([0-9a-f]*) cycles (\d+)$", stdout, flags=re.M)
    assert len(lines) == n, stdout[-2000:]
    raw = [bytes.fromhex(h.decode()) for h, _ in lines]
    outs, off = [], 0
    for shape, dtype in gen.output_specs:
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        outs.append(np.stack([np.frombuffer(r[off:off + size], dtype=dtype).reshape(shape)
                              for r in raw]))
        off += size
    return outs, [int(c) for _, c in lines]


def run_iss(graph: Graph, inputs: Sequence[np.ndarray], workdir: Path, kernels: str = "rvx",
            nnx: bool = True, cflags: Sequence[str] = ()) -> list[np.ndarray]:
    from rtl.model.iss import run_elf
    elf, gen = build_model_elf(graph, inputs, workdir, kernels=kernels, nnx=nnx, cflags=cflags)
    r = run_elf(str(elf), nnx=nnx)
    assert r.status == "exit" and r.exit_code == 0, (r.status, r.message, r.stdout[-500:])
    outs, _ = parse_outputs(r.stdout, gen, inputs[0].shape[0])
    return outs


def run_rtl(graph: Graph, inputs: Sequence[np.ndarray], workdir: Path, *, kernels: str,
            nnx: bool) -> tuple[list[np.ndarray], list[int]]:
    """Outputs and per-inference mcycle deltas on the Verilator bench."""
    from rtl.bench.run import run_bench
    elf, gen = build_model_elf(graph, inputs, workdir, kernels=kernels, nnx=nnx)
    r = run_bench(elf, nnx=nnx, max_cycles=0)
    assert r.status == "exit" and r.exit_code == 0, (r.status, r.stderr[-500:])
    return parse_outputs(r.stdout, gen, inputs[0].shape[0])


def assert_bit_exact(graph: Graph, inputs: Sequence[np.ndarray], got: Sequence[np.ndarray]):
    want = GoldenInterpreter(graph).run(inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        bad = np.argwhere(g != w)
        assert bad.size == 0, f"{len(bad)} of {g.size} outputs differ, first at {bad[0]}: " \
                              f"{g[tuple(bad[0])]} != golden {w[tuple(bad[0])]}"


# --------------------------------------------------------------------------------------
# the MLPerf Tiny int8 models
# --------------------------------------------------------------------------------------
MODELS = [
    pytest.param("kws_ref_model", 3),
    pytest.param("ad01_int8", 3),
    pytest.param("pretrainedResnet_quant", 2, marks=pytest.mark.slow),
    pytest.param("vww_96_int8", 1, marks=pytest.mark.slow),
]


@pytest.mark.parametrize("stem,n", MODELS)
def test_model_bit_exact_on_iss(stem: str, n: int, tmp_path: Path) -> None:
    _toolchain_or_skip()
    path = model_path(stem)
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    graph = load_model(path)
    inputs = random_inputs(graph, n, seed=7)
    assert_bit_exact(graph, inputs, run_iss(graph, inputs, tmp_path))


# --------------------------------------------------------------------------------------
# single layers
# --------------------------------------------------------------------------------------
_RNG = np.random.default_rng(2024)


def _w(shape: tuple[int, ...]) -> np.ndarray:
    return _RNG.integers(-127, 128, size=shape).astype(np.int8)


def conv_model(kind: str, in_shape: tuple[int, int, int, int], out_c: int,
               kernel: tuple[int, int], stride: tuple[int, int], padding: str,
               dilation: tuple[int, int] = (1, 1), multiplier: int = 1,
               in_zp: int = -128, act: str = "RELU") -> Graph:
    _, h, w, c = in_shape
    oh = out_size(padding, h, kernel[0], stride[0], dilation[0])
    ow = out_size(padding, w, kernel[1], stride[1], dilation[1])
    depthwise = kind == "DEPTHWISE_CONV_2D"
    channels = c * multiplier if depthwise else out_c
    filt_shape = (1, *kernel, channels) if depthwise else (channels, *kernel, c)
    in_scale, w_scales = 0.05, _RNG.uniform(0.004, 0.02, channels)
    taps = kernel[0] * kernel[1] * (1 if depthwise else c)
    x = T(in_shape, "int8", [in_scale], [in_zp])
    filt = T(filt_shape, "int8", list(w_scales), [0] * channels, _w(filt_shape),
             axis=3 if depthwise else 0)
    bias = T((channels,), "int32", list(in_scale * w_scales), [0] * channels,
             _RNG.integers(-3000, 3000, channels).astype(np.int32))
    out = T((1, oh, ow, channels), "int8", [0.02 * np.sqrt(taps)], [-7])
    if depthwise:
        options = depthwise_options(stride, dilation, padding, act, multiplier)
        opcode = tflite.BuiltinOperator.DEPTHWISE_CONV_2D
    else:
        options = conv_options(stride, dilation, padding, act)
        opcode = tflite.BuiltinOperator.CONV_2D
    buf = tiny_model([x, filt, bias, out], opcode, [0, 1, 2], [3], options)
    return parse_tflite(buf, name=f"{kind.lower()}_case")


def fc_model(depth: int, units: int, per_channel: bool = False, in_zp: int = 5,
             act: str = "NONE", batches: int = 1) -> Graph:
    scales = list(_RNG.uniform(0.005, 0.02, units)) if per_channel else [0.01]
    x = T((1, batches, depth) if batches > 1 else (1, depth), "int8", [0.05], [in_zp])
    w = T((units, depth), "int8", scales, [0] * len(scales), _w((units, depth)))
    bias = T((units,), "int32", [0.05 * s for s in scales], [0] * len(scales),
             _RNG.integers(-800, 800, units).astype(np.int32))
    out = T((1, batches, units) if batches > 1 else (1, units), "int8", [0.12], [-6])
    buf = tiny_model([x, w, bias, out], tflite.BuiltinOperator.FULLY_CONNECTED, [0, 1, 2], [3],
                     fc_options(act))
    return parse_tflite(buf, name="fc_case")


LAYERS = {
    # CONV_2D: 1x1 (words), 3x3 with K % 4 != 0 (repacked weights, byte gather), odd counts
    "conv1x1_c8_oc6": lambda: conv_model("CONV_2D", (1, 5, 6, 8), 6, (1, 1), (1, 1), "VALID"),
    "conv3x3_c3_oc5_same": lambda: conv_model("CONV_2D", (1, 7, 9, 3), 5, (3, 3), (1, 1), "SAME"),
    "conv3x3_c4_oc7_s2_same": lambda: conv_model("CONV_2D", (1, 9, 8, 4), 7, (3, 3), (2, 2),
                                                 "SAME", in_zp=3),
    "conv3x3_c5_oc3_s2_valid": lambda: conv_model("CONV_2D", (1, 9, 7, 5), 3, (3, 3), (2, 2),
                                                  "VALID", in_zp=127),
    "conv10x4_c1_oc9_s2": lambda: conv_model("CONV_2D", (1, 13, 8, 1), 9, (5, 4), (2, 2),
                                             "SAME", in_zp=-83),
    "conv3x3_c8_dil2": lambda: conv_model("CONV_2D", (1, 9, 9, 8), 4, (3, 3), (1, 1), "SAME",
                                          dilation=(2, 2)),
    "conv2x5_c7_oc1_s1x2": lambda: conv_model("CONV_2D", (1, 6, 11, 7), 1, (2, 5), (1, 2),
                                              "SAME", in_zp=-1, act="NONE"),
    # DEPTHWISE_CONV_2D
    "dw3x3_c8_same": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 6, 5, 8), 0, (3, 3), (1, 1),
                                        "SAME"),
    "dw3x3_c5_s2_valid": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 9, 7, 5), 0, (3, 3),
                                            (2, 2), "VALID", in_zp=11),
    "dw3x3_c3_s2_same": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 8, 8, 3), 0, (3, 3),
                                           (2, 2), "SAME"),
    "dw3x3_c3_dm2": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 6, 7, 3), 0, (3, 3), (1, 1),
                                       "SAME", multiplier=2),
    "dw5x2_c6_dm3_dil2": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 11, 9, 6), 0, (2, 5),
                                            (1, 1), "SAME", dilation=(2, 2), multiplier=3),
    "dw5x5_c4_relu6": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 7, 7, 4), 0, (5, 5),
                                         (1, 1), "SAME", in_zp=0, act="RELU6"),
    "dw5x5_c3_fallback": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 7, 7, 3), 0, (5, 5),
                                            (1, 1), "SAME", in_zp=0, act="RELU6"),
    # in_c % 4 == 0, multiplier 1: nnx.vmac, 2 pixels per pass; odd out_w leaves one alone
    "dw3x3_c12_s2_same_vmac": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 9, 9, 12), 0, (3, 3),
                                                 (2, 2), "SAME", in_zp=-5),
    # dilation 3 = filter_h: the band rows cannot be a ring (filled per output row)
    "dw3x3_c8_dil3_vmac": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 10, 9, 8), 0, (3, 3),
                                             (1, 1), "SAME", dilation=(3, 3), in_zp=-20),
    # 32 groups x 3 rows x 32 columns do not fit the band: chunks of groups
    "dw3x3_c128_w30_chunks_vmac": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 2, 30, 128), 0,
                                                     (3, 3), (1, 1), "SAME", in_zp=9),
    "dw3x2_c4_dil2_valid_vmac": lambda: conv_model("DEPTHWISE_CONV_2D", (1, 8, 9, 4), 0,
                                                   (3, 2), (1, 1), "VALID", dilation=(2, 2),
                                                   in_zp=127),
    # FULLY_CONNECTED
    "fc_64x12": lambda: fc_model(64, 12, in_zp=-128),
    "fc_24x7_per_channel": lambda: fc_model(24, 7, per_channel=True),
    "fc_27x5_odd_depth": lambda: fc_model(27, 5, in_zp=-3, act="RELU"),
    "fc_16x3_batch3": lambda: fc_model(16, 3, batches=3, in_zp=100),
}


@pytest.mark.parametrize("case", sorted(LAYERS))
def test_single_layer_bit_exact_on_iss(case: str, tmp_path: Path) -> None:
    _toolchain_or_skip()
    graph = LAYERS[case]()
    inputs = random_inputs(graph, 3, seed=5)
    assert_bit_exact(graph, inputs, run_iss(graph, inputs, tmp_path))


@pytest.mark.parametrize("case", ["conv1x1_c8_oc6", "conv3x3_c3_oc5_same", "dw3x3_c8_same"])
def test_single_layer_without_the_bank_on_iss(case: str, tmp_path: Path) -> None:
    """-DNNX_NO_ACC (CV32E40X's coprocessor has no accumulator bank): the conv sums in
    registers with mac4 (dot4 + add without a third operand), no vmac depthwise path."""
    _toolchain_or_skip()
    graph = LAYERS[case]()
    inputs = random_inputs(graph, 2, seed=6)
    got = run_iss(graph, inputs, tmp_path, cflags=["-DNNX_NO_ACC=1", "-DNNX_NO_RD_OPERAND=1"])
    assert_bit_exact(graph, inputs, got)


def test_rvx_kernel_set_is_listed() -> None:
    from harness.codegen import kernel_sets
    assert "rvx" in kernel_sets() and "ref" in kernel_sets()


def test_rvx_kernels_compile_for_the_host_emulated(tmp_path: Path) -> None:
    """Without a RISC-V compiler hb_nnx.h falls back to C: the set stays portable."""
    cc = shutil.which("gcc")
    if cc is None:
        pytest.skip("no host gcc")
    graph = conv_model("CONV_2D", (1, 5, 5, 3), 5, (3, 3), (1, 1), "SAME")
    gen = generate(graph, tmp_path / "gen", kernels="rvx")
    import subprocess
    for name, flag in [(n, f) for n in ("conv.c", "depthwise_conv.c", "fully_connected.c")
                       for f in ("-std=c99", "-DNNX_NO_ACC=1")]:   # with / without the bank
        src = gen.out_dir / "kernels" / name
        shutil.copyfile(Path(__file__).parents[1] / "harness" / "codegen" / "kernels" / "rvx" / name,
                        src)
        r = subprocess.run([cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-c", flag,
                            f"-I{gen.out_dir / 'kernels'}", str(src), "-o",
                            str(tmp_path / (name + ".o"))], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


# --------------------------------------------------------------------------------------
# cycles on the RTL
# --------------------------------------------------------------------------------------
def test_kws_nnx_faster_than_ref_on_rtl(tmp_path: Path) -> None:
    _toolchain_or_skip(rtl_bench=True)
    graph = load_model(model_path("kws_ref_model"))
    inputs = random_inputs(graph, 1, seed=3)
    base_out, base_cycles = run_rtl(graph, inputs, tmp_path / "base", kernels="ref", nnx=False)
    nnx_out, nnx_cycles = run_rtl(graph, inputs, tmp_path / "nnx", kernels="rvx", nnx=True)
    assert_bit_exact(graph, inputs, base_out)
    assert_bit_exact(graph, inputs, nnx_out)
    speedup = base_cycles[0] / nnx_cycles[0]
    print(f"kws: base {base_cycles[0]} cycles, nnx {nnx_cycles[0]} cycles, {speedup:.2f}x")
    assert speedup >= 4.0
