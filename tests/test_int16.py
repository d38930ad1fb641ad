"""int16x8 quantization (int16 activations, int8 weights, int64 biases): one-op models of
tests/int16_models.py and two small nets that hold every int16 op between them (net16, mix16),
golden vs LiteRT BUILTIN_REF bit for bit, the generated C on the host vs golden bit for bit,
the two nets and two edge cases on the Cortex-M4 ISS and the nets on the RV32 ISS (whose
armv7em and rvx kernel sets keep the portable int16 kernels), and the models the importer
must refuse."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from int16_models import EXAMPLES16, example16, mix16, net16
from tflite_build import ModelBuilder, options

from harness.bench import bench_model
from harness.errors import ModelFormatError, UnsupportedOpError
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.inputs import random_inputs
from harness.litert_ref import litert_unavailable, run_litert
from harness.lower import AddParams, lower_op

pytest.importorskip("ai_edge_litert.schema_py_generated")
needs_litert = pytest.mark.skipif(litert_unavailable() is not None,
                                  reason=litert_unavailable() or "")
SAMPLES = 64


def _save(tmp_path: Path, name: str, built: tuple) -> Path:  # type: ignore[type-arg]
    m, ins, outs = built
    return m.save(tmp_path / f"{name.replace(':', '_')}.tflite", ins, outs)


def _golden_equals_litert(path: Path, seed: int) -> np.ndarray:
    graph = load_model(path)
    inputs = random_inputs(graph, SAMPLES, seed=seed)
    golden = GoldenInterpreter(graph).run(inputs)
    reference = run_litert(path, inputs)
    for got, want in zip(golden, reference):
        assert got.dtype == want.dtype and got.shape == want.shape
        bad = np.count_nonzero(got != want)
        assert bad == 0, f"{bad} of {got.size} values differ"
    return reference[0]


@needs_litert
@pytest.mark.parametrize("name", list(EXAMPLES16))
def test_int16_builtin_code_only_model_imports_as_its_op(name: str, tmp_path: Path) -> None:
    """Each int16x8 example written with its op code only in `builtin_code` (the deprecated
    field 0 reads as ADD) imports as that op and agrees with LiteRT bit for bit."""
    m, ins, outs = example16(name, 0)
    path = m.save(tmp_path / f"{name.replace(':', '_')}.tflite", ins, outs,
                  builtin_code_only=True)
    assert [op.kind for op in load_model(path).ops] == [name.split(":")[0]]
    _golden_equals_litert(path, 0)


@needs_litert
@pytest.mark.parametrize("name", list(EXAMPLES16))
def test_int16_golden_bit_exact_with_litert(name: str, tmp_path: Path) -> None:
    for seed in range(3):
        want = _golden_equals_litert(_save(tmp_path, f"{name}_{seed}", example16(name, seed)),
                                     seed)
        if want.dtype == np.int16:   # the outputs really spread over the int16 range
            assert np.std(want.astype(np.float64)) > 300
            if name.split(":")[0] not in ("LOGISTIC", "TANH"):   # these saturate by nature
                assert np.mean(np.abs(want.astype(np.int32)) >= 32767) < 0.3


@needs_litert
@pytest.mark.parametrize("name", ["LOGISTIC", "LOGISTIC:pot", "TANH", "TANH:pot11"])
def test_int16_table_ops_over_the_whole_int16_range(name: str, tmp_path: Path) -> None:
    """Every int16 input value once: every entry of the sigmoid table and the saturation."""
    path = _save(tmp_path, name, example16(name, seed=0))
    graph = load_model(path)
    values = np.arange(-32768, 32768, dtype=np.int16)
    per_sample = graph.input_tensors()[0].size
    values = np.concatenate([values, np.zeros(-values.size % per_sample, np.int16)])
    x = [values.reshape(-1, *graph.input_tensors()[0].shape[1:])]
    got, want = GoldenInterpreter(graph).run(x)[0], run_litert(path, x)[0]
    assert np.count_nonzero(got != want) == 0


def _host_bit_exact(path: Path, n: int = 24) -> None:
    result = bench_model(path, "host", n_inputs=n, seed=4)
    c = result.comparison
    assert c.bit_exact and c.mismatches == 0, f"{c.mismatches} values differ from golden"
    assert result.measurement.extra["reference_agreement"] in ("bit-exact", "unavailable")


@pytest.mark.parametrize("name", list(EXAMPLES16))
def test_int16_host_bit_exact_with_golden(name: str, tmp_path: Path) -> None:
    _host_bit_exact(_save(tmp_path, name, example16(name, seed=5)))


NETS = {"net16": net16, "mix16": mix16}


@needs_litert
@pytest.mark.parametrize("name", list(NETS))
def test_int16_net_end_to_end(name: str, tmp_path: Path) -> None:
    path = _save(tmp_path, name, NETS[name](seed=3))
    want = _golden_equals_litert(path, seed=3)
    assert np.unique(want).size > 20   # not a saturated constant
    _host_bit_exact(path)


ON_MCU = [("cortex-m4-iss", n) for n in ("net16", "mix16", "CONV_2D:same", "FULLY_CONNECTED:pc")]
ON_MCU += [("rv32-iss", n) for n in ("net16", "mix16")]


@pytest.mark.sim
@pytest.mark.parametrize("target,name", ON_MCU)
def test_int16_on_mcu_simulators(target: str, name: str, tmp_path: Path) -> None:
    """The portable int16 kernels on the MCU firmware path: the Cortex-M4 ISS (armv7em kernel
    set) and the RV32 ISS (rvx kernel set) keep them beside their own int8 kernels."""
    from harness.backends import backend_for
    from harness.targets import load_target
    reason = backend_for(load_target(target)).available()
    if reason:
        pytest.skip(reason)
    built = NETS[name](seed=3) if name in NETS else example16(name, seed=6)
    result = bench_model(_save(tmp_path, name, built), target, n_inputs=3, seed=2)
    c = result.comparison
    assert c.bit_exact and c.mismatches == 0, f"{c.mismatches} values differ"
    assert result.measurement.extra["reference_agreement"] == "bit-exact"
    assert result.measurement.metrics["instructions_per_inference"].value > 0


def _tiny16(tmp_path: Path, name: str, bias_dtype: str = "int64", zero_point: int = 0,
            pot: bool | None = None) -> Path:
    """A 4-input int16 FULLY_CONNECTED (or, with `pot` set, an ADD with that option)."""
    m = ModelBuilder()
    x = m.tensor((1, 4), "int16", scale=1e-3, zero_point=zero_point)
    if pot is None:
        w = m.tensor((3, 4), "int8", scale=0.01, zero_point=0, data=np.ones((3, 4)))
        b = m.tensor((3,), bias_dtype, scale=1e-5, zero_point=0, data=np.arange(3))
        out = m.tensor((1, 3), "int16", scale=1e-3, zero_point=0)
        m.op("FULLY_CONNECTED", [x, w, b], [out], options("FullyConnected"))
    else:
        out = m.tensor((1, 4), "int16", scale=2e-3, zero_point=0)
        m.op("ADD", [x, x], [out], options("Add", potScaleInt16=pot))
    return m.save(tmp_path / f"{name}.tflite", [x], [out])


def test_int16_int32_bias_is_refused(tmp_path: Path) -> None:
    """LiteRT 2.3.0 loads it but reads the int32 values as int64: refused with a clear line."""
    with pytest.raises(UnsupportedOpError, match="int32 bias"):
        load_model(_tiny16(tmp_path, "b32", bias_dtype="int32"))


def test_int16_nonzero_zero_point_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError, match="zero point 5"):
        load_model(_tiny16(tmp_path, "zp", zero_point=5))


@needs_litert
def test_int16_pot_add_without_power_of_two_scales_takes_the_general_path(tmp_path: Path
                                                                         ) -> None:
    """pot_scale_int16 with scales 1e-3 / 2e-3: LiteRT computes the general rescaling."""
    path = _tiny16(tmp_path, "pot", pot=True)
    assert isinstance(lower_op(load_model(path), load_model(path).ops[0]), AddParams)
    _golden_equals_litert(path, seed=1)


def test_int16_pot_add_with_two_shifted_inputs_is_refused(tmp_path: Path) -> None:
    """Power-of-two scales where both inputs need a shift: LiteRT fails to prepare it."""
    m = ModelBuilder()
    a, b, out = (m.tensor((1, 4), "int16", scale=s, zero_point=0)
                 for s in (2.0 ** -13, 2.0 ** -13, 2.0 ** -12))
    m.op("ADD", [a, b], [out], options("Add", potScaleInt16=True))
    with pytest.raises(ModelFormatError, match="output's scale"):
        load_model(m.save(tmp_path / "pot2.tflite", [a, b], [out]))


def _conv16(tmp_path: Path, out_scale: float, bias: int) -> Path:
    m = ModelBuilder()
    x = m.tensor((1, 3, 3, 2), "int16", scale=1e-3, zero_point=0)
    w = m.tensor((2, 1, 1, 2), "int8", scale=[0.01, 0.02], zero_point=[0, 0], data=np.ones((2, 1, 1, 2)))
    b = m.tensor((2,), "int64", scale=[1e-5, 2e-5], zero_point=[0, 0], data=np.array([bias, 0]))
    out = m.tensor((1, 3, 3, 2), "int16", scale=out_scale, zero_point=0)
    m.op("CONV_2D", [x, w, b], [out], options("Conv2D", strideH=1, strideW=1, padding=1,
                                              dilationHFactor=1, dilationWFactor=1))
    return m.save(tmp_path / f"conv_{out_scale}_{bias}.tflite", [x], [out])


def test_int16_conv_requantization_out_of_range_is_refused(tmp_path: Path) -> None:
    """Rescales LiteRT's int64 MultiplyByQuantizedMultiplier cannot do (shift >= 8, sums near
    2^47): one clear line instead of undefined shifts."""
    assert load_model(_conv16(tmp_path, 1e-4, 1000)).ops[0].kind == "CONV_2D"
    with pytest.raises(ModelFormatError, match="beyond the int16x8 range"):
        load_model(_conv16(tmp_path, 1e-10, 0))
    with pytest.raises(ModelFormatError, match="int64 bias"):
        load_model(_conv16(tmp_path, 1e-4, 1 << 45))


def test_int16_output_printed_dequantized_by_streaming_firmware(tmp_path: Path) -> None:
    """hb_results.c (MLPerf Tiny streaming) prints an int16 output dequantised, one value per
    element, and compiles."""
    import shutil
    import subprocess

    from harness.codegen import generate
    from harness.firmware import results_source

    graph = load_model(_save(tmp_path, "fc", example16("FULLY_CONNECTED", seed=1)))
    source = results_source(generate(graph, tmp_path / "gen"))
    assert "int16_t const *" in source and "i < 6u" in source   # 6 int16 outputs, not 12 bytes
    (tmp_path / "hb_board.h").write_text("#include <stdint.h>\nvoid hb_uart_putc(char c);\n"
                                         "void hb_put_u32(uint32_t value);\n")
    (tmp_path / "hb_results.c").write_text(source)
    if shutil.which("gcc"):
        subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                        f"-I{tmp_path}", str(tmp_path / "hb_results.c")], check=True)
