"""`pipeline`: a target made of two targets and a link (targets/wearable-to-edge).

It runs one early-exit model split across its sensor and edge targets, with
`hilbench pipeline` (harness/pipeline); a single generated model has nothing to run on it,
so build() says where to go instead. available() is the sensor's and the edge's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..errors import TargetConfigError
from ..targets import load_target
from .base import Artifact, Backend, RunResult

if TYPE_CHECKING:
    from ..codegen import GeneratedModel

__all__ = ["PipelineBackend"]


class PipelineBackend(Backend):
    name = "pipeline"

    def available(self) -> str | None:
        from . import backend_for
        spec = self.target.spec.pipeline
        assert spec is not None          # required by the schema for this backend
        for role, name in (("sensor", spec.sensor), ("edge", spec.edge)):
            try:
                reason = backend_for(load_target(name)).available()
            except TargetConfigError as exc:
                reason = str(exc)
            if reason:
                return f"its {role} target {name} is unavailable: {reason}"
        return None

    def build(self, model: GeneratedModel) -> Artifact:
        raise TargetConfigError(f"target {self.target.name} is a pipeline of two targets: run "
                                "an early-exit model on it with `hilbench pipeline MODEL "
                                f"--target {self.target.name} --dataset NAME`")

    def run(self, artifact: Artifact, inputs: Sequence[np.ndarray], repeats: int = 1) -> RunResult:
        raise TargetConfigError(f"target {self.target.name} is a pipeline: use "
                                "`hilbench pipeline`")
