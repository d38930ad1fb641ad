"""The int8 UNIDIRECTIONAL_SEQUENCE_LSTM (TFLite's integer 8x8_16 LSTM), as LiteRT's
lstm_eval.cc EvalInteger8x8_16 / LstmStepInteger8x8_16 compute it with the portable
tensor_utils kernels, for a batch of independent sequences (each from the reset state).

One time step (gates int16; the pre-activations in Q3.12, the activations in Q0.15):
  gate k = 0, then for W x and R h in turn (MatrixBatchVectorMultiplyAccumulate):
      gate = clamp16(gate + MBQM(folded_bias + sum w * v, multiplier, shift))
  peephole: gate[j] = clamp16(gate[j] + MBQM(p[j] * c[j], ...)) for j < n_output (LiteRT
      passes n_output as the vector length: with a projection to fewer outputs the last cells
      get no peephole term)
  layer norm (ApplyLayerNorm) if present, then sigmoid (forget, input, output gates) or tanh
      (cell gate) of gemmlowp FixedPoint<int16, 3>.
  Order: forget, cell, input, cell update, output (its peephole reads the new cell state).
  c = RDBPOT(f * c, 15); c = clamp16(c + RDBPOT(i * g, 30 + cell_scale)) with i = 32767 - f
      in a CIFG LSTM; clipped to +-cell_clip if set.
  hidden = clamp8(MBQM(o * tanh(c), hidden scale) + offset), offset -hidden_zp
      with a projection, +hidden_zp without (harness.lower_lstm8), tanh of
      FixedPoint<int16, 15 + cell_scale>; projected: h = clamp8(MBQM(folded_bias + P hidden)
      + output_zp), clipped to +-proj_clip if set; else h = hidden. The output at t is h.
"""
from __future__ import annotations

import numpy as np

from .. import fixedpoint as fp
from ..fixedpoint16 import logistic16, tanh16, wrap_int16
from ..ir import Graph, Op
from ..op_params import LstmInt8Params, OpParams
from .common import KernelArgs
from .layer_norm16 import apply_layer_norm

__all__ = ["lstm_int8"]


def _matvec_accumulate(out: np.ndarray, v: np.ndarray, w: np.ndarray, bias: np.ndarray,
                       scale: tuple[int, int], zp: int, lo: int, hi: int) -> np.ndarray:
    """MatrixBatchVectorMultiplyAccumulate (int8 x int8 -> int16 or int8 with accumulation)."""
    acc = fp.wrap_int32(bias.astype(np.int64) + v.astype(np.int64) @ w.astype(np.int64).T)
    scaled = fp.multiply_by_quantized_multiplier(acc, scale[0], scale[1])
    return np.clip(scaled + zp + out, lo, hi)


def _gate(p: LstmInt8Params, k: int, args: KernelArgs, xt: np.ndarray, h: np.ndarray,
          c: np.ndarray, n_output: int) -> np.ndarray:
    w, r = args[1 + k], args[5 + k]
    assert w is not None and r is not None
    bias_w, bias_r = p.input_bias[k], p.recurrent_bias[k]
    assert bias_w is not None and bias_r is not None
    gate = np.zeros((xt.shape[0], w.shape[0]), np.int64)
    gate = _matvec_accumulate(gate, xt, w, bias_w, p.input_scale[k], 0, -32768, 32767)
    gate = _matvec_accumulate(gate, h, r, bias_r, p.recurrent_scale[k], 0, -32768, 32767)
    peephole = args[(9, 10, -1, 11)[k]] if p.peephole and k != 2 else None
    if peephole is not None:
        m, s = p.peephole_scale[k]
        prod = fp.multiply_by_quantized_multiplier(
            peephole[:n_output].astype(np.int64) * c[:, :n_output], m, s)
        gate[:, :n_output] = np.clip(gate[:, :n_output] + prod, -32768, 32767)
    if p.layer_norm:
        coeff, ln_bias = args[20 + k], p.layer_norm_bias[k]
        assert coeff is not None and ln_bias is not None
        gate = apply_layer_norm(gate, coeff, ln_bias, p.layer_norm_scale[k],
                                p.variance_guard[k])
    return tanh16(gate, 3) if k == 2 else logistic16(gate, 3)


def _cell_update(p: LstmInt8Params, c: np.ndarray, i_gate: np.ndarray | None,
                 f_gate: np.ndarray, g_gate: np.ndarray) -> np.ndarray:
    c = wrap_int16(fp.rounding_divide_by_pot(f_gate * c, 15))
    i = 32767 - f_gate if i_gate is None else i_gate
    update = wrap_int16(fp.rounding_divide_by_pot(i * g_gate, 30 + p.cell_scale))
    c = np.clip(c + update, -32768, 32767)
    if p.cell_clip > 0:
        c = np.clip(c, -p.cell_clip, p.cell_clip)
    return c


def lstm_int8(graph: Graph, op: Op, params: OpParams, args: KernelArgs) -> np.ndarray:
    """The int8 LSTM over [N, time, n_input] (batch-major, model batch 1)."""
    assert isinstance(params, LstmInt8Params)
    p = params
    x, h0, c0 = args[0], args[18], args[19]
    assert x is not None and h0 is not None and c0 is not None
    n = x.shape[0]
    h = np.broadcast_to(h0.astype(np.int64).reshape(n, -1), (n, h0.size // n)).copy()
    c = np.broadcast_to(c0.astype(np.int64).reshape(n, -1), (n, c0.size // n)).copy()
    n_output = h.shape[1]
    outputs = []
    for t in range(x.shape[1]):
        xt = x[:, t, :].astype(np.int64)
        f_gate = _gate(p, 1, args, xt, h, c, n_output)
        g_gate = _gate(p, 2, args, xt, h, c, n_output)
        i_gate = None if p.cifg else _gate(p, 0, args, xt, h, c, n_output)
        c = _cell_update(p, c, i_gate, f_gate, g_gate)
        o_gate = _gate(p, 3, args, xt, h, c, n_output)
        hm, hs = p.hidden_scale
        hidden = np.clip(fp.multiply_by_quantized_multiplier(
            o_gate * tanh16(c, 15 + p.cell_scale), hm, hs) + p.hidden_zp, -128, 127)
        if p.projection:
            proj = args[16]
            assert proj is not None and p.proj_bias is not None
            h = _matvec_accumulate(np.zeros((n, proj.shape[0]), np.int64), hidden, proj,
                                   p.proj_bias, p.proj_scale, p.output_zp, -128, 127)
            if p.proj_clip > 0:
                h = np.clip(h, -p.proj_clip, p.proj_clip)
        else:
            h = hidden
        outputs.append(h)
    return np.stack(outputs, axis=1).astype(np.int8)
