"""LiteRT (ai-edge-litert) as an independent reference: run a .tflite file sample by sample.

With reference_kernels=True the interpreter uses OpResolverType.BUILTIN_REF, TFLite's plain C++
reference kernels, which the golden interpreter reproduces bit for bit on int8 graphs; the
default optimized kernels (XNNPACK, ruy) may round differently and are only useful for speed
comparisons. Samples run one at a time at the model's own batch size of 1, so models with
fixed-shape RESHAPEs work unchanged. Variable tensors (SVDF / LSTM state) are reset before
every sample: each sample is its own inference, as in the golden interpreter and the C.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from .errors import TargetUnavailableError

__all__ = ["litert_unavailable", "run_litert", "run_litert_tensors"]

REMEDY = "pip install ai-edge-litert"


def litert_unavailable() -> str | None:
    """None when LiteRT can be imported, else why not and how to fix it."""
    try:
        from ai_edge_litert import interpreter  # noqa: F401
    except Exception as exc:  # ImportError, or a broken native library
        return f"LiteRT is not usable ({type(exc).__name__}: {exc}); install it with `{REMEDY}`"
    return None


def _interpreter(model_path: str | Path, reference_kernels: bool, num_threads: int,
                 preserve_all_tensors: bool = False) -> Any:
    reason = litert_unavailable()
    if reason is not None:
        raise TargetUnavailableError(reason)
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = OpResolverType.BUILTIN_REF if reference_kernels else OpResolverType.AUTO
    interp = Interpreter(
        model_path=str(model_path),
        num_threads=num_threads,
        experimental_op_resolver_type=resolver,
        experimental_preserve_all_tensors=preserve_all_tensors,
    )
    interp.allocate_tensors()
    return interp


def _check_inputs(interp: Any, inputs: Sequence[np.ndarray]) -> int:
    details = interp.get_input_details()
    if len(inputs) != len(details):
        raise ValueError(f"expected {len(details)} input array(s), got {len(inputs)}")
    batch = None
    for k, (d, x) in enumerate(zip(details, inputs)):
        want = (tuple(d["shape"][1:]), np.dtype(d["dtype"]))
        if tuple(x.shape[1:]) != want[0] or x.dtype != want[1]:
            raise ValueError(
                f"input {k} '{d['name']}': expected (N, {', '.join(map(str, want[0]))}) "
                f"{want[1]}, got {x.shape} {x.dtype}"
            )
        if batch is not None and x.shape[0] != batch:
            raise ValueError(f"input {k}: {x.shape[0]} samples, earlier inputs have {batch}")
        batch = x.shape[0]
    return int(batch or 0)


def _invoke_each(interp: Any, inputs: Sequence[np.ndarray],
                 indices: Iterable[int]) -> list[np.ndarray]:
    """Run every sample; return the listed tensors stacked along a new leading axis."""
    n = _check_inputs(interp, inputs)
    details = interp.get_input_details()
    wanted = list(indices)
    collected: list[list[np.ndarray]] = [[] for _ in wanted]
    for s in range(n):
        for d, x in zip(details, inputs):
            interp.set_tensor(d["index"], x[s:s + 1])
        interp.reset_all_variables()
        interp.invoke()
        for slot, i in enumerate(wanted):
            value = interp.get_tensor(i)
            collected[slot].append(value.reshape(value.shape[1:]) if value.ndim else value)
    return [np.stack(c) for c in collected]


def run_litert(model_path: str | Path, inputs: Sequence[np.ndarray],
               reference_kernels: bool = True, num_threads: int = 1) -> list[np.ndarray]:
    """Run each sample of the batch through LiteRT; outputs batched as (N, *shape[1:])."""
    interp = _interpreter(model_path, reference_kernels, num_threads)
    outputs = [d["index"] for d in interp.get_output_details()]
    return _invoke_each(interp, inputs, outputs)


def run_litert_tensors(model_path: str | Path, inputs: Sequence[np.ndarray],
                       tensor_indices: Sequence[int], reference_kernels: bool = True,
                       num_threads: int = 1) -> dict[int, np.ndarray]:
    """Intermediate tensors too (experimental_preserve_all_tensors), batched, by tensor index.

    The indices are the model's own tensor indices, which the IR keeps, so the result lines
    up with `GoldenInterpreter.run_all` for per-layer comparisons."""
    interp = _interpreter(model_path, reference_kernels, num_threads, preserve_all_tensors=True)
    stacked = _invoke_each(interp, inputs, tensor_indices)
    return dict(zip(tensor_indices, stacked))
