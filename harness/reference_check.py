"""Cross-check of every run against LiteRT's reference kernels (OpResolverType.BUILTIN_REF).

The golden interpreter is hilbench's oracle, and the target is compared with it; this check
closes the loop by comparing the golden outputs with LiteRT on the same inputs, so a model
the importer misreads (a wrong op, a wrong option) can never be reported as bit-exact.

    reference_agreement   meaning
    bit-exact             every output element equal
    within-tolerance      float outputs within harness.compare's tolerance, same top-1
    differs               anything else: the run fails with ReferenceMismatchError
    unavailable           no check (LiteRT missing, cannot load the model, or skipped): why

At most REFERENCE_SAMPLES inputs (the first ones) are checked, so data set runs of thousands
of samples stay fast; the number checked is recorded with the result.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .compare import compare
from .errors import ReferenceMismatchError
from .importers.messages import one_line
from .litert_child import LiteRTFailed, run_litert_isolated
from .litert_ref import litert_unavailable

__all__ = ["AGREEMENTS", "REFERENCE_SAMPLES", "ReferenceAgreement", "check_reference"]

AGREEMENTS = ("bit-exact", "within-tolerance", "differs", "unavailable")
REFERENCE_SAMPLES = 200


@dataclass(frozen=True)
class ReferenceAgreement:
    status: str          # one of AGREEMENTS
    detail: str          # the reason when unavailable, the numbers otherwise
    samples: int = 0     # inputs compared

    def as_extra(self) -> dict[str, object]:
        """The Measurement.extra entries (and so the store's and the JSON record's)."""
        return {"reference_agreement": self.status, "reference_detail": self.detail,
                "reference_samples": self.samples}


def skipped(reason: str) -> ReferenceAgreement:
    return ReferenceAgreement("unavailable", reason)


def check_reference(model_path: str | Path, inputs: Sequence[np.ndarray],
                    golden: Sequence[np.ndarray], *, raise_on_differs: bool = True,
                    max_samples: int = REFERENCE_SAMPLES) -> ReferenceAgreement:
    """Run the inputs through LiteRT BUILTIN_REF and compare with the golden outputs.

    `differs` raises ReferenceMismatchError unless raise_on_differs is False."""
    reason = litert_unavailable()
    if reason is not None:
        return skipped(reason)
    n = min(int(inputs[0].shape[0]), max_samples) if inputs else 0
    picked = [x[:n] for x in inputs]
    try:   # in a child process: a model that crashes LiteRT must not crash hilbench
        reference = run_litert_isolated(model_path, picked)
    except LiteRTFailed as exc:  # LiteRT refuses the model, or crashes on it
        return skipped(one_line(f"LiteRT cannot load or run this model: {exc}"))
    result = compare([g[:n] for g in golden], reference)
    if result.bit_exact:
        return ReferenceAgreement("bit-exact", f"{n} inputs identical to LiteRT BUILTIN_REF", n)
    if result.ok and all(np.issubdtype(r.dtype, np.floating) for r in reference):
        return ReferenceAgreement(
            "within-tolerance", f"max |diff| {result.max_abs_diff:.3g} over {n} inputs", n)
    detail = (f"{result.mismatches} output values differ from LiteRT BUILTIN_REF on {n} "
              f"inputs (max |diff| {result.max_abs_diff:.4g}, top-1 agreement "
              f"{result.top1_agreement:.0%})")
    if raise_on_differs:
        raise ReferenceMismatchError(one_line(
            f"{Path(model_path).name}: the golden interpreter disagrees with LiteRT: {detail}; "
            "the model is misread, please report it"))
    return ReferenceAgreement("differs", detail, n)
