"""The backend protocol: how to run on a kind of target, in three methods.

    available() -> reason | None   None when usable; the reason (with the fix) becomes a skip
    build(model) -> Artifact       generated C -> something runnable, with its footprint
    run(artifact, inputs) -> RunResult   outputs per input, counters with provenance, log

A backend is bound to one `Target` (its YAML description) when constructed.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar, Sequence

import numpy as np

from ..artifacts import Artifact, RunResult, pack_samples, unpack_samples
from ..targets import Target

if TYPE_CHECKING:
    from ..codegen import GeneratedModel

__all__ = ["Artifact", "RunResult", "Backend", "pack_samples", "unpack_samples"]


class Backend(ABC):
    name: ClassVar[str]
    # True: build() takes the imported Graph and the target runs the model file itself
    # (Graph.source), so no C is generated for it (ssh)
    runs_model_file: ClassVar[bool] = False

    def __init__(self, target: Target) -> None:
        self.target = target

    @abstractmethod
    def available(self) -> str | None:
        """None when this backend can run here, else why not and how to fix it."""

    @abstractmethod
    def build(self, model: GeneratedModel) -> Artifact:
        """Compile the generated model for the target."""

    @abstractmethod
    def run(self, artifact: Artifact, inputs: Sequence[np.ndarray], repeats: int = 1) -> RunResult:
        """Run every sample of the batched `inputs`; `repeats` times each for timing."""
