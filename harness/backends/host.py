"""`host`: the generated C compiled with the native gcc and run on this machine.

Latency is wall-clock (CLOCK_MONOTONIC around the invoke loop only). Instructions come from
`perf stat -e instructions:u` when the kernel exposes the counter (difference between a run
with n inferences and one with none, so start-up and I/O cancel out); otherwise they are absent.
Flash and RAM are read from the model's objects (static analysis).
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from ..build import Toolchain, build_c, footprint
from ..commands import Command, execute, which
from ..errors import RunError
from ..measure import Metric
from .base import Artifact, Backend, RunResult, pack_samples, unpack_samples

__all__ = ["HostBackend"]

_DONE = re.compile(r"HB_DONE n=(\d+) repeats=(\d+) invoke_ns=(\d+)")
_PER_INPUT = re.compile(r"^HB_NS (\d+) (\d+)$", re.MULTILINE)


class HostBackend(Backend):
    name = "host"

    def available(self) -> str | None:
        cc = Toolchain.from_target(self.target).cc
        if which(cc) is None:
            return f"{cc} not found: install it (Debian: apt-get install gcc)"
        return None

    def build(self, model) -> Artifact:  # type: ignore[no-untyped-def]
        tc = Toolchain.from_target(self.target)
        main = self.target.folder / "main.c"
        cb = build_c("host", tc, model.sources, [main], [model.out_dir, *model.include_dirs],
                     "model")
        fp = footprint(tc, cb.model_objects)
        how = "size -A of the model objects; stack from -fstack-usage (estimate)"
        metrics = {
            "flash_bytes": Metric(fp.flash, "B", "static-analysis", "text+rodata+data, " + how),
            "ram_bytes": Metric(fp.static_ram + fp.stack, "B", "static-analysis",
                                "data+bss (arena) + stack estimate, " + how),
            "arena_bytes": Metric(model.arena_bytes, "B", "static-analysis", "memory plan"),
        }
        return Artifact(self.target, cb.output, model, cb.commands, metrics,
                        {"cc": tc.version()}, cb.cache_hit)

    def run(self, artifact: Artifact, inputs: Sequence[np.ndarray], repeats: int = 1) -> RunResult:
        n = int(inputs[0].shape[0])
        model = artifact.model
        with tempfile.TemporaryDirectory(prefix="hilbench-host-") as tmp:
            in_path, out_path = Path(tmp) / "inputs.bin", Path(tmp) / "outputs.bin"
            data = pack_samples(inputs)
            if len(data) != n * model.input_bytes:
                raise RunError(f"inputs hold {len(data)} bytes, the model takes "
                               f"{n} x {model.input_bytes}")
            in_path.write_bytes(data)
            cmd = Command((str(artifact.path), str(in_path), str(out_path), str(n), str(repeats)),
                          timeout_s=self.target.timeout_s)
            done = execute(cmd, error=RunError)
            m = _DONE.search(done.stdout)
            if not m:
                raise RunError(f"host runner printed no HB_DONE line: {done.stdout[-300:]!r}")
            outputs = unpack_samples(out_path.read_bytes(), n, model.output_specs)
            invoke_ns = int(m.group(3))
            commands = [cmd]
            metrics = {}
            if n:
                metrics["latency_ms"] = Metric(
                    invoke_ns / 1e6 / (n * repeats), "ms", "wall-clock",
                    f"CLOCK_MONOTONIC around hb_model_invoke, mean of {n} x {repeats}")
            instructions = self._instructions(artifact, in_path, out_path, n, repeats)
            if instructions is not None:
                metrics["instructions_per_inference"] = instructions
                commands.append(Command(("perf", "stat", "-x,", "-e", "instructions:u",
                                         *cmd.argv)))
        per_input = _per_input_ms(done.stdout, n, repeats)
        return RunResult(outputs, metrics, [], commands, _without_per_input(done.stdout),
                         per_input=per_input)

    def _instructions(self, artifact: Artifact, in_path: Path, out_path: Path, n: int,
                      repeats: int) -> Metric | None:
        if n == 0 or which("perf") is None:
            return None

        def count(k: int) -> int | None:
            cmd = Command(("perf", "stat", "-x,", "-e", "instructions:u", str(artifact.path),
                           str(in_path), str(out_path), str(k), str(repeats)),
                          timeout_s=self.target.timeout_s)
            done = execute(cmd, check=False, error=RunError)
            for line in done.stderr.splitlines():
                field = line.split(",")[0]
                if "instructions" in line and field.isdigit():
                    return int(field)
            return None  # "<not supported>" in VMs without a PMU

        full, empty = count(n), count(0)
        if full is None or empty is None:
            return None
        return Metric((full - empty) / (n * repeats), "instr", "hw-counter",
                      "perf stat -e instructions:u, run with n minus run with 0 inferences")


def _per_input_ms(stdout: str, n: int, repeats: int) -> dict[str, list[float]]:
    """Each input's wall-clock latency per inference (HB_NS lines), in input order."""
    ns = {int(i): int(t) for i, t in _PER_INPUT.findall(stdout)}
    if sorted(ns) != list(range(n)):
        return {}
    return {"latency_ms": [ns[i] / 1e6 / repeats for i in range(n)]}


def _without_per_input(stdout: str) -> str:
    """The log without the per-input lines (kept as numbers in RunResult.per_input)."""
    return _PER_INPUT.sub("", stdout).lstrip("\n")
