"""The golden interpreter: runs a Graph on batches of inputs with LiteRT's reference semantics.

int8 graphs reproduce LiteRT's BUILTIN_REF kernels bit for bit; float32 graphs replay the
reference kernels' float32 operation order (see golden_ops/*). It is the oracle every target's
outputs are compared with, and the place to look when one layer of generated C disagrees
(`run_all` gives every intermediate tensor).

Batching: an activation tensor of model shape (1, *rest) is held as an array (N, *rest); all N
samples go through each op at once, which is what makes the interpreter fast enough to check
hundreds of inputs. Constants (weights, biases) are used as stored.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import ModelFormatError, UnsupportedOpError
from .golden_ops import (
    UNBATCHED_OPS,
    Kernel,
    add,
    average_pool_2d,
    batch_matmul,
    cast,
    concatenation,
    conv_2d,
    depthwise_conv_2d,
    dequantize,
    fully_connected,
    gather,
    gelu,
    hard_swish,
    leaky_relu,
    lookup,
    max_pool_2d,
    maximum_minimum,
    mean,
    mul,
    pad,
    quantize,
    relu,
    reshape,
    rsqrt,
    softmax,
    split,
    squared_difference,
    strided_slice,
    svdf,
    transpose,
    transpose_conv,
    unidirectional_sequence_lstm,
)
from .ir import Graph
from .lower import OpParams, lower

__all__ = ["KERNELS", "GoldenInterpreter", "run_golden"]

KERNELS: dict[str, Kernel] = {
    "CONV_2D": conv_2d,
    "DEPTHWISE_CONV_2D": depthwise_conv_2d,
    "FULLY_CONNECTED": fully_connected,
    "AVERAGE_POOL_2D": average_pool_2d,
    "MAX_POOL_2D": max_pool_2d,
    "ADD": add,
    "RESHAPE": reshape,
    "SOFTMAX": softmax,
    "QUANTIZE": quantize,
    "DEQUANTIZE": dequantize,
    "PAD": pad,
    "PADV2": pad,
    "CONCATENATION": concatenation,
    "TRANSPOSE": transpose,
    "MEAN": mean,
    "MUL": mul,
    "SUB": add,
    "MAXIMUM": maximum_minimum,
    "MINIMUM": maximum_minimum,
    "RELU": relu,
    "RELU6": relu,
    "LEAKY_RELU": leaky_relu,
    "LOGISTIC": lookup,
    "TANH": lookup,
    "STRIDED_SLICE": strided_slice,
    "HARD_SWISH": hard_swish,
    "BATCH_MATMUL": batch_matmul,
    "SQUARED_DIFFERENCE": squared_difference,
    "RSQRT": rsqrt,
    "GELU": gelu,
    "SLICE": strided_slice,
    "SPLIT": split,             # several outputs: the kernel returns one array per output
    "SPLIT_V": split,
    "GATHER": gather,
    "CAST": cast,
    "TRANSPOSE_CONV": transpose_conv,
    "SVDF": svdf,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": unidirectional_sequence_lstm,
}
MULTI_OUTPUT_OPS = frozenset({"SPLIT", "SPLIT_V"})


class GoldenInterpreter:
    """Runs one Graph; lowering (TFLite's Prepare) happens once, here."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._check_kernels()
        self._check_batch_dims()
        self._dead_after = self._liveness()
        self.params: list[OpParams] = lower(graph)
        self.values: dict[int, np.ndarray] = {}

    def run(self, inputs: Sequence[np.ndarray], keep: bool = False) -> list[np.ndarray]:
        """Run a batch: inputs[i] has shape (N, *input_i.shape[1:]) and the input's dtype.

        Returns the graph outputs, each (N, *output.shape[1:]). With keep=True every tensor
        value stays in `self.values` (tensor index -> batched array) for inspection; otherwise
        intermediates are dropped as soon as no later op reads them.
        """
        values = self._bind_inputs(inputs)
        values.update(self._reset_state(inputs[0].shape[0]))
        for op, params, dead in zip(self.graph.ops, self.params, self._dead_after):
            args = [self._value(values, i) for i in op.inputs]
            result = KERNELS[op.kind](self.graph, op, params, args)
            if isinstance(result, list):    # SPLIT: one value per output
                values.update(zip(op.outputs, result))
            else:
                values[op.outputs[0]] = result
            if not keep:
                for t in dead:
                    values.pop(t, None)
        self.values = values if keep else {}
        return [values[i] for i in self.graph.outputs]

    def run_all(self, inputs: Sequence[np.ndarray]) -> dict[int, np.ndarray]:
        """Every activation tensor's batched value (graph inputs and all op outputs), by index."""
        self.run(inputs, keep=True)
        return dict(self.values)

    # -- checks done once -------------------------------------------------------------------

    def _check_kernels(self) -> None:
        for i, op in enumerate(self.graph.ops):
            if op.kind not in KERNELS:
                raise UnsupportedOpError(
                    f"{self.graph.source or self.graph.name}: op #{i} '{op.name}' ({op.kind}) "
                    f"has no golden kernel; supported: {', '.join(KERNELS)}"
                )
            if len(op.outputs) != 1 and op.kind not in MULTI_OUTPUT_OPS:
                raise UnsupportedOpError(
                    f"{self.graph.source or self.graph.name}: op #{i} '{op.name}' ({op.kind}) "
                    f"has {len(op.outputs)} outputs; golden kernels produce exactly one"
                )

    def _activation_indices(self) -> set[int]:
        used = set(self.graph.inputs) | set(self.graph.outputs)
        for op in self.graph.ops:
            used.update(i for i in op.inputs if i >= 0)
            used.update(op.outputs)
        return {i for i in used if not self.graph.tensor(i).is_constant}

    def _check_batch_dims(self) -> None:
        # tensors only matmul-related ops touch may lack the leading 1 (golden_ops.held_shape)
        free = {i for i in self._activation_indices() if i not in self.graph.inputs}
        for op in self.graph.ops:
            if op.kind not in UNBATCHED_OPS:
                free -= set(op.inputs) | set(op.outputs)
        free -= set(self.graph.outputs)
        for i in sorted(self._activation_indices() - free):
            t = self.graph.tensor(i)
            if not t.shape or t.shape[0] != 1:
                raise UnsupportedOpError(
                    f"{self.graph.source or self.graph.name}: tensor #{i} '{t.name}' has shape "
                    f"{t.shape}; the golden interpreter batches along a leading dimension of 1"
                )

    def _liveness(self) -> list[list[int]]:
        """Per op, the activations no later op reads (graph outputs excepted), so a run can
        drop them; also checks that every op reads only values produced before it."""
        available = set(self.graph.inputs) | set(self._variables())
        last_use: dict[int, int] = {}
        for index, op in enumerate(self.graph.ops):
            for i in op.inputs:
                if i < 0 or self.graph.tensor(i).is_constant:
                    continue
                if i not in available:
                    raise ModelFormatError(
                        f"{self.graph.source or self.graph.name}: op #{index} '{op.name}' reads "
                        f"tensor #{i} '{self.graph.tensor(i).name}' before any op produces it"
                    )
                last_use[i] = index
            available.update(op.outputs)
        for i in self.graph.outputs:
            if i not in available and not self.graph.tensor(i).is_constant:
                raise ModelFormatError(
                    f"{self.graph.source or self.graph.name}: graph output #{i} is never produced"
                )
        dead: list[list[int]] = [[] for _ in self.graph.ops]
        for tensor, index in last_use.items():
            if tensor not in self.graph.outputs:
                dead[index].append(tensor)
        return dead

    def _variables(self) -> list[int]:
        return [t.index for t in self.graph.tensors if t.variable]

    # -- per run ----------------------------------------------------------------------------

    def _reset_state(self, n: int) -> dict[int, np.ndarray]:
        """Every variable tensor at the start of an inference, one copy per sample: int8 at
        its zero point, anything else 0 (LiteRT's ResetVariableTensor). Each input is its own
        inference, so state never carries from one sample to the next."""
        state: dict[int, np.ndarray] = {}
        for i in self._variables():
            t = self.graph.tensor(i)
            value = t.quant.zero_point[0] if t.dtype == "int8" and t.quant is not None else 0
            state[i] = np.full((n, *t.shape[1:]), value, dtype=t.dtype)
        return state

    def _bind_inputs(self, inputs: Sequence[np.ndarray]) -> dict[int, np.ndarray]:
        expected = self.graph.input_tensors()
        if isinstance(inputs, np.ndarray) or not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"inputs must be a list of {len(expected)} array(s), one per graph input, "
                f"got {type(inputs).__name__}"
            )
        if len(inputs) != len(expected):
            raise ValueError(f"expected {len(expected)} input array(s), got {len(inputs)}")
        values: dict[int, np.ndarray] = {}
        batch: int | None = None
        for k, (t, x) in enumerate(zip(expected, inputs)):
            want = f"(N, {', '.join(str(d) for d in t.shape[1:])}) {t.dtype}".replace(", )", ")")
            if not isinstance(x, np.ndarray):
                raise ValueError(f"input {k} '{t.name}': expected an array {want}, "
                                 f"got {type(x).__name__}")
            got = f"{x.shape} {x.dtype}"
            if x.dtype != np.dtype(t.dtype) or x.ndim != len(t.shape) or \
                    tuple(x.shape[1:]) != tuple(t.shape[1:]) or x.shape[0] < 1:
                raise ValueError(f"input {k} '{t.name}': expected {want}, got {got}")
            if batch is not None and x.shape[0] != batch:
                raise ValueError(f"input {k} '{t.name}': batch of {x.shape[0]} samples, "
                                 f"earlier inputs have {batch}")
            batch = x.shape[0]
            values[self.graph.inputs[k]] = x
        return values

    def _value(self, values: dict[int, np.ndarray], index: int) -> np.ndarray | None:
        if index < 0:
            return None
        t = self.graph.tensor(index)
        if t.data is not None:
            return t.data
        return values[index]


def run_golden(graph: Graph, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """One-shot convenience: lower `graph` and run the batch `inputs` through it."""
    return GoldenInterpreter(graph).run(inputs)
