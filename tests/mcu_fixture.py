"""A hand-written model honouring the generated-model interface (model.h / model.c), for the
firmware and QEMU backend tests (imported as `mcu_fixture`): small, with known outputs and
known behaviours (runs forever, faults, executes a known number of instructions).

    out[j] = uint8(trunc(float(in[j]) * 1.5) + 7)     layer 0 in float (FPU), layer 1 int

`variant_target` writes mps2-an386's target.yaml with changes (tiny memory, budgets) to a
temporary folder.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml

from harness.codegen import GeneratedModel
from harness.targets import Target, load_target, targets_dir

BEHAVIOURS = ("affine", "spin", "forever", "bad-read", "undefined-instruction", "big-arena")

# Layer 2 of "spin" runs this many iterations of a 2-instruction loop (subs, bne).
SPIN_ITERATIONS = 100_000

_HEADER = """\
#ifndef HB_MODEL_H
#define HB_MODEL_H
#include <stdint.h>
#define HB_INPUT_BYTES {input_bytes}
#define HB_OUTPUT_BYTES {input_bytes}
#define HB_ARENA_BYTES {arena_bytes}
#define HB_NUM_LAYERS {layers}
extern const char *const hb_layer_names[HB_NUM_LAYERS];
void hb_model_invoke(const void *input, void *output);
#endif
"""

_SOURCE = """\
#include <stdint.h>
#include <string.h>
#include "model.h"

#ifndef HB_LAYER_BEGIN
#define HB_LAYER_BEGIN(i) ((void)0)
#endif
#ifndef HB_LAYER_END
#define HB_LAYER_END(i) ((void)0)
#endif

static int32_t hb_arena[HB_ARENA_BYTES / 4];

const char *const hb_layer_names[HB_NUM_LAYERS] = {{ {names} }};

void hb_model_invoke(const void *input, void *output)
{{
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    HB_LAYER_BEGIN(0);
    for (int j = 0; j < HB_INPUT_BYTES; j++) {{
        hb_arena[j] = (int32_t)((float)in[j] * 1.5f);
    }}
    HB_LAYER_END(0);
    HB_LAYER_BEGIN(1);
    for (int j = 0; j < HB_INPUT_BYTES; j++) {{
        out[j] = (uint8_t)(hb_arena[j] + 7);
    }}
    HB_LAYER_END(1);
{extra}}}
"""

_EXTRA = {
    "affine": "",
    "big-arena": "",
    "spin": f"""\
    HB_LAYER_BEGIN(2);
    {{
        uint32_t n = {SPIN_ITERATIONS}u;
        __asm__ volatile("1: subs %0, %0, #1\\n\\tbne 1b" : "+r"(n) : : "cc");
    }}
    HB_LAYER_END(2);
""",
    "forever": """\
    HB_LAYER_BEGIN(2);
    for (;;) {
        __asm__ volatile("nop");
    }
""",
    "bad-read": """\
    HB_LAYER_BEGIN(2);
    out[0] = (uint8_t)*(volatile uint32_t *)0xF0000000u;
    HB_LAYER_END(2);
""",
    "undefined-instruction": """\
    HB_LAYER_BEGIN(2);
    __asm__ volatile("udf #0");
    HB_LAYER_END(2);
""",
}


def expected_outputs(inputs: np.ndarray) -> np.ndarray:
    """What every behaviour that ends computes, per sample (uint8 in, uint8 out)."""
    return ((inputs.astype(np.int32) * 3 // 2 + 7) & 0xFF).astype(np.uint8)


def write_model(folder: Path, behaviour: str = "affine", input_bytes: int = 32) -> GeneratedModel:
    """model.h and model.c in `folder`, described like harness.codegen.generate does."""
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"unknown fixture behaviour {behaviour!r}")
    folder.mkdir(parents=True, exist_ok=True)
    layers = 2 if behaviour in ("affine", "big-arena") else 3
    arena = 4 * input_bytes if behaviour != "big-arena" else 8 * 1024 * 1024
    names = ", ".join(f'"layer{i}"' for i in range(layers))
    (folder / "model.h").write_text(_HEADER.format(input_bytes=input_bytes, arena_bytes=arena,
                                                   layers=layers))
    (folder / "model.c").write_text(_SOURCE.format(names=names, extra=_EXTRA[behaviour]))
    return GeneratedModel(
        out_dir=folder,
        sources=[folder / "model.c"],
        include_dirs=[folder],
        input_bytes=input_bytes,
        output_bytes=input_bytes,
        arena_bytes=arena,
        naive_arena_bytes=arena,
        weights_bytes=0,
        layer_names=[f"layer{i}" for i in range(layers)],
        layer_ops=["FIXTURE"] * layers,
        macs=0,
        input_specs=[((input_bytes,), "uint8")],
        output_specs=[((input_bytes,), "uint8")],
    )


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def variant_target(tmp_path: Path, name: str, changes: dict[str, Any],
                   drop: tuple[str, ...] = ()) -> Target:
    """mps2-an386's target.yaml with `changes` merged in, written to tmp_path/name."""
    data = yaml.safe_load((targets_dir() / "mps2-an386" / "target.yaml").read_text())
    data = _merge(data, changes)
    for key in drop:
        data.pop(key, None)
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "target.yaml").write_text(yaml.safe_dump(data))
    return load_target(folder / "target.yaml")
