"""Which output of a multi-exit .tflite is which exit, and its calibration, read from the file.

litert-torch names the k-th element of a module's output tuple `output_<k>` in the model's
signature (SignatureDef `serving_default`); the subgraph's output list is in no promised
order. `exit_outputs` maps exit k to its tensor through that name, never through positions.
`annotate` stores the exits (tensor per exit, temperature, calibration facts) as JSON in the
model's metadata under `hilbench.exits`, so one .tflite carries everything a run needs;
`read_exits` gives them back (None for a model without exits).
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ModelError

__all__ = ["ExitInfo", "ExitSpec", "METADATA_NAME", "exit_outputs", "annotate", "read_exits"]

METADATA_NAME = "hilbench.exits"
_OUTPUT_NAME = re.compile(r"output_(\d+)")


@dataclass(frozen=True)
class ExitInfo:
    tensor: int                 # subgraph tensor index of the exit's logits
    name: str                   # its signature name, output_<k>
    temperature: float = 1.0    # softmax(logits / temperature) is the calibrated confidence


@dataclass(frozen=True)
class ExitSpec:
    exits: tuple[ExitInfo, ...]
    calibration: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> str:
        return json.dumps({"version": 1, "exits": [asdict(e) for e in self.exits],
                           "calibration": self.calibration}, sort_keys=True)


def _model(buf: bytes) -> Any:
    import tflite
    return tflite.Model.GetRootAsModel(buf, 0)


def exit_outputs(path: Path) -> tuple[ExitInfo, ...]:
    """Exit k -> the tensor the signature names `output_<k>`; ModelError unless they are
    exactly output_0..output_{K-1} of a single signature."""
    m = _model(Path(path).read_bytes())
    if m.SignatureDefsLength() != 1:
        raise ModelError(f"{Path(path).name}: {m.SignatureDefsLength()} signatures; a multi-exit "
                         "model needs exactly one to name its exits")
    sd = m.SignatureDefs(0)
    by_k: dict[int, ExitInfo] = {}
    for i in range(sd.OutputsLength()):
        out = sd.Outputs(i)
        name = out.Name().decode()
        match = _OUTPUT_NAME.fullmatch(name)
        if not match:
            raise ModelError(f"{Path(path).name}: signature output {name!r} is not output_<k>")
        by_k[int(match.group(1))] = ExitInfo(int(out.TensorIndex()), name)
    if sorted(by_k) != list(range(len(by_k))):
        raise ModelError(f"{Path(path).name}: signature outputs {sorted(by_k)} are not "
                         "output_0..output_{K-1}")
    return tuple(by_k[k] for k in range(len(by_k)))


def read_exits(path: Path) -> ExitSpec | None:
    """The `hilbench.exits` metadata of a model file, or None when it has none."""
    buf = Path(path).read_bytes()
    m = _model(buf)
    for i in range(m.MetadataLength()):
        md = m.Metadata(i)
        if md.Name() and md.Name().decode() == METADATA_NAME:
            data = m.Buffers(md.Buffer()).DataAsNumpy().tobytes()
            try:
                doc = json.loads(data)
                exits = tuple(ExitInfo(int(e["tensor"]), str(e["name"]),
                                       float(e["temperature"])) for e in doc["exits"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ModelError(f"{Path(path).name}: unreadable {METADATA_NAME} metadata "
                                 f"({exc})") from None
            return ExitSpec(exits, dict(doc.get("calibration", {})))
    return None


def annotate(path: Path, spec: ExitSpec) -> None:
    """Write `spec` into the model file's metadata (replacing an earlier one)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    buf = Path(path).read_bytes()
    model = schema.ModelT.InitFromPackedBuf(buf, 0)
    model.metadata = [md for md in (model.metadata or [])
                      if md.name not in (METADATA_NAME, METADATA_NAME.encode())]
    data = schema.BufferT()
    data.data = list(spec.as_json().encode())
    model.buffers.append(data)
    md = schema.MetadataT()
    md.name = METADATA_NAME
    md.buffer = len(model.buffers) - 1
    model.metadata.append(md)
    builder = flatbuffers.Builder(len(buf) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    Path(path).write_bytes(bytes(builder.Output()))
