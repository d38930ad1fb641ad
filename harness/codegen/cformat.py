"""C literal formatting: integers, exact float32 values, arrays, strings and identifiers.

Floats are written as C99 hexadecimal literals (`0x1.8p-3f`), which denote the float32 value
exactly, so the generated constants carry the model's bit patterns unchanged.
"""
from __future__ import annotations

import math
import re
from typing import Iterable, Sequence

import numpy as np

__all__ = [
    "c_float",
    "c_double",
    "c_int",
    "c_int64",
    "c_string",
    "c_comment",
    "c_identifier",
    "c_array_body",
    "C_TYPES",
]

# numpy dtype name -> C element type of a constant array.
C_TYPES: dict[str, str] = {
    "int8": "int8_t",
    "uint8": "uint8_t",
    "int16": "int16_t",
    "uint16": "uint16_t",
    "int32": "int32_t",
    "int64": "int64_t",
    "float32": "float",
    "float64": "double",
}

_PER_LINE = {"int8_t": 20, "uint8_t": 20, "int16_t": 16, "uint16_t": 16, "int32_t": 10, "int64_t": 6, "float": 6,
             "double": 4}


def c_int(value: int) -> str:
    """An int32 literal; INT32_MIN is written as an expression (its literal is not an int)."""
    value = int(value)
    if not -(2**31) <= value < 2**31:
        raise ValueError(f"{value} does not fit int32_t")
    if value == -(2**31):
        return "(-2147483647 - 1)"
    return str(value)


def c_int64(value: int) -> str:
    """An int64 literal (INT64_C); INT64_MIN as an expression."""
    value = int(value)
    if not -(2**63) <= value < 2**63:
        raise ValueError(f"{value} does not fit int64_t")
    if value == -(2**63):
        return "(-INT64_C(9223372036854775807) - 1)"
    return f"INT64_C({value})"


def _hex(value: float, suffix: str) -> str:
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INFINITY" if value > 0 else "-INFINITY"
    if value == 0.0:
        return ("-0.0" if math.copysign(1.0, value) < 0 else "0.0") + suffix
    mantissa, _, exponent = value.hex().partition("p")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}p{exponent}{suffix}"


def c_float(value: float) -> str:
    """A float32 literal denoting exactly float32(value)."""
    return _hex(float(np.float32(value)), "f")


def c_double(value: float) -> str:
    """A double literal denoting exactly the IEEE double value."""
    return _hex(float(value), "")


def c_string(text: str) -> str:
    """A C string literal (ASCII; other characters escaped)."""
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127 and ch != "?":  # '?' would risk trigraphs
            out.append(ch)
        else:
            for byte in ch.encode("utf-8"):
                out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def c_comment(text: str) -> str:
    """Text safe inside a /* */ comment, on one line."""
    return text.replace("*/", "* /").replace("/*", "/ *").replace("\n", " ")


def c_identifier(text: str) -> str:
    """A valid C identifier derived from text."""
    ident = re.sub(r"[^0-9A-Za-z_]", "_", text)
    if not ident or ident[0].isdigit():
        ident = "_" + ident
    return ident


def _values(array: np.ndarray, ctype: str) -> Iterable[str]:
    flat = np.asarray(array).reshape(-1)
    if ctype == "float":
        # float32 -> Python float is exact, so no second rounding happens here.
        return (_hex(v, "f") for v in flat.astype(np.float32).tolist())
    if ctype == "double":
        return (c_double(v) for v in flat.astype(np.float64).tolist())
    if ctype == "int64_t":
        return (c_int64(v) for v in flat.tolist())
    return (c_int(v) for v in flat.tolist())


def c_array_body(array: np.ndarray | Sequence[int] | Sequence[float], ctype: str,
                 indent: str = "    ") -> str:
    """The initializer lines (without braces) of a constant array, several values per line."""
    values = list(_values(np.asarray(array), ctype))
    per_line = _PER_LINE.get(ctype, 8)
    lines = [
        indent + ", ".join(values[i:i + per_line]) + ","
        for i in range(0, len(values), per_line)
    ]
    return "\n".join(lines)
