"""A seeded mutation fuzzer of the TFLite import path: bad files must fail cleanly.

Each mutant is a bundled model with one in-place edit: byte flips, truncation, a vector's
length prefix, a table field, a quantization scale set to NaN/inf/0/negative/huge, or a stored
shape dimension. It is imported and, if hilbench accepts it, run through the golden interpreter
on a couple of inputs and through LiteRT BUILTIN_REF. Outcome classes:

    error            a clean HilbenchError (the good outcome for a broken file)
    agree            hilbench ran it and LiteRT agrees (bit-exact / within tolerance)
    litert-refuses   hilbench ran it, LiteRT refused to load or run it (or crashed on it)
    differs          both ran it and the outputs differ: a wrong bit-exact claim (a bug)
    traceback        any other exception from hilbench (a bug)
    hang             hilbench exceeded the time budget (a bug)

`python benchmarks/fuzz_import.py` runs a long campaign; tests/test_fuzz_import.py a short one.
"""
from __future__ import annotations

import signal
import struct
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import tflite

from .compare import compare
from .errors import HilbenchError
from .golden import GoldenInterpreter
from .importers.tflite import parse_tflite
from .inputs import random_inputs
from .litert_child import LiteRTFailed, run_litert_isolated
from .litert_ref import litert_unavailable

__all__ = ["OUTCOMES", "BAD_OUTCOMES", "MUTATIONS", "Mutant", "FuzzReport", "mutants",
           "run_mutant", "fuzz"]

OUTCOMES = ("error", "agree", "litert-refuses", "differs", "traceback", "hang")
BAD_OUTCOMES = ("differs", "traceback", "hang")


@dataclass(frozen=True)
class Mutant:
    model: str
    mutation: str
    detail: str
    data: bytes


@dataclass
class FuzzReport:
    counts: Counter[str] = field(default_factory=Counter)
    by_mutation: dict[str, Counter[str]] = field(default_factory=dict)
    bad: list[tuple[Mutant, str, str]] = field(default_factory=list)   # (mutant, outcome, why)

    def add(self, m: Mutant, outcome: str, why: str) -> None:
        self.counts[outcome] += 1
        self.by_mutation.setdefault(m.mutation, Counter())[outcome] += 1
        if outcome in BAD_OUTCOMES:
            self.bad.append((m, outcome, why))


# ------------------------------------------------------------------------------ locating

class _Layout:
    """Byte positions of the fields the mutations edit, found through the flatbuffer reader."""

    def __init__(self, buf: bytes) -> None:
        model = tflite.Model.GetRootAsModel(buf, 0)
        sg = model.Subgraphs(0)
        self.tensors = [sg.Tensors(i) for i in range(sg.TensorsLength())]
        self.ops = [sg.Operators(i) for i in range(sg.OperatorsLength())]
        self.codes = [model.OperatorCodes(i) for i in range(model.OperatorCodesLength())]
        self.options = [o.BuiltinOptions() for o in self.ops if o.BuiltinOptions() is not None]
        self.scales = [(t, t.Quantization()) for t in self.tensors
                       if t.Quantization() is not None and t.Quantization().ScaleLength()]

    @staticmethod
    def vector(tab: Any, slot: int) -> tuple[int, int] | None:
        """(position of the uint32 length prefix, length) of a vector field, if present."""
        o = tab.Offset(slot)
        if not o:
            return None
        start = tab.Vector(o)
        return start - 4, tab.VectorLen(o)

    @staticmethod
    def fields(tab: Any) -> list[int]:
        """Positions of the scalar/offset fields present in a table."""
        vtable = tab.Pos - struct.unpack_from("<i", tab.Bytes, tab.Pos)[0]
        vsize = struct.unpack_from("<H", tab.Bytes, vtable)[0]
        positions = []
        for slot in range(4, vsize, 2):
            o = tab.Offset(slot)
            if o:
                positions.append(tab.Pos + o)
        return positions


# ----------------------------------------------------------------------------- mutations

def _flip(buf: bytearray, lay: _Layout, rng: np.random.Generator) -> str:
    k = int(rng.integers(1, 9))
    spots = rng.integers(0, len(buf), k)
    for s in spots:
        buf[s] ^= 1 << int(rng.integers(0, 8))
    return f"{k} bit(s) at {sorted(int(s) for s in spots)[:4]}"


def _vector_length(buf: bytearray, lay: _Layout, rng: np.random.Generator) -> str:
    choices = [(t._tab, 4, "tensor shape") for t in lay.tensors]
    choices += [(o._tab, slot, name) for o in lay.ops for slot, name in
                ((6, "op inputs"), (8, "op outputs"))]
    choices += [(q._tab, slot, name) for _, q in lay.scales for slot, name in
                ((8, "scales"), (10, "zero points"))]
    tab, slot, name = choices[int(rng.integers(len(choices)))]
    found = _Layout.vector(tab, slot)
    if found is None:
        return "no vector"
    pos, length = found
    new = int(rng.choice([0, max(0, length - 1), length + 1, length + 7, 1 << 20, 0xFFFFFFFF]))
    struct.pack_into("<I", buf, pos, new)
    return f"{name} length {length} -> {new}"


def _field_value(buf: bytearray, lay: _Layout, rng: np.random.Generator) -> str:
    tables = ([("tensor", t._tab) for t in lay.tensors] + [("op", o._tab) for o in lay.ops] +
              [("opcode", c._tab) for c in lay.codes] + [("options", t) for t in lay.options])
    kind, tab = tables[int(rng.integers(len(tables)))]
    spots = _Layout.fields(tab)
    if not spots:
        return f"{kind}: no field"
    pos = spots[int(rng.integers(len(spots)))]
    old = buf[pos]
    buf[pos] = int(rng.choice([0, 1, 2, 3, 0x7F, 0x80, 0xFF, int(rng.integers(256))]))
    return f"{kind} field byte {old} -> {buf[pos]}"


def _scale(buf: bytearray, lay: _Layout, rng: np.random.Generator) -> str:
    if not lay.scales:
        return "no scales"
    _, q = lay.scales[int(rng.integers(len(lay.scales)))]
    pos, length = _Layout.vector(q._tab, 8)  # type: ignore[misc]
    k = int(rng.integers(length))
    value = float(rng.choice([np.nan, np.inf, -np.inf, 0.0, -0.25, 1e30, 1e-30, 3e38]))
    struct.pack_into("<f", buf, pos + 4 + 4 * k, value)
    return f"scale[{k}] -> {value}"


def _zero_point(buf: bytearray, lay: _Layout, rng: np.random.Generator) -> str:
    if not lay.scales:
        return "no zero points"
    _, q = lay.scales[int(rng.integers(len(lay.scales)))]
    found = _Layout.vector(q._tab, 10)
    if found is None:
        return "no zero point vector"
    pos, length = found
    k = int(rng.integers(length)) if length else 0
    value = int(rng.choice([-129, 128, 255, -1, 1, 1 << 40]))
    if length:
        struct.pack_into("<q", buf, pos + 4 + 8 * k, value)
    return f"zero_point[{k}] -> {value}"


def _shape(buf: bytearray, lay: _Layout, rng: np.random.Generator) -> str:
    t = lay.tensors[int(rng.integers(len(lay.tensors)))]
    found = _Layout.vector(t._tab, 4)
    if found is None or found[1] == 0:
        return "scalar tensor"
    pos, length = found
    k = int(rng.integers(length))
    old = struct.unpack_from("<i", buf, pos + 4 + 4 * k)[0]
    new = int(rng.choice([0, -1, 1, old + 1, max(1, old - 1), old * 2, 1 << 30]))
    struct.pack_into("<i", buf, pos + 4 + 4 * k, new)
    return f"tensor '{t.Name().decode(errors='replace')[:30]}' dim {k}: {old} -> {new}"


def _truncate(buf: bytearray, lay: _Layout, rng: np.random.Generator) -> str:
    keep = int(rng.integers(0, len(buf)))
    del buf[keep:]
    return f"cut to {keep} bytes"


MUTATIONS: dict[str, Callable[[bytearray, _Layout, np.random.Generator], str]] = {
    "byte-flip": _flip,
    "truncate": _truncate,
    "vector-length": _vector_length,
    "field-value": _field_value,
    "scale": _scale,
    "zero-point": _zero_point,
    "stored-shape": _shape,
}


def mutants(models: Sequence[Path], count: int, seed: int) -> Iterator[Mutant]:
    """`count` mutants, round-robin over models and mutation kinds, reproducible from seed."""
    rng = np.random.default_rng(seed)
    originals = {p: p.read_bytes() for p in models}
    layouts = {p: _Layout(b) for p, b in originals.items()}
    kinds = list(MUTATIONS)
    for i in range(count):
        path = models[i % len(models)]
        kind = kinds[(i // len(models)) % len(kinds)]
        buf = bytearray(originals[path])
        detail = MUTATIONS[kind](buf, layouts[path], rng)
        yield Mutant(path.stem, kind, detail, bytes(buf))


# --------------------------------------------------------------------------------- runs

class _Timeout(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise _Timeout()


def run_mutant(m: Mutant, workdir: Path, n_inputs: int = 2, budget_s: float = 20.0,
               check_litert: bool = True) -> tuple[str, str]:
    """(outcome, why) of one mutant."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, budget_s)
    try:
        graph = parse_tflite(m.data, name=m.model, source=f"{m.model}-mutant.tflite")
        inputs = random_inputs(graph, n_inputs, seed=1)
        golden = GoldenInterpreter(graph).run(inputs)
    except HilbenchError as exc:
        return "error", str(exc)
    except _Timeout:
        return "hang", f"over {budget_s} s"
    except Exception as exc:
        return "traceback", "".join(traceback.format_exception_only(type(exc), exc)).strip() + \
            " | " + traceback.format_exc().strip().splitlines()[-3].strip()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if not check_litert or litert_unavailable() is not None:
        return "agree", "not checked (LiteRT unavailable)"
    path = workdir / "mutant.tflite"
    path.write_bytes(m.data)
    try:   # a child process: a mutant that crashes LiteRT must not end the campaign
        reference = run_litert_isolated(path, inputs)
    except LiteRTFailed as exc:
        return "litert-refuses", str(exc)[:200]
    try:
        result = compare(golden, reference)
    except ValueError as exc:
        return "differs", str(exc)
    if result.bit_exact or result.ok or all(
            np.array_equal(g, r, equal_nan=g.dtype.kind == "f") for g, r in zip(golden, reference)):
        return "agree", ""
    return "differs", f"{result.mismatches} values differ, max |diff| {result.max_abs_diff:g}"


def fuzz(models: Sequence[Path], count: int, seed: int = 0, n_inputs: int = 2,
         progress: Callable[[int, Mutant, str], None] | None = None) -> FuzzReport:
    """Run `count` mutants; the report counts outcomes and keeps every bad one."""
    report = FuzzReport()
    with tempfile.TemporaryDirectory(prefix="hilbench-fuzz-") as tmp:
        for i, m in enumerate(mutants(models, count, seed)):
            outcome, why = run_mutant(m, Path(tmp), n_inputs)
            report.add(m, outcome, why)
            if progress:
                progress(i, m, outcome)
    return report
