"""A structural verifier of TFLite flatbuffers, the Python counterpart of the flatbuffers
Verifier that LiteRT runs before it reads a model: every table, vtable, vector and string the
schema can reach lies inside the file, is aligned, and every field fits its table. The
`tflite` reader trusts offsets, so a corrupt file would otherwise be read as garbage that may
still import; LiteRT refuses such a file ("not a valid Flatbuffer buffer"), and so do we.
"""
from __future__ import annotations

import struct

__all__ = ["verify_model", "FlatbufferError"]


class FlatbufferError(Exception):
    """The buffer is not a well-formed TFLite flatbuffer; the message says where."""


# Field kinds: a scalar's byte size; "str"; "vec:N" a vector of N-byte scalars;
# "table:NAME" / "vtab:NAME" a table / a vector of tables of that schema; "table" a table
# whose fields are not walked (options, sparsity: header and field bounds only).
Kind = int | str
SCHEMA: dict[str, dict[int, Kind]] = {
    "Model": {4: 4, 6: "vtab:OperatorCode", 8: "vtab:SubGraph", 10: "str", 12: "vtab:Buffer",
              14: "vec:4", 16: "vtab:Metadata", 18: "vtab:SignatureDef"},
    "OperatorCode": {4: 1, 6: "str", 8: 4, 10: 4},
    "SubGraph": {4: "vtab:Tensor", 6: "vec:4", 8: "vec:4", 10: "vtab:Operator", 12: "str",
                 14: 4},
    "Tensor": {4: "vec:4", 6: 1, 8: 4, 10: "str", 12: "table:Quantization", 14: 1,
               16: "table", 18: "vec:4", 20: 1, 22: "vtab:", 24: 8},
    "Quantization": {4: "vec:4", 6: "vec:4", 8: "vec:4", 10: "vec:8", 12: 1, 14: "table",
                     16: 4},
    "Operator": {4: 4, 6: "vec:4", 8: "vec:4", 10: 1, 12: "table", 14: "vec:1", 16: 1,
                 18: "vec:1", 20: "vec:4", 22: 8, 24: 8, 26: 1, 28: "table"},
    "Buffer": {4: "vec:1", 6: 8, 8: 8},
    "Metadata": {4: "str", 6: 4},
    "SignatureDef": {4: "vtab:TensorMap", 6: "vtab:TensorMap", 8: "str", 12: 4},
    "TensorMap": {4: "str", 6: 4},
    "": {},
}


class _Verifier:
    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.n = len(buf)
        self.tables = 0

    def need(self, pos: int, size: int, what: str, align: int = 1) -> None:
        if pos < 0 or size < 0 or pos + size > self.n:
            raise FlatbufferError(f"{what} at byte {pos} (+{size}) lies outside the "
                                  f"{self.n}-byte file")
        if align > 1 and pos % align:
            raise FlatbufferError(f"{what} at byte {pos} is not {align}-byte aligned")

    def u32(self, pos: int, what: str) -> int:
        self.need(pos, 4, what, 4)
        return struct.unpack_from("<I", self.buf, pos)[0]

    def deref(self, pos: int, what: str) -> int:
        """The target of the uoffset stored at pos."""
        offset = self.u32(pos, what)
        if offset == 0 or offset >= 1 << 31:
            raise FlatbufferError(f"{what} at byte {pos} has offset {offset}")
        target = pos + offset
        if target >= self.n:
            raise FlatbufferError(f"{what} at byte {pos} points past the end of the file")
        return target

    def table(self, pos: int, schema: str, what: str) -> None:
        self.tables += 1
        if self.tables > 1_000_000:
            raise FlatbufferError("too many tables")
        self.need(pos, 4, f"{what} table", 4)
        vtable = pos - struct.unpack_from("<i", self.buf, pos)[0]
        self.need(vtable, 4, f"{what} vtable", 2)
        vsize, tsize = struct.unpack_from("<HH", self.buf, vtable)
        if vsize < 4 or vsize % 2:
            raise FlatbufferError(f"{what} vtable at byte {vtable} has size {vsize}")
        self.need(vtable, vsize, f"{what} vtable")
        self.need(pos, tsize, f"{what} table")
        fields = SCHEMA.get(schema, {})
        for slot in range(4, vsize, 2):
            off = struct.unpack_from("<H", self.buf, vtable + slot)[0]
            if not off:
                continue
            kind: Kind = fields.get(slot, 1)
            size = kind if isinstance(kind, int) else 4
            if off + size > tsize:
                raise FlatbufferError(f"{what} field {slot} (offset {off}, {size} bytes) "
                                      f"overruns its {tsize}-byte table")
            if isinstance(kind, int):
                continue
            field_pos = pos + off
            name = f"{what}.{slot}"
            if kind == "str":
                self.vector(self.deref(field_pos, name), 1, name, string=True)
            elif kind.startswith("vec:"):
                self.vector(self.deref(field_pos, name), int(kind[4:]), name)
            elif kind.startswith("vtab:"):
                start = self.deref(field_pos, name)
                count = self.vector(start, 4, name)
                for k in range(count):
                    self.table(self.deref(start + 4 + 4 * k, name), kind[5:], f"{name}[{k}]")
            else:  # "table" or "table:NAME"
                self.table(self.deref(field_pos, name), kind[6:], name)

    def vector(self, pos: int, elem: int, what: str, string: bool = False) -> int:
        count = self.u32(pos, f"{what} length")
        self.need(pos + 4, count * elem + (1 if string else 0), f"{what} ({count} elements)")
        if string and self.buf[pos + 4 + count] != 0:
            raise FlatbufferError(f"string {what} at byte {pos} is not terminated")
        return count


def verify_model(buf: bytes) -> None:
    """Raise FlatbufferError unless `buf` is a structurally valid TFLite flatbuffer."""
    v = _Verifier(buf)
    v.table(v.deref(0, "root"), "Model", "model")
