"""TFLite flatbuffer importer (the `tflite` package's generated schema classes).

Only the first subgraph is imported. Every op, dtype and option is checked here, so a model
hilbench cannot run fails at import with the op, its index, its output tensor and the file
named, never later inside a kernel. A file that is not a TFLite flatbuffer, or is truncated,
fails with a `ModelFormatError`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import tflite

from ..errors import ModelFormatError, UnsupportedOpError
from ..ir import OP_ATTRS, Graph, Op, Quantization, Tensor

__all__ = ["load_tflite", "parse_tflite"]

_TENSOR_TYPES = {
    tflite.TensorType.FLOAT32: "float32",
    tflite.TensorType.INT32: "int32",
    tflite.TensorType.UINT8: "uint8",
    tflite.TensorType.INT64: "int64",
    tflite.TensorType.BOOL: "bool",
    tflite.TensorType.INT16: "int16",
    tflite.TensorType.INT8: "int8",
}
_OP_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_TYPE_NAMES = {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
_ACTIVATIONS = {
    tflite.ActivationFunctionType.NONE: "NONE",
    tflite.ActivationFunctionType.RELU: "RELU",
    tflite.ActivationFunctionType.RELU_N1_TO_1: "RELU_N1_TO_1",
    tflite.ActivationFunctionType.RELU6: "RELU6",
}
_PADDING = {tflite.Padding.SAME: "SAME", tflite.Padding.VALID: "VALID"}


def load_tflite(path: Path) -> Graph:
    """Read and import a .tflite file."""
    return parse_tflite(Path(path).read_bytes(), name=Path(path).stem, source=str(path))


def parse_tflite(buf: bytes, name: str = "model", source: str = "<bytes>") -> Graph:
    """Import a TFLite flatbuffer held in memory."""
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise ModelFormatError(
            f"{source}: not a TFLite model (no 'TFL3' file identifier; {len(buf)} bytes)"
        )
    try:
        return _Importer(buf, name, source).graph()
    except (UnsupportedOpError, ModelFormatError):
        raise
    except Exception as exc:  # the flatbuffer reader fails in many ways on a corrupt file
        raise ModelFormatError(
            f"{source}: truncated or corrupt TFLite file ({type(exc).__name__}: {exc})"
        ) from None


class _Importer:
    def __init__(self, buf: bytes, name: str, source: str) -> None:
        self.buf = buf
        self.name = name
        self.source = source
        self.model = tflite.Model.GetRootAsModel(buf, 0)

    def graph(self) -> Graph:
        if self.model.SubgraphsLength() < 1:
            raise ModelFormatError(f"{self.source}: the model has no subgraph")
        sg = self.model.Subgraphs(0)
        tensors = [self._tensor(sg.Tensors(i), i) for i in range(sg.TensorsLength())]
        ops = [self._op(sg.Operators(i), i, tensors) for i in range(sg.OperatorsLength())]
        inputs = [int(sg.Inputs(i)) for i in range(sg.InputsLength())]
        outputs = [int(sg.Outputs(i)) for i in range(sg.OutputsLength())]
        if not inputs or not outputs:
            raise ModelFormatError(f"{self.source}: the model has no inputs or no outputs")
        for i in inputs + outputs:
            if not 0 <= i < len(tensors):
                raise ModelFormatError(f"{self.source}: graph input/output {i} is not a tensor")
        return Graph(self.name, tensors, ops, inputs, outputs, source=self.source)

    def _tensor(self, t: Any, index: int) -> Tensor:
        name = t.Name().decode("utf-8", "replace") if t.Name() else f"t{index}"
        ttype = t.Type()
        dtype = _TENSOR_TYPES.get(ttype)
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        quant = self._quant(t.Quantization())
        data = None
        buffer = self.model.Buffers(t.Buffer())
        if buffer is not None and buffer.DataLength() > 0:
            if dtype is None:
                raise UnsupportedOpError(
                    f"{self.source}: constant tensor #{index} '{name}' has unsupported type "
                    f"{_TYPE_NAMES.get(ttype, ttype)}"
                )
            raw = buffer.DataAsNumpy().tobytes()
            expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
            if len(raw) != expected:
                raise ModelFormatError(
                    f"{self.source}: tensor #{index} '{name}' holds {len(raw)} bytes, "
                    f"its shape {shape} x {dtype} needs {expected}"
                )
            data = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)
            data = data.reshape(shape)
        return Tensor(index, name, shape, dtype or f"unsupported:{_TYPE_NAMES.get(ttype, ttype)}",
                      quant, data)

    @staticmethod
    def _quant(q: Any) -> Quantization | None:
        if q is None or q.ScaleLength() == 0:
            return None
        scale = tuple(float(s) for s in q.ScaleAsNumpy())
        zero_point = (
            tuple(int(z) for z in q.ZeroPointAsNumpy())
            if q.ZeroPointLength()
            else (0,) * len(scale)
        )
        axis = int(q.QuantizedDimension()) if len(scale) > 1 else None
        return Quantization(scale, zero_point, axis)

    def _op(self, o: Any, index: int, tensors: list[Tensor]) -> Op:
        code_obj = self.model.OperatorCodes(o.OpcodeIndex())
        code = max(code_obj.BuiltinCode(), code_obj.DeprecatedBuiltinCode())
        kind = _OP_NAMES.get(code, f"BUILTIN_{code}")
        if code == tflite.BuiltinOperator.CUSTOM:
            custom = code_obj.CustomCode()
            kind = f"CUSTOM({custom.decode() if custom else '?'})"
        inputs = [int(i) for i in o.InputsAsNumpy()] if o.InputsLength() else []
        outputs = [int(i) for i in o.OutputsAsNumpy()] if o.OutputsLength() else []
        label = tensors[outputs[0]].name if outputs else "?"
        where = f"{self.source}: op #{index} '{label}' ({kind})"
        if kind not in OP_ATTRS:
            raise UnsupportedOpError(
                f"{where} is not supported; supported ops: {', '.join(OP_ATTRS)}"
            )
        for i in inputs + outputs:
            if not -1 <= i < len(tensors):
                raise ModelFormatError(f"{where} refers to tensor {i}, which does not exist")
        op = Op(kind, label, inputs, outputs, self._attrs(kind, o, where))
        _check_types(op, tensors, where)
        return op

    def _attrs(self, kind: str, o: Any, where: str) -> dict[str, Any]:
        table = o.BuiltinOptions()
        if kind == "CONV_2D":
            opt = _options(tflite.Conv2DOptions, table, where)
            return {
                "stride": (opt.StrideH(), opt.StrideW()),
                "dilation": (opt.DilationHFactor(), opt.DilationWFactor()),
                "padding": _padding(opt.Padding(), where),
                "activation": _activation(opt.FusedActivationFunction(), where),
            }
        if kind == "DEPTHWISE_CONV_2D":
            opt = _options(tflite.DepthwiseConv2DOptions, table, where)
            return {
                "stride": (opt.StrideH(), opt.StrideW()),
                "dilation": (opt.DilationHFactor(), opt.DilationWFactor()),
                "padding": _padding(opt.Padding(), where),
                "activation": _activation(opt.FusedActivationFunction(), where),
                "depth_multiplier": opt.DepthMultiplier(),
            }
        if kind == "FULLY_CONNECTED":
            if table is None:
                return {"activation": "NONE", "keep_num_dims": False}
            opt = _options(tflite.FullyConnectedOptions, table, where)
            if opt.WeightsFormat() != 0:
                raise UnsupportedOpError(f"{where}: shuffled weights format is not supported")
            return {
                "activation": _activation(opt.FusedActivationFunction(), where),
                "keep_num_dims": bool(opt.KeepNumDims()),
            }
        if kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            opt = _options(tflite.Pool2DOptions, table, where)
            return {
                "filter": (opt.FilterHeight(), opt.FilterWidth()),
                "stride": (opt.StrideH(), opt.StrideW()),
                "padding": _padding(opt.Padding(), where),
                "activation": _activation(opt.FusedActivationFunction(), where),
            }
        if kind == "ADD":
            if table is None:
                return {"activation": "NONE"}
            opt = _options(tflite.AddOptions, table, where)
            return {"activation": _activation(opt.FusedActivationFunction(), where)}
        if kind == "SOFTMAX":
            if table is None:
                return {"beta": 1.0}
            opt = _options(tflite.SoftmaxOptions, table, where)
            return {"beta": float(opt.Beta())}
        return {}


def _options(cls: Any, table: Any, where: str) -> Any:
    if table is None:
        raise ModelFormatError(f"{where} has no options table")
    opt = cls()
    opt.Init(table.Bytes, table.Pos)
    return opt


def _activation(code: int, where: str) -> str:
    if code not in _ACTIVATIONS:
        names = {v: k for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_")}
        raise UnsupportedOpError(
            f"{where}: fused activation {names.get(code, code)} is not supported; "
            f"supported: {', '.join(_ACTIVATIONS.values())}"
        )
    return _ACTIVATIONS[code]


def _padding(code: int, where: str) -> str:
    if code not in _PADDING:
        raise ModelFormatError(f"{where}: unknown padding code {code}")
    return _PADDING[code]


# (activation input dtype, output dtype) pairs each op supports; weights must match the input.
_TYPE_RULES: dict[str, set[tuple[str, str]]] = {
    "QUANTIZE": {("float32", "int8"), ("int8", "int8")},
    "DEQUANTIZE": {("int8", "float32")},
}
_COMPUTE_TYPES = {("int8", "int8"), ("float32", "float32")}


def _check_types(op: Op, tensors: list[Tensor], where: str) -> None:
    data = tensors[op.inputs[0]]
    out = tensors[op.outputs[0]]
    allowed = _TYPE_RULES.get(op.kind, _COMPUTE_TYPES)
    if (data.dtype, out.dtype) not in allowed:
        raise UnsupportedOpError(
            f"{where}: {data.dtype} -> {out.dtype} is not supported; supported: "
            + ", ".join(f"{a} -> {b}" for a, b in sorted(allowed))
        )
    for t in (data, out):
        if t.dtype == "int8" and t.quant is None:
            raise UnsupportedOpError(f"{where}: int8 tensor '{t.name}' has no quantization")
    if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        weights = tensors[op.inputs[1]]
        if not weights.is_constant:
            raise UnsupportedOpError(f"{where}: non-constant weights are not supported")
        if op.kind == "CONV_2D" and (data.dtype, weights.dtype) == ("float32", "int8"):
            # Dynamic-range ("hybrid") conv: TFLite's EvalHybrid, per-tensor weight scale only.
            if weights.quant is None or not weights.quant.per_tensor:
                raise UnsupportedOpError(
                    f"{where}: hybrid conv with per-channel weight scales is not supported"
                )
            op.attrs["hybrid"] = True
        elif weights.dtype != data.dtype:
            raise UnsupportedOpError(
                f"{where}: {weights.dtype} weights with {data.dtype} activations "
                "(hybrid quantization) are not supported"
            )
        bias = tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        want_bias = "int32" if data.dtype == "int8" else "float32"
        if bias is not None and (bias.dtype != want_bias or not bias.is_constant):
            raise UnsupportedOpError(
                f"{where}: bias must be a constant {want_bias} tensor, got {bias.dtype}"
            )
    if op.kind == "ADD":
        other = tensors[op.inputs[1]]
        if other.dtype != data.dtype:
            raise UnsupportedOpError(f"{where}: ADD of {data.dtype} and {other.dtype}")
