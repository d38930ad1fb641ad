"""One benchmark: a model file on a target, checked against the golden interpreter.

    import -> golden outputs on deterministic inputs -> generate C -> backend build -> run
    -> compare -> Measurement (with every metric's provenance)

The caller decides whether to record the Measurement; nothing here writes to the store, so an
error at any step leaves no row behind.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, cast

from .backends import Artifact, backend_for
from .catalog import ModelInfo, describe, sha256_file
from .codegen import generate
from .compare import Comparison, compare
from .errors import TargetUnavailableError
from .golden import GoldenInterpreter
from .importers import load_model
from .inputs import random_inputs
from .measure import Measurement, Metric
from .targets import Target, load_target

if TYPE_CHECKING:
    from .codegen import GeneratedModel

__all__ = ["BenchResult", "bench_model"]


@dataclass
class BenchResult:
    info: ModelInfo
    measurement: Measurement
    comparison: Comparison
    artifact: Artifact


def bench_model(
    model_path: str | Path,
    target: str | Target,
    *,
    n_inputs: int | None = None,
    seed: int = 0,
    repeats: int = 1,
    progress: Callable[[str], None] | None = None,
) -> BenchResult:
    """Benchmark one model on one target; raises a HilbenchError subclass on any failure.

    `n_inputs` defaults to the target's `default_inputs` (100 unless its YAML sets fewer)."""
    say = progress or (lambda _msg: None)
    model_path = Path(model_path)
    target = target if isinstance(target, Target) else load_target(target)
    backend = backend_for(target)
    reason = backend.available()
    if reason:
        raise TargetUnavailableError(f"target {target.name} is not available: {reason}")
    if n_inputs is None:
        n_inputs = target.default_inputs
    say(f"import {model_path.name}")
    graph = load_model(model_path)
    info = describe(model_path, graph)
    inputs = random_inputs(graph, n_inputs, seed)
    say(f"golden interpreter on {n_inputs} inputs")
    reference = GoldenInterpreter(graph).run(inputs)
    generated = None
    if backend.runs_model_file:         # the board runs the model file itself: no C
        say(f"build for {target.name}")
        artifact = backend.build(cast("GeneratedModel", graph))   # build() reads .source
    else:
        with tempfile.TemporaryDirectory(prefix="hilbench-gen-") as tmp:
            say("generate C")
            generated = generate(graph, Path(tmp), kernels=target.kernels)
            say(f"build for {target.name}")
            artifact = backend.build(generated)
    say(f"run {n_inputs} inputs on {target.name}")
    result = backend.run(artifact, inputs, repeats)
    comparison = compare(result.outputs, reference)
    metrics = {**artifact.metrics, **result.metrics}
    cycles = metrics.get("cycles_per_inference")
    joules = target.joules_per_cycle()
    if cycles is not None and joules is not None:
        metrics["energy_uj_per_inference"] = Metric(
            cycles.value * joules * 1e6, "uJ", "energy-model",
            f"{cycles.provenance} cycles x {joules:.3g} J/cycle from {target.name}/target.yaml")
    if cycles is not None:
        metrics["macs_per_cycle"] = Metric(graph.macs() / cycles.value, "MAC/cycle",
                                           cycles.provenance, "model MACs / cycles")
    measurement = Measurement(
        model=info.workload,
        variant=info.variant,
        target=target.name,
        backend=target.backend,
        model_path=str(model_path),
        model_sha256=sha256_file(model_path),
        n_inputs=n_inputs,
        bit_exact=comparison.bit_exact,
        mismatches=comparison.mismatches,
        max_abs_diff=comparison.max_abs_diff,
        metrics=metrics,
        layers=list(result.layers),
        commands=[list(c.argv) for c in [*artifact.commands, *result.commands]],
        tool_versions=dict(artifact.tool_versions),
        seed=seed,
        extra={
            "macs": graph.macs(),
            "top1_agreement": comparison.top1_agreement,
            "max_diff_quant_steps": comparison.max_diff_quant_steps,
            "within_tolerance": comparison.within_tolerance,
            "build_cache_hit": artifact.cache_hit,
            **({"arena_bytes": generated.arena_bytes, "weights_bytes": generated.weights_bytes}
               if generated is not None else {}),
            **result.extra,
        },
    )
    return BenchResult(info, measurement, comparison, artifact)
