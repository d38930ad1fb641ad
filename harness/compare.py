"""Compare a target's outputs with the reference: bit-exact for int8, a stated tolerance for float."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Comparison", "compare", "FLOAT_RTOL", "FLOAT_ATOL"]

# Float outputs agree when |a - b| <= FLOAT_ATOL + FLOAT_RTOL * |b| element-wise and top-1 is equal.
FLOAT_RTOL = 1e-4
FLOAT_ATOL = 1e-5


@dataclass(frozen=True)
class Comparison:
    bit_exact: bool          # every element identical
    within_tolerance: bool   # int8: == bit_exact; float: the tolerance above holds
    mismatches: int          # elements that differ at all
    max_abs_diff: float
    top1_agreement: float    # fraction of samples whose argmax agrees
    max_diff_quant_steps: int | None  # largest |a - b| over integer (quantized) outputs, in
                                      # steps of the raw values; None without integer outputs

    @property
    def ok(self) -> bool:
        """Passes hilbench's agreement contract: int8 bit-exact; float within tolerance and top-1."""
        return self.within_tolerance and self.top1_agreement == 1.0


def compare(outputs: list[np.ndarray], reference: list[np.ndarray]) -> Comparison:
    """Compare batched outputs (leading dim = sample) with the reference, output by output."""
    if len(outputs) != len(reference):
        raise ValueError(f"{len(outputs)} outputs against {len(reference)} reference outputs")
    mismatches, max_diff, within, top1 = 0, 0.0, True, []
    steps: int | None = None
    for got, want in zip(outputs, reference):
        if got.shape != want.shape:
            raise ValueError(f"output shape {got.shape} differs from reference {want.shape}")
        with np.errstate(invalid="ignore"):   # inf - inf: handled below
            diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
        differ = got != want
        if np.issubdtype(want.dtype, np.floating):   # NaN where both have NaN agrees;
            both_nan = np.isnan(got) & np.isnan(want)  # NaN against a number is infinitely off
            differ &= ~both_nan
            diff = np.where(both_nan | ~differ, 0.0, np.where(np.isnan(diff), np.inf, diff))
        mismatches += int(np.count_nonzero(differ))
        max_diff = max(max_diff, float(diff.max(initial=0.0)))
        if np.issubdtype(want.dtype, np.floating):
            scale = np.where(np.isnan(want), 0.0, np.abs(want.astype(np.float64)))
            within &= bool(np.all(diff <= FLOAT_ATOL + FLOAT_RTOL * scale))
        else:
            steps = max(steps or 0, int(diff.max(initial=0.0)))
        n = got.shape[0]
        top1.append(np.argmax(got.reshape(n, -1), 1) == np.argmax(want.reshape(n, -1), 1))
    agreement = float(np.mean(np.concatenate(top1))) if top1 else 1.0
    exact = mismatches == 0
    return Comparison(exact, within and (exact or _all_float(reference)), mismatches, max_diff,
                      agreement, steps)


def _all_float(arrays: list[np.ndarray]) -> bool:
    return all(np.issubdtype(a.dtype, np.floating) for a in arrays)
