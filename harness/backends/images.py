"""A batch of inputs run as a sequence of firmware images, for every MCU-class backend.

A simulator firmware has its inputs compiled in, and flash holds only so many next to the
program (`firmware.inputs_per_firmware`). `run_batch` splits the batch into slices that fit,
links one image per slice (`firmware.link_firmware`), hands each to the backend's own
`run_image(slice)` (QEMU, the ISS, Verilator, ...: it runs the image, checks it, and returns
the parsed console), and puts outputs, per-input counts and the first image's per-layer
counts back together:

    batch = run_batch(artifact, inputs, run_image)
    batch.outputs, batch.counts, batch.instructions, batch.layer_metrics(provenance)

Input indices in error messages count from the whole batch: `ImageSlice.where` names the
slice, and `relocate_fault` shifts a fault's input index by the slice's first input.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import numpy as np

from ..artifacts import Artifact, pack_samples, unpack_samples
from ..commands import Command
from ..errors import RunError
from ..firmware import FirmwareReport, inputs_per_firmware, link_firmware
from ..measure import LayerMetric

__all__ = ["ImageSlice", "ImageRun", "Batch", "run_batch", "relocate_fault"]


@dataclass(frozen=True)
class ImageSlice:
    """One linked image: inputs first..first+count-1 of the batch."""

    image: Artifact
    first: int
    count: int
    where: str          # "<target> (inputs a..b)", for messages


@dataclass
class ImageRun:
    """What a backend's run_image returns: the checked console report and its log."""

    report: FirmwareReport
    log: str
    commands: list[Command] = field(default_factory=list)   # the simulator command(s) run
    stats: dict[str, Any] = field(default_factory=dict)     # summed (numbers) or joined (lists)


@dataclass
class Batch:
    artifact: Artifact
    outputs: list[np.ndarray]
    counts: list[int] = field(default_factory=list)         # HB_RESULT counter per input
    instructions: list[int] = field(default_factory=list)   # HB_INSTRET per input, if any
    layers: dict[int, int] = field(default_factory=dict)    # HB_LAYER of the first input
    commands: list[Command] = field(default_factory=list)   # link + run commands, in order
    log: str = ""
    stats: dict[str, Any] = field(default_factory=dict)     # ImageRun.stats of every image

    def layer_metrics(self, provenance: str, scale: float = 1) -> list[LayerMetric]:
        """The first input's per-layer counts (x scale) named after the model's layers."""
        model = self.artifact.model
        return [LayerMetric(i, model.layer_names[i], model.layer_ops[i], self.layers[i] * scale,
                            provenance)
                for i in sorted(self.layers) if i < len(model.layer_names)]


def run_batch(artifact: Artifact, inputs: Sequence[np.ndarray],
              run_image: Callable[[ImageSlice], ImageRun]) -> Batch:
    """Run every input of the batch through as many images as needed (see the module doc)."""
    model = artifact.model
    n = int(inputs[0].shape[0])
    record = model.input_bytes
    if n == 0:
        return Batch(artifact, unpack_samples(b"", 0, model.output_specs))
    data = pack_samples(inputs)
    if len(data) != n * record:
        raise RunError(f"inputs hold {len(data)} bytes, the model takes {n} x {record}")
    per_image = inputs_per_firmware(artifact)
    outputs = bytearray()
    batch = Batch(artifact, [])
    logs: list[str] = []
    for first in range(0, n, per_image):
        stop = min(n, first + per_image)
        image = link_firmware(artifact, data[first * record:stop * record], stop - first)
        batch.commands += [c for c in image.commands if c not in batch.commands]
        piece = ImageSlice(image, first, stop - first,
                           f"{artifact.target.name} (inputs {first}..{stop - 1})")
        ran = run_image(piece)
        batch.commands += ran.commands
        logs.append(ran.log)
        outputs += ran.report.outputs()
        batch.counts += ran.report.counts()
        batch.instructions += ran.report.instructions()
        for key, value in ran.stats.items():
            batch.stats[key] = batch.stats[key] + value if key in batch.stats else value
        if first == 0:
            batch.layers = dict(ran.report.layers)
    batch.outputs = unpack_samples(bytes(outputs), n, model.output_specs)
    batch.log = "".join(logs)
    return batch


def relocate_fault(report: FirmwareReport, first: int) -> None:
    """Make a fault's input index count from the whole batch (the image starts at `first`)."""
    if report.fault is not None and report.fault.input is not None:
        report.fault = replace(report.fault, input=first + report.fault.input)
