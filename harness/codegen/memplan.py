"""Static memory planning: every activation buffer at a fixed offset in one arena.

A buffer is alive from the op that produces it (graph start, -1, for graph inputs) to its last
consumer (graph end, len(ops), for graph outputs); two buffers may share bytes only when their
lifetimes do not overlap. Placement is greedy: largest buffer first, each at the lowest
16-byte-aligned offset that does not collide with an already placed, lifetime-overlapping
buffer (first fit). A RESHAPE whose input dies at it aliases that input: both tensors become
one buffer and the reshape costs no copy. Ops may also ask for scratch memory, alive during
that op only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ..ir import Graph

__all__ = ["Buffer", "MemoryPlan", "align_up", "place_buffers", "tensor_lifetimes", "plan_memory"]

ALIGNMENT = 16


def align_up(n: int, alignment: int = ALIGNMENT) -> int:
    return (n + alignment - 1) // alignment * alignment


@dataclass(frozen=True)
class Buffer:
    """A block of the arena: `size` bytes alive from op `first` to op `last` inclusive."""

    name: str
    size: int
    first: int
    last: int

    def overlaps(self, other: Buffer) -> bool:
        """True when the two lifetimes share an op."""
        return self.first <= other.last and other.first <= self.last


def place_buffers(buffers: Sequence[Buffer], alignment: int = ALIGNMENT) -> list[int]:
    """Greedy first-fit by decreasing size; returns each buffer's offset (input order)."""
    order = sorted(range(len(buffers)), key=lambda i: (-buffers[i].size, buffers[i].first, i))
    placed: dict[int, int] = {}  # buffer index -> offset
    for i in order:
        size = align_up(buffers[i].size, alignment)
        busy = sorted(
            (off, off + align_up(buffers[j].size, alignment))
            for j, off in placed.items() if buffers[j].overlaps(buffers[i])
        )
        offset = 0
        for start, end in busy:
            if offset + size <= start:
                break  # fits in the gap before this block
            offset = max(offset, align_up(end, alignment))
        placed[i] = offset
    return [placed[i] for i in range(len(buffers))]


def tensor_lifetimes(graph: Graph) -> dict[int, tuple[int, int]]:
    """First and last op index of every non-constant tensor the graph touches."""
    end = len(graph.ops)
    life: dict[int, list[int]] = {}

    def touch(index: int, at: int) -> None:
        if index < 0 or graph.tensor(index).is_constant:
            return
        span = life.setdefault(index, [at, at])
        span[0], span[1] = min(span[0], at), max(span[1], at)

    for index in graph.inputs:
        touch(index, -1)
    for i, op in enumerate(graph.ops):
        for index in op.outputs:
            touch(index, i)
        for index in op.inputs:
            touch(index, i)
    for index in graph.outputs:
        touch(index, end)
    return {k: (v[0], v[1]) for k, v in life.items()}


@dataclass(frozen=True)
class MemoryPlan:
    tensor_offsets: dict[int, int]        # tensor index -> arena offset
    scratch_offsets: dict[int, int]       # op index -> arena offset of its scratch
    aliases: dict[int, int]               # RESHAPE output tensor -> the input it shares
    buffers: tuple[Buffer, ...]           # what was placed (after aliasing)
    offsets: tuple[int, ...]              # their offsets
    arena_bytes: int                      # peak, rounded up to the alignment
    naive_bytes: int                      # one aligned buffer per tensor and scratch
    alignment: int = ALIGNMENT
    lifetimes: dict[int, tuple[int, int]] = field(default_factory=dict)


def _reshape_aliases(graph: Graph, life: dict[int, tuple[int, int]]) -> dict[int, int]:
    """RESHAPE output -> input, for reshapes whose (non-constant) input dies at them."""
    aliases: dict[int, int] = {}
    for i, op in enumerate(graph.ops):
        if op.kind != "RESHAPE":
            continue
        src, dst = op.inputs[0], op.outputs[0]
        if src not in life or dst not in life or life[src][1] != i:
            continue
        if graph.tensor(src).nbytes != graph.tensor(dst).nbytes:
            continue
        aliases[dst] = src
    return aliases


def _root(aliases: dict[int, int], index: int) -> int:
    while index in aliases:
        index = aliases[index]
    return index


def plan_memory(graph: Graph, scratch_bytes: dict[int, int] | None = None,
                alignment: int = ALIGNMENT) -> MemoryPlan:
    """Plan the arena of a graph; `scratch_bytes` maps op index -> scratch bytes it needs."""
    scratch_bytes = {k: v for k, v in (scratch_bytes or {}).items() if v > 0}
    life = tensor_lifetimes(graph)
    aliases = _reshape_aliases(graph, life)

    # Merge aliased tensors into groups keyed by their root tensor.
    groups: dict[int, list[int]] = {}
    for index in life:
        groups.setdefault(_root(aliases, index), []).append(index)
    buffers: list[Buffer] = []
    keys: list[tuple[str, int]] = []
    for root, members in sorted(groups.items()):
        buffers.append(Buffer(
            name=graph.tensor(root).name,
            size=max(graph.tensor(m).nbytes for m in members),
            first=min(life[m][0] for m in members),
            last=max(life[m][1] for m in members),
        ))
        keys.append(("tensor", root))
    for op_index, size in sorted(scratch_bytes.items()):
        buffers.append(Buffer(f"scratch of op {op_index}", size, op_index, op_index))
        keys.append(("scratch", op_index))

    offsets = place_buffers(buffers, alignment)
    root_offsets = {key[1]: off for key, off in zip(keys, offsets) if key[0] == "tensor"}
    scratch_offsets = {key[1]: off for key, off in zip(keys, offsets) if key[0] == "scratch"}
    tensor_offsets = {index: root_offsets[_root(aliases, index)] for index in life}
    peak = max((off + align_up(b.size, alignment) for b, off in zip(buffers, offsets)),
               default=0)
    naive = sum(align_up(graph.tensor(i).nbytes, alignment) for i in life)
    naive += sum(align_up(s, alignment) for s in scratch_bytes.values())
    return MemoryPlan(tensor_offsets, scratch_offsets, aliases, tuple(buffers), tuple(offsets),
                      align_up(peak, alignment), naive, alignment, life)
