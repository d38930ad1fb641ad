"""Helpers of the compression-technique tests: a tiny digits recipe with the given variants,
built in quick mode in a private cache, and the filters of a .tflite file. Importing it skips
the test module when the compress extra is missing."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

_REASON = "needs the compress extra: pip install -e '.[compress]'"
torch = pytest.importorskip("torch", reason=_REASON)      # the test modules import it from here
pytest.importorskip("litert_torch", reason=_REASON)
pytest.importorskip("torch_pruning", reason=_REASON)

from harness.importers import load_model  # noqa: E402
from harness.litert_ref import litert_unavailable  # noqa: E402
from harness.variants import (  # noqa: E402
    BuiltVariant,
    Recipe,
    VariantFailure,
    build_variants,
    parse_recipe,
)

WEIGHTED = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
PTQ = {"int8-ptq": {"samples": 100}}          # the quantizing step of every test variant
NEEDS_LITERT = pytest.mark.skipif(litert_unavailable() is not None,
                                  reason=litert_unavailable() or "")


def digits_recipe(variants: dict[str, list[dict[str, Any]]]) -> Recipe:
    """The digits CNN (width 8, quick: 10 epochs on scikit-learn's 8x8 digits) and `variants`."""
    return parse_recipe({
        "name": "tech", "dataset": "digits",
        "model": {"name": "digits-cnn", "params": {"width": 8}},
        "train": {"epochs": 20, "batch_size": 32, "lr": 0.01, "quick": {"epochs": 10}},
        "variants": [{"name": n, "techniques": t} for n, t in variants.items()]})


def build_all(recipe: Recipe) -> dict[str, BuiltVariant | VariantFailure]:
    return {b.name: b for b in build_variants(recipe, quick=True)}


@pytest.fixture(scope="module")
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache for one test module: its tests reuse the trained and converted files."""
    cache = tmp_path_factory.mktemp("hilbench-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HILBENCH_CACHE", str(cache))
        yield cache


def filters(path: Path) -> list[tuple[str, np.ndarray]]:
    """(op kind, filter values) of every CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED."""
    graph = load_model(path)
    out = []
    for op in graph.ops:
        if op.kind in WEIGHTED:
            data = graph.tensor(op.inputs[1]).data
            assert data is not None
            out.append((op.kind, np.asarray(data)))
    return out


def out_channels(kind: str, f: np.ndarray) -> int:
    """A filter's output channels (DEPTHWISE_CONV_2D keeps them last: (1, kh, kw, out))."""
    return int(f.shape[-1] if kind == "DEPTHWISE_CONV_2D" else f.shape[0])
