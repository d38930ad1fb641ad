"""A converted variant against LiteRT's reference kernels before it is handed on.

The file must import (`harness.importers.load_model`: only ops hilbench runs), and the golden
interpreter must agree with LiteRT's BUILTIN_REF kernels on real samples of the data set plus
random inputs: bit for bit on int8 models, within the float tolerance (and same top-1) on
float models. Any failure is a `ModelError` naming the variant and what differed.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..compare import compare
from ..errors import ModelError
from ..golden import GoldenInterpreter
from ..importers import load_model
from ..inputs import model_inputs, random_inputs
from ..ir import Graph
from ..litert_ref import run_litert

__all__ = ["CheckResult", "check_against_litert"]


@dataclass(frozen=True)
class CheckResult:
    samples: int
    bit_exact: bool
    max_abs_diff: float


def check_against_litert(path: Path, x: np.ndarray, variant: str,
                         random: int = 16, seed: int = 0) -> tuple[Graph, CheckResult]:
    """Import `path` and compare golden vs LiteRT on samples `x` (float) and random inputs."""
    try:
        graph = load_model(path)
    except ModelError as exc:
        raise ModelError(f"variant {variant}: the converted model does not import: {exc}") from None
    real = model_inputs(graph, x)
    rand = random_inputs(graph, random, seed=seed)
    inputs = [np.concatenate([a, b]) for a, b in zip(real, rand)]
    golden = GoldenInterpreter(graph).run(inputs)
    reference = run_litert(path, inputs, reference_kernels=True)
    result = compare(golden, reference)
    if not result.ok:
        kind = "bit-exact" if graph.dtype == "int8" else "within tolerance"
        raise ModelError(
            f"variant {variant}: golden interpreter and LiteRT reference kernels disagree "
            f"({result.mismatches} values differ, max |diff| {result.max_abs_diff:.6g}, top-1 "
            f"agreement {result.top1_agreement:.3f}); expected {kind}: {path}")
    n = inputs[0].shape[0]
    return graph, CheckResult(n, result.bit_exact, result.max_abs_diff)
