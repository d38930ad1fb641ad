"""Lowering of the stateful sequence ops (SVDF, UNIDIRECTIONAL_SEQUENCE_LSTM): the constants
LiteRT's Prepare derives, shared by the golden kernels and the C generator.

int8 SVDF (svdf.cc Prepare): effective_scale_1 = input_scale * feature_scale / state_scale and
effective_scale_2 = state_scale * time_scale / output_scale, each computed in float32 (the
scales are floats in LiteRT) and then turned into a multiplier/shift by QuantizeMultiplier.
"""
from __future__ import annotations

import numpy as np

from .errors import UnsupportedOpError
from .ir import Graph, Op, Tensor
from .lower import activation_range_float, quantize_multiplier
from .lower_lstm8 import lower_lstm_int8
from .op_params import LstmInt8Params, LstmParams, OpParams, SvdfParams

__all__ = ["SEQ_KINDS", "lower_seq_op"]

SEQ_KINDS = ("SVDF", "UNIDIRECTIONAL_SEQUENCE_LSTM")


def _scale(t: Tensor) -> float:
    assert t.quant is not None
    return t.quant.scale[0]


def _f32(x: float) -> float:
    return float(np.float32(x))


def _svdf(g: Graph, op: Op) -> SvdfParams:
    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    rank = int(op.attrs["rank"])
    if x.dtype == "float32":
        lo, hi = activation_range_float(op.attrs["activation"])
        return SvdfParams(rank, lo, hi)
    wf, wt, state = (g.tensor(op.inputs[k]) for k in (1, 2, 4))
    m1, s1 = quantize_multiplier(_f32(_f32(_scale(x) * _scale(wf)) / _scale(state)))
    m2, s2 = quantize_multiplier(_f32(_f32(_scale(state) * _scale(wt)) / _scale(out)))
    assert x.quant is not None and out.quant is not None
    # int8 SVDF clamps to the int8 range only: LiteRT requires RELU and does not apply it.
    return SvdfParams(rank, -128, 127, -x.quant.zero_point[0], out.quant.zero_point[0],
                      m1, s1, m2, s2)


def _lstm(g: Graph, op: Op) -> LstmParams | LstmInt8Params:
    if g.tensor(op.inputs[0]).dtype == "int8":
        return lower_lstm_int8(g, op)

    def present(k: int) -> bool:
        return k < len(op.inputs) and op.inputs[k] >= 0

    return LstmParams(str(op.attrs["activation"]), cifg=not present(1),
                      peephole=present(10), projection=present(16),
                      cell_clip=float(op.attrs["cell_clip"]),
                      proj_clip=float(op.attrs["proj_clip"]))


def lower_seq_op(g: Graph, op: Op) -> OpParams:
    """The parameters of an SVDF or LSTM op."""
    if op.kind == "SVDF":
        return _svdf(g, op)
    if op.kind == "UNIDIRECTIONAL_SEQUENCE_LSTM":
        return _lstm(g, op)
    raise UnsupportedOpError(f"{g.source}: op '{op.name}' ({op.kind}) is not a sequence op")
