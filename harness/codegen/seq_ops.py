"""C of the stateful sequence ops (SVDF, UNIDIRECTIONAL_SEQUENCE_LSTM, kernels/ref/sequence.c).

Their state tensors are planned in the arena like any activation; the op's statement first
resets them (memset to the int8 zero point or 0: LiteRT's ResetVariableTensor) and then calls
the kernel, which updates them in place. Each variable tensor belongs to one op only (the
importer checks it), so resetting it there is resetting it at the start of the inference.
"""
from __future__ import annotations

from ..ir import Graph, Op
from ..op_params import LstmInt8Params, LstmParams, SvdfParams
from .cformat import c_float, c_int
from .lstm_int8 import emit_lstm_int8, lstm_int8_scratch_bytes
from .op_context import OpContext, c_struct

__all__ = ["emit_seq_op", "seq_scratch_bytes"]

_ACTIVATION_CODES = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3, "TANH": 4}


def seq_scratch_bytes(graph: Graph, op: Op) -> int:
    """The LSTM's gates and hidden vector: 5 x n_cell floats."""
    if op.kind != "UNIDIRECTIONAL_SEQUENCE_LSTM":
        return 0
    if graph.tensor(op.inputs[0]).dtype == "int8":
        return lstm_int8_scratch_bytes(graph.tensor(op.inputs[2]).shape[0])
    return 5 * graph.tensor(op.inputs[2]).shape[0] * 4


def _reset(ctx: OpContext, index: int) -> str:
    t = ctx.graph.tensor(index)
    value = t.quant.zero_point[0] if t.dtype == "int8" and t.quant is not None else 0
    return f"memset({ctx.pointer(index)}, {value}, {t.nbytes});"


def _operand(ctx: OpContext, op: Op, k: int) -> str:
    if k >= len(op.inputs) or op.inputs[k] < 0:
        return "NULL"
    return ctx.constants.tensor(ctx.graph.tensor(op.inputs[k]))


def _svdf(ctx: OpContext, i: int, op: Op, p: SvdfParams) -> tuple[str, str]:
    g = ctx.graph
    x, wf, wt = (g.tensor(op.inputs[k]) for k in range(3))
    geometry = [("batches", x.shape[0]), ("n_input", x.shape[1]), ("n_filter", wf.shape[0]),
                ("n_memory", wt.shape[1]), ("rank", p.rank),
                ("activation", _ACTIVATION_CODES[op.attrs["activation"]])]
    g_init = "{ " + ", ".join(f".{k} = {c_int(v)}" for k, v in geometry) + " }"
    name = f"{ctx.prefix}_op{i}"
    args = ", ".join([ctx.pointer(op.inputs[0]), _operand(ctx, op, 1), _operand(ctx, op, 2),
                      _operand(ctx, op, 3), ctx.pointer(op.inputs[4]),
                      ctx.pointer(op.outputs[0])])
    reset = _reset(ctx, op.inputs[4])
    if x.dtype == "int8":
        fields = [("g", g_init), ("input_offset", c_int(p.input_offset)),
                  ("output_offset", c_int(p.output_offset)),
                  ("feature_multiplier", c_int(p.feature_multiplier)),
                  ("feature_shift", c_int(p.feature_shift)),
                  ("time_multiplier", c_int(p.time_multiplier)),
                  ("time_shift", c_int(p.time_shift))]
        return (c_struct("hb_svdf_s8_params", name, fields),
                f"{reset} hb_svdf_s8(&{name}, {args});")
    definition = f"static const hb_svdf_geometry {name} = {g_init};"
    return definition, f"{reset} hb_svdf_f32(&{name}, {args});"


def _lstm(ctx: OpContext, i: int, op: Op, p: LstmParams) -> tuple[str, str]:
    g = ctx.graph
    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    n_cell = g.tensor(op.inputs[2]).shape[0]

    def group(operands: tuple[int | None, ...]) -> str:
        return "{ " + ", ".join("NULL" if k is None else _operand(ctx, op, k)
                                for k in operands) + " }"

    # the cell gate has no peephole
    peepholes = group((9, 10, None, 11) if p.peephole else (None,) * 4)
    fields = [("batches", c_int(x.shape[0])), ("steps", c_int(x.shape[1])),
              ("n_input", c_int(x.shape[2])), ("n_cell", c_int(n_cell)),
              ("n_output", c_int(out.shape[2])),
              ("activation", c_int(_ACTIVATION_CODES[p.activation])),
              ("cell_clip", c_float(p.cell_clip)), ("proj_clip", c_float(p.proj_clip)),
              ("input_weights", group((1, 2, 3, 4))),
              ("recurrent_weights", group((5, 6, 7, 8))),
              ("bias", group((12, 13, 14, 15))), ("peephole", peepholes),
              ("projection", _operand(ctx, op, 16)), ("projection_bias", _operand(ctx, op, 17))]
    name = f"{ctx.prefix}_op{i}"
    h, c = op.inputs[18], op.inputs[19]
    call = (f"{_reset(ctx, h)} {_reset(ctx, c)} hb_lstm_f32(&{name}, {ctx.pointer(op.inputs[0])}, "
            f"{ctx.pointer(h)}, {ctx.pointer(c)}, (float *){ctx.scratch(i)}, "
            f"{ctx.pointer(op.outputs[0])});")
    return c_struct("hb_lstm_f32_params", name, fields), call


def emit_seq_op(ctx: OpContext, i: int, op: Op,
                p: SvdfParams | LstmParams | LstmInt8Params) -> tuple[str, str]:
    """(definitions, call) of an SVDF or LSTM op."""
    if isinstance(p, SvdfParams):
        return _svdf(ctx, i, op, p)
    if isinstance(p, LstmInt8Params):
        reset = f"{_reset(ctx, op.inputs[18])} {_reset(ctx, op.inputs[19])}"
        return emit_lstm_int8(ctx, i, op, p, reset)
    return _lstm(ctx, i, op, p)
