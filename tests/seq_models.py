"""One-op SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM models built with LiteRT's object API on seeded
random weights; their state operands are variable tensors (no data, the empty buffer 0).

    svdf(dtype, seed, rank=1, ...) / lstm(seed, cifg=..., peephole=..., projection=...)
        -> (ModelBuilder, inputs, outputs)
"""
from __future__ import annotations

import numpy as np
from tflite_build import ModelBuilder, options

Example = tuple[ModelBuilder, list[int], list[int]]


def _variable(m: ModelBuilder, shape: tuple[int, ...], dtype: str, **quant: float) -> int:
    t = m.tensor(shape, dtype, **quant)  # type: ignore[arg-type]
    m.tensors[t].isVariable = True
    return t


def svdf(dtype: str, seed: int, *, rank: int = 1, n_input: int = 10, n_unit: int = 4,
         n_memory: int = 5, activation: int = 1, bias: bool = True) -> Example:
    """SVDF; int8: int8 features, int16 time weights and state, int32 bias (activation RELU,
    which LiteRT requires of int8)."""
    rng = np.random.default_rng(seed)
    m = ModelBuilder()
    n_filter = n_unit * rank
    if dtype == "float32":
        x = m.tensor((1, n_input), "float32")
        wf = m.tensor((n_filter, n_input), "float32",
                      data=rng.normal(0, 0.4, (n_filter, n_input)))
        wt = m.tensor((n_filter, n_memory), "float32",
                      data=rng.normal(0, 0.4, (n_filter, n_memory)))
        b = m.tensor((n_unit,), "float32", data=rng.normal(0, 0.2, n_unit)) if bias else -1
        state = _variable(m, (1, n_filter * n_memory), "float32")
        out = m.tensor((1, n_unit), "float32")
    else:
        in_scale = float(rng.uniform(0.02, 0.06))
        x = m.tensor((1, n_input), "int8", scale=in_scale, zero_point=int(rng.integers(-10, 10)))
        wf = m.tensor((n_filter, n_input), "int8", scale=float(rng.uniform(0.005, 0.02)),
                      zero_point=0, data=rng.integers(-127, 128, (n_filter, n_input)))
        wt = m.tensor((n_filter, n_memory), "int16", scale=float(rng.uniform(1e-4, 5e-4)),
                      zero_point=0, data=rng.integers(-3000, 3000, (n_filter, n_memory)))
        b = (m.tensor((n_unit,), "int32", scale=1e-6, zero_point=0,
                      data=rng.integers(-20000, 20000, n_unit)) if bias else -1)
        state = _variable(m, (1, n_filter * n_memory), "int16",
                          scale=float(rng.uniform(0.002, 0.006)), zero_point=0)
        out = m.tensor((1, n_unit), "int8", scale=float(rng.uniform(0.01, 0.03)),
                       zero_point=int(rng.integers(-10, 10)))
    m.op("SVDF", [x, wf, wt, b, state], [out],
         options("SVDF", rank=rank, fusedActivationFunction=activation))
    return m, [x], [out]


def lstm(seed: int, *, steps: int = 4, n_input: int = 5, n_cell: int = 6, n_output: int = 6,
         cifg: bool = False, peephole: bool = False, projection: bool = False,
         cell_clip: float = 0.0, proj_clip: float = 0.0, activation: int = 4) -> Example:
    """float32 UNIDIRECTIONAL_SEQUENCE_LSTM, batch-major [1, steps, n_input] (24 inputs)."""
    rng = np.random.default_rng(seed)
    m = ModelBuilder()
    if not projection:
        n_output = n_cell

    def const(shape: tuple[int, ...], spread: float = 0.5) -> int:
        return m.tensor(shape, "float32", data=rng.normal(0, spread, shape))

    x = m.tensor((1, steps, n_input), "float32")
    inputs = [x]
    inputs += [-1 if cifg and k == 0 else const((n_cell, n_input)) for k in range(4)]
    inputs += [-1 if cifg and k == 0 else const((n_cell, n_output)) for k in range(4)]
    inputs += [-1 if (cifg and k == 0) or not peephole else const((n_cell,)) for k in range(3)]
    inputs += [-1 if cifg and k == 0 else const((n_cell,), 0.2) for k in range(4)]
    inputs += [const((n_output, n_cell)), const((n_output,), 0.1)] if projection else [-1, -1]
    inputs += [_variable(m, (1, n_output), "float32"), _variable(m, (1, n_cell), "float32")]
    inputs += [-1] * 4
    out = m.tensor((1, steps, n_output), "float32")
    m.op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [out],
         options("UnidirectionalSequenceLSTM", fusedActivationFunction=activation,
                 cellClip=cell_clip, projClip=proj_clip, timeMajor=False))
    return m, [x], [out]
