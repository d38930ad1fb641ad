"""One-op int8 UNIDIRECTIONAL_SEQUENCE_LSTM models (TFLite's integer 8x8_16 LSTM) built with
LiteRT's object API on seeded random weights, quantized as LiteRT's quantizer writes them:
symmetric per-tensor int8 weights (zero point 0), int32 biases at input_scale * weight_scale,
int16 peephole and layer-norm weights, an int16 cell state at a power-of-two scale (2^-11 by
default: cell values in [-16, 16)), an int8 output state, and the 5 intermediate tensors:
0-3 the gate pre-activations (read by LiteRT only with layer norm; 2^-12 otherwise), 4 the
hidden state o * tanh(c) (its scale and zero point).

    lstm_int8(seed, cifg=..., peephole=..., projection=..., layer_norm=...)
        -> (ModelBuilder, inputs, outputs)
"""
from __future__ import annotations

import numpy as np
from tflite_build import ModelBuilder, options

Example = tuple[ModelBuilder, list[int], list[int]]


def lstm_int8(seed: int, *, steps: int = 4, n_input: int = 5, n_cell: int = 6,
              n_output: int = 6, cifg: bool = False, peephole: bool = False,
              projection: bool = False, layer_norm: bool = False, cell_clip: float = 0.0,
              proj_clip: float = 0.0, cell_log2: int = -11, hidden_zp: int = 0,
              activation: int = 4, intermediates: int = 5) -> Example:
    rng = np.random.default_rng(seed)
    m = ModelBuilder()
    if not projection:
        n_output = n_cell
    x_scale, x_zp = float(rng.uniform(0.02, 0.05)), int(rng.integers(-20, 20))
    h_scale, h_zp = float(rng.uniform(0.006, 0.01)), int(rng.integers(-8, 8))
    hidden_scale = float(rng.uniform(0.005, 0.009)) if projection else h_scale
    if not projection:
        hidden_zp = h_zp      # the hidden state is the output state

    def weights(shape: tuple[int, ...], scale: float) -> int:
        return m.tensor(shape, "int8", scale=scale, zero_point=0,
                        data=rng.integers(-127, 128, shape))

    def bias(n: int, scale: float, spread: int = 3000) -> int:
        return m.tensor((n,), "int32", scale=scale, zero_point=0,
                        data=rng.integers(-spread, spread, n))

    x = m.tensor((1, steps, n_input), "int8", scale=x_scale, zero_point=x_zp)
    w_scales = [float(rng.uniform(0.003, 0.012)) for _ in range(4)]
    r_scales = [float(rng.uniform(0.01, 0.03)) for _ in range(4)]
    skip = [cifg and k == 0 for k in range(4)]
    inputs = [x]
    inputs += [-1 if skip[k] else weights((n_cell, n_input), w_scales[k]) for k in range(4)]
    inputs += [-1 if skip[k] else weights((n_cell, n_output), r_scales[k]) for k in range(4)]
    for k in (0, 1, 3):
        inputs.append(-1 if skip[k] or not peephole else m.tensor(
            (n_cell,), "int16", scale=float(rng.uniform(2e-5, 6e-5)), zero_point=0,
            data=rng.integers(-8000, 8000, n_cell)))
    if layer_norm:      # the gate bias is added after the normalisation, in its units
        inputs += [-1 if skip[k] else bias(n_cell, 1e-7, 3_000_000) for k in range(4)]
    else:
        inputs += [-1 if skip[k] else bias(n_cell, x_scale * w_scales[k]) for k in range(4)]
    if projection:
        p_scale = float(rng.uniform(0.005, 0.015))
        inputs += [weights((n_output, n_cell), p_scale), bias(n_output, hidden_scale * p_scale)]
    else:
        inputs += [-1, -1]
    h = m.tensor((1, n_output), "int8", scale=h_scale, zero_point=h_zp)
    c = m.tensor((1, n_cell), "int16", scale=2.0 ** cell_log2, zero_point=0)
    m.tensors[h].isVariable = m.tensors[c].isVariable = True
    inputs += [h, c]
    for k in range(4):
        inputs.append(-1 if skip[k] or not layer_norm else m.tensor(
            (n_cell,), "int16", scale=float(rng.uniform(1e-4, 3e-4)), zero_point=0,
            data=rng.integers(2000, 12000, n_cell)))
    inter = [m.tensor((1, n_cell), "int16", scale=float(rng.uniform(5e-4, 2e-3))
                      if layer_norm else 2.0 ** -12, zero_point=0) for _ in range(4)]
    inter.append(m.tensor((1, n_cell), "int8", scale=hidden_scale, zero_point=hidden_zp))
    out = m.tensor((1, steps, n_output), "int8", scale=h_scale, zero_point=h_zp)
    m.op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [out],
         options("UnidirectionalSequenceLSTM", fusedActivationFunction=activation,
                 cellClip=cell_clip, projClip=proj_clip, timeMajor=False))
    m.ops[-1].intermediates = inter[:intermediates]
    return m, [x], [out]
