"""The C code generator: memory plan, compilation, and agreement with LiteRT's reference kernels.

The MLPerf Tiny models are generated, compiled with the host gcc and run through
targets/host/main.c; int8 outputs must equal LiteRT BUILTIN_REF bit for bit, float
outputs must pass `compare(...).ok`. Single-op models built here as TFLite flatbuffers cover
what the four models do not (max pool, quantize, dequantize, strides, dilation, depth
multiplier, RELU6, per-channel FC, multi-row softmax), against LiteRT and, when it is there,
the golden interpreter.
"""
from __future__ import annotations

import random
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import flatbuffers
import numpy as np
import pytest
import tflite
from hb_testutil import FLOAT_MODELS, INT8_MODELS, REPO, model_path

from harness.codegen import GeneratedModel, generate
from harness.codegen.cformat import c_double, c_float
from harness.codegen.memplan import Buffer, align_up, place_buffers, plan_memory
from harness.compare import compare
from harness.errors import UnsupportedOpError
from harness.importers import load_model
from harness.inputs import random_inputs
from harness.ir import Graph
from harness.litert_ref import litert_unavailable, run_litert
from harness.lower import out_size

HOST_MAIN = REPO / "targets" / "host" / "main.c"

CC = "gcc"
CFLAGS = ("-std=c99", "-O2", "-Wall", "-Wextra", "-Werror")
ARM_CC = "arm-none-eabi-gcc"
ARM_FLAGS = ("-std=c99", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16",
             "-O2", "-Wall", "-Wextra", "-Werror")
RISCV_CC = "riscv64-unknown-elf-gcc"
RISCV_FLAGS = ("--specs=picolibc.specs", "-std=c99", "-march=rv32imac", "-mabi=ilp32", "-O2",
               "-Wall", "-Wextra", "-Werror")

needs_gcc = pytest.mark.skipif(shutil.which(CC) is None, reason="host gcc not installed")
needs_litert = pytest.mark.skipif(litert_unavailable() is not None,
                                  reason=str(litert_unavailable()))


# ---------------------------------------------------------------- build and run helpers


def build_host(model: GeneratedModel, extra: Sequence[str] = (),
               main: Path = HOST_MAIN) -> Path:
    """Compile the generated model with host_main.c, exactly as documented in harness.codegen."""
    exe = model.out_dir / "model_bin"
    cmd = [CC, *CFLAGS, *extra, *(f"-I{d}" for d in model.include_dirs),
           *map(str, model.sources), str(main), "-o", str(exe), "-lm"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stderr}"
    return exe


def pack(arrays: Sequence[np.ndarray]) -> bytes:
    n = arrays[0].shape[0]
    rows = [np.ascontiguousarray(a).reshape(n, -1).view(np.uint8) for a in arrays]
    return np.concatenate(rows, axis=1).tobytes()


def unpack(data: bytes, n: int, specs: Sequence[tuple[tuple[int, ...], str]]) -> list[np.ndarray]:
    rows = np.frombuffer(data, dtype=np.uint8).reshape(n, -1)
    out, start = [], 0
    for shape, dtype in specs:
        size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        out.append(np.ascontiguousarray(rows[:, start:start + size]).view(dtype).reshape(n, *shape))
        start += size
    assert start == rows.shape[1]
    return out


def run_host(model: GeneratedModel, exe: Path,
             inputs: Sequence[np.ndarray]) -> tuple[list[np.ndarray], str]:
    n = inputs[0].shape[0]
    in_path, out_path = model.out_dir / "inputs.bin", model.out_dir / "outputs.bin"
    in_path.write_bytes(pack(inputs))
    done = subprocess.run([str(exe), str(in_path), str(out_path), str(n)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return unpack(out_path.read_bytes(), n, model.output_specs), done.stdout


_BUILT: dict[str, tuple[Graph, GeneratedModel, Path]] = {}


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], tuple[Graph, GeneratedModel, Path]]:
    """Generate and compile an MLPerf model once per test module."""
    root = tmp_path_factory.mktemp("codegen")

    def get(stem: str) -> tuple[Graph, GeneratedModel, Path]:
        if stem not in _BUILT:
            graph = load_model(model_path(stem))
            model = generate(graph, root / stem)
            _BUILT[stem] = (graph, model, build_host(model))
        return _BUILT[stem]

    return get


# ---------------------------------------------------------------- memory planner


def _check_placement(buffers: Sequence[Buffer], offsets: Sequence[int], alignment: int) -> None:
    for _b, off in zip(buffers, offsets):
        assert off % alignment == 0
    for i, (a, oa) in enumerate(zip(buffers, offsets)):
        for b, ob in zip(buffers[i + 1:], offsets[i + 1:]):
            if a.overlaps(b) and a.size and b.size:
                assert oa + a.size <= ob or ob + b.size <= oa, f"{a} at {oa} and {b} at {ob}"


def test_place_buffers_random_is_overlap_free() -> None:
    rng = random.Random(7)
    for _ in range(300):
        n_ops = rng.randint(1, 12)
        buffers = []
        for k in range(rng.randint(1, 14)):
            first = rng.randint(-1, n_ops - 1)
            last = rng.randint(first, n_ops)
            buffers.append(Buffer(f"b{k}", rng.choice([0, 1, 7, 16, 33, 100, 256, 1000]),
                                  first, last))
        offsets = place_buffers(buffers, 16)
        _check_placement(buffers, offsets, 16)
        peak = max(o + align_up(b.size) for b, o in zip(buffers, offsets))
        assert peak <= sum(align_up(b.size) for b in buffers)


def test_place_buffers_reuses_dead_memory() -> None:
    chain = [Buffer("a", 100, 0, 1), Buffer("b", 100, 1, 2), Buffer("c", 100, 2, 3)]
    offsets = place_buffers(chain)
    assert offsets[0] == offsets[2]           # a is dead when c is born
    assert max(offsets) + align_up(100) == 2 * align_up(100)


@pytest.mark.parametrize("stem", INT8_MODELS + FLOAT_MODELS)
def test_plan_memory_of_models(stem: str) -> None:
    graph = load_model(model_path(stem))
    scratch = {i: 1000 for i, op in enumerate(graph.ops) if op.attrs.get("hybrid")}
    plan = plan_memory(graph, scratch)
    life = plan.lifetimes

    def group(index: int) -> int:
        while index in plan.aliases:
            index = plan.aliases[index]
        return index

    items = [(f"t{i}", plan.tensor_offsets[i], graph.tensor(i).nbytes, life[i][0], life[i][1],
              group(i)) for i in life]
    items += [(f"s{op}", off, scratch[op], op, op, -1 - op)
              for op, off in plan.scratch_offsets.items()]
    for name, off, size, _, _, _ in items:
        assert off % 16 == 0, name
        assert off + size <= plan.arena_bytes, name
    for k, (na, oa, sa, fa, la, ga) in enumerate(items):
        for nb, ob, sb, fb, lb, gb in items[k + 1:]:
            if ga == gb or not (fa <= lb and fb <= la):
                continue  # one aliased buffer, or never alive at the same time
            assert oa + sa <= ob or ob + sb <= oa, f"{stem}: {na} and {nb} share bytes"
    assert plan.arena_bytes % 16 == 0
    assert plan.arena_bytes <= plan.naive_bytes
    assert plan.arena_bytes < plan.naive_bytes or len(graph.ops) == 1
    # Every graph input lives from the start, every output to the end.
    assert all(life[i][0] == -1 for i in graph.inputs)
    assert all(life[i][1] == len(graph.ops) for i in graph.outputs)
    if stem.startswith("kws"):
        assert plan.aliases, "the RESHAPE whose input dies there should alias it"
        assert set(plan.scratch_offsets) == set(scratch)


# ---------------------------------------------------------------- constants


def test_float_literals_are_exact() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate([
        rng.standard_normal(500).astype(np.float32),
        np.array([0.0, -0.0, 1.0, -2.5, 1e-45, 1.17e-38, 3.4028235e38, -3.4028235e38],
                 np.float32),
    ])
    for v in values.tolist():
        text = c_float(v)
        assert text.endswith("f")
        assert float.fromhex(text[:-1]) == v
        assert np.float32(float.fromhex(text[:-1])) == np.float32(v)
    for v in [0.1, 1 / 3, 2.0 ** -40, 123456.789]:
        assert float.fromhex(c_double(v)) == v


# ---------------------------------------------------------------- MLPerf models on the host


@needs_gcc
@needs_litert
@pytest.mark.parametrize("stem", INT8_MODELS)
def test_int8_model_bit_exact_with_litert(stem: str, built) -> None:  # type: ignore[no-untyped-def]
    graph, model, exe = built(stem)
    inputs = random_inputs(graph, 100, seed=1)
    outputs, stdout = run_host(model, exe, inputs)
    want = run_litert(model_path(stem), inputs, reference_kernels=True)
    result = compare(outputs, want)
    assert result.mismatches == 0, result
    assert re.search(r"HB_DONE n=100 repeats=1 invoke_ns=\d+ per_inference_ns=[\d.]+", stdout)


@needs_gcc
@needs_litert
@pytest.mark.parametrize("stem", FLOAT_MODELS)
def test_float_model_agrees_with_litert(stem: str, built) -> None:  # type: ignore[no-untyped-def]
    graph, model, exe = built(stem)
    inputs = random_inputs(graph, 20, seed=1)
    outputs, _ = run_host(model, exe, inputs)
    want = run_litert(model_path(stem), inputs, reference_kernels=True)
    result = compare(outputs, want)
    assert result.ok, result


@needs_gcc
def test_generated_model_description(built) -> None:  # type: ignore[no-untyped-def]
    graph, model, _ = built("kws_ref_model")
    header = (model.out_dir / "model.h").read_text()
    assert f"#define HB_INPUT_BYTES {model.input_bytes}" in header
    assert f"#define HB_OUTPUT_BYTES {model.output_bytes}" in header
    assert f"#define HB_ARENA_BYTES {model.arena_bytes}" in header
    assert f"#define HB_NUM_LAYERS {len(graph.ops)}" in header
    assert "void hb_model_invoke(const void *input, void *output);" in header
    assert model.input_bytes == 49 * 10 and model.output_bytes == 12
    assert model.arena_bytes < model.naive_arena_bytes
    assert model.weights_bytes >= sum(t.nbytes for t in graph.tensors
                                      if t.is_constant and t.dtype in ("int8", "float32"))
    assert model.layer_names == [op.name for op in graph.ops]
    assert model.macs == graph.macs()
    names = {p.name for p in model.sources}
    assert {"model.c", "weights.c", "conv.c", "depthwise_conv.c", "softmax.c"} <= names
    assert "add.c" not in names  # only the kernels the model needs
    assert all(p.is_file() for p in model.sources)


# ---------------------------------------------------------------- other targets


def _cross_compile(cc: str, flags: Sequence[str], model: GeneratedModel, tmp: Path) -> None:
    for source in model.sources:
        cmd = [cc, *flags, *(f"-I{d}" for d in model.include_dirs), "-c", str(source),
               "-o", str(tmp / (source.stem + ".o"))]
        done = subprocess.run(cmd, capture_output=True, text=True)
        assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stderr}"


@pytest.mark.skipif(shutil.which(ARM_CC) is None, reason=f"{ARM_CC} not installed")
@pytest.mark.parametrize("stem", ["kws_ref_model", "kws_ref_model_float32", "ad01_int8"])
def test_compiles_for_cortex_m4(stem: str, tmp_path: Path) -> None:
    model = generate(load_model(model_path(stem)), tmp_path / "gen")
    _cross_compile(ARM_CC, ARM_FLAGS, model, tmp_path)


def _picolibc_riscv() -> bool:
    if shutil.which(RISCV_CC) is None:
        return False
    done = subprocess.run([RISCV_CC, "--specs=picolibc.specs", "-print-file-name=picolibc.specs"],
                          capture_output=True, text=True)
    return done.returncode == 0 and Path(done.stdout.strip()).is_file()


@pytest.mark.skipif(not _picolibc_riscv(), reason=f"{RISCV_CC} with picolibc not installed")
@pytest.mark.parametrize("stem", ["kws_ref_model", "kws_ref_model_float32", "ad01_int8"])
def test_compiles_for_rv32(stem: str, tmp_path: Path) -> None:
    model = generate(load_model(model_path(stem)), tmp_path / "gen")
    _cross_compile(RISCV_CC, RISCV_FLAGS, model, tmp_path)


# ---------------------------------------------------------------- interface details


MARKERS_MAIN = r"""
#include <stdio.h>
#include <string.h>
#include "model.h"
int hb_begin_count[HB_NUM_LAYERS];
int hb_end_count[HB_NUM_LAYERS];
int hb_order_ok = 1;
static int next_layer = 0;
void hb_mark_begin(int i) { hb_begin_count[i]++; if (i != next_layer) hb_order_ok = 0; }
void hb_mark_end(int i) { hb_end_count[i]++; next_layer = i + 1; }
int main(void) {
    static unsigned char in[HB_INPUT_BYTES], out[HB_OUTPUT_BYTES];
    int i;
    memset(in, 0, sizeof in);
    hb_model_invoke(in, out);
    for (i = 0; i < HB_NUM_LAYERS; ++i) {
        if (hb_begin_count[i] != 1 || hb_end_count[i] != 1) return 1;
    }
    printf("%d layers, first %s, order %d\n", HB_NUM_LAYERS, hb_layer_names[0], hb_order_ok);
    return hb_order_ok ? 0 : 2;
}
"""

MARKERS_HEADER = """
void hb_mark_begin(int i);
void hb_mark_end(int i);
#define HB_LAYER_BEGIN(i) hb_mark_begin(i)
#define HB_LAYER_END(i) hb_mark_end(i)
"""


@needs_gcc
def test_layer_markers_can_be_defined_by_the_runtime(tmp_path: Path) -> None:
    graph = load_model(model_path("kws_ref_model"))
    model = generate(graph, tmp_path / "gen")
    (tmp_path / "hb_markers.h").write_text(MARKERS_HEADER)
    main = tmp_path / "markers_main.c"
    main.write_text(MARKERS_MAIN)
    exe = build_host(model, extra=["-include", str(tmp_path / "hb_markers.h")], main=main)
    done = subprocess.run([str(exe)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"{len(graph.ops)} layers, first {graph.ops[0].name}")


def test_no_markers_and_custom_prefix(tmp_path: Path) -> None:
    graph = load_model(model_path("ad01_int8"))
    model = generate(graph, tmp_path, prefix="ad", layer_markers=False)
    source = (tmp_path / "model.c").read_text()
    header = (tmp_path / "model.h").read_text()
    assert "HB_LAYER" not in source
    assert "void ad_model_invoke(const void *input, void *output);" in header
    assert "#define AD_INPUT_BYTES 640" in header
    assert "extern const char *const ad_layer_names[AD_NUM_LAYERS];" in header
    if shutil.which(CC):
        for src in model.sources:
            cmd = [CC, *CFLAGS, *(f"-I{d}" for d in model.include_dirs), "-c", str(src),
                   "-o", str(tmp_path / (src.stem + ".o"))]
            done = subprocess.run(cmd, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
    with pytest.raises(ValueError):
        generate(graph, tmp_path / "bad", prefix="9x")


def test_unsupported_op_names_op_and_model(tmp_path: Path) -> None:
    graph = load_model(model_path("ad01_int8"))
    graph.ops[3].kind = "LOG_SOFTMAX"
    with pytest.raises(UnsupportedOpError) as err:
        generate(graph, tmp_path)
    message = str(err.value)
    assert "LOG_SOFTMAX" in message and "ad01_int8" in message and graph.ops[3].name in message


@needs_gcc
def test_host_main_rejects_bad_input(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, model, exe = built("ad01_int8")
    short = tmp_path / "short.bin"
    short.write_bytes(bytes(model.input_bytes + 5))
    done = subprocess.run([str(exe), str(short), str(tmp_path / "o.bin"), "2"],
                          capture_output=True, text=True)
    assert done.returncode == 3 and "ends at record 1" in done.stderr
    done = subprocess.run([str(exe), str(short)], capture_output=True, text=True)
    assert done.returncode == 2 and "usage" in done.stderr
    done = subprocess.run([str(exe), str(short), str(tmp_path / "o.bin"), "1", "3"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "HB_DONE n=1 repeats=3 " in done.stdout


# ---------------------------------------------------------------- single-op TFLite models


@dataclass
class T:
    """A tensor of a single-op model: per-tensor quantization unless several scales."""

    shape: tuple[int, ...]
    dtype: str
    scale: Sequence[float] | None = None
    zero_point: Sequence[int] | None = None
    data: np.ndarray | None = None
    axis: int = 0


_TYPES = {"float32": tflite.TensorType.FLOAT32, "int8": tflite.TensorType.INT8,
          "int32": tflite.TensorType.INT32}
Options = tuple[int, Callable[[flatbuffers.Builder], int]]


def _vector(b: flatbuffers.Builder, values: Sequence[int] | np.ndarray, dtype: type) -> int:
    return b.CreateNumpyVector(np.asarray(values, dtype=dtype))


def _offsets(b: flatbuffers.Builder, offsets: Sequence[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def tiny_model(tensors: Sequence[T], opcode: int, inputs: Sequence[int], outputs: Sequence[int],
               options: Options | None) -> bytes:
    """A one-op TFLite flatbuffer: graph inputs are the op's non-constant inputs."""
    b = flatbuffers.Builder(4096)
    buffers = []
    tflite.BufferStart(b)
    buffers.append(tflite.BufferEnd(b))  # buffer 0: the empty buffer
    tensor_offsets = []
    for k, t in enumerate(tensors):
        buffer_index = 0
        if t.data is not None:
            raw = np.ascontiguousarray(t.data.astype(t.dtype)).view(np.uint8).reshape(-1)
            data = b.CreateNumpyVector(raw)
            tflite.BufferStart(b)
            tflite.BufferAddData(b, data)
            buffers.append(tflite.BufferEnd(b))
            buffer_index = len(buffers) - 1
        quant = None
        if t.scale is not None:
            scale = _vector(b, t.scale, np.float32)
            zp = _vector(b, t.zero_point if t.zero_point is not None else [0] * len(t.scale),
                         np.int64)
            tflite.QuantizationParametersStart(b)
            tflite.QuantizationParametersAddScale(b, scale)
            tflite.QuantizationParametersAddZeroPoint(b, zp)
            tflite.QuantizationParametersAddQuantizedDimension(b, t.axis)
            quant = tflite.QuantizationParametersEnd(b)
        name = b.CreateString(f"t{k}")
        shape = _vector(b, t.shape, np.int32)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, _TYPES[t.dtype])
        tflite.TensorAddBuffer(b, buffer_index)
        tflite.TensorAddName(b, name)
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        tensor_offsets.append(tflite.TensorEnd(b))

    built_options = options[1](b) if options else None
    op_inputs, op_outputs = _vector(b, inputs, np.int32), _vector(b, outputs, np.int32)
    tflite.OperatorStart(b)
    tflite.OperatorAddOpcodeIndex(b, 0)
    tflite.OperatorAddInputs(b, op_inputs)
    tflite.OperatorAddOutputs(b, op_outputs)
    if options:
        tflite.OperatorAddBuiltinOptionsType(b, options[0])
        tflite.OperatorAddBuiltinOptions(b, built_options)
    operator = tflite.OperatorEnd(b)

    graph_inputs = [i for i in inputs if i >= 0 and tensors[i].data is None]
    sg_tensors = _offsets(b, tensor_offsets)
    sg_inputs, sg_outputs = _vector(b, graph_inputs, np.int32), _vector(b, outputs, np.int32)
    sg_ops = _offsets(b, [operator])
    sg_name = b.CreateString("main")
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, sg_tensors)
    tflite.SubGraphAddInputs(b, sg_inputs)
    tflite.SubGraphAddOutputs(b, sg_outputs)
    tflite.SubGraphAddOperators(b, sg_ops)
    tflite.SubGraphAddName(b, sg_name)
    subgraph = tflite.SubGraphEnd(b)

    tflite.OperatorCodeStart(b)
    tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(opcode, 127))
    tflite.OperatorCodeAddBuiltinCode(b, opcode)
    tflite.OperatorCodeAddVersion(b, 1)
    code = tflite.OperatorCodeEnd(b)

    codes, subgraphs = _offsets(b, [code]), _offsets(b, [subgraph])
    model_buffers = _offsets(b, buffers)
    description = b.CreateString("hilbench codegen test")
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, codes)
    tflite.ModelAddSubgraphs(b, subgraphs)
    tflite.ModelAddDescription(b, description)
    tflite.ModelAddBuffers(b, model_buffers)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


_PAD = {"SAME": tflite.Padding.SAME, "VALID": tflite.Padding.VALID}
_ACT = {"NONE": tflite.ActivationFunctionType.NONE, "RELU": tflite.ActivationFunctionType.RELU,
        "RELU6": tflite.ActivationFunctionType.RELU6,
        "RELU_N1_TO_1": tflite.ActivationFunctionType.RELU_N1_TO_1}


def conv_options(stride: tuple[int, int], dilation: tuple[int, int], padding: str,
                 act: str) -> Options:
    def build(b: flatbuffers.Builder) -> int:
        tflite.Conv2DOptionsStart(b)
        tflite.Conv2DOptionsAddPadding(b, _PAD[padding])
        tflite.Conv2DOptionsAddStrideH(b, stride[0])
        tflite.Conv2DOptionsAddStrideW(b, stride[1])
        tflite.Conv2DOptionsAddDilationHFactor(b, dilation[0])
        tflite.Conv2DOptionsAddDilationWFactor(b, dilation[1])
        tflite.Conv2DOptionsAddFusedActivationFunction(b, _ACT[act])
        return tflite.Conv2DOptionsEnd(b)
    return tflite.BuiltinOptions.Conv2DOptions, build


def depthwise_options(stride: tuple[int, int], dilation: tuple[int, int], padding: str,
                      act: str, multiplier: int) -> Options:
    def build(b: flatbuffers.Builder) -> int:
        tflite.DepthwiseConv2DOptionsStart(b)
        tflite.DepthwiseConv2DOptionsAddPadding(b, _PAD[padding])
        tflite.DepthwiseConv2DOptionsAddStrideH(b, stride[0])
        tflite.DepthwiseConv2DOptionsAddStrideW(b, stride[1])
        tflite.DepthwiseConv2DOptionsAddDilationHFactor(b, dilation[0])
        tflite.DepthwiseConv2DOptionsAddDilationWFactor(b, dilation[1])
        tflite.DepthwiseConv2DOptionsAddDepthMultiplier(b, multiplier)
        tflite.DepthwiseConv2DOptionsAddFusedActivationFunction(b, _ACT[act])
        return tflite.DepthwiseConv2DOptionsEnd(b)
    return tflite.BuiltinOptions.DepthwiseConv2DOptions, build


def pool_options(filt: tuple[int, int], stride: tuple[int, int], padding: str,
                 act: str) -> Options:
    def build(b: flatbuffers.Builder) -> int:
        tflite.Pool2DOptionsStart(b)
        tflite.Pool2DOptionsAddPadding(b, _PAD[padding])
        tflite.Pool2DOptionsAddStrideH(b, stride[0])
        tflite.Pool2DOptionsAddStrideW(b, stride[1])
        tflite.Pool2DOptionsAddFilterHeight(b, filt[0])
        tflite.Pool2DOptionsAddFilterWidth(b, filt[1])
        tflite.Pool2DOptionsAddFusedActivationFunction(b, _ACT[act])
        return tflite.Pool2DOptionsEnd(b)
    return tflite.BuiltinOptions.Pool2DOptions, build


def fc_options(act: str) -> Options:
    def build(b: flatbuffers.Builder) -> int:
        tflite.FullyConnectedOptionsStart(b)
        tflite.FullyConnectedOptionsAddFusedActivationFunction(b, _ACT[act])
        return tflite.FullyConnectedOptionsEnd(b)
    return tflite.BuiltinOptions.FullyConnectedOptions, build


def add_options(act: str) -> Options:
    def build(b: flatbuffers.Builder) -> int:
        tflite.AddOptionsStart(b)
        tflite.AddOptionsAddFusedActivationFunction(b, _ACT[act])
        return tflite.AddOptionsEnd(b)
    return tflite.BuiltinOptions.AddOptions, build


def softmax_options(beta: float) -> Options:
    def build(b: flatbuffers.Builder) -> int:
        tflite.SoftmaxOptionsStart(b)
        tflite.SoftmaxOptionsAddBeta(b, beta)
        return tflite.SoftmaxOptionsEnd(b)
    return tflite.BuiltinOptions.SoftmaxOptions, build


_RNG = np.random.default_rng(11)


def _weights_s8(shape: tuple[int, ...]) -> np.ndarray:
    return _RNG.integers(-127, 128, size=shape).astype(np.int8)


def _conv_case(kind: str, dtype: str, in_shape: tuple[int, int, int, int], out_c: int,
               kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
               padding: str, act: str, multiplier: int = 1) -> bytes:
    _, h, w, c = in_shape
    oh = out_size(padding, h, kernel[0], stride[0], dilation[0])
    ow = out_size(padding, w, kernel[1], stride[1], dilation[1])
    depthwise = kind == "DEPTHWISE_CONV_2D"
    channels = c * multiplier if depthwise else out_c
    filt_shape = (1, *kernel, channels) if depthwise else (channels, *kernel, c)
    if dtype == "int8":
        in_scale, w_scales = 0.05, _RNG.uniform(0.004, 0.02, channels)
        taps = kernel[0] * kernel[1] * (1 if depthwise else c)
        x = T(in_shape, "int8", [in_scale], [-3])
        filt = T(filt_shape, "int8", list(w_scales), [0] * channels, _weights_s8(filt_shape),
                 axis=3 if depthwise else 0)
        bias = T((channels,), "int32", list(in_scale * w_scales), [0] * channels,
                 _RNG.integers(-2000, 2000, channels).astype(np.int32))
        out = T((1, oh, ow, channels), "int8", [0.03 * np.sqrt(taps)], [5])
    else:
        x = T(in_shape, "float32")
        filt = T(filt_shape, "float32", data=_RNG.standard_normal(filt_shape).astype(np.float32))
        bias = T((channels,), "float32", data=_RNG.standard_normal(channels).astype(np.float32))
        out = T((1, oh, ow, channels), "float32")
    if depthwise:
        options = depthwise_options(stride, dilation, padding, act, multiplier)
        opcode = tflite.BuiltinOperator.DEPTHWISE_CONV_2D
    else:
        options = conv_options(stride, dilation, padding, act)
        opcode = tflite.BuiltinOperator.CONV_2D
    return tiny_model([x, filt, bias, out], opcode, [0, 1, 2], [3], options)


def _pool_case(kind: str, dtype: str, in_shape: tuple[int, int, int, int],
               filt: tuple[int, int], stride: tuple[int, int], padding: str, act: str) -> bytes:
    _, h, w, c = in_shape
    oh, ow = out_size(padding, h, filt[0], stride[0]), out_size(padding, w, filt[1], stride[1])
    q = ([0.04], [-7]) if dtype == "int8" else (None, None)
    x = T(in_shape, dtype, *q)
    out = T((1, oh, ow, c), dtype, *q)
    opcode = (tflite.BuiltinOperator.MAX_POOL_2D if kind == "MAX_POOL_2D"
              else tflite.BuiltinOperator.AVERAGE_POOL_2D)
    return tiny_model([x, out], opcode, [0], [1], pool_options(filt, stride, padding, act))


def _fc_case(dtype: str, per_channel: bool, act: str) -> bytes:
    depth, units = 24, 7
    if dtype == "int8":
        scales = list(_RNG.uniform(0.005, 0.02, units)) if per_channel else [0.01]
        x = T((1, depth), "int8", [0.05], [4])
        w = T((units, depth), "int8", scales, [0] * len(scales), _weights_s8((units, depth)))
        bias = T((units,), "int32", [0.05 * s for s in scales], [0] * len(scales),
                 _RNG.integers(-500, 500, units).astype(np.int32))
        out = T((1, units), "int8", [0.09], [-6])
    else:
        x = T((1, depth), "float32")
        w = T((units, depth), "float32",
              data=_RNG.standard_normal((units, depth)).astype(np.float32))
        bias = T((units,), "float32", data=_RNG.standard_normal(units).astype(np.float32))
        out = T((1, units), "float32")
    return tiny_model([x, w, bias, out], tflite.BuiltinOperator.FULLY_CONNECTED, [0, 1, 2], [3],
                      fc_options(act))


def _add_case(dtype: str, act: str) -> bytes:
    shape = (1, 5, 4, 3)
    if dtype == "int8":
        tensors = [T(shape, "int8", [0.05], [3]), T(shape, "int8", [0.021], [-10]),
                   T(shape, "int8", [0.06], [-2])]
    else:
        tensors = [T(shape, "float32"), T(shape, "float32"), T(shape, "float32")]
    return tiny_model(tensors, tflite.BuiltinOperator.ADD, [0, 1], [2], add_options(act))


def _softmax_case(dtype: str, beta: float) -> bytes:
    shape = (1, 3, 9)
    if dtype == "int8":
        tensors = [T(shape, "int8", [0.11], [2]), T(shape, "int8", [1 / 256], [-128])]
    else:
        tensors = [T(shape, "float32"), T(shape, "float32")]
    return tiny_model(tensors, tflite.BuiltinOperator.SOFTMAX, [0], [1], softmax_options(beta))


def _convert_case(kind: str) -> bytes:
    shape = (1, 6, 7)
    if kind == "quantize":
        tensors = [T(shape, "float32"), T(shape, "int8", [0.006], [10])]
        return tiny_model(tensors, tflite.BuiltinOperator.QUANTIZE, [0], [1], None)
    if kind == "requantize":
        tensors = [T(shape, "int8", [0.05], [3]), T(shape, "int8", [0.03], [-7])]
        return tiny_model(tensors, tflite.BuiltinOperator.QUANTIZE, [0], [1], None)
    tensors = [T(shape, "int8", [0.0371], [-11]), T(shape, "float32")]
    return tiny_model(tensors, tflite.BuiltinOperator.DEQUANTIZE, [0], [1], None)


SYNTHETIC: dict[str, Callable[[], bytes]] = {
    "conv_s8_stride_dilation_relu6": lambda: _conv_case(
        "CONV_2D", "int8", (1, 9, 11, 3), 4, (3, 3), (2, 1), (2, 2), "SAME", "RELU6"),
    "conv_s8_valid_relu": lambda: _conv_case(
        "CONV_2D", "int8", (1, 8, 8, 2), 3, (2, 3), (1, 2), (1, 1), "VALID", "RELU"),
    "depthwise_s8_multiplier2_stride2_relu6": lambda: _conv_case(
        "DEPTHWISE_CONV_2D", "int8", (1, 7, 8, 3), 0, (3, 3), (2, 2), (1, 1), "SAME", "RELU6", 2),
    "depthwise_s8_dilation_valid": lambda: _conv_case(
        "DEPTHWISE_CONV_2D", "int8", (1, 9, 9, 4), 0, (3, 2), (1, 1), (2, 3), "VALID", "NONE"),
    "conv_f32_stride_dilation_relu6": lambda: _conv_case(
        "CONV_2D", "float32", (1, 9, 11, 3), 4, (3, 3), (2, 1), (2, 2), "SAME", "RELU6"),
    "depthwise_f32_multiplier3_relu_n1_to_1": lambda: _conv_case(
        "DEPTHWISE_CONV_2D", "float32", (1, 6, 7, 2), 0, (3, 3), (1, 2), (1, 1), "SAME",
        "RELU_N1_TO_1", 3),
    "max_pool_s8_same": lambda: _pool_case("MAX_POOL_2D", "int8", (1, 9, 9, 4), (3, 3),
                                           (2, 2), "SAME", "NONE"),
    "max_pool_s8_relu6_valid": lambda: _pool_case("MAX_POOL_2D", "int8", (1, 8, 7, 3), (2, 3),
                                                  (2, 1), "VALID", "RELU6"),
    "avg_pool_s8_same_partial_windows": lambda: _pool_case(
        "AVERAGE_POOL_2D", "int8", (1, 7, 5, 3), (3, 2), (2, 2), "SAME", "RELU"),
    "max_pool_f32_same": lambda: _pool_case("MAX_POOL_2D", "float32", (1, 9, 9, 4), (3, 3),
                                            (2, 2), "SAME", "RELU6"),
    "avg_pool_f32_same": lambda: _pool_case("AVERAGE_POOL_2D", "float32", (1, 7, 5, 3), (3, 2),
                                            (2, 2), "SAME", "NONE"),
    "fc_s8_per_tensor_relu": lambda: _fc_case("int8", False, "RELU"),
    "fc_s8_per_channel": lambda: _fc_case("int8", True, "NONE"),
    "fc_f32_relu6": lambda: _fc_case("float32", False, "RELU6"),
    "add_s8_relu": lambda: _add_case("int8", "RELU"),
    "add_f32_relu6": lambda: _add_case("float32", "RELU6"),
    "softmax_s8_rows_beta": lambda: _softmax_case("int8", 0.7),
    "softmax_f32_rows_beta": lambda: _softmax_case("float32", 0.7),
    "quantize_f32_s8": lambda: _convert_case("quantize"),
    "requantize_s8_s8": lambda: _convert_case("requantize"),
    "dequantize_s8_f32": lambda: _convert_case("dequantize"),
}


def _golden() -> Callable[[Graph, Sequence[np.ndarray]], list[np.ndarray]] | None:
    try:
        from harness.golden import GoldenInterpreter
    except Exception:  # not written yet, or broken while someone edits it
        return None
    return lambda graph, inputs: GoldenInterpreter(graph).run(inputs)


@needs_gcc
@needs_litert
@pytest.mark.parametrize("case", sorted(SYNTHETIC))
def test_single_op_against_litert_and_golden(case: str, tmp_path: Path) -> None:
    path = tmp_path / f"{case}.tflite"
    path.write_bytes(SYNTHETIC[case]())
    graph = load_model(path)
    model = generate(graph, tmp_path / "gen")
    outputs, _ = run_host(model, build_host(model), inputs := random_inputs(graph, 20, seed=1))
    want = run_litert(path, inputs, reference_kernels=True)
    if graph.output_tensors()[0].dtype == "int8":
        assert compare(outputs, want).mismatches == 0, compare(outputs, want)
        assert len(np.unique(outputs[0])) > 3, "degenerate case: outputs barely vary"
    else:
        assert compare(outputs, want).ok, compare(outputs, want)
    golden = _golden()
    if golden is not None:
        result = compare(outputs, golden(graph, inputs))
        assert result.mismatches == 0 if graph.output_tensors()[0].dtype == "int8" else result.ok
