"""The edge's half of a split exit model as its own .tflite: the ops after stage s, taking
the forwarded (boundary) tensors as inputs and giving the later exits' logits.

Cut from the original file with LiteRT's flatbuffer object API: the subgraph keeps its
tensors and buffers (same indices, same quantization), loses the sensor's operators, and
gets the boundary tensors as inputs and the later exits as outputs; the signature (which
named the whole model's input) is dropped. Its golden outputs equal the whole model's on the
same tensors, so the edge's answers can be checked bit for bit.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import ModelError
from ..importers import load_model
from .meta import ExitSpec
from .program import boundary_tensors, stage_ops

__all__ = ["edge_model"]


def edge_model(path: Path, spec: ExitSpec, split_after: int, out: Path) -> Path:
    """Write the ops after stage `split_after` of `path` as `out`; returns `out`."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    graph = load_model(path)
    exits = [e.tensor for e in spec.exits]
    stages = stage_ops(graph, exits)
    if not 0 <= split_after < len(stages) - 1:
        raise ModelError(f"{Path(path).name}: no stage after {split_after} to cut out")
    boundary = boundary_tensors(graph, stages, split_after)
    late_outputs = {t for ops in stages[split_after + 1:] for i in ops
                    for t in graph.ops[i].outputs}
    buf = Path(path).read_bytes()
    model = schema.ModelT.InitFromPackedBuf(buf, 0)
    sg = model.subgraphs[0]
    sg.operators = [op for op in sg.operators if int(op.outputs[0]) in late_outputs]
    sg.inputs = list(boundary)
    sg.outputs = exits[split_after + 1:]
    model.signatureDefs = []
    model.metadata = [m for m in (model.metadata or [])
                      if (m.name.decode() if isinstance(m.name, bytes) else m.name)
                      != "hilbench.exits"]
    builder = flatbuffers.Builder(len(buf) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    Path(out).write_bytes(bytes(builder.Output()))
    return Path(out)
