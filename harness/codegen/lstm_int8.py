"""C of the int8 UNIDIRECTIONAL_SEQUENCE_LSTM (kernels/ref/lstm_s8.c): one hb_lstm_s8_params
struct with the lowered constants (harness.lower_lstm8) and the folded biases as int32 arrays;
the call first resets the output state (to its zero point) and the cell state (to 0), as for
the float LSTM (codegen/seq_ops.py), so every inference starts from the reset state.
"""
from __future__ import annotations

import numpy as np

from ..ir import Op
from ..op_params import LstmInt8Params
from .cformat import c_int
from .op_context import OpContext, c_struct

__all__ = ["emit_lstm_int8", "lstm_int8_scratch_bytes"]


def lstm_int8_scratch_bytes(n_cell: int) -> int:
    """4 gates and tanh(c) in int16, the hidden state in int8, rounded up to 4 bytes."""
    return (5 * 2 * n_cell + n_cell + 3) // 4 * 4


def emit_lstm_int8(ctx: OpContext, i: int, op: Op, p: LstmInt8Params,
                   reset: str) -> tuple[str, str]:
    """(definitions, call) of an int8 LSTM op; `reset` resets its two state tensors."""
    g = ctx.graph
    x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])

    def operand(k: int | None) -> str:
        if k is None or k >= len(op.inputs) or op.inputs[k] < 0:
            return "NULL"
        return ctx.constants.tensor(g.tensor(op.inputs[k]))

    def group(values: list[str]) -> str:
        return "{ " + ", ".join(values) + " }"

    def biases(name: str, arrays: tuple[np.ndarray | None, ...]) -> str:
        return group([ctx.constants.int32_array(f"op{i}_{name}{k}", a, f"op #{i} LSTM {name} "
                                                f"gate {k}") if a is not None else "NULL"
                      for k, a in enumerate(arrays)])

    def ints(values: list[int]) -> str:
        return group([c_int(v) for v in values])

    used = [not (p.cifg and k == 0) for k in range(4)]
    peep = [9, 10, None, 11] if p.peephole else [None] * 4
    fields = [
        ("batches", c_int(x.shape[0])), ("steps", c_int(x.shape[1])),
        ("n_input", c_int(x.shape[2])), ("n_cell", c_int(g.tensor(op.inputs[2]).shape[0])),
        ("n_output", c_int(out.shape[2])), ("cifg", c_int(int(p.cifg))),
        ("cell_scale", c_int(p.cell_scale)), ("cell_clip", c_int(p.cell_clip)),
        ("proj_clip", c_int(p.proj_clip)), ("hidden_zp", c_int(p.hidden_zp)),
        ("output_zp", c_int(p.output_zp)),
        ("input_weights", group([operand(1 + k if used[k] else None) for k in range(4)])),
        ("recurrent_weights", group([operand(5 + k if used[k] else None) for k in range(4)])),
        ("input_bias", biases("wbias", p.input_bias)),
        ("recurrent_bias", biases("rbias", p.recurrent_bias)),
        ("input_mult", ints([m for m, _ in p.input_scale])),
        ("input_shift", ints([s for _, s in p.input_scale])),
        ("recurrent_mult", ints([m for m, _ in p.recurrent_scale])),
        ("recurrent_shift", ints([s for _, s in p.recurrent_scale])),
        ("peephole", group([operand(peep[k] if used[k] else None) for k in range(4)])),
        ("peephole_mult", ints([m for m, _ in p.peephole_scale])),
        ("peephole_shift", ints([s for _, s in p.peephole_scale])),
        ("layer_norm", group([operand(20 + k if p.layer_norm and used[k] else None)
                              for k in range(4)])),
        ("layer_norm_bias", biases("lnbias", p.layer_norm_bias)),
        ("ln_mult", ints([m for m, _ in p.layer_norm_scale])),
        ("ln_shift", ints([s for _, s in p.layer_norm_scale])),
        ("variance_guard", ints(list(p.variance_guard))),
        ("hidden_mult", c_int(p.hidden_scale[0])), ("hidden_shift", c_int(p.hidden_scale[1])),
        ("proj_mult", c_int(p.proj_scale[0])), ("proj_shift", c_int(p.proj_scale[1])),
        ("projection", operand(16 if p.projection else None)),
        ("projection_bias", ctx.constants.int32_array(f"op{i}_pbias", p.proj_bias,
                                                      f"op #{i} LSTM projection bias")
         if p.proj_bias is not None else "NULL"),
    ]
    name = f"{ctx.prefix}_op{i}"
    h, c = op.inputs[18], op.inputs[19]
    call = (f"{reset} hb_lstm_s8(&{name}, {ctx.pointer(op.inputs[0])}, {ctx.pointer(h)}, "
            f"{ctx.pointer(c)}, {ctx.scratch(i)}, {ctx.pointer(op.outputs[0])});")
    return c_struct("hb_lstm_s8_params", name, fields), call
