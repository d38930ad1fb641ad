"""torch.export of a float module for PT2E, with a dynamic batch dimension.

The batch is dynamic so calibration and QAT can run whole batches; the example has two
samples because torch.export specialises a size of 1. litert-torch later re-exports the
converted graph at batch 1, the deployed shape.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["export_for_pt2e"]


def export_for_pt2e(model: nn.Module, example: torch.Tensor) -> torch.fx.GraphModule:
    """The module as an ATen graph (eval-mode semantics), batch dimension dynamic."""
    batch = torch.export.Dim("batch", min=1, max=1 << 16)
    two = torch.cat([example, example], dim=0)
    exported = torch.export.export(model.eval(), (two,), dynamic_shapes=({0: batch},))
    return exported.module()
