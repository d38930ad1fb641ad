"""One benchmark: a model file on a target, checked against the golden interpreter.

    import -> golden outputs on deterministic inputs -> generate C -> backend build -> run
    -> compare -> Measurement (with every metric's provenance)

The caller decides whether to record the Measurement; nothing here writes to the store, so an
error at any step leaves no row behind.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, cast

import numpy as np

from .backends import Artifact, backend_for
from .catalog import ModelInfo, describe, sha256_file
from .codegen import generate, kernel_sets
from .compare import Comparison, compare
from .errors import HilbenchError, ModelError, RunError, TargetConfigError, TargetUnavailableError
from .golden import GoldenInterpreter
from .importers import load_model
from .inputs import random_inputs
from .ir import Graph
from .measure import Measurement, Metric
from .reference_check import check_reference, skipped
from .targets import Target, load_target

if TYPE_CHECKING:
    from .codegen import GeneratedModel
    from .exits import ExitProgram

__all__ = ["BenchResult", "bench_model", "MAX_INPUT_BYTES", "MAX_REPEATS", "MAX_SEED"]

MAX_INPUT_BYTES = 2 * 1024**3   # the random inputs of one run are held in memory: at most 2 GiB
MAX_REPEATS = 2**31 - 1         # the firmware's `infer N` takes an int32
MAX_SEED = 2**63 - 1            # the results store keeps the seed as a SQLite int64


@dataclass
class BenchResult:
    info: ModelInfo
    measurement: Measurement
    comparison: Comparison
    artifact: Artifact
    outputs: list[np.ndarray]   # the target's own outputs, batched like the inputs
    per_input: dict[str, list[float]] | None = None   # RunResult.per_input (e.g. cycles)


def bench_model(
    model_path: str | Path,
    target: str | Target,
    *,
    n_inputs: int | None = None,
    seed: int = 0,
    repeats: int = 1,
    progress: Callable[[str], None] | None = None,
    inputs: list[np.ndarray] | None = None,
    reference_check: bool = True,
    kernels: str | None = None,
    exits: ExitProgram | None = None,
) -> BenchResult:
    """Benchmark one model on one target; raises a HilbenchError subclass on any failure.

    `inputs` (one batched array per model input, e.g. a data set's test samples) replaces the
    seeded random inputs; otherwise `n_inputs` random inputs are drawn, by default the
    target's `default_inputs` (100 unless its YAML sets fewer). `extra["stage_seconds"]` says
    how long import, golden, generate+build and run took. `reference_check` compares the
    golden outputs with LiteRT BUILTIN_REF (harness.reference_check) and fails on a difference.
    `kernels` overrides the target's kernel set (a folder of harness/codegen/kernels/);
    `extra["kernels"]` records the one used. `exits` (an early-exit program of this model,
    harness.exits) runs it stage by stage on golden and target alike; the full-depth golden
    outputs are what LiteRT is checked against."""
    say = progress or (lambda _msg: None)
    check_run_options(n_inputs, seed, repeats)
    model_path = Path(model_path)
    target = target if isinstance(target, Target) else load_target(target)
    kernels = kernels or target.kernels
    if kernels not in kernel_sets():
        raise TargetConfigError(f"kernel set {kernels!r} is not one of: {', '.join(kernel_sets())}"
                                " (folders of harness/codegen/kernels)")
    backend = backend_for(target)
    reason = backend.available()
    if reason:
        raise TargetUnavailableError(f"target {target.name} is not available: {reason}")
    stages: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[stage] = round(now - clock, 4)
        clock = now

    say(f"import {model_path.name}")
    graph = load_model(model_path)
    info = describe(model_path, graph)
    if inputs is None:
        if n_inputs is None:
            n_inputs = target.default_inputs
        per_sample = sum(int(np.prod(t.shape[1:], dtype=np.int64)) * np.dtype(t.dtype).itemsize
                         for t in graph.input_tensors())
        if n_inputs * per_sample > MAX_INPUT_BYTES:
            raise HilbenchError(
                f"{n_inputs} inputs of {per_sample} bytes each "
                f"({n_inputs * per_sample / 1024**3:.3g} GiB) exceed the limit of "
                f"{MAX_INPUT_BYTES // 1024**3} GiB of inputs per run: use at most "
                f"{MAX_INPUT_BYTES // max(per_sample, 1)} inputs (--inputs) and run again")
        inputs = random_inputs(graph, n_inputs, seed)
    else:
        n_inputs = _check_inputs(graph, inputs, model_path)
    lap("import")
    say(f"golden interpreter on {n_inputs} inputs")
    reference = GoldenInterpreter(graph).run(inputs)
    agreement = skipped("reference check disabled")
    if reference_check:
        say("cross-check with LiteRT BUILTIN_REF")
        agreement = check_reference(model_path, inputs, reference)
    if exits is not None:
        from .exits import run_exits
        say("golden interpreter, stage by stage (early exits)")
        reference = run_exits(exits, inputs)
    lap("golden")   # includes the reference check
    generated = None
    if exits is not None and backend.runs_model_file:
        raise TargetConfigError(f"target {target.name} runs the model file itself; early exits "
                                "need generated C (host, cortex-m4-iss, rv32-nnx, ...)")
    if backend.runs_model_file:         # the board runs the model file itself: no C
        say(f"build for {target.name}")
        artifact = backend.build(cast("GeneratedModel", graph))   # build() reads .source
    else:
        with tempfile.TemporaryDirectory(prefix="hilbench-gen-") as tmp:
            say("generate C")
            generated = generate(graph, Path(tmp), kernels=kernels, exits=exits)
            say(f"build for {target.name}")
            artifact = backend.build(generated)
    lap("build")
    say(f"run {n_inputs} inputs on {target.name}")
    result = backend.run(artifact, inputs, repeats)
    lap("run")
    try:
        comparison = compare(result.outputs, reference)
    except ValueError as exc:  # outputs of another shape or count: not this model's outputs
        raise RunError(f"{target.name}: the outputs do not match the model's: {exc}") from None
    metrics = {**artifact.metrics, **result.metrics}
    cycles = metrics.get("cycles_per_inference")
    joules = target.joules_per_cycle()
    if cycles is not None and joules is not None:
        metrics["energy_uj_per_inference"] = Metric(
            cycles.value * joules * 1e6, "uJ", "energy-model",
            f"{cycles.provenance} cycles x {joules:.3g} J/cycle from {target.name}/target.yaml")
    if cycles is not None and cycles.value > 0:
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
            **({"arena_bytes": generated.arena_bytes, "weights_bytes": generated.weights_bytes,
                "kernels": kernels} if generated is not None else {}),
            "stage_seconds": stages,
            **agreement.as_extra(),
            **result.extra,
        },
    )
    return BenchResult(info, measurement, comparison, artifact, result.outputs,
                       dict(result.per_input))


def _check_inputs(graph: Graph, inputs: list[np.ndarray], model_path: Path) -> int:
    """The sample count of caller-given inputs, after checking them against the model's inputs."""
    specs = graph.input_tensors()
    if len(inputs) != len(specs) or not inputs:
        raise ModelError(f"{model_path.name} takes {len(specs)} input(s), {len(inputs)} given")
    n = int(inputs[0].shape[0]) if inputs[0].ndim else 0
    for array, t in zip(inputs, specs):
        want = (n, *t.shape[1:])
        if tuple(array.shape) != want or array.dtype != np.dtype(t.dtype):
            raise ModelError(
                f"{model_path.name}: input '{t.name}' needs {t.dtype} samples shaped {want}, "
                f"got {array.dtype} {tuple(array.shape)}")
    if n < 1:
        raise ModelError(f"{model_path.name}: no input samples given")
    return n


def check_run_options(n_inputs: int | None, seed: int, repeats: int) -> None:
    """HilbenchError unless the input count, seed and repeats are usable (before any work)."""
    for what, value, low, high in (("the number of inputs", n_inputs, 1, None),
                                   ("the seed", seed, 0, MAX_SEED),
                                   ("repeats", repeats, 1, MAX_REPEATS)):
        if value is None and high is None:
            continue
        if (isinstance(value, bool) or not isinstance(value, int) or value < low
                or (high is not None and value > high)):
            bound = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise HilbenchError(f"{what} must be an integer {bound}, got {value!r}")
