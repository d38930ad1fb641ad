"""Import-time contract of the stateful sequence ops SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM:
their options, operand dtypes and shapes, checked as LiteRT's Prepare checks them, so a model
LiteRT refuses is refused here with one line naming the operand.

Operands (TFLite order). SVDF: input [batch, n_input], weights_feature [n_filter, n_input],
weights_time [n_filter, n_memory], bias [n_unit] (optional), state [batch, n_memory*n_filter]
(variable), n_filter = n_unit * rank; float32, or int8 input/output with int8 features, int16
time weights and state, int32 bias. LSTM: input [batch, time, n_input], then
input/forget/cell/output weights [n_cell, n_input] (1-4), recurrent weights [n_cell, n_output]
(5-8), peepholes [n_cell] (9-11), gate biases [n_cell] (12-15), projection [n_output, n_cell]
and its bias (16-17), output state [batch, n_output] and cell state [batch, n_cell] (18-19,
variable), layer-norm coefficients [n_cell] (20-23); the input-gate operands are absent in a
CIFG LSTM (input gate = 1 - forget gate).
"""
from __future__ import annotations

import math
from typing import Any

import tflite

from ..errors import ModelFormatError, UnsupportedOpError
from ..ir import Graph, Op, Tensor
from .lstm_int8 import LSTM_INT8_TYPES, check_lstm_int8
from .messages import short_name

__all__ = ["SEQ_OPTIONS", "SeqShapeError", "seq_attrs", "svdf_shape", "lstm_shape",
           "check_variables"]

SEQ_OPTIONS: dict[str, Any] = {
    "SVDF": tflite.SVDFOptions,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": tflite.UnidirectionalSequenceLSTMOptions,
}
_ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH"}
Shape = tuple[int, ...]


class SeqShapeError(Exception):
    """A contradiction in a sequence op's operands; validate_graph makes it a ModelFormatError
    naming the op."""


def seq_attrs(kind: str, opt: Any, where: str) -> dict[str, Any]:
    """The IR attributes of an SVDF / LSTM from its options table (None when absent)."""
    code = opt.FusedActivationFunction() if opt is not None else 0
    if code not in _ACTIVATIONS:
        raise UnsupportedOpError(f"{where}: fused activation {code} is not supported; "
                                 f"supported: {', '.join(_ACTIVATIONS.values())}")
    activation = _ACTIVATIONS[code]
    if kind == "SVDF":
        rank = int(opt.Rank()) if opt is not None else 0
        if rank <= 0:
            raise ModelFormatError(f"{where}: rank {rank} must be > 0")
        if activation == "TANH":
            raise UnsupportedOpError(f"{where}: fused activation TANH is not supported")
        return {"rank": rank, "activation": activation}
    if activation == "NONE":   # ApplyActivationToVector(NONE) returns without writing
        raise UnsupportedOpError(f"{where}: activation NONE: LiteRT's LSTM then reads an unset "
                                 "buffer (undefined output); not supported")
    assert opt is not None
    clips = {"cell_clip": float(opt.CellClip()), "proj_clip": float(opt.ProjClip())}
    for name, value in clips.items():
        if not (math.isfinite(value) and value >= 0):
            raise ModelFormatError(f"{where}: {name} {value!r} is not a finite number >= 0")
    if opt.DiagonalRecurrentTensors():
        raise UnsupportedOpError(f"{where}: diagonal recurrent weights are not supported")
    return {"activation": activation, **clips, "time_major": bool(opt.TimeMajor())}


def _operand(g: Graph, op: Op, k: int, what: str, optional: bool = False) -> Tensor | None:
    if k >= len(op.inputs) or op.inputs[k] < 0:
        if optional:
            return None
        raise SeqShapeError(f"the {what} (input {k}) is missing")
    return g.tensor(op.inputs[k])


def _expect(t: Tensor, what: str, shape: Shape, dtype: str, *, constant: bool = False,
            variable: bool = False) -> None:
    name = f"{what} '{short_name(t.name, 40)}'"
    if tuple(t.shape) != tuple(shape):
        raise SeqShapeError(f"{name} has shape {t.shape}, {shape} expected")
    if t.dtype != dtype:
        raise UnsupportedOpError(f"{name} is {t.dtype}; {dtype} expected")
    if constant and not t.is_constant:
        raise UnsupportedOpError(f"{name} is not a constant; hilbench needs it known at import")
    if variable and not t.variable:
        raise SeqShapeError(f"{name} is not a variable tensor (LiteRT requires one)")
    if dtype in ("int8", "int16") and (t.quant is None or not t.quant.per_tensor):
        raise UnsupportedOpError(f"{name} needs per-tensor quantization")


def svdf_shape(g: Graph, op: Op) -> Shape:
    """SVDF's output shape [batch, n_unit], after checking every operand."""
    if len(op.inputs) != 5:
        raise SeqShapeError(f"{len(op.inputs)} inputs; SVDF takes 5")
    x = _operand(g, op, 0, "input")
    wf = _operand(g, op, 1, "feature weights")
    wt = _operand(g, op, 2, "time weights")
    assert x is not None and wf is not None and wt is not None
    if len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2:
        raise SeqShapeError(f"input {x.shape}, feature weights {wf.shape} and time weights "
                            f"{wt.shape} must all be rank 2")
    batch, n_input = x.shape
    n_filter, n_memory = wf.shape[0], wt.shape[1]
    rank = int(op.attrs["rank"])
    if n_filter % rank:
        raise SeqShapeError(f"{n_filter} filters do not split into rank {rank}")
    n_unit = n_filter // rank
    q = x.dtype == "int8"
    _expect(wf, "feature weights", (n_filter, n_input), x.dtype, constant=True)
    _expect(wt, "time weights", (n_filter, n_memory), "int16" if q else "float32",
            constant=True)
    bias = _operand(g, op, 3, "bias", optional=True)
    if bias is not None:
        _expect(bias, "bias", (n_unit,), "int32" if q else "float32", constant=True)
    state = _operand(g, op, 4, "state")
    assert state is not None
    _expect(state, "state", (batch, n_memory * n_filter), "int16" if q else "float32",
            variable=True)
    if q:
        if op.attrs["activation"] != "RELU":
            raise SeqShapeError(f"int8 SVDF with activation {op.attrs['activation']}: LiteRT "
                                "runs int8 SVDF only with RELU (which it does not apply)")
        for t in (wf, wt, state):
            assert t.quant is not None
            if t.quant.zero_point[0] != 0:
                raise SeqShapeError(f"'{short_name(t.name, 40)}' has zero point "
                                    f"{t.quant.zero_point[0]}; the int8 SVDF needs 0")
    return (batch, n_unit)


# The four gates, in the order of their operands (input 1-4, recurrent 5-8, bias 12-15).
_GATES = ("input", "forget", "cell", "output")


def lstm_shape(g: Graph, op: Op) -> Shape:
    """UNIDIRECTIONAL_SEQUENCE_LSTM's output shape [batch, time, n_output] (float32, or the
    int8 8x8_16 LSTM: the operand types of lstm_int8.LSTM_INT8_TYPES)."""
    if len(op.inputs) not in (20, 24):
        raise SeqShapeError(f"{len(op.inputs)} inputs; the LSTM takes 20 or 24")
    x = _operand(g, op, 0, "input")
    assert x is not None
    if x.dtype not in ("float32", "int8"):
        raise UnsupportedOpError(f"{x.dtype} LSTM is not supported (float32 and int8 only)")
    types = LSTM_INT8_TYPES if x.dtype == "int8" else dict.fromkeys(LSTM_INT8_TYPES, "float32")
    if op.attrs["time_major"]:
        raise UnsupportedOpError("time-major LSTM input is not supported")
    if len(x.shape) != 3:
        raise SeqShapeError(f"input has shape {x.shape}, rank 3 expected")
    batch, steps, n_input = x.shape
    forget = _operand(g, op, 2, "input-to-forget weights")
    recurrent = _operand(g, op, 6, "recurrent-to-forget weights")
    assert forget is not None and recurrent is not None
    if len(forget.shape) != 2 or len(recurrent.shape) != 2:
        raise SeqShapeError(f"weights {forget.shape} and {recurrent.shape} must be rank 2")
    n_cell, n_output = forget.shape[0], recurrent.shape[1]
    cifg = _operand(g, op, 1, "", optional=True) is None
    if cifg != (_operand(g, op, 5, "", optional=True) is None):
        raise SeqShapeError("input-to-input and recurrent-to-input weights must be both "
                            "present or both absent (CIFG)")
    if cifg and _operand(g, op, 12, "", optional=True) is not None:
        raise SeqShapeError("a CIFG LSTM has an input-gate bias (LiteRT refuses it)")
    for k, gate in enumerate(_GATES):
        if cifg and gate == "input":
            continue
        for base, what, shape in ((1, "input", (n_cell, n_input)),
                                  (5, "recurrent", (n_cell, n_output)),
                                  (12, "bias", (n_cell,))):
            t = _operand(g, op, base + k, f"{gate}-gate {what}")
            assert t is not None
            _expect(t, f"{gate}-gate {what}", shape, types[what], constant=True)
    peepholes = [_operand(g, op, k, "peephole", optional=True) for k in (9, 10, 11)]
    for t in peepholes[0 if not cifg else 1:]:
        if (t is None) != (peepholes[1] is None):
            raise SeqShapeError("peephole weights are partly present")
    for t in peepholes:
        if t is not None:
            _expect(t, "peephole", (n_cell,), types["peephole"], constant=True)
    projection = _operand(g, op, 16, "projection", optional=True)
    if projection is not None:
        _expect(projection, "projection", (n_output, n_cell), types["input"], constant=True)
        proj_bias = _operand(g, op, 17, "projection bias", optional=True)
        if proj_bias is not None:
            _expect(proj_bias, "projection bias", (n_output,), types["bias"], constant=True)
    elif n_output != n_cell:
        raise SeqShapeError(f"{n_output} outputs but {n_cell} cells and no projection")
    if len(op.inputs) == 24 and any(i >= 0 for i in op.inputs[20:]) and x.dtype != "int8":
        raise UnsupportedOpError("float32 layer-norm LSTM is not supported (int8 only)")
    for k, what, shape in ((18, "output state", (batch, n_output)),
                           (19, "cell state", (batch, n_cell))):
        t = _operand(g, op, k, what)
        assert t is not None
        _expect(t, what, shape, types[what], variable=True)
    if x.dtype == "int8":
        check_lstm_int8(g, op, cifg, n_cell, n_output)
    return (batch, steps, n_output)


# The state operands of each op that reads variable tensors.
_STATE_INPUTS = {"SVDF": (4,), "UNIDIRECTIONAL_SEQUENCE_LSTM": (18, 19)}


def check_variables(g: Graph, label: str) -> None:
    """Every variable tensor is the state of exactly one sequence op and read by nothing else
    (so resetting it before that op is resetting it per inference)."""
    owners: dict[int, int] = {}
    for k, op in enumerate(g.ops):
        states = {op.inputs[j] for j in _STATE_INPUTS.get(op.kind, ()) if j < len(op.inputs)}
        for i in op.inputs + op.outputs:
            if i < 0 or not g.tensor(i).variable:
                continue
            name = f"{label}: op #{k} '{short_name(op.name)}' ({op.kind})"
            if i not in states or i in op.outputs:
                raise UnsupportedOpError(f"{name} uses variable tensor #{i} other than as "
                                         "the state of a sequence op")
            if owners.setdefault(i, k) != k:
                raise UnsupportedOpError(f"{name} shares state tensor #{i} with op "
                                         f"#{owners[i]}")
    for i in g.inputs + g.outputs:
        if g.tensor(i).variable:
            raise UnsupportedOpError(f"{label}: variable tensor #{i} is a graph input or "
                                     "output")
