"""Decentralized multistage inference: an early-exit model split across two targets and a link.

    run_pipeline(model, "wearable-to-edge", eval_set, threshold) -> PipelineResult
      three placements, each a Measurement (recorded only when all of them succeeded) with
      one row per input: sensor only, edge only (raw window sent), split with early exit.
"""
from __future__ import annotations

from .link import Transfer, transfer
from .run import PLACEMENTS, PipelineResult, run_pipeline

__all__ = ["PLACEMENTS", "PipelineResult", "Transfer", "run_pipeline", "transfer"]
