"""In-place edits of the int8 CONV_2D / FULLY_CONNECTED weights of a TFLite file.

The result is the same flatbuffer with some weight bytes changed (scales, zero points, biases
and the graph untouched), so it stays an ordinary dense int8 model that LiteRT and the golden
interpreter both run. Used to make the sparse and packed test and benchmark models:

    magnitude_prune(src, dst, sparsity)   per weight tensor, the round(sparsity * size)
                                          smallest |w| become 0 (ties: lower index first)
    binarize(src, dst, "binary")          w -> +1 if w >= 0 else -1
    binarize(src, dst, "ternary")         w -> sign(w) if |w| >= half the tensor's mean |w|,
                                          else 0
binarize keeps the first and the last of those layers 8-bit unless `keep_ends=False`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelError

__all__ = ["WeightSlot", "weight_slots", "magnitude_prune", "binarize"]

_KINDS = {"CONV_2D": 3, "FULLY_CONNECTED": 9}    # tflite BuiltinOperator values
_INT8 = 9                                          # tflite TensorType.INT8


@dataclass(frozen=True)
class WeightSlot:
    """Where one int8 weight tensor's bytes lie in the file."""

    op_index: int
    op_kind: str
    tensor: str
    shape: tuple[int, ...]
    start: int
    size: int


def weight_slots(buf: bytes | bytearray) -> list[WeightSlot]:
    """The int8 weight tensors of the CONV_2D / FC ops of subgraph 0, in op order (a tensor
    shared by several ops once)."""
    import tflite

    model = tflite.Model.GetRootAsModel(buf, 0)
    graph = model.Subgraphs(0)
    slots: list[WeightSlot] = []
    seen: set[int] = set()
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        kind = next((k for k, v in _KINDS.items() if v == builtin), None)
        if kind is None or op.InputsLength() < 2 or op.Inputs(1) in seen:
            continue
        t = graph.Tensors(op.Inputs(1))
        buffer = model.Buffers(t.Buffer())
        if t.Type() != _INT8 or buffer is None:
            continue
        if buffer.DataLength() > 0:
            field = buffer._tab.Offset(4)                       # Buffer.data
            start = buffer._tab.Vector(field)
            size = buffer.DataLength()
        elif buffer.Offset() > 1:
            start, size = int(buffer.Offset()), int(buffer.Size())
        else:
            continue
        seen.add(op.Inputs(1))
        slots.append(WeightSlot(i, kind, (t.Name() or b"").decode(errors="replace"),
                                tuple(int(d) for d in t.ShapeAsNumpy()), start, size))
    return slots


def _edit(src: Path, dst: Path, change: list[tuple[WeightSlot, np.ndarray]]) -> Path:
    buf = bytearray(Path(src).read_bytes())
    for slot, values in change:
        buf[slot.start:slot.start + slot.size] = values.astype(np.int8).tobytes()
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    tmp.write_bytes(bytes(buf))
    tmp.replace(dst)
    return dst


def _weights(buf: bytes, slot: WeightSlot) -> np.ndarray:
    return np.frombuffer(buf, np.int8, slot.size, slot.start).copy()


def magnitude_prune(src: str | Path, dst: str | Path, sparsity: float) -> Path:
    """Copy src to dst with each CONV_2D / FC int8 weight tensor magnitude-pruned to
    `sparsity` (the fraction of its weights that end up zero, at least)."""
    if not 0.0 <= sparsity <= 1.0:
        raise ModelError(f"sparsity {sparsity} is outside [0, 1]")
    buf = Path(src).read_bytes()
    slots = weight_slots(buf)
    if not slots:
        raise ModelError(f"{src}: no int8 CONV_2D / FULLY_CONNECTED weights to prune")
    change = []
    for slot in slots:
        w = _weights(buf, slot)
        order = np.argsort(np.abs(w.astype(np.int16)), kind="stable")
        w[order[:int(round(sparsity * w.size))]] = 0
        change.append((slot, w))
    return _edit(Path(src), Path(dst), change)


def binarize(src: str | Path, dst: str | Path, mode: str, keep_ends: bool = True) -> Path:
    """Copy src to dst with CONV_2D / FC int8 weights set to {-1, +1} (mode 'binary') or
    {-1, 0, +1} ('ternary'), all but the first and last such layer when keep_ends."""
    if mode not in ("binary", "ternary"):
        raise ModelError(f"mode {mode!r} is neither 'binary' nor 'ternary'")
    buf = Path(src).read_bytes()
    slots = weight_slots(buf)
    chosen = slots[1:-1] if keep_ends else slots
    if not chosen:
        raise ModelError(f"{src}: {len(slots)} CONV_2D / FC layers, none left to {mode} "
                         "between the first and the last")
    change = []
    for slot in chosen:
        w = _weights(buf, slot).astype(np.int16)
        if mode == "binary":
            new = np.where(w >= 0, 1, -1)
        else:
            new = np.where(np.abs(w) * 2 >= np.abs(w).mean(), np.sign(w), 0)
        change.append((slot, new))
    return _edit(Path(src), Path(dst), change)
