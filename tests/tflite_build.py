"""Build small TFLite models in tests with LiteRT's flatbuffer object API
(`ai_edge_litert.schema_py_generated`), so a test model is exactly what LiteRT reads.

    m = ModelBuilder()
    x = m.tensor((1, 4, 4, 3), "int8", scale=0.05, zero_point=-3)
    y = m.tensor((1, 4, 4, 3), "int8", scale=0.05, zero_point=-3)
    m.op("RELU", [x], [y])
    path = m.save(tmp_path / "relu.tflite", inputs=[x], outputs=[y])
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import flatbuffers
import numpy as np

try:
    import ai_edge_litert.schema_py_generated as schema
except ImportError:  # pragma: no cover - CI installs ai-edge-litert
    schema = None  # type: ignore[assignment]

_TYPES = {"float32": 0, "int32": 2, "uint8": 3, "int64": 4, "bool": 6, "int16": 7, "int8": 9}


class ModelBuilder:
    """One subgraph; tensors and ops added in order; constants get their own buffer."""

    def __init__(self) -> None:
        assert schema is not None, "ai-edge-litert is needed to build test models"
        self.tensors: list[Any] = []
        self.buffers: list[Any] = [schema.BufferT()]
        self.codes: list[int] = []
        self.ops: list[Any] = []

    def tensor(self, shape: Sequence[int], dtype: str, *, scale: float | Sequence[float] | None = None,
               zero_point: int | Sequence[int] | None = None, axis: int = 0,
               data: np.ndarray | Sequence[float] | None = None, name: str | None = None) -> int:
        t = schema.TensorT()
        t.shape = [int(d) for d in shape]
        t.type = _TYPES[dtype]
        t.name = name or f"t{len(self.tensors)}"
        t.buffer = 0
        if data is not None:
            raw = np.ascontiguousarray(np.asarray(data).astype(dtype)).view(np.uint8).reshape(-1)
            b = schema.BufferT()
            b.data = raw.tolist()
            self.buffers.append(b)
            t.buffer = len(self.buffers) - 1
        if scale is not None:
            scales = [float(scale)] if np.isscalar(scale) else [float(s) for s in scale]  # type: ignore[arg-type]
            if zero_point is None:
                zps = [0] * len(scales)
            elif np.isscalar(zero_point):
                zps = [int(zero_point)] * len(scales)  # type: ignore[arg-type]
            else:
                zps = [int(z) for z in zero_point]  # type: ignore[union-attr]
            q = schema.QuantizationParametersT()
            q.scale, q.zeroPoint, q.quantizedDimension = scales, zps, axis
            t.quantization = q
        self.tensors.append(t)
        return len(self.tensors) - 1

    def const(self, values: Sequence[int] | np.ndarray, dtype: str = "int32") -> int:
        """A constant int vector/matrix (axes, paddings, permutations, shapes)."""
        arr = np.asarray(values, dtype=dtype)
        return self.tensor(arr.shape, dtype, data=arr)

    def op(self, kind: str, inputs: Sequence[int], outputs: Sequence[int],
           options: Any = None) -> None:
        code = getattr(schema.BuiltinOperator, kind)
        if code not in self.codes:
            self.codes.append(code)
        o = schema.OperatorT()
        o.opcodeIndex = self.codes.index(code)
        o.inputs, o.outputs = list(inputs), list(outputs)
        if options is not None:
            o.builtinOptionsType = getattr(schema.BuiltinOptions, type(options).__name__[:-1])
            o.builtinOptions = options
        self.ops.append(o)

    def build(self, inputs: Sequence[int], outputs: Sequence[int], *,
              builtin_code_only: bool = False) -> bytes:
        """The flatbuffer. builtin_code_only: write the op codes only in the newer
        `builtin_code` field (deprecated_builtin_code left at its default 0, i.e. ADD)."""
        codes = []
        for c in self.codes:
            oc = schema.OperatorCodeT()
            oc.builtinCode, oc.version = c, 1
            oc.deprecatedBuiltinCode = 0 if builtin_code_only else min(c, 127)
            codes.append(oc)
        sg = schema.SubGraphT()
        sg.tensors, sg.operators, sg.name = self.tensors, self.ops, "main"
        sg.inputs, sg.outputs = list(inputs), list(outputs)
        model = schema.ModelT()
        model.version, model.description = 3, "hilbench test model"
        model.operatorCodes, model.subgraphs, model.buffers = codes, [sg], self.buffers
        b = flatbuffers.Builder(1024)
        b.Finish(model.Pack(b), file_identifier=b"TFL3")
        return bytes(b.Output())

    def save(self, path: Path, inputs: Sequence[int], outputs: Sequence[int], **kw: Any) -> Path:
        Path(path).write_bytes(self.build(inputs, outputs, **kw))
        return Path(path)


def options(name: str, **fields: Any) -> Any:
    """An options object, e.g. options("Mul", fusedActivationFunction=1)."""
    o = getattr(schema, f"{name}OptionsT")()
    for k, v in fields.items():
        setattr(o, k, v)
    return o
