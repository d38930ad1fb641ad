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
from .int16 import add_sub_s16, conv_2d_s16, depthwise_conv_2d_s16, fully_connected_s16
from .int16_activations import logistic_s16, softmax_s16, tanh_s16
from .movement import concatenation, pad, strided_slice, transpose
from .pool import average_pool_2d, max_pool_2d
from .quantize import dequantize, quantize
from .reduce import mean
from .reshape import reshape
from .sequence import svdf, unidirectional_sequence_lstm
from .softmax import softmax
from .split_gather import gather, split
from .transformer import gelu
from .transformer_int8 import batch_matmul, rsqrt, squared_difference
from .transpose_conv import transpose_conv

# The int16x8 kernels of the ops whose int16 arithmetic differs from int8's (int64 sums,
# tables).
INT16_KERNELS: dict[str, Kernel] = {
    "CONV_2D": conv_2d_s16,
    "DEPTHWISE_CONV_2D": depthwise_conv_2d_s16,
    "FULLY_CONNECTED": fully_connected_s16,
    "LOGISTIC": logistic_s16,
    "TANH": tanh_s16,
    "SOFTMAX": softmax_s16,
    "ADD": add_sub_s16,
    "SUB": add_sub_s16,
}

__all__ = [
    "INT16_KERNELS",
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
