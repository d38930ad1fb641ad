"""A multi-exit Graph cut into stages, with the rule of each exit: what golden and C run.

Stage k holds the ops exit k's logits need that no earlier exit needs, in the graph's
order; `ExitProgram.graph` is the graph with its ops in stage order (still a topological
order) and its outputs in exit order. An inference runs stage 0, applies exit 0's rule,
and either stops or runs stage 1, and so on; the last exit always stops.

The output record of an exit model (golden and targets alike): the logits of every exit,
in exit order, those of exits after the one taken zero-filled, then the taken exit's index
as an int32.

A split program (`split_program`, the sensor's half of a decentralized pipeline) stops after
stage s: its last exit's rule is applied too, and an input it does not accept is forwarded:
the tensors later stages read (`forward`, appended to the graph outputs and to the record
after the logits) are output and the index is s + 1, "continue elsewhere".
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..errors import ModelError
from ..ir import Graph, Tensor
from .meta import ExitSpec
from .policy import ExitRule, make_rule

__all__ = ["ExitProgram", "build_program", "split_program", "stage_ops", "thresholds_for",
           "boundary_tensors"]


@dataclass(frozen=True)
class ExitProgram:
    graph: Graph                          # ops in stage order, outputs in exit order
    stages: tuple[tuple[int, ...], ...]   # op indices of `graph` per stage
    rules: tuple[ExitRule, ...]           # one per exit (the last one's is unused)
    forward: tuple[int, ...] = ()         # split program: tensors handed on (graph outputs)

    @property
    def exits(self) -> int:
        return len(self.stages)

    @property
    def decides_last(self) -> bool:
        """True when the last exit applies its rule (a split program), False: it always stops."""
        return bool(self.forward)

    def stage_macs(self) -> list[int]:
        """Multiply-accumulates of each stage."""
        out = []
        for ops in self.stages:
            sub = replace(self.graph, ops=[self.graph.ops[i] for i in ops])
            out.append(sub.macs())
        return out


def stage_ops(graph: Graph, outputs: Sequence[int]) -> list[list[int]]:
    """Op indices per stage for exit tensors `outputs` (in exit order)."""
    producer = {t: i for i, op in enumerate(graph.ops) for t in op.outputs}
    taken: set[int] = set()
    stages: list[list[int]] = []
    for k, out in enumerate(outputs):
        need: set[int] = set()
        todo = [out]
        while todo:
            t = todo.pop()
            op_index = producer.get(t)
            if op_index is None or op_index in need or op_index in taken:
                continue
            need.add(op_index)
            todo.extend(i for i in graph.ops[op_index].inputs if i >= 0)
        if not need:
            raise ModelError(f"{graph.name}: exit {k} needs no op of its own")
        stages.append(sorted(need))
        taken |= need
    rest = set(range(len(graph.ops))) - taken
    if rest:
        raise ModelError(f"{graph.name}: {len(rest)} op(s) feed no exit")
    return stages


def thresholds_for(exits: int, threshold: float | Sequence[float]) -> list[float]:
    """One threshold per exit but the last (which always stops): a single value for all."""
    if isinstance(threshold, (int, float)):
        return [float(threshold)] * (exits - 1)
    values = [float(t) for t in threshold]
    if len(values) != exits - 1:
        raise ModelError(f"a {exits}-exit model takes {exits - 1} threshold(s), "
                         f"got {len(values)}")
    return values


def _rule(logits: Tensor, temperature: float, threshold: float) -> ExitRule:
    scale = logits.quant.scale[0] if logits.quant is not None else 1.0
    return make_rule(threshold, temperature, logits.dtype, scale)


def build_program(graph: Graph, spec: ExitSpec, threshold: float | Sequence[float]) -> ExitProgram:
    """The staged graph and the rules for `threshold` (one for all exits, or one per exit)."""
    outputs = [e.tensor for e in spec.exits]
    if sorted(outputs) != sorted(graph.outputs):
        raise ModelError(f"{graph.name}: the exits name tensors {outputs}, the graph outputs "
                         f"are {graph.outputs}")
    stages = stage_ops(graph, outputs)
    order = [i for ops in stages for i in ops]
    staged = replace(graph, ops=[graph.ops[i] for i in order], outputs=list(outputs))
    new_index = {old: new for new, old in enumerate(order)}
    rules = [_rule(graph.tensor(e.tensor), e.temperature, t)
             for e, t in zip(spec.exits, [*thresholds_for(len(outputs), threshold), 0.0])]
    return ExitProgram(staged, tuple(tuple(new_index[i] for i in ops) for ops in stages),
                       tuple(rules))


def boundary_tensors(graph: Graph, stages: Sequence[Sequence[int]], split_after: int) -> list[int]:
    """Activations that stages after `split_after` read but do not produce (graph order)."""
    early = {i for ops in stages[:split_after + 1] for i in ops}
    late = [i for ops in stages[split_after + 1:] for i in ops]
    made_late = {t for i in late for t in graph.ops[i].outputs}
    read = {t for i in late for t in graph.ops[i].inputs
            if t >= 0 and not graph.tensor(t).is_constant and t not in made_late}
    produced_early = {t for i in early for t in graph.ops[i].outputs} | set(graph.inputs)
    missing = read - produced_early
    if missing:
        raise ModelError(f"{graph.name}: later stages read tensors {sorted(missing)} nobody makes")
    return sorted(read)


def split_program(graph: Graph, spec: ExitSpec, threshold: float | Sequence[float],
                  split_after: int = 0) -> ExitProgram:
    """The sensor's program: stages 0..split_after, each exit's rule applied (the last one's
    too), the boundary tensors forwarded when no exit accepts the input."""
    full = build_program(graph, spec, threshold)
    if not 0 <= split_after < full.exits - 1:
        raise ModelError(f"a {full.exits}-exit model splits after stage 0..{full.exits - 2}, "
                         f"not {split_after}")
    forward = boundary_tensors(full.graph, full.stages, split_after)
    keep = full.stages[:split_after + 1]
    order = [i for ops in keep for i in ops]
    sub = replace(full.graph, ops=[full.graph.ops[i] for i in order],
                  outputs=[*full.graph.outputs[:split_after + 1], *forward])
    index = {old: new for new, old in enumerate(order)}
    # every kept exit applies its own threshold, the last one too (build_program gave it 0)
    thresholds = thresholds_for(full.exits, threshold)
    rules = tuple(_rule(sub.tensor(t), e.temperature, thresholds[k])
                  for k, (t, e) in enumerate(zip(sub.outputs[:split_after + 1], spec.exits)))
    return ExitProgram(sub, tuple(tuple(index[i] for i in ops) for ops in keep), rules,
                       tuple(forward))
