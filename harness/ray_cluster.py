"""Joining a Ray cluster for a sweep: `auto` starts a local one, anything else is the address
of a running head (`HOST:6379`, as `ray start --head` prints it).

Ray is an optional extra (`pip install -e '.[ray]'`): it is imported here, when a sweep asks
for it, and nowhere else in the core.
"""
from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator
from types import ModuleType

from .errors import ClusterError

__all__ = ["LOCAL", "ray_module", "ray_session"]

LOCAL = "auto"       # --ray auto: start a Ray instance on this machine for the sweep


def ray_module() -> ModuleType:
    """The `ray` package, or a ClusterError that says how to install it."""
    try:
        import ray
    except ImportError:
        raise ClusterError("--ray needs Ray, which is not installed: run scripts/setup.sh (it "
                           "installs the ray extra) or .venv/bin/pip install -e '.[ray]'") from None
    return ray


@contextlib.contextmanager
def ray_session(address: str, num_cpus: int | None = None) -> Iterator[ModuleType]:
    """Connect this process (the driver) to the cluster at `address`, or start a local one for
    `auto` (`num_cpus` caps its worker processes; default: the machine's cores), and
    disconnect afterwards; a local instance is shut down with everything it started.

    Worker output is not forwarded (the tasks return what they have to say). Ray still prints
    its own notices (a worker died, ...) on `sys.stdout`: a caller whose stdout carries records
    redirects it (see cli.cmd_sweep)."""
    if not address:
        raise ClusterError(f"--ray needs an address: {LOCAL!r} for a local Ray, or HOST:PORT of "
                           "a head started with `ray start --head`")
    if num_cpus is not None and address != LOCAL:
        raise ClusterError("the number of CPUs is set on each node by `ray start --num-cpus`, "
                           f"not by the driver; give it only with --ray {LOCAL}")
    ray = ray_module()
    if address != LOCAL:
        _reachable(address)
    options: dict[str, object] = {"log_to_driver": False, "logging_level": logging.WARNING}
    if address == LOCAL:
        options.update(address="local", num_cpus=num_cpus, include_dashboard=False)
    else:
        options.update(address=address)
    try:
        ray.init(**options)
    except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:
        ray.shutdown()
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ClusterError(f"cannot join the Ray cluster at {address}: {first}; start its head "
                           f"with `ray start --head` (same Ray auth token on every node), or use "
                           f"--ray {LOCAL}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def _reachable(address: str) -> None:
    """Fail at once, with the remedy, when nothing listens at HOST:PORT (Ray itself would
    keep retrying for a long while); a ray:// client address is left to Ray."""
    if "://" in address:
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"--ray {address}: give HOST:PORT of the head (as `ray start --head` "
                           f"prints it, port 6379 by default) or {LOCAL!r}")
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except OSError as exc:
        raise ClusterError(f"nothing answers at {address} ({exc.strerror or exc}): start the head "
                           f"there with `ray start --head --port {port}`, or use --ray {LOCAL}"
                           ) from None
