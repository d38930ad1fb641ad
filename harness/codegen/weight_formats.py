"""Weight formats of int8 CONV_2D / FULLY_CONNECTED layers: which one a layer gets, and the
encoders (with their inverses, for the tests) of the non-dense ones.

The model file stays an ordinary dense int8 TFLite file; a format is only how the generated C
stores one layer's [out_channels, depth] weight rows (depth = filter_h * filter_w * in_c for
CONV_2D, in OHWI order) and which kernel reads them (kernels/ref/sparse_s8.c, packed_s8.c;
kernels/ref/SPARSE.md says why these formats and what each costs):

- dense    the int8 rows as the kernel set lays them out (ref, armv7em, rvx);
- sparse   per output channel: a uint16 count (a multiple of 4), then its entries: int8
           values (the nonzeros) and uint8 column offsets, in groups of 4 whose offsets
           count from the group's base, the last column of the channel's previous group (0
           for its first). A column more than 255 past the base takes filler entries (value 0,
           offset 255) that move the base on; a channel's last group is filled up with
           entries of value 0 and offset 0. 2 bytes per nonzero;
- binary   every weight in {-1, +1}: 1 bit per weight (1: +1, 0: -1), rows padded to 32-bit
           words (padding bits 0, their input lanes 0);
- ternary  every weight in {-1, 0, +1}: 2 bits per weight, a word of '+1' bits then a word of
           '-1' bits per 32 weights.

`choose()` picks one from the option a run gives (`--weight-format`): `auto` (default) takes
the format expected to be fastest next to the kernel set's dense kernel for the layer:
binary / ternary where the values allow it and `packed_pays()` says so, sparse from
`sparse_threshold()` zeros on; `dense` never changes anything, `sparse` and `packed` force
those where the values allow it (for tests and benchmarks).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "WEIGHT_FORMAT_OPTIONS", "SparseRows", "check_option", "choose", "sparse_threshold",
    "packed_pays",
    "sparsity", "encode_sparse", "decode_sparse", "pack_bits", "unpack_bits",
    "pack_binary", "unpack_binary", "pack_ternary", "unpack_ternary", "format_bytes",
]

WEIGHT_FORMAT_OPTIONS = ("auto", "dense", "sparse", "packed")

# Fraction of zero weights from which `auto` stores a layer sparse (kernels/ref/SPARSE.md has
# the measurements). Below 0.5 the sparse format (2 bytes per nonzero, plus padding) is larger
# than the dense int8 rows, and against the portable `ref` kernels it is faster from there on.
# Against the optimised dense kernels (armv7em on cortex-m4-iss: ~2.4 modelled cycles per MAC
# in AD's FC layers, 0.4-0.7 in MLPerf Tiny's convolutions, ~2.3 in ECG's small ones, against
# ~5.75 per nonzero plus ~45 per output and the im2col patch in sparse_s8.c) FC pays from ~0.6
# and CONV_2D, whose few weights per channel leave the per-output cost large, from ~0.8
# (cycles even there, bytes 0.43; measured on AD and ECG); rvx (rv32-nnx) takes the armv7em
# values (measured there on AD's FC layers only).
PORTABLE_THRESHOLD = 0.5
OPTIMISED_THRESHOLDS = {"FULLY_CONNECTED": 0.6, "CONV_2D": 0.8}


def sparse_threshold(kernels: str, op_kind: str) -> float:
    """The fraction of zeros from which `auto` stores an op_kind layer sparse with `kernels`."""
    if kernels == "ref":
        return PORTABLE_THRESHOLD
    return OPTIMISED_THRESHOLDS.get(op_kind, PORTABLE_THRESHOLD)


# Where `auto` takes a packed format (kernels/ref/SPARSE.md has the measurements). Against
# `ref` packed layers are 3-6x faster everywhere. Against armv7em on cortex-m4-iss the packed
# kernel (~1.25 cycles per weight and bit plane) loses to SMLAD on every CONV_2D (binary 1.31x
# on ECG's 1x8 convolutions) and with two planes on every layer (ternary 1.45x on AD's FC,
# 2.1x on ECG); binary FC pays when its rows fill whole 32-bit words and it has 16 or more
# outputs (0.87-0.97x from 32x16 to 128x128 and 64x256; 1.07-1.21x with 8 outputs or 8-16
# inputs, 1.01-1.14x with depths 40, 48, 80, 100, 200). rvx (rv32-nnx) takes the armv7em rule
# (measured there: binary 0.71x on AD's FC layers, ternary 1.31x).
PACKED_FC_MIN_OUTPUTS = 16
PACKED_FC_DEPTH_STEP = 32


def packed_pays(kernels: str, op_kind: str, fmt: str, shape: tuple[int, ...]) -> bool:
    """Whether `auto` stores an op_kind layer of [out_channels, depth] weight rows `shape` in
    packed format fmt ('binary' / 'ternary') next to the dense kernels of `kernels`."""
    if kernels == "ref":
        return True
    out_channels, depth = shape
    return (fmt == "binary" and op_kind == "FULLY_CONNECTED"
            and out_channels >= PACKED_FC_MIN_OUTPUTS
            and depth > 0 and depth % PACKED_FC_DEPTH_STEP == 0)


MAX_DELTA = 255
GROUP = 4               # entries per kernel step: a channel's count is a multiple of it


def check_option(option: str) -> str:
    """`option` if it names a weight-format option; ValueError listing the choices otherwise."""
    if option not in WEIGHT_FORMAT_OPTIONS:
        raise ValueError(f"weight format {option!r} is not in the list: "
                         f"{', '.join(WEIGHT_FORMAT_OPTIONS)}")
    return option


def sparsity(rows: np.ndarray) -> float:
    """The fraction of zero weights (0 for an empty tensor)."""
    return float(np.count_nonzero(rows == 0)) / rows.size if rows.size else 0.0


def _values(rows: np.ndarray) -> set[int]:
    return {int(v) for v in np.unique(rows)}


def choose(rows: np.ndarray, option: str, threshold: float = PORTABLE_THRESHOLD,
           packed: tuple[str, ...] = ("binary", "ternary")) -> str:
    """The format of one layer's int8 weight rows: 'dense', 'sparse', 'binary' or 'ternary'
    (`threshold`: the fraction of zeros from which `auto` takes sparse; `packed`: the packed
    formats `auto` may take for this layer, packed_pays())."""
    check_option(option)
    if option == "dense" or rows.size == 0:
        return "dense"
    values = _values(rows)
    packable = "binary" if values <= {-1, 1} else "ternary" if values <= {-1, 0, 1} else None
    if option == "packed":
        return packable or "dense"
    if option == "sparse":
        return "sparse"
    if packable == "binary" and "binary" in packed:
        return "binary"
    if sparsity(rows) >= threshold:
        return "sparse"
    return packable if packable is not None and packable in packed else "dense"


@dataclass(frozen=True)
class SparseRows:
    """Rows in the sparse format: counts[r] entries per row, in order, each a value and its
    column offset from its group's base (the module docstring)."""

    counts: np.ndarray    # uint16 [rows]
    deltas: np.ndarray    # uint8 [entries]: column offsets from the group's base
    values: np.ndarray    # int8 [entries]
    depth: int

    @property
    def nbytes(self) -> int:
        return int(self.counts.nbytes + self.deltas.nbytes + self.values.nbytes)


def _sparse_row(row: np.ndarray) -> tuple[list[int], list[int]]:
    """One channel's (offsets, values), groups of GROUP entries."""
    offsets: list[int] = []
    values: list[int] = []
    base = 0

    def add(offset: int, value: int) -> None:
        nonlocal base
        offsets.append(offset)
        values.append(value)
        if len(offsets) % GROUP == 0:
            base += offset

    for column in np.flatnonzero(row):
        while int(column) - base > MAX_DELTA:     # fillers move the base on by 255
            add(MAX_DELTA, 0)
        add(int(column) - base, int(row[column]))
    while len(offsets) % GROUP:
        add(0, 0)
    return offsets, values


def encode_sparse(rows: np.ndarray) -> SparseRows:
    """[n, depth] int8 -> SparseRows (ValueError if a row needs 65,536 entries or more)."""
    rows = np.asarray(rows, np.int8)
    counts: list[int] = []
    offsets: list[int] = []
    values: list[int] = []
    for r, row in enumerate(rows):
        o, v = _sparse_row(row)
        if len(v) > 0xFFFF:
            raise ValueError(f"row {r} needs {len(v)} sparse entries; the format counts at "
                             "most 65,535")
        counts.append(len(v))
        offsets += o
        values += v
    return SparseRows(np.array(counts, np.uint16), np.array(offsets, np.uint8),
                      np.array(values, np.int8), int(rows.shape[1]))


def decode_sparse(sparse: SparseRows) -> np.ndarray:
    """The dense [n, depth] int8 rows of `sparse`."""
    out = np.zeros((len(sparse.counts), sparse.depth), np.int8)
    k = 0
    for r, count in enumerate(sparse.counts):
        base = 0
        for j in range(int(count)):
            offset, value = int(sparse.deltas[k]), int(sparse.values[k])
            if value:
                out[r, base + offset] = value
            if j % GROUP == GROUP - 1:
                base += offset
            k += 1
    return out


def words(depth: int) -> int:
    """32-bit words of one packed bit row."""
    return (depth + 31) // 32


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """[n, depth] of 0/1 -> [n, words] uint32, bit k of word j holding column 32 j + k."""
    n, depth = bits.shape
    padded = np.zeros((n, 32 * words(depth)), np.uint64)
    padded[:, :depth] = bits.astype(np.uint64) != 0
    weights = np.left_shift(np.uint64(1), np.arange(32, dtype=np.uint64))
    return (padded.reshape(n, -1, 32) * weights).sum(axis=2).astype(np.uint32)


def unpack_bits(packed: np.ndarray, depth: int) -> np.ndarray:
    """The inverse of pack_bits: [n, words] uint32 -> [n, depth] uint8 of 0/1."""
    shifts = np.arange(32, dtype=np.uint32)
    bits = (packed[:, :, None] >> shifts) & 1
    return bits.reshape(len(packed), -1)[:, :depth].astype(np.uint8)


def pack_binary(rows: np.ndarray) -> np.ndarray:
    """[n, depth] in {-1, +1} -> [n, words] uint32 (1: +1, 0: -1)."""
    if not _values(rows) <= {-1, 1}:
        raise ValueError("binary weights must all be -1 or +1")
    return pack_bits(rows > 0)


def unpack_binary(packed: np.ndarray, depth: int) -> np.ndarray:
    return (2 * unpack_bits(packed, depth).astype(np.int8) - 1).astype(np.int8)


def pack_ternary(rows: np.ndarray) -> np.ndarray:
    """[n, depth] in {-1, 0, +1} -> [n, 2 * words] uint32: per 32 columns the '+1' word, then
    the '-1' word."""
    if not _values(rows) <= {-1, 0, 1}:
        raise ValueError("ternary weights must all be -1, 0 or +1")
    plus, minus = pack_bits(rows > 0), pack_bits(rows < 0)
    return np.stack([plus, minus], axis=2).reshape(len(rows), -1)


def unpack_ternary(packed: np.ndarray, depth: int) -> np.ndarray:
    pairs = packed.reshape(len(packed), -1, 2)
    plus, minus = unpack_bits(pairs[:, :, 0], depth), unpack_bits(pairs[:, :, 1], depth)
    return (plus.astype(np.int8) - minus.astype(np.int8)).astype(np.int8)


def format_bytes(rows: np.ndarray, fmt: str) -> int:
    """Bytes of the weight data of `rows` stored in format `fmt` (dense: one per weight)."""
    if fmt == "sparse":
        return encode_sparse(rows).nbytes
    if fmt in ("binary", "ternary"):
        return 4 * len(rows) * words(rows.shape[1]) * (1 if fmt == "binary" else 2)
    return int(rows.size)
