"""Joining a Ray cluster for a sweep: `auto` starts a local one, anything else is the address
of a running head (`HOST:6379`, as `ray start --head` prints it).

A local Ray (`auto`) is for this machine only: every one of its servers listens on 127.0.0.1
(`LOOPBACK_ONLY`), its token authentication uses a token of its own in a private temporary
folder (not Ray's default `~/.ray/auth_token`), and its session files live in that folder too,
which is removed when the sweep ends.

Ray is an optional extra (`pip install -e '.[ray]'`): it is imported here, when a sweep asks
for it, and nowhere else in the core.
"""
from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from .errors import ClusterError

__all__ = ["LOCAL", "LOOPBACK_ONLY", "ray_module", "ray_session"]

LOCAL = "auto"       # --ray auto: start a Ray instance on this machine for the sweep

# Ray turns a node address of 127.0.0.1 (`ray start --node-ip-address`, ray.init's) into the
# machine's outward address, and then its gRPC servers (GCS, raylet, object manager, workers)
# listen on every interface; they listen on loopback only when the node's address stays
# 127.0.0.1. This setting keeps it (Ray's switch for single-node instances, named after the
# systems where it is the default, honoured on all: ray._private.services.get_node_ip_address).
# It must be in the environment before `ray` is imported, in the head's and in the driver's.
LOOPBACK_ONLY = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
_AUTH_SETTINGS = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")
_TOKEN = secrets.token_hex(32)   # one per process: Ray's driver caches the token it loaded


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
    options: dict[str, object] = {"log_to_driver": False, "logging_level": logging.WARNING}
    with contextlib.ExitStack() as local:
        if address == LOCAL:
            folder = local.enter_context(_local_instance())
            options.update(address="local", num_cpus=num_cpus, include_dashboard=False,
                           _temp_dir=str(folder))
        else:
            _reachable(address)
            options.update(address=address)
        ray = ray_module()
        try:
            ray.init(**options)
        except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:
            ray.shutdown()
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ClusterError(f"cannot join the Ray cluster at {address}: {first}; start its "
                               "head with `ray start --head` (same Ray auth token on every "
                               f"node), or use --ray {LOCAL}") from None
        try:
            if address == LOCAL:
                _check_loopback(ray)
            yield ray
        finally:
            ray.shutdown()


def _check_loopback(ray: ModuleType) -> None:
    """A local Ray must have kept 127.0.0.1 as its node address (its servers listen there)."""
    here = ray.util.get_node_ip_address()
    if here != "127.0.0.1":
        setting = " ".join(f"{k}={v}" for k, v in LOOPBACK_ONLY.items())
        raise ClusterError(f"the local Ray would listen on {here}, not on loopback only: `ray` "
                           f"was imported in this process before the sweep could set {setting}; "
                           "set it in the environment before starting")


@contextlib.contextmanager
def _local_instance() -> Iterator[Path]:
    """A private temporary folder for a local Ray's session files, with the environment that
    keeps the instance on loopback and (unless the user set Ray's authentication) a token of
    its own in that folder; the environment is restored and the folder removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="hbray-", dir="/tmp"))   # short: Ray's socket paths
    settings = dict(LOOPBACK_ONLY)
    if not any(os.environ.get(name) for name in _AUTH_SETTINGS):
        token = folder / "auth_token"
        token.write_text(_TOKEN)
        token.chmod(0o600)
        settings.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token))
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield folder
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(folder, ignore_errors=True)


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
