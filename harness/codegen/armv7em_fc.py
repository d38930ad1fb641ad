"""FULLY_CONNECTED of the `armv7em` kernel set at build time: the row-pair weight layout, the
integer requantisation constant and the per-shape specialisation of the kernel.

- `fc_pairs`: rows (a, b) of a pair share one int16 halfword per input, h = 256 b + a, so
  that one SMLAD accumulates sum x (256 b + a) and, after one SXTB16 of the same word,
  another accumulates sum x a; row b is their difference / 256 (kernels/armv7em,
  hb_arm_mac_pairs). Exact when h fits int16 and |sum x b| < 2^23; else None and the layer
  keeps the four-row interleaved layout (hb_arm_mac_1x4).
- `fc_requant`: floor(scale * 2^32), with which the kernel reproduces LiteRT's
  round((double)acc * scale) in integers (the bound is in kernels/armv7em/README.md).
- `specialised_fc`: the C of one function per distinct layer shape (model.c), calling
  arm_fc_s8_body.h's kernel with a constant hb_arm_fc_shape, so loop bounds, the row-group
  tail, the clamp and the layout flags are compile-time constants; layers of equal shape
  share the function.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["PAIR_SUM_LIMIT", "FcShape", "fc_pairs", "fc_requant", "specialised_fc"]

PAIR_SUM_LIMIT = 1 << 16   # 128 * sum |b| < 2^23: row b's sum survives (mix - lo) / 256


def _words(n: int) -> int:
    return (n + 3) // 4


def fc_pairs(rows: np.ndarray) -> np.ndarray | None:
    """The hb_arm_mac_pairs layout of FC weights [n, depth] (int8), or None where it is not
    exact. Rows pad to groups of 4, depth to whole words; rows (a, b) = (4g + 2p, 4g + 2p + 1)
    share the int16 halfword h = 256 b + a per input (low byte a, high byte b - [a < 0]);
    per group and 4-input step the words E0 O0 E1 O1 hold pair p's halfwords of inputs
    (0, 2) and (1, 3), the order SXTB16 unpacks an input word in. None when some h leaves
    int16 (b = -128 with a < 0) or some row b has sum |b| >= 2^16, so that
    |sum x b| <= 128 sum |b| might reach 2^23."""
    n, depth = rows.shape
    words = _words(depth)
    padded = np.zeros((-(-n // 4) * 4, 4 * words), np.int64)
    padded[:n, :depth] = rows
    a, b = padded[0::2], padded[1::2]                          # [n/2, 4 words]
    h = 256 * b + a
    if np.any(h < -(1 << 15)) or np.any(h >= 1 << 15):
        return None
    if np.any(np.abs(b).sum(axis=1) >= PAIR_SUM_LIMIT):
        return None
    # [pairs, 4 words] -> [groups, words, pair, (inputs 0, 2), (inputs 1, 3)]
    steps = h.reshape(-1, 2, words, 4).transpose(0, 2, 1, 3)[..., [0, 2, 1, 3]]
    return np.ascontiguousarray(steps.astype("<i2")).view(np.int8).reshape(-1)


def fc_requant(scale: float) -> int:
    """floor(scale * 2^32) for 0 < scale < 1; 0 (the double computation) otherwise."""
    if not (math.isfinite(scale) and 0.0 < scale < 1.0):
        return 0
    return int(math.floor(math.ldexp(scale, 32)))


@dataclass(frozen=True)
class FcShape:
    """hb_arm_fc_shape: what the compiler may treat as constant in one FC layer's kernel."""

    batches: int
    accum_depth: int
    out_depth: int
    act_min: int
    act_max: int
    per_channel: bool
    pairs: bool
    all_scaled: bool

    def fields(self) -> list[tuple[str, int]]:
        return [("batches", self.batches), ("accum_depth", self.accum_depth),
                ("out_depth", self.out_depth), ("words", _words(self.accum_depth)),
                ("act_min", self.act_min), ("act_max", self.act_max),
                ("per_channel", int(self.per_channel)), ("pairs", int(self.pairs)),
                ("all_scaled", int(self.all_scaled))]

    @property
    def function(self) -> str:
        """The C name of the kernel specialised for this shape (unique per shape)."""
        return "hb_arm_fc_s8_" + "_".join(str(v).replace("-", "m") for _, v in self.fields()
                                          if _ != "words")


def specialised_fc(shape: FcShape) -> str:
    """model.c text defining shape.function once (a guard macro: layers of equal shape
    share it). noinline keeps each layer's code apart, as a kernel call is."""
    guard = shape.function.upper()
    constants = ", ".join(f".{k} = {v}" for k, v in shape.fields())
    return (f"#ifndef {guard}\n#define {guard}\n"
            '#include "arm_fc_s8_body.h"\n'
            f"static __attribute__((noinline)) void {shape.function}(\n"
            "    const hb_arm_fc_params *p, const int8_t *input, const int8_t *weights,\n"
            "    int8_t *scratch, int8_t *output)\n{\n"
            f"    const hb_arm_fc_shape shape = {{{constants}}};\n"
            "    hb_arm_fc_s8_body(shape, p, input, weights, scratch, output);\n}\n#endif\n")
