"""The intermediate representation: a Graph of typed tensors and ops.

Layouts and semantics follow TFLite: activations are NHWC, CONV_2D filters OHWI, DEPTHWISE_CONV_2D
filters 1HW(C*M), FULLY_CONNECTED weights [out, in]. int8 tensors carry affine quantization
(real = scale * (q - zero_point)), per tensor or per axis (per-channel weights).
Op attributes are normalised by the importers (see `OP_ATTRS`), so later stages never see a
file format.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Quantization", "Tensor", "Op", "Graph", "OP_ATTRS", "ACTIVATIONS", "DTYPES"]

DTYPES = ("float32", "int8", "uint8", "int16", "int32", "int64", "bool")
ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")

# The attributes each op carries after import (value types in comments).
OP_ATTRS: dict[str, tuple[str, ...]] = {
    # stride: (h, w); dilation: (h, w); padding: "SAME" | "VALID"; activation: one of ACTIVATIONS.
    # CONV_2D may also carry hybrid=True: float32 activations with per-tensor int8 weights
    # (TFLite dynamic-range quantization, its EvalHybrid kernel).
    "CONV_2D": ("stride", "dilation", "padding", "activation"),
    "DEPTHWISE_CONV_2D": ("stride", "dilation", "padding", "activation", "depth_multiplier"),
    "FULLY_CONNECTED": ("activation", "keep_num_dims"),
    # filter: (h, w)
    "AVERAGE_POOL_2D": ("filter", "stride", "padding", "activation"),
    "MAX_POOL_2D": ("filter", "stride", "padding", "activation"),
    "ADD": ("activation",),
    # new_shape: ReshapeOptions.new_shape, used only when the shape input is absent (LiteRT)
    "RESHAPE": ("new_shape",),
    "SOFTMAX": ("beta",),
    "QUANTIZE": (),
    "DEQUANTIZE": (),
    # Inputs 1 (and 2) are constants: paddings [rank, 2] (PADV2: the pad value), axes,
    # permutation. Binary elementwise ops broadcast (numpy rules on the model shapes).
    "PAD": (),
    "PADV2": (),
    "CONCATENATION": ("axis", "activation"),   # activation is always NONE (LiteRT requires it)
    "MEAN": ("keep_dims",),
    "TRANSPOSE": (),
    "MUL": ("activation",),
    "SUB": ("activation",),
    "MAXIMUM": (),
    "MINIMUM": (),
    "RELU": (),
    "RELU6": (),
    "LEAKY_RELU": ("alpha",),
    "LOGISTIC": (),
    "TANH": (),
    "HARD_SWISH": (),
    # inputs 1-3: constant begin, end, strides; ellipsis/new-axis masks and offset unsupported.
    "STRIDED_SLICE": ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                      "shrink_axis_mask", "offset"),
    # Transformer ops (float32). SLICE: inputs 1-2 constant begin and size (-1: to the end).
    "BATCH_MATMUL": ("adj_x", "adj_y"),
    "SQUARED_DIFFERENCE": (),
    "RSQRT": (),
    "GELU": ("approximate",),
    "SLICE": (),
    # Issue 13 (importers/tflite_more.py puts the data input first): SPLIT [input, axis],
    # SPLIT_V [input, size_splits, axis] (constant axis and sizes; one output per split),
    # GATHER [params, indices] (batch_dims 0), CAST [input], TRANSPOSE_CONV [input, weights
    # (OHWI), bias or -1, output_shape (constant)]. FULLY_CONNECTED may carry hybrid=True
    # (float32 activations, int8 weights) and asymmetric_quantize_inputs.
    "SPLIT": ("num_splits",),
    "SPLIT_V": ("num_splits",),
    "GATHER": ("axis", "batch_dims"),
    "CAST": (),
    "TRANSPOSE_CONV": ("stride", "padding", "activation"),
    # Stateful sequence ops (their state inputs are variable tensors, see Tensor.variable).
    # SVDF: rank (filters per unit); int8 requires activation RELU but does not apply it (LiteRT).
    "SVDF": ("rank", "activation"),
    # activation: the cell's and the output's (TANH, RELU, ...; gates are always sigmoid);
    # cell_clip / proj_clip: 0 for none; time_major: input [time, batch, ...] when True.
    # intermediates: the int8 LSTM's 5 intermediate tensors (harness.lower_lstm8).
    "UNIDIRECTIONAL_SEQUENCE_LSTM": ("activation", "cell_clip", "proj_clip", "time_major",
                                     "intermediates"),
}


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: per tensor when `axis` is None, else one scale/zero point per index."""

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int | None = None

    @property
    def per_tensor(self) -> bool:
        return self.axis is None


@dataclass
class Tensor:
    """A typed tensor; `data` holds the value of a constant (weights, biases, shapes).

    A `variable` tensor is an op's state (SVDF's activation state, an LSTM's output and cell
    state): no data, reset at the start of every inference (int8 to its zero point, anything
    else to 0, as LiteRT's ResetVariableTensor) and updated in place by the op that reads it.
    hilbench treats every benchmark input as its own inference: state is reset per input."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: Quantization | None = None
    data: np.ndarray | None = None
    variable: bool = False

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(self.dtype).itemsize


@dataclass
class Op:
    """One operation; `inputs` are tensor indices, -1 for an absent optional input."""

    kind: str
    name: str
    inputs: list[int]
    outputs: list[int]
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Graph:
    """A model: tensors by index, ops in execution order, graph inputs and outputs."""

    name: str
    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]
    source: str = ""

    def tensor(self, index: int) -> Tensor:
        return self.tensors[index]

    def input_tensors(self) -> list[Tensor]:
        return [self.tensors[i] for i in self.inputs]

    def output_tensors(self) -> list[Tensor]:
        return [self.tensors[i] for i in self.outputs]

    @property
    def dtype(self) -> str:
        """The dtype of the first input: what a variant label such as int8/fp32 reports."""
        return self.tensors[self.inputs[0]].dtype

    def macs(self) -> int:
        """Multiply-accumulates of one inference (conv, depthwise, fully connected, batch
        matmul)."""
        total = 0
        for op in self.ops:
            out = self.tensors[op.outputs[0]]
            if op.kind == "CONV_2D":
                w = self.tensors[op.inputs[1]]
                total += out.size * w.shape[1] * w.shape[2] * w.shape[3]
            elif op.kind == "DEPTHWISE_CONV_2D":
                w = self.tensors[op.inputs[1]]
                total += out.size * w.shape[1] * w.shape[2]
            elif op.kind == "FULLY_CONNECTED":
                w = self.tensors[op.inputs[1]]
                total += out.size * w.shape[1]
            elif op.kind == "BATCH_MATMUL":
                lhs = self.tensors[op.inputs[0]]
                inner = lhs.shape[-2] if op.attrs.get("adj_x") else lhs.shape[-1]
                total += out.size * inner
            elif op.kind in ("SVDF", "UNIDIRECTIONAL_SEQUENCE_LSTM"):
                # every weight matrix once per sample (SVDF: features, time weights) or per
                # sample and time step (LSTM: gate, recurrent and projection weights)
                x = self.tensors[op.inputs[0]]
                steps = x.shape[0] * (x.shape[1] if op.kind != "SVDF" else 1)
                ks = (1, 2) if op.kind == "SVDF" else (1, 2, 3, 4, 5, 6, 7, 8, 16)
                total += steps * sum(self.tensors[op.inputs[k]].size for k in ks
                                     if k < len(op.inputs) and op.inputs[k] >= 0)
        return total
