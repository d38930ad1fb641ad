"""Golden (reference) kernels, one module per op family; `harness.golden` dispatches to them.

Each kernel has the signature `Kernel` (see common.py): (graph, op, lowered params, input
values) -> the batched output value, and reproduces LiteRT's BUILTIN_REF kernel for the op.
"""
from __future__ import annotations

from .activations import hard_swish, leaky_relu, lookup, relu
from .cast import cast
from .common import UNBATCHED_OPS, Kernel, KernelArgs
from .conv import conv_2d
from .depthwise import depthwise_conv_2d
from .elementwise import add, maximum_minimum, mul
from .fully_connected import fully_connected
from .movement import concatenation, pad, strided_slice, transpose
from .pool import average_pool_2d, max_pool_2d
from .quantize import dequantize, quantize
from .reduce import mean
from .reshape import reshape
from .sequence import svdf, unidirectional_sequence_lstm
from .softmax import softmax
from .split_gather import gather, split
from .transformer import batch_matmul, gelu, rsqrt, squared_difference
from .transpose_conv import transpose_conv

__all__ = [
    "Kernel",
    "KernelArgs",
    "UNBATCHED_OPS",
    "conv_2d",
    "depthwise_conv_2d",
    "add",
    "fully_connected",
    "average_pool_2d",
    "max_pool_2d",
    "quantize",
    "dequantize",
    "reshape",
    "softmax",
    "pad",
    "concatenation",
    "transpose",
    "mean",
    "mul",
    "maximum_minimum",
    "relu",
    "leaky_relu",
    "lookup",
    "strided_slice",
    "hard_swish",
    "batch_matmul",
    "squared_difference",
    "rsqrt",
    "gelu",
    "split",
    "gather",
    "cast",
    "transpose_conv",
    "svdf",
    "unidirectional_sequence_lstm",
]
