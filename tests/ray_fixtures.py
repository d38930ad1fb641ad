"""A real Ray head on this machine for the tests of `hilbench sweep --ray`.

`ray start --head --block` runs in its own process group with two CPUs (two worker
processes), token authentication with a token of its own, and a private temp folder; the
fixture yields its loopback address. Every socket of the head's processes listens on loopback
(`harness.ray_cluster.LOOPBACK_ONLY`, in the head's and the drivers' environment):
`open_listeners` reads them from /proc, and the fixture checks them when the head is up and
again at the end, when the workers of the tests' jobs exist. At the end it sends SIGTERM (Ray
drains and stops every process it started) and checks that none of the head's processes (its
group and every descendant: raylet, GCS, agents, workers) is left: a stray one fails the test
after being killed.
"""
from __future__ import annotations

import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.ray_cluster import LOOPBACK_ONLY

RAY = Path(sys.executable).with_name("ray")


@dataclass
class RayHead:
    address: str        # 127.0.0.1:PORT
    env: dict[str, str]  # the environment a driver of this cluster needs (auth token, cache)
    pgid: int
    temp_dir: Path


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, process group, command line) of every live process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[0] == "Z":
                continue
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        found[int(entry.name)] = (int(fields[1]), int(fields[2]), cmd.strip())
    return found


def cluster_processes(head_pid: int) -> dict[int, str]:
    """pid -> command line of the head's process group and of every descendant of the head
    (Ray's worker processes run in process groups of their own)."""
    procs = _processes()
    mine = {pid for pid, (_, pgid, _) in procs.items() if pgid == head_pid} | {head_pid}
    grew = True
    while grew:
        more = {pid for pid, (ppid, _, _) in procs.items() if ppid in mine} - mine
        mine |= more
        grew = bool(more)
    return {pid: procs[pid][2] for pid in mine if pid in procs}


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(hex_address: str) -> Address:
    """An address of /proc/net/{tcp,udp}{,6}: 32-bit words in the host's (little-endian) order."""
    raw = bytes.fromhex(hex_address)
    swapped = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(swapped)


def _bound_sockets() -> dict[str, tuple[str, Address, int]]:
    """Socket inode -> (proto, address, port) of every TCP socket that listens and every UDP
    socket that takes datagrams from anyone (not connected), in this network namespace."""
    found = {}
    for proto, wanted in (("tcp", "0A"), ("tcp6", "0A"), ("udp", "07"), ("udp6", "07")):
        lines = Path(f"/proc/net/{proto}").read_text().splitlines()[1:]
        for fields in (line.split() for line in lines):
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if state != wanted or (proto.startswith("udp") and int(remote.split(":")[0], 16)):
                continue
            host, port = local.split(":")
            found[inode] = (proto, _address(host), int(port, 16))
    return found


def _loopback(address: Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def open_listeners(pids: dict[int, str]) -> list[str]:
    """Every socket of the processes `pids` (pid -> command line) that listens on an address
    other than loopback, as "command (pid): proto address:port"; [] when all are private."""
    sockets = _bound_sockets()
    wrong = []
    for pid, cmd in pids.items():
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:        # the process ended meanwhile
            continue
        for fd in fds:
            try:
                link = os.readlink(fd)
            except OSError:    # closed meanwhile
                continue
            bound = sockets.get(link.removeprefix("socket:[").removesuffix("]"))
            if bound is not None and not _loopback(bound[1]):
                proto, address, port = bound
                wrong.append(f"{cmd[:80]} ({pid}): {proto} {address}:{port}")
    return wrong


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ray_head() -> Iterator[RayHead]:
    pytest.importorskip("ray", reason="the ray extra is not installed (scripts/setup.sh)")
    temp = Path(tempfile.mkdtemp(prefix="hbray-", dir="/tmp"))   # short: Ray's socket paths
    token = temp / "auth_token"
    token.write_text(secrets.token_hex(32))
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token),
           "RAY_USAGE_STATS_ENABLED": "0", **LOOPBACK_ONLY}
    port = _free_port()
    log = (temp / "head.log").open("w")
    head = subprocess.Popen(
        [str(RAY), "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
         "--port", str(port), "--num-cpus", "2", "--include-dashboard", "false",
         "--temp-dir", str(temp), "--disable-usage-stats"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while "Ray runtime started" not in (temp / "head.log").read_text():
            if head.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ray start --head failed:\n{(temp / 'head.log').read_text()[-2000:]}")
            time.sleep(0.3)
        assert "Local node IP: 127.0.0.1" in (temp / "head.log").read_text()
        assert not open_listeners(cluster_processes(head.pid)), "the Ray head listens outside"
        yield RayHead(f"127.0.0.1:{port}", env, head.pid, temp)
    finally:
        started = cluster_processes(head.pid)       # before SIGTERM orphans the workers
        outside = open_listeners(started)
        head.send_signal(signal.SIGTERM)
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 20
        left: dict[int, str] = {}
        while time.monotonic() < deadline:
            alive = _processes()
            left = {pid: cmd for pid, cmd in started.items()
                    if pid in alive and alive[pid][2] == cmd}
            left.update(cluster_processes(head.pid))
            if not left:
                break
            time.sleep(0.5)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(temp, ignore_errors=True)
        assert not left, f"Ray left processes running after SIGTERM: {left}"
        assert not outside, f"Ray listened on more than loopback: {outside}"
