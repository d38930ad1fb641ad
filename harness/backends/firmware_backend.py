"""The template of every backend that runs the generated C as a firmware image (cocotb's
runner pattern): the shared flow lives here, a backend implements what differs.

    available()  Python modules (`python_modules`), the target's description (`options`,
                 `firmware`, `toolchain`: checked once by load_target, views built once
                 here), the compiler with its libc (`toolchain_problem`: newlib for Arm,
                 picolibc for RISC-V), then the backend's own tools (`tool_problem`)
    build()      firmware.build_firmware without inputs (`budget_ticks`), plus what the
                 backend adds (`add_build_facts`: tool versions, commands)
    run()        the batch split into images that fit (backends/images.run_batch), each
                 linked and run by `run_image(piece) -> ImageRun`, outputs and counts put
                 back together; `count_metrics(batch, n)` turns the counters into Metrics,
                 `run_extra(batch, n)` adds facts, per-layer counts get `layer_provenance`
                 (times `layer_scale()`)

A new simulator backend is one file: its options, `run_image` and `count_metrics`.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Sequence

import numpy as np

from ..artifacts import Artifact, RunResult
from ..build import Toolchain
from ..commands import Command, execute, which
from ..errors import BuildError, TargetConfigError
from ..firmware import FirmwareConfig, build_firmware
from ..measure import Metric
from .base import Backend
from .images import Batch, ImageRun, ImageSlice, run_batch
from .rv32 import riscv_toolchain_problem

if TYPE_CHECKING:
    from ..codegen import GeneratedModel

__all__ = ["FirmwareBackend", "arm_toolchain_problem"]


def arm_toolchain_problem(tc: Toolchain) -> str | None:
    """Why arm-none-eabi-gcc cannot build a firmware (with the fix), or None."""
    if which(tc.cc) is None:
        return (f"{tc.cc} not found: install it (Debian: apt-get install gcc-arm-none-eabi "
                "libnewlib-arm-none-eabi)")
    if which(tc.size) is None:
        return f"{tc.size} not found: install binutils for the target (binutils-arm-none-eabi)"
    libc = execute(Command((tc.cc, *tc.cflags, "-print-file-name=libc_nano.a")),
                   check=False).stdout.strip()
    if not Path(libc).is_absolute():
        return (f"{tc.cc} finds no newlib-nano (libc_nano.a): install it (Debian: apt-get "
                "install libnewlib-arm-none-eabi)")
    return None


class FirmwareBackend(Backend):
    """A backend running firmware images (see the module doc for the template methods)."""

    # (module, pip requirement) the backend imports
    python_modules: ClassVar[tuple[tuple[str, str], ...]] = ()
    # provenance of the per-layer counts (HB_LAYER)
    layer_provenance: ClassVar[str] = "instructions"

    # -- the target, as this backend sees it (built once per backend) --------------------

    @functools.cached_property
    def firmware(self) -> FirmwareConfig:
        return FirmwareConfig.from_target(self.target)

    @functools.cached_property
    def toolchain(self) -> Toolchain:
        return Toolchain.from_target(self.target)

    @functools.cached_property
    def options(self) -> Any:
        """The backend's own section of the target.yaml (None: it has none)."""
        return None

    # -- hooks ---------------------------------------------------------------------------

    def toolchain_problem(self) -> str | None:
        """Why the compiler (with its libc) cannot build a firmware, or None."""
        if self.firmware.arch == "riscv":
            return riscv_toolchain_problem(self.target)
        return arm_toolchain_problem(self.toolchain)

    def tool_problem(self) -> str | None:
        """Why the backend's own tools (simulator, flasher) cannot run, or None."""
        return None

    def budget_ticks(self) -> int | None:
        """The per-inference budget compiled into the firmware (None: the maximum)."""
        return None

    def add_build_facts(self, artifact: Artifact) -> None:
        """Tool versions and commands the backend adds to a built image."""

    def run_image(self, piece: ImageSlice) -> ImageRun:
        """Run one linked image (piece.image, piece.count inputs) and check it."""
        raise NotImplementedError

    def count_metrics(self, batch: Batch, n: int) -> dict[str, Metric]:
        """The run's metrics from the batch's counters (and ImageRun.stats)."""
        return {}

    def layer_scale(self) -> float:
        """Per-layer counts are multiplied by this (counter ticks to instructions)."""
        return 1

    def run_extra(self, batch: Batch, n: int) -> dict[str, Any]:
        """JSON-able facts of the run (RunResult.extra)."""
        return {}

    # -- the protocol ----------------------------------------------------------------------

    def available(self) -> str | None:
        for module, requirement in self.python_modules:
            try:
                __import__(module)
            except ImportError:
                return (f"Python package {module} not found: pip install '{requirement}' "
                        "into the venv")
        try:
            _ = self.options, self.firmware, self.toolchain
        except (TargetConfigError, BuildError) as exc:
            return str(exc)
        return self.toolchain_problem() or self.tool_problem()

    def build(self, model: GeneratedModel) -> Artifact:
        artifact = build_firmware(model, self.target, budget_ticks=self.budget_ticks())
        self.add_build_facts(artifact)
        return artifact

    def run(self, artifact: Artifact, inputs: Sequence[np.ndarray], repeats: int = 1) -> RunResult:
        n = int(inputs[0].shape[0])
        batch = run_batch(artifact, inputs, self.run_image)
        if n == 0:
            return RunResult(batch.outputs)
        metrics = self.count_metrics(batch, n)
        return RunResult(batch.outputs, metrics,
                         batch.layer_metrics(self.layer_provenance, self.layer_scale()),
                         batch.commands, batch.log, self.run_extra(batch, n),
                         _per_input_cycles(metrics, batch.counts))


def _per_input_cycles(metrics: dict[str, Metric], counts: list[int]) -> dict[str, list[float]]:
    """Each input's count as "cycles" when cycles_per_inference is exactly their mean (the
    backend counts cycles with the firmware's counter), else nothing."""
    cycles = metrics.get("cycles_per_inference")
    if cycles is None or not counts:
        return {}
    if abs(float(np.mean(counts)) - cycles.value) > 1e-9 * max(1.0, abs(cycles.value)):
        return {}
    return {"cycles": [float(c) for c in counts]}
