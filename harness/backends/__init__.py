"""Backends by name: one file, one class, one line in this table."""
from __future__ import annotations

from ..errors import TargetConfigError
from ..targets import Target
from .base import Artifact, Backend, RunResult
from .host import HostBackend
from .iss_arm import IssArmBackend
from .iss_rv import IssRvBackend
from .pipeline import PipelineBackend
from .qemu import QemuBackend
from .renode import RenodeBackend
from .serial import SerialBackend
from .ssh import SshBackend
from .verilator import VerilatorBackend

__all__ = ["BACKENDS", "Artifact", "Backend", "RunResult", "backend_for"]

BACKENDS: dict[str, type[Backend]] = {
    "host": HostBackend,
    "ssh": SshBackend,
    "qemu": QemuBackend,
    "verilator": VerilatorBackend,
    "iss_rv": IssRvBackend,
    "iss_arm": IssArmBackend,
    "serial": SerialBackend,
    "renode": RenodeBackend,
    "pipeline": PipelineBackend,
}


def backend_for(target: Target) -> Backend:
    """The backend a target's YAML names, bound to that target."""
    cls = BACKENDS.get(target.backend)
    if cls is None:
        raise TargetConfigError(
            f"target {target.name}: backend {target.backend!r} is not in the supported list: "
            f"{', '.join(BACKENDS)}"
        )
    return cls(target)
