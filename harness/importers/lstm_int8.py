"""Import-time contract of the int8 UNIDIRECTIONAL_SEQUENCE_LSTM (TFLite's integer 8x8_16
LSTM), beyond the operand shapes seq_ops.lstm_shape checks: what LiteRT's Prepare requires and
what its integer kernels can compute.

Operand types: int8 input, weights, projection and output state; int16 cell state, peephole
and layer-norm coefficients; int32 biases. The op carries 5 intermediate tensors (their
quantization defines the gate and hidden scales: harness.lower_lstm8). The cell state's scale
is a power of two 2^k with -15 <= k <= -9 (the tanh of the cell state is evaluated in
FixedPoint<int16, 15 + k>, which LiteRT has only for 0..6 integer bits).
"""
from __future__ import annotations

from ..errors import UnsupportedOpError
from ..ir import Graph, Op, Tensor
from .messages import short_name

__all__ = ["LSTM_INT8_TYPES", "check_lstm_int8", "LstmInt8Error"]

LSTM_INT8_TYPES = {"input": "int8", "recurrent": "int8", "bias": "int32", "peephole": "int16",
                   "output state": "int8", "cell state": "int16", "layer norm": "int16"}


class LstmInt8Error(UnsupportedOpError):
    """An int8 LSTM LiteRT cannot run, or runs into undefined behaviour."""


def _quantized(t: Tensor, what: str) -> None:
    q = t.quant
    if q is None or not q.per_tensor or len(q.scale) != 1:
        raise LstmInt8Error(f"the {what} '{short_name(t.name, 40)}' needs per-tensor "
                            "quantization")


def _cell_scale_log2(scale: float) -> int | None:
    from ..lower_lstm8 import checked_log2  # lower builds on the importers
    return checked_log2(scale)


def check_lstm_int8(g: Graph, op: Op, cifg: bool, n_cell: int, n_output: int) -> None:
    """Refuse, with one line, an int8 LSTM that LiteRT refuses or cannot compute."""
    if op.attrs["activation"] != "TANH":
        raise LstmInt8Error(f"int8 LSTM with activation {op.attrs['activation']}: LiteRT's "
                            "integer LSTM has only TANH")
    inter = op.attrs.get("intermediates") or []
    if len(inter) != 5:
        raise LstmInt8Error(f"{len(inter)} intermediate tensors; LiteRT's int8 LSTM needs 5 "
                            "(12: the 8x8_8 variant, not supported)")
    if any(not 0 <= i < len(g.tensors) for i in inter):
        raise LstmInt8Error("an intermediate tensor index is out of range")
    layer_norm = len(op.inputs) == 24 and op.inputs[21] >= 0
    for k, i in enumerate(inter):
        if k == 4 or layer_norm:
            _quantized(g.tensor(i), f"intermediate {k}")
    cell = g.tensor(op.inputs[19])
    assert cell.quant is not None
    log2 = _cell_scale_log2(cell.quant.scale[0])
    if log2 is None or not -15 <= log2 <= -9:
        raise LstmInt8Error(f"cell state scale {cell.quant.scale[0]:g} must be 2^k with "
                            "-15 <= k <= -9 (LiteRT's int16 tanh)")
    if op.inputs[11] >= 0 and n_output > n_cell:
        raise LstmInt8Error(f"peephole with {n_output} outputs > {n_cell} cells: LiteRT's "
                            "int8 peephole reads past the cell state")
    if layer_norm:
        for k, gate in enumerate(("input", "forget", "cell", "output")):
            index = op.inputs[20 + k]
            if cifg and k == 0:
                if index >= 0:
                    raise LstmInt8Error("a CIFG LSTM has input-gate layer-norm weights")
                continue
            if index < 0:
                raise LstmInt8Error(f"the {gate}-gate layer-norm weights are missing")
            t = g.tensor(index)
            if t.dtype != "int16" or tuple(t.shape) != (n_cell,) or not t.is_constant:
                raise LstmInt8Error(f"{gate}-gate layer-norm weights must be a constant int16 "
                                    f"[{n_cell}], got {t.dtype} {t.shape}")
            _quantized(t, f"{gate}-gate layer-norm weights")
    elif len(op.inputs) == 24 and any(i >= 0 for i in op.inputs[20:]):
        raise LstmInt8Error("layer-norm weights without the forget gate's (LiteRT then "
                            "ignores them); not supported")
