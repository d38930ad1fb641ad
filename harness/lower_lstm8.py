"""Lowering of the int8 UNIDIRECTIONAL_SEQUENCE_LSTM (TFLite's integer "8x8_16" LSTM): the
constants LiteRT's Prepare derives (unidirectional_sequence_lstm.cc,
PopulateQuantizedLstmParams8x8_16 and PopulatePrecomputedZPTimesWeightsWithBias).

The model carries 5 intermediate tensors (op.attrs["intermediates"]): 0-3 the scales of the
input/forget/cell/output gate pre-activations, read only with layer norm (otherwise LiteRT
uses 2^-12: Q3.12, the input of the int16 sigmoid/tanh); 4 the hidden state o * tanh(c)
before the projection (its scale and zero point). The cell state's scale must be a power of
two 2^cell_scale. LiteRT computes every effective scale in float32 (the peephole and hidden
ones partly in double, as written below) and splits it with QuantizeMultiplier:
    W x of gate k:  w_scale * input_scale / inter[k]
    R h of gate k:  r_scale * output_state_scale / inter[k]
    peephole k:     2^cell_scale * peephole_scale / inter[k]          (double, then float)
    hidden:         2^-15 / inter[4] * 2^-15                          (double, then float)
    projection:     proj_scale * inter[4] / output_state_scale
The zero points fold into int32 biases: W x gets gate_bias - input_zp * rowsum(W) (the
gate bias only without layer norm), R h gets -output_state_zp * rowsum(R), the projection
proj_bias + hidden_zp * rowsum(P). The hidden state o * tanh(c) is requantized to int8 with
-hidden_zp added when there is a projection (matching that fold: hidden values stored as
q - zp) but +hidden_zp without one (the output state then is the hidden state). Measured
against ai-edge-litert 2.3.0 BUILTIN_REF with hidden zero points 5, -7 and -4: each other
sign choice disagrees with it (tests/test_lstm_int8.py).
"""
from __future__ import annotations

import math

import numpy as np

from .errors import UnsupportedOpError
from .ir import Graph, Op, Tensor
from .lower import quantize_multiplier
from .op_params import LstmInt8Params

__all__ = ["lower_lstm_int8", "checked_log2"]

_GATES = ("input", "forget", "cell", "output")
_PEEPHOLE = (9, 10, None, 11)


def _f32(x: float) -> float:
    return float(np.float32(x))


def _scale(t: Tensor) -> float:
    assert t.quant is not None
    return _f32(t.quant.scale[0])


def _zp(t: Tensor) -> int:
    assert t.quant is not None
    return int(t.quant.zero_point[0])


def checked_log2(x: float) -> int | None:
    """TFLite CheckedLog2: round(log2 x) in float32 if x is within 1e-3 of a power of two in
    the exponent, else None."""
    log2 = _f32(_f32(math.log(x)) * _f32(1.0 / _f32(math.log(2.0))))
    rounded = float(np.round(np.float32(log2)))
    return int(rounded) if abs(_f32(log2 - rounded)) < 1e-3 else None


def _folded_bias(weights: Tensor, zero_point: int, bias: Tensor | None) -> np.ndarray:
    """PrecomputeZeroPointTimesWeightWithBias: bias + zero_point * rowsum(weights), int32."""
    assert weights.data is not None
    rows = weights.shape[0]
    out = (np.zeros(rows, np.int64) if bias is None or bias.data is None
           else bias.data.astype(np.int64))
    rowsum = weights.data.astype(np.int64).reshape(rows, -1).sum(axis=1)
    return ((out + zero_point * rowsum + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)


def lower_lstm_int8(g: Graph, op: Op) -> LstmInt8Params:
    """The integer LSTM's multipliers, folded biases, clips and flags."""
    def opt(k: int) -> Tensor | None:
        return g.tensor(op.inputs[k]) if k < len(op.inputs) and op.inputs[k] >= 0 else None

    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    h_state, c_state = g.tensor(op.inputs[18]), g.tensor(op.inputs[19])
    inter = [g.tensor(i) for i in op.attrs["intermediates"]]
    cifg, peephole = opt(1) is None, opt(11) is not None
    layer_norm = opt(21) is not None
    cell_scale = checked_log2(_scale(c_state))
    if cell_scale is None:
        raise UnsupportedOpError(f"cell state scale {_scale(c_state)!r} is not a power of two")
    inter_scale = [_scale(inter[k]) if layer_norm else _f32(2.0 ** -12) for k in range(4)]
    hidden_scale, hidden_zp = _scale(inter[4]), _zp(inter[4])
    x_scale, h_scale = _scale(x), _scale(h_state)

    def mult(real: float) -> tuple[int, int]:
        return quantize_multiplier(_f32(real))

    in_s, rec_s, peep_s, ln_s, guards = [], [], [], [], []
    in_b: list[np.ndarray | None] = []
    rec_b: list[np.ndarray | None] = []
    ln_b: list[np.ndarray | None] = []
    for k in range(4):
        used = not (cifg and k == 0)
        w, r, bias = opt(1 + k), opt(5 + k), opt(12 + k)
        pk = _PEEPHOLE[k]
        p = opt(pk) if pk is not None and peephole and used else None
        ln = opt(20 + k) if layer_norm and used else None
        in_s.append(mult(_f32(_scale(w) * x_scale) / inter_scale[k]) if w else (0, 0))
        rec_s.append(mult(_f32(_scale(r) * h_scale) / inter_scale[k]) if r else (0, 0))
        peep_s.append(mult(2.0 ** cell_scale * _scale(p) / inter_scale[k]) if p else (0, 0))
        ln_scale = _scale(ln) if ln is not None else 1.0
        ln_s.append(quantize_multiplier(ln_scale))
        guards.append(max(1, int(np.float32(10000) * np.float32(ln_scale))))
        in_b.append(_folded_bias(w, -_zp(x), None if layer_norm else bias) if w else None)
        rec_b.append(_folded_bias(r, -_zp(h_state), None) if r else None)
        ln_b.append(bias.data.astype(np.int32) if layer_norm and bias is not None
                    and bias.data is not None else None)
    proj = opt(16)
    proj_scale = mult(_f32(_scale(proj) * hidden_scale) / h_scale) if proj else (0, 0)
    proj_bias = _folded_bias(proj, hidden_zp, opt(17)) if proj else None
    cell_clip = float(op.attrs["cell_clip"])
    proj_clip = float(op.attrs["proj_clip"])
    q_cell_clip = (int(min(max(_f32(cell_clip / _scale(c_state)), -32768.0), 32767.0))
                   if cell_clip > 0 else 0)
    q_proj_clip = (int(min(max(_f32(proj_clip / _scale(out)), -128.0), 127.0))
                   if proj_clip > 0 else 0)
    return LstmInt8Params(
        cifg=cifg, peephole=peephole, projection=proj is not None, layer_norm=layer_norm,
        input_scale=tuple(in_s), recurrent_scale=tuple(rec_s), peephole_scale=tuple(peep_s),
        layer_norm_scale=tuple(ln_s), variance_guard=tuple(guards), input_bias=tuple(in_b),
        recurrent_bias=tuple(rec_b), layer_norm_bias=tuple(ln_b),
        hidden_scale=mult(2.0 ** -15 / hidden_scale * 2.0 ** -15),
        hidden_zp=-hidden_zp if proj else hidden_zp,
        proj_scale=proj_scale, proj_bias=proj_bias, output_zp=_zp(h_state),
        cell_scale=cell_scale, cell_clip=q_cell_clip, proj_clip=q_proj_clip)
