"""What every op's C emitter shares: the generation context, the emitted code, the C type of a
tensor and the small C-layout helpers."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import UnsupportedOpError
from ..ir import Graph, Op, Tensor
from .weights import Constants

__all__ = ["OpContext", "OpCode", "tensor_ctype", "bias_pointer", "c_struct", "where"]


def where(graph: Graph, index: int, op: Op) -> str:
    return f"{graph.source or graph.name}: op #{index} '{op.name}' ({op.kind})"


@dataclass(frozen=True)
class OpContext:
    graph: Graph
    prefix: str
    constants: Constants
    pointer: Callable[[int], str]     # tensor index -> C pointer expression of its data
    scratch: Callable[[int], str]     # op index -> C pointer expression of its scratch


@dataclass(frozen=True)
class OpCode:
    """The C of one op: file-scope definitions and the statement inside the invoke function."""

    kernel_file: str
    definitions: str
    call: str


def tensor_ctype(t: Tensor) -> str:
    """The C element type of an activation tensor."""
    ctypes = {"int8": "int8_t", "int16": "int16_t", "float32": "float", "int32": "int32_t",
              "int64": "int64_t"}
    if t.dtype not in ctypes:
        raise UnsupportedOpError(
            f"tensor #{t.index} '{t.name}' is a {t.dtype} activation; the C kernels take "
            "int8, int16, int32, int64 and float32 only"
        )
    return ctypes[t.dtype]


def bias_pointer(ctx: OpContext, op: Op) -> str:
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        return ctx.constants.tensor(ctx.graph.tensor(op.inputs[2]))
    return "NULL"


def c_struct(ctype: str, name: str, fields: list[tuple[str, str]]) -> str:
    body = "\n".join(f"    .{k} = {v}," for k, v in fields)
    return f"static const {ctype} {name} = {{\n{body}\n}};"
