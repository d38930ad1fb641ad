"""TFLite flatbuffer importer (the `tflite` package's generated schema classes).

Only the first subgraph is imported. Every op, dtype and option is checked here, so a model
hilbench cannot run fails at import with the op, its index, its output tensor and the file
named, never later inside a kernel: all unsupported op/dtype combinations of a model are
listed in one `UnsupportedOpError`. A file that is not a TFLite flatbuffer, is truncated, or
contradicts itself (shapes, quantization, buffer sizes, strides: see `validate.py`) fails with
a `ModelFormatError`. Every message is one line under 200 characters.

Op codes are read from the raw `deprecated_builtin_code` (int8) and `builtin_code` (int32)
fields, the larger wins, as LiteRT's GetBuiltinCode does. (The `tflite` package's
`BuiltinCode()` accessor returns the deprecated field whenever `builtin_code` < 127, so a model
that writes only `builtin_code` would read as ADD.)
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import tflite
from flatbuffers.number_types import Int8Flags, Int32Flags

from ..errors import HilbenchError, ModelFormatError, UnsupportedOpError
from ..ir import OP_ATTRS, Graph, Op, Quantization, Tensor
from .flatbuffer_check import FlatbufferError, verify_model
from .messages import one_line, short_name
from .op_types import OP_TYPES
from .seq_ops import SEQ_OPTIONS, seq_attrs
from .tflite_more import data_first, more_attrs
from .validate import validate_graph

__all__ = ["load_tflite", "parse_tflite", "OP_TYPES", "opcode_of"]

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
_INT_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
               "int32": (-(1 << 31), (1 << 31) - 1), "int64": (-(1 << 63), (1 << 63) - 1)}
# Activations (graph inputs, op outputs) larger than this are refused: a corrupt shape must
# not make the golden interpreter allocate gigabytes.
MAX_TENSOR_ELEMENTS = 1 << 24
# Larger quantization scales only come from corrupt files (int8 steps of 4e9 overflow float
# arithmetic downstream, where golden and LiteRT may handle inf/NaN differently).
MAX_SCALE = float(1 << 32)
# No builtin op has reached this version; larger values are corrupt op codes.
MAX_OP_VERSION = 16


def opcode_of(code_obj: Any) -> int:
    """The builtin operator of an OperatorCode table: max(deprecated_builtin_code,
    builtin_code) read from the raw fields (absent fields are 0)."""
    tab = code_obj._tab
    o = tab.Offset(4)
    deprecated = tab.Get(Int8Flags, o + tab.Pos) if o else 0
    o = tab.Offset(10)
    builtin = tab.Get(Int32Flags, o + tab.Pos) if o else 0
    return max(int(deprecated), int(builtin))


def load_tflite(path: Path) -> Graph:
    """Read and import a .tflite file."""
    return parse_tflite(Path(path).read_bytes(), name=Path(path).stem, source=str(path))


def parse_tflite(buf: bytes, name: str = "model", source: str = "<bytes>") -> Graph:
    """Import a TFLite flatbuffer held in memory."""
    label = Path(source).name if source != "<bytes>" else source
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise ModelFormatError(
            f"{label}: not a TFLite model (no 'TFL3' file identifier; {len(buf)} bytes)"
        )
    try:
        verify_model(bytes(buf))
    except FlatbufferError as exc:
        raise ModelFormatError(one_line(f"{label}: truncated or corrupt TFLite file ({exc})")) \
            from None
    try:
        graph = _Importer(bytes(buf), name, source, label).graph()
        validate_graph(graph, label)
        return graph
    except HilbenchError as exc:
        raise type(exc)(one_line(str(exc))) from None
    except Exception as exc:  # the flatbuffer reader fails in many ways on a corrupt file
        raise ModelFormatError(one_line(
            f"{label}: truncated or corrupt TFLite file ({type(exc).__name__}: {exc})"
        )) from None


class _Importer:
    def __init__(self, buf: bytes, name: str, source: str, label: str) -> None:
        self.buf = buf
        self.name = name
        self.source = source
        self.label = label
        self.model = tflite.Model.GetRootAsModel(buf, 0)

    def graph(self) -> Graph:
        if self.model.Version() != 3:   # LiteRT reads schema version 3 only
            raise ModelFormatError(f"{self.label}: schema version {self.model.Version()}; "
                                   "TFLite models are version 3")
        if self.model.SubgraphsLength() < 1:
            raise ModelFormatError(f"{self.label}: the model has no subgraph")
        sg = self.model.Subgraphs(0)
        for k in range(self.model.OperatorCodesLength()):   # LiteRT resolves every one
            code_obj = self.model.OperatorCodes(k)
            code = opcode_of(code_obj)
            if code not in _OP_NAMES or code == tflite.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES:
                raise ModelFormatError(f"{self.label}: op code #{k} is {code}, not a TFLite "
                                       "builtin operator")
            if not 1 <= code_obj.Version() <= MAX_OP_VERSION:
                raise ModelFormatError(f"{self.label}: op code #{k} ({_OP_NAMES[code]}) has "
                                       f"version {code_obj.Version()}, not a TFLite op version")
        tensors = [self._tensor(sg.Tensors(i), i) for i in range(sg.TensorsLength())]
        inputs = [int(sg.Inputs(i)) for i in range(sg.InputsLength())]
        outputs = [int(sg.Outputs(i)) for i in range(sg.OutputsLength())]
        if not inputs or not outputs:
            raise ModelFormatError(f"{self.label}: the model has no inputs or no outputs")
        for i in inputs + outputs:
            if not 0 <= i < len(tensors):
                raise ModelFormatError(f"{self.label}: graph input/output {i} is not a tensor")
        unsupported: Counter[str] = Counter()
        first: dict[str, str] = {}
        ops: list[Op] = []
        for i in range(sg.OperatorsLength()):
            op = self._op(sg.Operators(i), i, tensors, unsupported, first)
            if op is not None:
                ops.append(op)
        if unsupported:
            listed = ", ".join(f"{k} x{n} ({first[k]})" if len(unsupported) <= 2 else
                               f"{k} x{n}" for k, n in sorted(unsupported.items()))
            total = sum(unsupported.values())
            raise UnsupportedOpError(
                f"{self.label}: {total} op(s) not supported: {listed}; "
                "supported ops: see README 'Supported operators'"
            )
        for i in inputs:
            t = tensors[i]
            if t.is_constant:
                raise ModelFormatError(f"{self.label}: graph input #{i} '{short_name(t.name)}' "
                                       "is a constant")
        return Graph(self.name, tensors, ops, inputs, outputs, source=self.source)

    def _tensor(self, t: Any, index: int) -> Tensor:
        raw_name = t.Name().decode("utf-8", "replace") if t.Name() else f"t{index}"
        where = f"{self.label}: tensor #{index} '{short_name(raw_name)}'"
        ttype = t.Type()
        dtype = _TENSOR_TYPES.get(ttype)
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        if any(d < 0 for d in shape):
            raise UnsupportedOpError(f"{where} has dynamic shape {shape}; hilbench needs "
                                     "static shapes (convert with a fixed batch of 1)")
        if math.prod(shape) > MAX_TENSOR_ELEMENTS:
            raise ModelFormatError(f"{where} has shape {shape}: more than "
                                   f"{MAX_TENSOR_ELEMENTS} elements")
        if t.Sparsity() is not None:
            raise UnsupportedOpError(f"{where} is stored sparse; sparse tensors are not "
                                     "supported (densify before conversion)")
        quant = self._quant(t.Quantization(), dtype, shape, where)
        data = None
        if not 0 <= t.Buffer() < self.model.BuffersLength():
            raise ModelFormatError(f"{where} refers to buffer {t.Buffer()}, which does not exist")
        buffer = self.model.Buffers(t.Buffer())
        raw = b""
        if buffer is not None and buffer.DataLength() > 0:
            raw = buffer.DataAsNumpy().tobytes()
        elif buffer is not None and buffer.Offset() > 1:   # data stored after the flatbuffer
            start, size = int(buffer.Offset()), int(buffer.Size())
            if start + size > len(self.buf):
                raise ModelFormatError(f"{where}: its buffer lies beyond the end of the file")
            raw = self.buf[start:start + size]
        if raw and t.Buffer() == 0:   # buffer 0 is the schema's empty sentinel: LiteRT runs
            raise ModelFormatError(   # such a tensor as data-less ("lacks data")
                f"{where} keeps its data in buffer 0, which TFLite reserves as the empty buffer")
        if raw and t.IsVariable():   # LiteRT: "a variable tensor with buffer" is refused
            raise ModelFormatError(f"{where} is a variable tensor with data")
        if raw:
            if dtype is None:
                raise UnsupportedOpError(
                    f"{where} is a constant of unsupported type {_TYPE_NAMES.get(ttype, ttype)}"
                )
            expected = math.prod(shape) * np.dtype(dtype).itemsize
            if len(raw) != expected:
                raise ModelFormatError(
                    f"{where} holds {len(raw)} bytes, its shape {shape} x {dtype} needs {expected}"
                )
            data = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)
            data = data.reshape(shape)
            if data.dtype.kind == "f" and not np.all(np.isfinite(data)):
                bad = int(np.count_nonzero(~np.isfinite(data)))
                raise ModelFormatError(f"{where} holds {bad} non-finite value(s) (NaN/inf); "
                                       "the file is corrupt")
        return Tensor(index, raw_name, shape,
                      dtype or f"unsupported:{_TYPE_NAMES.get(ttype, ttype)}", quant, data,
                      variable=bool(t.IsVariable()))

    @staticmethod
    def _quant(q: Any, dtype: str | None, shape: tuple[int, ...],
               where: str) -> Quantization | None:
        if q is None:
            return None
        if q.DetailsType() != 0:
            raise UnsupportedOpError(f"{where} uses custom quantization (details type "
                                     f"{q.DetailsType()}); only affine quantization is supported")
        if q.ScaleLength() == 0:
            return None
        scale = tuple(float(s) for s in q.ScaleAsNumpy())
        zero_point = tuple(int(z) for z in q.ZeroPointAsNumpy()) if q.ZeroPointLength() else ()
        if len(zero_point) != len(scale):   # LiteRT refuses this for every tensor type
            raise ModelFormatError(f"{where}: {len(scale)} scale(s) but {len(zero_point)} "
                                   "zero point(s)")
        axis = int(q.QuantizedDimension()) if len(scale) > 1 else None
        if dtype not in _INT_RANGES:    # float tensors: the parameters are never used
            return Quantization(scale, zero_point, axis)
        bad = [s for s in scale if not (math.isfinite(s) and s > 0)]
        if bad:
            raise ModelFormatError(f"{where}: quantization scale {bad[0]!r} is not a finite "
                                   "positive number")
        if max(scale) > MAX_SCALE:
            raise ModelFormatError(f"{where}: quantization scale {max(scale):.3g} exceeds "
                                   f"{MAX_SCALE:.3g}; the file is corrupt")
        lo, hi = _INT_RANGES[dtype]
        outside = [z for z in zero_point if not lo <= z <= hi]
        if outside:
            raise ModelFormatError(f"{where}: zero point {outside[0]} is outside the {dtype} "
                                   f"range [{lo}, {hi}]")
        if axis is not None:
            if not 0 <= axis < len(shape):
                raise ModelFormatError(f"{where}: quantized dimension {axis} is not an axis of "
                                       f"shape {shape}")
            if len(scale) != shape[axis]:
                raise ModelFormatError(f"{where}: {len(scale)} per-axis scales for dimension "
                                       f"{axis} of size {shape[axis]}")
        return Quantization(scale, zero_point, axis)

    def _op(self, o: Any, index: int, tensors: list[Tensor], unsupported: Counter[str],
            first: dict[str, str]) -> Op | None:
        if not 0 <= o.OpcodeIndex() < self.model.OperatorCodesLength():
            raise ModelFormatError(f"{self.label}: op #{index} has op code index "
                                   f"{o.OpcodeIndex()}, which does not exist")
        code_obj = self.model.OperatorCodes(o.OpcodeIndex())
        code = opcode_of(code_obj)
        kind = _OP_NAMES.get(code, f"BUILTIN_{code}")
        if code == tflite.BuiltinOperator.CUSTOM:
            custom = code_obj.CustomCode()
            kind = f"CUSTOM({short_name(custom.decode('utf-8', 'replace')) if custom else '?'})"
        inputs = data_first(kind, [int(i) for i in o.InputsAsNumpy()] if o.InputsLength() else [])
        outputs = [int(i) for i in o.OutputsAsNumpy()] if o.OutputsLength() else []
        for i in inputs + outputs:
            if not -1 <= i < len(tensors):
                raise ModelFormatError(f"{self.label}: op #{index} ({kind}) refers to tensor "
                                       f"{i}, which does not exist")
        if not inputs or not outputs or inputs[0] < 0 or -1 in outputs:
            raise ModelFormatError(f"{self.label}: op #{index} ({kind}) has no data input "
                                   "or no output")
        label = tensors[outputs[0]].name
        where = f"{self.label}: op #{index} '{short_name(label)}' ({kind})"
        in_type, out_type = tensors[inputs[0]].dtype, tensors[outputs[0]].dtype
        if kind not in OP_TYPES or (in_type, out_type) not in OP_TYPES[kind]:
            key = f"{kind}({in_type}->{out_type})"
            unsupported[key] += 1
            first.setdefault(key, f"op #{index} '{short_name(label, 24)}'")
            return None
        op = Op(kind, label, inputs, outputs, self._attrs(kind, o, where))
        if kind == "UNIDIRECTIONAL_SEQUENCE_LSTM":   # the int8 LSTM's scales (lower_lstm8)
            count = o.IntermediatesLength()
            op.attrs["intermediates"] = [int(i) for i in o.IntermediatesAsNumpy()] if count else []
        _check_types(op, tensors, where)
        return op

    def _attrs(self, kind: str, o: Any, where: str) -> dict[str, Any]:
        table = o.BuiltinOptions()
        otype = o.BuiltinOptionsType()

        def opts(cls: Any, required: bool = True) -> Any:
            name = cls.__name__
            if table is None or otype == 0:
                if required:
                    raise ModelFormatError(f"{where} has no options table")
                return None
            if otype != getattr(tflite.BuiltinOptions, name):
                raise ModelFormatError(f"{where} carries options of type {otype}, not {name}")
            opt = cls()
            opt.Init(table.Bytes, table.Pos)
            return opt

        more = more_attrs(kind, opts, where, _positive, _padding, _activation)
        if more is not None:
            return more
        if kind == "CONV_2D":
            opt = opts(tflite.Conv2DOptions)
            return {
                "stride": _positive((opt.StrideH(), opt.StrideW()), "stride", where),
                "dilation": _positive((opt.DilationHFactor(), opt.DilationWFactor()),
                                      "dilation", where),
                "padding": _padding(opt.Padding(), where),
                "activation": _activation(opt.FusedActivationFunction(), where),
            }
        if kind == "DEPTHWISE_CONV_2D":
            opt = opts(tflite.DepthwiseConv2DOptions)
            return {
                "stride": _positive((opt.StrideH(), opt.StrideW()), "stride", where),
                "dilation": _positive((opt.DilationHFactor(), opt.DilationWFactor()),
                                      "dilation", where),
                "padding": _padding(opt.Padding(), where),
                "activation": _activation(opt.FusedActivationFunction(), where),
                "depth_multiplier": opt.DepthMultiplier(),
            }
        if kind == "FULLY_CONNECTED":
            opt = opts(tflite.FullyConnectedOptions, required=False)
            if opt is None:
                return {"activation": "NONE", "keep_num_dims": False}
            if opt.WeightsFormat() != 0:
                raise UnsupportedOpError(f"{where}: shuffled weights format is not supported")
            return {
                "activation": _activation(opt.FusedActivationFunction(), where),
                "keep_num_dims": bool(opt.KeepNumDims()),
                "asymmetric_quantize_inputs": bool(opt.AsymmetricQuantizeInputs()),
            }
        if kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            opt = opts(tflite.Pool2DOptions)
            return {
                "filter": _positive((opt.FilterHeight(), opt.FilterWidth()), "filter size", where),
                "stride": _positive((opt.StrideH(), opt.StrideW()), "stride", where),
                "padding": _padding(opt.Padding(), where),
                "activation": _activation(opt.FusedActivationFunction(), where),
            }
        if kind in ("ADD", "MUL", "SUB"):
            cls = {"ADD": tflite.AddOptions, "MUL": tflite.MulOptions, "SUB": tflite.SubOptions}
            opt = opts(cls[kind], required=False)
            act = opt.FusedActivationFunction() if opt is not None else 0
            attrs: dict[str, Any] = {"activation": _activation(act, where)}
            if kind != "MUL":   # int16: power-of-two scales path (LiteRT: options absent = off)
                attrs["pot_scale_int16"] = bool(opt.PotScaleInt16()) if opt is not None else False
            return attrs
        if kind == "SOFTMAX":
            opt = opts(tflite.SoftmaxOptions, required=False)
            beta = float(opt.Beta()) if opt is not None else 1.0
            if not (math.isfinite(beta) and beta > 0):
                raise ModelFormatError(f"{where}: beta {beta!r} is not a finite positive number")
            return {"beta": beta}
        if kind == "CONCATENATION":
            opt = opts(tflite.ConcatenationOptions)
            return {"axis": int(opt.Axis()),
                    "activation": _activation(opt.FusedActivationFunction(), where)}
        if kind == "MEAN":
            opt = opts(tflite.ReducerOptions, required=False)
            return {"keep_dims": bool(opt.KeepDims()) if opt is not None else False}
        if kind == "LEAKY_RELU":
            opt = opts(tflite.LeakyReluOptions, required=False)
            alpha = float(opt.Alpha()) if opt is not None else 0.0
            if not math.isfinite(alpha):
                raise ModelFormatError(f"{where}: alpha {alpha!r} is not finite")
            return {"alpha": alpha}
        if kind == "STRIDED_SLICE":
            opt = opts(tflite.StridedSliceOptions, required=False)
            masks = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                     "shrink_axis_mask")
            if opt is None:
                return {**dict.fromkeys(masks, 0), "offset": False}
            return {"begin_mask": opt.BeginMask(), "end_mask": opt.EndMask(),
                    "ellipsis_mask": opt.EllipsisMask(), "new_axis_mask": opt.NewAxisMask(),
                    "shrink_axis_mask": opt.ShrinkAxisMask(), "offset": bool(opt.Offset())}
        if kind == "BATCH_MATMUL":
            opt = opts(tflite.BatchMatMulOptions, required=False)
            if opt is None:
                return {"adj_x": False, "adj_y": False}
            return {"adj_x": bool(opt.AdjX()), "adj_y": bool(opt.AdjY())}
        if kind in SEQ_OPTIONS:
            return seq_attrs(kind, opts(SEQ_OPTIONS[kind], required=False), where)
        if kind == "GELU":
            opt = opts(tflite.GeluOptions, required=False)
            return {"approximate": bool(opt.Approximate()) if opt is not None else False}
        return {k: None for k in OP_ATTRS.get(kind, ())}


def _positive(values: tuple[int, int], what: str, where: str) -> tuple[int, int]:
    if min(values) <= 0:
        raise ModelFormatError(f"{where}: {what} {values} must be > 0")
    return (int(values[0]), int(values[1]))


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


def _check_types(op: Op, tensors: list[Tensor], where: str) -> None:
    data = tensors[op.inputs[0]]
    out = tensors[op.outputs[0]]
    for t in (data, out):
        if t.dtype in ("int8", "int16") and t.quant is None:
            raise UnsupportedOpError(f"{where}: {t.dtype} tensor '{short_name(t.name)}' has no "
                                     "quantization")
    if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV"):
        if len(op.inputs) < 2 or op.inputs[1] < 0:
            raise ModelFormatError(f"{where} has no weights input")
        weights = tensors[op.inputs[1]]
        if not weights.is_constant and not (op.kind == "FULLY_CONNECTED" and
                                            weights.dtype == data.dtype == "float32"):
            # (float FC with activation weights: litert-torch's form of q @ k^T)
            raise UnsupportedOpError(f"{where}: non-constant weights are not supported")
        if op.kind in ("CONV_2D", "FULLY_CONNECTED") and \
                (data.dtype, weights.dtype) == ("float32", "int8"):
            # Dynamic-range ("hybrid") conv / FC: TFLite's EvalHybrid; conv per-tensor only.
            if weights.quant is None or (op.kind == "CONV_2D" and not weights.quant.per_tensor):
                raise UnsupportedOpError(
                    f"{where}: hybrid conv with per-channel weight scales is not supported"
                )
            op.attrs["hybrid"] = True
        elif weights.dtype != data.dtype and (data.dtype, weights.dtype) != ("int16", "int8"):
            raise UnsupportedOpError(
                f"{where}: {weights.dtype} weights with {data.dtype} activations "
                "(hybrid quantization) are not supported"
            )
        bias = tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        want_bias = {"int8": "int32", "int16": "int64"}.get(data.dtype, "float32")
        if bias is not None and (bias.dtype != want_bias or not bias.is_constant):
            # (LiteRT 2.3.0 loads an int16x8 int32 bias, then its kernels read it as int64)
            why = " (LiteRT misreads an int32 bias in int16x8)" if data.dtype == "int16" else ""
            raise UnsupportedOpError(f"{where}: bias must be a constant {want_bias} tensor, got "
                                     f"{bias.dtype}{why}")
    if op.kind in ("ADD", "MUL", "SUB", "MAXIMUM", "MINIMUM", "CONCATENATION",
                   "SQUARED_DIFFERENCE", "BATCH_MATMUL"):
        for i in op.inputs[1:]:
            other = tensors[i] if i >= 0 else None
            if other is None or other.dtype != data.dtype:
                raise UnsupportedOpError(
                    f"{where}: inputs of {data.dtype} and {other.dtype if other else 'nothing'}"
                )
            if other.dtype in ("int8", "int16") and other.quant is None:
                raise UnsupportedOpError(f"{where}: {other.dtype} tensor '{short_name(other.name)}' "
                                         "has no quantization")

