"""Shared fixtures of the harness's own tests."""
from __future__ import annotations

from pathlib import Path

import pytest
import tflite
from hb_testutil import model_path, with_opcode


@pytest.fixture
def unsupported_op_model(tmp_path: Path) -> Path:
    """ad01_int8 with its FULLY_CONNECTED ops turned into LOG_SOFTMAX (unsupported)."""
    return with_opcode(model_path("ad01_int8"), tmp_path / "logsoftmax_model.tflite",
                       tflite.BuiltinOperator.LOG_SOFTMAX)


@pytest.fixture
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private build cache for tests that check cache behaviour."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("HILBENCH_CACHE", str(cache))
    return cache
