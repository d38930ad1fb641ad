"""The op x dtype table: the (input dtype, output dtype) pairs the importer accepts per op.

The importer (``tflite.py``) refuses every other pair, and README's operator table is rendered
from this one (``harness.codegen.support``). Add an op or a dtype here when golden and C run it.
"""
from __future__ import annotations

__all__ = ["OP_TYPES", "CAST_TYPES"]

# CAST: every pair of these (LiteRT's cast.cc converts between all of them with static_cast).
CAST_TYPES = ("int8", "int32", "int64", "float32")
_BOTH = {("int8", "int8"), ("float32", "float32")}
# int16x8 quantization: int16 activations (zero point 0), int8 weights, int32/int64 biases.
_S16 = _BOTH | {("int16", "int16")}
# The supported (input dtype, output dtype) pairs of every op: the importer's gate, and the
# source of README's operator table (harness.codegen.support.render_support_table).
OP_TYPES: dict[str, set[tuple[str, str]]] = {
    "CONV_2D": _S16,
    "DEPTHWISE_CONV_2D": _S16,
    "FULLY_CONNECTED": _S16,
    "AVERAGE_POOL_2D": _S16,
    "MAX_POOL_2D": _S16,
    "ADD": _S16,
    "RESHAPE": _S16,
    "SOFTMAX": _S16,
    "QUANTIZE": {("float32", "int8"), ("int8", "int8"), ("float32", "int16"), ("int8", "int16"),
                 ("int16", "int8"), ("int16", "int16")},
    "DEQUANTIZE": {("int8", "float32"), ("int16", "float32")},
    "PAD": _BOTH,
    "PADV2": _BOTH,
    "CONCATENATION": _BOTH,
    "MEAN": _BOTH,
    "MUL": _S16,
    "SUB": _S16,
    "TRANSPOSE": _BOTH,
    "RELU": _BOTH,
    "RELU6": _BOTH,
    "LEAKY_RELU": _BOTH,
    "MAXIMUM": _BOTH,
    "MINIMUM": _BOTH,
    "LOGISTIC": _S16,
    "TANH": _S16,
    "STRIDED_SLICE": _BOTH,
    "HARD_SWISH": _BOTH,
    # the ops of a small vision transformer (litert-torch's export); int8: lower_int8_tf.py
    "BATCH_MATMUL": _S16,
    "SQUARED_DIFFERENCE": _BOTH,
    "RSQRT": _S16,
    "GELU": _BOTH,                                   # int8: LiteRT's lookup table
    "SLICE": _BOTH,
    "SPLIT": _BOTH,
    "SPLIT_V": _BOTH,
    "GATHER": _BOTH,
    "CAST": {(a, b) for a in CAST_TYPES for b in CAST_TYPES if a != b},
    "TRANSPOSE_CONV": _BOTH,
    "SVDF": _BOTH,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": _BOTH,             # int8: the 8x8_16 integer LSTM
}
