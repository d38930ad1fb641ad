"""SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM: the stateful sequence ops of keyword-spotting and
audio models.

Their state inputs are variable tensors that the interpreter resets at the start of every
inference (golden.py); the kernels here read that state, update a private copy as LiteRT does
and return the op's output (no later op reads the state: the importer's contract).

SVDF follows reference_ops::EvalFloatSVDF / EvalIntegerSVDF (LiteRT 2.x): shift the state
one step left, write the feature projection of the input into its newest column, take the dot
product of every filter's memory with its time weights, sum the `rank` filters of each unit,
add the bias, then the activation (float) or the rescale to int8 (int8: no activation).
    float: scratch[f] = 0 + sum_c wf[f, c] * x[c]         (float32, matvec_accumulate order)
           time[f]    = sum_m wt[f, m] * state[f, m]      (float32, the same order)
           out[u]     = (sum_r time[u * rank + r]) + bias[u], then the clamp
    int8:  state[f, -1] = clamp_int16(MBQM(sum_c wf[f, c] * (x[c] - x_zp), m1, s1))
           out[u] = clamp_int8(MBQM(sum_r sum_m wt * state + bias[u], m2, s2) + out_zp)

The float32 LSTM follows lstm_eval.cc's LstmStepFloat for each time step: every gate starts
from its bias, accumulates W x and R h (matvec_accumulate order), the peephole term, then
sigmoid (gates) or the cell activation; c = f * c + g * i (i = 1 - f in a CIFG LSTM),
clipped; h = o * act(c), projected and clipped. Here sigmoid is 1 / (1 + exp(-x)) and tanh
correctly rounded; LiteRT takes both from Eigen's vectorised approximations (about 1 ulp
apart), the C from libm: the LSTM agrees within the float tolerance, not bit for bit.
"""
from __future__ import annotations

import numpy as np

from .. import fixedpoint as fp
from ..ir import Graph, Op
from ..lower import OpParams
from ..op_params import LstmInt8Params, LstmParams, SvdfParams
from .common import KernelArgs
from .lstm_int8 import lstm_int8

__all__ = ["svdf", "unidirectional_sequence_lstm", "matvec_accumulate"]


def matvec_accumulate(result: np.ndarray, w: np.ndarray, v: np.ndarray) -> np.ndarray:
    """result + w @ v per sample, in float32, in the order of LiteRT's x86/Arm builds
    (NeonMatrixBatchVectorMultiplyAccumulate, also what its SSE build runs): four lane sums
    over the columns below the last multiple of 4 (lane j takes columns j, j+4, ...), added
    lane 0 to 3 and then to result; each remaining column's product is added to result."""
    rows, cols = w.shape
    body = cols - cols % 4
    wf = w.astype(np.float32)
    lanes = np.zeros((v.shape[0], rows, 4), dtype=np.float32)
    for c in range(body):
        lanes[:, :, c % 4] += v[:, c:c + 1] * wf[:, c]
    total = ((lanes[:, :, 0] + lanes[:, :, 1]) + lanes[:, :, 2]) + lanes[:, :, 3]
    out = (result + total).astype(np.float32)
    for c in range(body, cols):
        out += v[:, c:c + 1] * wf[:, c]
    return out


def svdf(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """SVDF on a batch of independent inferences (each from its own state)."""
    assert isinstance(params, SvdfParams)
    x, wf, wt, bias, state0 = args
    assert x is not None and wf is not None and wt is not None and state0 is not None
    n = x.shape[0]
    n_filter, n_memory = wt.shape
    n_unit = n_filter // params.rank
    state = np.array(state0.reshape(n, n_filter, n_memory))
    state[:, :, :-1] = state[:, :, 1:].copy()
    if x.dtype == np.float32:
        state[:, :, -1] = matvec_accumulate(np.zeros((n, n_filter), np.float32), wf, x)
        time = np.zeros((n, n_filter), dtype=np.float32)
        for f in range(n_filter):   # VectorVectorDotProduct: the same lane order
            time[:, f:f + 1] = matvec_accumulate(np.zeros((n, 1), np.float32), wt[f:f + 1],
                                                 state[:, f, :])
        out = np.zeros((n, n_unit), dtype=np.float32)
        for r in range(params.rank):
            out += time[:, r::params.rank]
        if bias is not None:
            out += bias.astype(np.float32)
        return _activate(out, op.attrs["activation"])
    rows = x.astype(np.int64) + params.input_offset
    dot = fp.wrap_int32(rows @ wf.astype(np.int64).T)
    scaled = fp.multiply_by_quantized_multiplier(dot, params.feature_multiplier,
                                                 params.feature_shift)
    state[:, :, -1] = np.clip(scaled, -32768, 32767)
    time = fp.wrap_int32(np.einsum("fm,nfm->nf", wt.astype(np.int64), state.astype(np.int64)))
    total = time.reshape(n, n_unit, params.rank).sum(axis=2)
    if bias is not None:
        total = total + bias.astype(np.int64)
    total = fp.wrap_int32(total)
    out = fp.multiply_by_quantized_multiplier(total, params.time_multiplier, params.time_shift)
    return np.clip(out + params.output_offset, -128, 127).astype(np.int8)


def _sigmoid(v: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        e = np.exp(-v.astype(np.float64)).astype(np.float32)
    return (np.float32(1.0) / (np.float32(1.0) + e)).astype(np.float32)


def _activate(v: np.ndarray, activation: str) -> np.ndarray:
    if activation == "TANH":
        return np.tanh(v.astype(np.float64)).astype(np.float32)
    bounds = {"NONE": None, "RELU": (0.0, None), "RELU6": (0.0, 6.0),
              "RELU_N1_TO_1": (-1.0, 1.0)}[activation]
    if bounds is None:
        return v
    lo, hi = bounds
    out = np.maximum(v, np.float32(lo))
    return np.minimum(out, np.float32(hi)) if hi is not None else out


# gate (0 input, 1 forget, 2 cell, 3 output) -> its peephole operand
_PEEPHOLE = {0: 9, 1: 10, 3: 11}


def unidirectional_sequence_lstm(graph: Graph, op: Op, params: OpParams,
                                 args: KernelArgs) -> np.ndarray:
    """float32 LSTM over the time axis of a batch of independent sequences (int8:
    lstm_int8.py)."""
    if isinstance(params, LstmInt8Params):
        return lstm_int8(graph, op, params, args)
    assert isinstance(params, LstmParams)
    x = args[0]
    h0, c0 = args[18], args[19]
    assert x is not None and h0 is not None and c0 is not None
    h, c = np.array(h0, dtype=np.float32), np.array(c0, dtype=np.float32)
    steps = x.shape[1]
    outputs = []

    def gate(k: int, xt: np.ndarray, activation: str) -> np.ndarray:
        bias, w, r = args[12 + k], args[1 + k], args[5 + k]
        assert bias is not None and w is not None and r is not None
        g = np.broadcast_to(bias.astype(np.float32), (xt.shape[0], bias.shape[0])).copy()
        g = matvec_accumulate(g, w, xt)
        g = matvec_accumulate(g, r, h)
        peephole = args[_PEEPHOLE[k]] if params.peephole and k in _PEEPHOLE else None
        if peephole is not None:
            g += peephole.astype(np.float32) * c
        return _sigmoid(g) if activation == "SIGMOID" else _activate(g, activation)

    for t in range(steps):
        xt = x[:, t, :].astype(np.float32)
        i_gate = None if params.cifg else gate(0, xt, "SIGMOID")
        f_gate = gate(1, xt, "SIGMOID")
        g_gate = gate(2, xt, params.activation)
        c = (f_gate * c).astype(np.float32)
        c += g_gate * (np.float32(1.0) - f_gate if i_gate is None else i_gate)
        if params.cell_clip > 0:
            c = np.clip(c, np.float32(-params.cell_clip), np.float32(params.cell_clip))
        o_gate = gate(3, xt, "SIGMOID")
        hidden = (o_gate * _activate(c, params.activation)).astype(np.float32)
        if params.projection:
            proj, proj_bias = args[16], args[17] if len(args) > 17 else None
            assert proj is not None
            h = np.zeros((x.shape[0], proj.shape[0]), dtype=np.float32)
            if proj_bias is not None:
                h += proj_bias.astype(np.float32)
            h = matvec_accumulate(h, proj, hidden)
            if params.proj_clip > 0:
                h = np.clip(h, np.float32(-params.proj_clip), np.float32(params.proj_clip))
        else:
            h = hidden
        outputs.append(h)
    return np.stack(outputs, axis=1).astype(np.float32)
