"""The golden interpreter, stage by stage: an exit model's reference outputs and decisions.

The per-op kernels and lowering are the golden interpreter's own (harness.golden); this only
runs the stages of an ExitProgram in turn, each on the samples still undecided, and applies
each exit's rule (harness.exits.policy) to its logits, as the generated C does.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..golden import KERNELS, GoldenInterpreter
from .policy import fires
from .program import ExitProgram

__all__ = ["run_exits", "exit_index"]


def run_exits(program: ExitProgram, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Outputs in the exit model's record layout: every exit's logits (zero after the exit
    taken), a split program's forwarded tensors (zero unless forwarded), then the exit index
    (int32, shape (N,); `exits` for a forwarded input)."""
    graph = program.graph
    interp = GoldenInterpreter(graph)
    n = int(inputs[0].shape[0])
    outs = [np.zeros((n, *graph.tensor(t).shape[1:]), graph.tensor(t).dtype)
            for t in graph.outputs]          # exit logits, then a split program's forward
    taken = np.full(n, -1, np.int32)
    active = np.arange(n)
    values: dict[int, np.ndarray] = {t: np.asarray(x) for t, x in zip(graph.inputs, inputs)}
    for k, (ops, rule) in enumerate(zip(program.stages, program.rules)):
        if len(active) == 0:
            break
        for i in ops:
            op = graph.ops[i]
            args = [None if t < 0 else graph.tensor(t).data if graph.tensor(t).is_constant
                    else values[t] for t in op.inputs]
            result = KERNELS[op.kind](graph, op, interp.params[i], args)
            values.update(zip(op.outputs, result if isinstance(result, list) else [result]))
        logits = values[graph.outputs[k]]
        outs[k][active] = logits
        last = k == program.exits - 1
        stop = np.ones(len(active), bool) if last and not program.decides_last \
            else fires(rule, logits)
        taken[active[stop]] = k
        if last and program.decides_last:          # the rest is forwarded
            onward = active[~stop]
            taken[onward] = program.exits
            for j, t in enumerate(program.forward):
                outs[program.exits + j][onward] = values[t][~stop]
        keep = ~stop
        active = active[keep]
        later = {t for s in program.stages[k + 1:] for i in s for t in graph.ops[i].inputs}
        values = {t: v[keep] for t, v in values.items() if t in later}
    return [*outs, taken]


def exit_index(outputs: Sequence[np.ndarray]) -> np.ndarray:
    """The exit taken per sample, from an exit model's outputs (the last array)."""
    return np.asarray(outputs[-1]).reshape(-1).astype(np.int64)
