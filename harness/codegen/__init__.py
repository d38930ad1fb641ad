"""C code generation: a Graph in, a self-contained directory of portable C99 out.

    generate(graph, out_dir, *, prefix="hb", layer_markers=True) -> GeneratedModel

writes into out_dir:

    model.h            the interface: <P>_INPUT_BYTES, <P>_OUTPUT_BYTES, <P>_ARENA_BYTES,
                       <P>_NUM_LAYERS, <p>_layer_names[], void <p>_model_invoke(in, out)
    model.c            static arena (liveness-planned, memplan.py), per-layer parameter
                       structs, the invoke function with HB_LAYER_BEGIN/END(i) markers
    weights.c          every constant as a 16-byte aligned const array (weights.py)
    kernels/           the reference kernels the model needs (kernels/ref: hb_kernels.h,
                       hb_fixedpoint.h and one .c per op family); with kernels="armv7em",
                       armv7em.py picks an ARMv7E-M DSP kernel per int8 layer and lays its
                       weights out for it (the other layers keep ref)

weight_format ("auto" by default, weight_formats.WEIGHT_FORMAT_OPTIONS) says how int8 CONV_2D
and FULLY_CONNECTED weights are stored: `auto` stores a layer sparse (sparse_s8.c) from
weight_formats.sparse_threshold(kernels, op) zeros on and packed (packed_s8.c, 1 or 2 bits per weight) when
its values are all in {-1, +1} / {-1, 0, +1} and weight_formats.packed_pays() expects it to be
faster than the set's dense kernel; `dense` never does (kernels/ref/SPARSE.md).
GeneratedModel.weight_formats records each layer's choice.

<p> is the prefix (<P> in capitals); the host runner `targets/host/main.c` expects the default "hb".
Inputs and outputs are passed as raw bytes, several of them concatenated in graph order.
int8 kernels are bit-exact with TFLite's reference kernels, with every fixed-point constant
taken from `harness.lower`; float kernels follow TFLite's float reference kernels.

The code uses only <stdint.h>, <string.h> and <math.h> (link with -lm), no malloc, recursion
or VLAs; it compiles warning-free for the host, Cortex-M4 and 32-bit RISC-V. int64_t appears
only in the fixed-point helpers (hb_fixedpoint.h) and with int64 tensors (CAST, GATHER
indices), `double` only in the int8 FULLY_CONNECTED requantization, because LiteRT's reference
kernel rounds (double)acc * scale there (soft-float on an M4, one multiply per output), and in
hybrid FULLY_CONNECTED's asymmetric input quantization (a few operations per input row).

The tests build and run it on the host with exactly:

    gcc -std=c99 -O2 -Wall -Wextra -Werror -I<out_dir> -I<out_dir>/kernels \
        <GeneratedModel.sources...> targets/host/main.c -o <out_dir>/model_bin -lm
    <out_dir>/model_bin inputs.bin outputs.bin <n> [repeats]

and check the objects compile with
`arm-none-eabi-gcc -std=c99 -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2 -c`
and `riscv64-unknown-elf-gcc --specs=picolibc.specs -march=rv32imac -mabi=ilp32 -O2 -c`.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ModelError
from ..ir import Graph
from . import armv7em, sparse
from .emit import ArenaPointers, model_header, model_source
from .exits import EXIT_INDEX_BYTES
from .memplan import MemoryPlan, plan_memory
from .ops import OpCode, OpContext, check_supported, emit_op, scratch_bytes
from .weight_formats import check_option
from .weights import Constants

if TYPE_CHECKING:
    from ..exits import ExitProgram

# Kernel sets whose code generation specialises layers (a module with scratch_bytes and emit);
# the others replace ref files by name only.
_SPECIALISED = {armv7em.NAME: armv7em}

__all__ = ["GeneratedModel", "generate", "kernel_sets", "KERNEL_DIR", "KERNEL_ROOT"]

KERNEL_ROOT = Path(__file__).parent / "kernels"
KERNEL_DIR = KERNEL_ROOT / "ref"
KERNEL_HEADERS = ("hb_kernels.h", "hb_fixedpoint.h", "hb_sparse.h", "hb_sequence.h")


@dataclass(frozen=True)
class GeneratedModel:
    out_dir: Path
    sources: list[Path]                 # model.c, weights.c and the kernel .c files needed
    include_dirs: list[Path]
    input_bytes: int
    output_bytes: int
    arena_bytes: int
    naive_arena_bytes: int
    weights_bytes: int                  # constant data (weights, biases, requant arrays)
    layer_names: list[str]              # one per op, the HB_LAYER_BEGIN(i) index
    layer_ops: list[str]                # the op kind of each layer
    macs: int
    input_specs: list[tuple[tuple[int, ...], str]]   # per sample (batch dim dropped), dtype
    output_specs: list[tuple[tuple[int, ...], str]]
    prefix: str = "hb"
    graph: Graph | None = None          # the IR it was generated from
    source: Path | None = None          # the model file, for backends that run it directly
    weight_formats: tuple[str, ...] = ()  # per layer: dense, sparse, binary or ternary

    @property
    def header(self) -> Path:
        return self.out_dir / "model.h"


def _specs(tensors: list) -> list[tuple[tuple[int, ...], str]]:  # type: ignore[type-arg]
    return [(tuple(int(d) for d in t.shape[1:]), t.dtype) for t in tensors]


def kernel_sets() -> list[str]:
    """The kernel sets under kernels/: `ref` (portable C) and target-specific overlays."""
    return sorted(p.name for p in KERNEL_ROOT.iterdir() if p.is_dir())


def _kernel_file(kernels: str, name: str) -> Path:
    """A kernel set overrides `ref` file by file; what it lacks comes from `ref`."""
    own = KERNEL_ROOT / kernels / name
    return own if own.is_file() else KERNEL_DIR / name


def generate(graph: Graph, out_dir: str | Path, *, prefix: str = "hb",
             layer_markers: bool = True, kernels: str = "ref",
             weight_format: str = "auto",
             exits: ExitProgram | None = None) -> GeneratedModel:
    """Write the C of `graph` into out_dir (created if needed) and describe it.

    `kernels` names a folder of kernels/ (a target's `kernels:` option): its files replace the
    `ref` files of the same name, and its extra headers are copied along. `weight_format`
    (auto, dense, sparse, packed) chooses sparse / packed weights per layer. With `exits` (an
    early-exit program of this graph, harness.exits) the graph is the program's staged one
    and invoke returns at the first exit that fires (codegen/exits.py)."""
    if exits is not None:
        graph = exits.graph
    if kernels not in kernel_sets():
        raise ValueError(f"kernel set {kernels!r} is not in the list: {', '.join(kernel_sets())}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", prefix):
        raise ValueError(f"prefix {prefix!r} is not a C identifier")
    if not graph.ops:
        raise ModelError(f"{graph.source or graph.name}: the model has no ops")
    check_option(weight_format)
    out_dir = Path(out_dir)

    for i, op in enumerate(graph.ops):
        check_supported(graph, i, op)
    special = _SPECIALISED.get(kernels)
    formats = tuple(sparse.layer_format(graph, op, weight_format, kernels) for op in graph.ops)
    scratch = {i: sparse.scratch_bytes(graph, op, formats[i]) if formats[i] != "dense" else
               max(scratch_bytes(graph, op), special.scratch_bytes(graph, op) if special else 0)
               for i, op in enumerate(graph.ops)}
    plan: MemoryPlan = plan_memory(graph, scratch)
    constants = Constants(prefix)
    pointers = ArenaPointers(graph, plan, constants, prefix)
    ctx = OpContext(graph, prefix, constants, pointers.tensor, pointers.scratch)
    codes: list[OpCode] = [
        sparse.emit(ctx, i, op, formats[i]) if formats[i] != "dense" else
        (special.emit(ctx, i, op) if special else None)
        or emit_op(ctx, i, op, aliased=op.outputs[0] in plan.aliases)
        for i, op in enumerate(graph.ops)
    ]

    kernel_dir = out_dir / "kernels"
    kernel_dir.mkdir(parents=True, exist_ok=True)
    needed = sorted({c.kernel_file for c in codes if c.kernel_file})
    extra_headers = sorted(p.name for p in (KERNEL_ROOT / kernels).glob("*.h")
                           if p.name not in KERNEL_HEADERS)
    for stale in kernel_dir.iterdir():  # from an earlier model generated into the same place
        if stale.suffix in (".c", ".h") and stale.name not in (*KERNEL_HEADERS, *extra_headers, *needed):
            stale.unlink()
    for name in (*KERNEL_HEADERS, *extra_headers, *needed):
        shutil.copyfile(_kernel_file(kernels, name), kernel_dir / name)
    # model.c first: it registers the constants weights.c then writes.
    source = model_source(graph, prefix, plan, constants, pointers, codes, layer_markers, exits)
    (out_dir / "model.c").write_text(source)
    (out_dir / "weights.c").write_text(constants.source(f"Model '{graph.name}'"))
    weights_bytes = constants.nbytes
    extra = EXIT_INDEX_BYTES if exits is not None else 0
    (out_dir / "model.h").write_text(model_header(graph, prefix, plan, weights_bytes, extra))

    return GeneratedModel(
        out_dir=out_dir,
        sources=[out_dir / "model.c", out_dir / "weights.c", *(kernel_dir / f for f in needed)],
        include_dirs=[out_dir, kernel_dir],
        input_bytes=sum(t.nbytes for t in graph.input_tensors()),
        output_bytes=sum(t.nbytes for t in graph.output_tensors()) + extra,
        arena_bytes=plan.arena_bytes,
        naive_arena_bytes=plan.naive_bytes,
        weights_bytes=weights_bytes,
        layer_names=[op.name for op in graph.ops],
        layer_ops=[op.kind for op in graph.ops],
        macs=graph.macs(),
        input_specs=_specs(graph.input_tensors()),
        output_specs=_specs(graph.output_tensors()) + ([((), "int32")] if extra else []),
        prefix=prefix,
        graph=graph,
        source=Path(graph.source) if graph.source and Path(graph.source).is_file() else None,
        weight_formats=formats,
    )
