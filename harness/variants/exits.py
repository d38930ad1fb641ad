"""A converted multi-exit variant gets its exits named and calibrated inside its .tflite.

Exit order comes from the signature (meta.exit_outputs); each exit's temperature is fitted
on the data set's validation split (never the test split) with the golden interpreter's
outputs of this very file, then everything is written into the model's metadata.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..datasets import Dataset
from ..exits import ExitInfo, ExitSpec, annotate, exit_outputs
from ..exits.calibrate import calibrate_exits, dequantize
from ..golden import GoldenInterpreter
from ..importers import load_model
from ..inputs import model_inputs

__all__ = ["attach_exits"]


def attach_exits(path: Path, dataset: Dataset, say: Callable[[str], None]) -> ExitSpec | None:
    """Annotate a model with more than one output; None (file untouched) for one output."""
    graph = load_model(path)
    if len(graph.outputs) < 2:
        return None
    exits = exit_outputs(path)
    outs = GoldenInterpreter(graph).run(model_inputs(graph, dataset.val.x))
    by_tensor = dict(zip(graph.outputs, outs))
    logits = []
    for e in exits:
        t = graph.tensor(e.tensor)
        q = t.quant
        logits.append(dequantize(by_tensor[e.tensor], q.scale[0] if q else None,
                                 q.zero_point[0] if q else 0))
    facts = calibrate_exits(logits, dataset.val.y)
    spec = ExitSpec(tuple(ExitInfo(e.tensor, e.name, f["temperature"])
                          for e, f in zip(exits, facts)),
                    {"split": "val", "n": int(len(dataset.val)), "dataset": dataset.name,
                     "method": "temperature scaling, NLL on a log grid", "exits": facts})
    annotate(path, spec)
    say("exits calibrated on the validation split: " + ", ".join(
        f"exit {k} T={f['temperature']:.3g} (confidence {f['mean_confidence_before']:.2f}"
        f"->{f['mean_confidence_after']:.2f}, acc {f['accuracy']:.3f})"
        for k, f in enumerate(facts)))
    return spec
