"""RESHAPE takes its shape as LiteRT does (the shape input when it is an int32 vector, else
ReshapeOptions.new_shape; absent or the legacy [0]: a scalar), and LiteRT runs in a child
process for the reference check and the fuzzer, so a model that crashes it cannot crash
hilbench. Every case: hilbench refuses exactly when LiteRT refuses (or crashes), and otherwise
both give the same output shape."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from tflite_build import ModelBuilder, options

from harness.errors import HilbenchError
from harness.importers import load_tflite
from harness.litert_child import LiteRTFailed, run_litert_isolated
from harness.litert_ref import litert_unavailable
from harness.reference_check import check_reference

pytestmark = pytest.mark.skipif(litert_unavailable() is not None,
                                reason=litert_unavailable() or "")

Second = Callable[[ModelBuilder], int] | None

# name: (shape input, ReshapeOptions.new_shape, stored output shape, shape LiteRT gives or None)
CASES: dict[str, tuple[Second, tuple[int, ...] | None, tuple[int, ...], tuple[int, ...] | None]] = {
    "one input, no options": (None, None, (1, 12), None),
    "one input, new_shape": (None, (1, 12), (1, 12), (1, 12)),
    "one input, new_shape with -1": (None, (1, -1), (1, 12), (1, 12)),
    "one input, legacy [0]": (None, (0,), (1, 12), None),
    "int32 shape": (lambda m: m.const([1, 12]), None, (1, 12), (1, 12)),
    "int32 shape wins over options": (lambda m: m.const([1, 12]), (2, 6), (1, 12), (1, 12)),
    "int64 shape, new_shape": (lambda m: m.const([1, 12], "int64"), (1, 12), (1, 12), (1, 12)),
    "int64 shape, no options": (lambda m: m.const([1, 12], "int64"), None, (1, 12), None),
    "2-D shape, no options": (lambda m: m.const([[1, 12]]), None, (1, 12), None),
    "empty shape vector": (lambda m: m.const(np.zeros((0,), np.int32)), (1, 12), (1, 12), None),
    "shape slot -1 (LiteRT crashes)": (lambda m: -1, (1, 12), (1, 12), None),
}


def _model(tmp_path: Path, name: str, second: Second, new_shape: Any,
           out_shape: tuple[int, ...]) -> Path:
    m = ModelBuilder()
    x = m.tensor((1, 3, 4), "int8", scale=0.1, zero_point=0)
    y = m.tensor(out_shape, "int8", scale=0.1, zero_point=0)
    inputs = [x] if second is None else [x, second(m)]
    opt = None if new_shape is None else options("Reshape", newShape=list(new_shape))
    m.op("RESHAPE", inputs, [y], opt)
    return m.save(tmp_path / f"{name.replace(' ', '_')}.tflite", inputs=[x], outputs=[y])


@pytest.mark.parametrize("name", list(CASES))
def test_reshape_shape_as_litert(tmp_path: Path, name: str) -> None:
    second, new_shape, stored, litert_shape = CASES[name]
    path = _model(tmp_path, name, second, new_shape, stored)
    x = np.arange(12, dtype=np.int8).reshape(1, 3, 4)
    try:
        litert: tuple[int, ...] | None = run_litert_isolated(path, [x])[0].shape
    except LiteRTFailed:
        litert = None
    # LiteRT's answer is (1, *shape[1:]) for one sample of a batch-1 model
    assert litert == (None if litert_shape is None else (1, *litert_shape[1:])), litert
    if litert_shape is None:
        with pytest.raises(HilbenchError) as err:
            load_tflite(path)
        assert "RESHAPE" in str(err.value) and len(str(err.value)) < 200
    else:
        g = load_tflite(path)
        assert g.tensor(g.ops[0].outputs[0]).shape == litert_shape


def test_litert_crash_is_one_line_not_a_crash(tmp_path: Path) -> None:
    path = _model(tmp_path, "crash", lambda m: -1, (1, 12), (1, 12))
    x = np.zeros((2, 3, 4), np.int8)
    with pytest.raises(LiteRTFailed, match=r"LiteRT crashed \(SIGSEGV\)"):
        run_litert_isolated(path, [x])
    agreement = check_reference(path, [x], [np.zeros((2, 12), np.int8)])
    assert agreement.status == "unavailable"
    assert "crashed (SIGSEGV)" in agreement.detail and "\n" not in agreement.detail


def test_isolated_equals_in_process(tmp_path: Path) -> None:
    from harness.litert_ref import run_litert
    path = _model(tmp_path, "ok", lambda m: m.const([1, 12]), None, (1, 12))
    x = np.random.default_rng(0).integers(-128, 128, (5, 3, 4)).astype(np.int8)
    a, b = run_litert_isolated(path, [x]), run_litert(path, [x])
    assert len(a) == len(b) == 1 and a[0].dtype == b[0].dtype and np.array_equal(a[0], b[0])
