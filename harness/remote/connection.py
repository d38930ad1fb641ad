"""One SSH connection to a board: host-key policy, SFTP transfers, remote commands, deadlines.

Library: paramiko. It is synchronous like the rest of the harness (asyncssh would need an
event loop around every call for no gain: one board, one command at a time), it speaks SFTP
itself (no scp/sftp binaries, no shell for file transfers), it has explicit host-key
policies and per-channel timeouts, and it is the most widely packaged pure-Python SSH client
(Debian, conda, PyPI wheels for every platform). fabric is a task layer on top of paramiko
that this module does not need.

Errors, each naming user@host:port and the step, never a key's content:
    unreachable (refused, no route, connect timeout)       TargetUnavailableError
    authentication failed / key unreadable                 TargetConfigError (names the key *file*)
    unknown host key (unless accept_unknown_host_key)      TargetConfigError (with the fingerprint)
    changed host key                                       TargetConfigError, always
    connection lost during a step                          RunError("connection to ... lost
                                                           during <step>")
    a step over its budget                                 RunTimeoutError

Remote commands are argv lists; every element goes through shlex.quote and the command runs
as `exec <argv>` so the board's shell only ever sees quoted words. `commands` keeps an
equivalent `ssh ...` / `sftp-put ...` description of every step (no secret in it).
"""
from __future__ import annotations

import io
import secrets
import shlex
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import paramiko

from ..commands import Command
from ..errors import (
    HilbenchError,
    RunError,
    RunTimeoutError,
    TargetConfigError,
    TargetUnavailableError,
)
from .config import SshConfig, key_file_problem

__all__ = ["Connection", "RemoteCompleted"]


@dataclass(frozen=True)
class RemoteCompleted:
    command: Command
    exit_status: int
    stdout: str
    stderr: str
    seconds: float


class _UnknownHostKey(Exception):
    def __init__(self, hostname: str, key: paramiko.PKey) -> None:
        super().__init__(hostname)
        self.hostname = hostname
        self.key = key


class _Reject(paramiko.MissingHostKeyPolicy):
    def missing_host_key(self, client: paramiko.SSHClient, hostname: str,
                         key: paramiko.PKey) -> None:
        raise _UnknownHostKey(hostname, key)


class _AcceptAndRecord(paramiko.MissingHostKeyPolicy):
    """Trust on first use: accept an unknown key and append it to known_hosts."""

    def __init__(self, known_hosts: Path, log: list[str]) -> None:
        self.known_hosts = known_hosts
        self.log = log

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str,
                         key: paramiko.PKey) -> None:
        client.get_host_keys().add(hostname, key.get_name(), key)
        self.known_hosts.parent.mkdir(parents=True, exist_ok=True)
        with self.known_hosts.open("a") as f:
            f.write(f"{hostname} {key.get_name()} {key.get_base64()}\n")
        self.log.append(f"accepted unknown host key {key.get_name()} {key.fingerprint} of "
                        f"{hostname} and added it to {self.known_hosts}")


def _keyscan_hint(cfg: SshConfig) -> str:
    port = f"-p {cfg.port} " if cfg.port != 22 else ""
    return f"ssh-keyscan {port}{shlex.quote(cfg.host)} >> {shlex.quote(str(cfg.known_hosts))}"


class Connection:
    """An open connection; use `with Connection.open(cfg) as conn:`."""

    def __init__(self, cfg: SshConfig, client: paramiko.SSHClient, log: list[str]) -> None:
        self.cfg = cfg
        self.client = client
        self.log = log
        self.commands: list[Command] = []
        self._sftp: paramiko.SFTPClient | None = None

    # -- connecting -----------------------------------------------------------------------
    @classmethod
    def open(cls, cfg: SshConfig) -> Connection:
        log: list[str] = []
        client = paramiko.SSHClient()
        if cfg.known_hosts.is_file():
            client.load_host_keys(str(cfg.known_hosts))
        client.set_missing_host_key_policy(
            _AcceptAndRecord(cfg.known_hosts, log) if cfg.accept_unknown_host_key else _Reject())
        pkey = cls._key(cfg)
        t = cfg.connect_timeout_s
        try:
            client.connect(cfg.host, port=cfg.port, username=cfg.user, pkey=pkey,
                           allow_agent=cfg.allow_agent, look_for_keys=False, timeout=t,
                           banner_timeout=t, auth_timeout=t, channel_timeout=t)
        except _UnknownHostKey as exc:
            client.close()
            raise TargetConfigError(
                f"target {cfg.target}: the host key of {exc.hostname} ({exc.key.get_name()} "
                f"{exc.key.fingerprint}) is not in {cfg.known_hosts}; unknown host keys are "
                f"rejected. Check the fingerprint on the board (ssh-keygen -lf "
                f"/etc/ssh/ssh_host_*_key.pub), then add it ({_keyscan_hint(cfg)}) or set "
                "accept_unknown_host_key: true in the target's YAML") from None
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise TargetConfigError(
                f"target {cfg.target}: the host key of {cfg.dest} ({exc.key.get_name()} "
                f"{exc.key.fingerprint}) differs from the one in {cfg.known_hosts} "
                f"({exc.expected_key.fingerprint}); refusing to connect. If the board was "
                "reinstalled, remove its old line from known_hosts") from None
        except paramiko.AuthenticationException as exc:
            client.close()
            key = f"key file {cfg.key_file}" if cfg.key_file else "the ssh-agent's keys"
            raise TargetConfigError(
                f"target {cfg.target}: authentication as {cfg.dest} failed with {key} "
                f"({type(exc).__name__}): is its public key in ~{cfg.user}/.ssh/authorized_keys "
                "on the board?") from None
        except TimeoutError as exc:
            client.close()
            raise TargetUnavailableError(
                f"target {cfg.target}: no answer from {cfg.dest} within {t:g} s "
                f"({type(exc).__name__}); is the board on and reachable?") from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            client.close()
            raise TargetUnavailableError(
                f"target {cfg.target}: cannot connect to {cfg.dest}: {exc}; is the board on "
                "and its sshd running?") from None
        transport = client.get_transport()
        assert transport is not None
        transport.set_keepalive(5)
        return cls(cfg, client, log)

    @staticmethod
    def _key(cfg: SshConfig) -> paramiko.PKey | None:
        if cfg.key_file is None:
            return None
        where = f"target {cfg.target}: key file {cfg.key_file}"
        problem = key_file_problem(cfg)
        if problem:
            raise TargetConfigError(problem)
        # paramiko's PKey.from_path hands the password to `cryptography`, which wants bytes
        # (a str raises TypeError) and raises TypeError, not PasswordRequiredException, for an
        # encrypted key without one: try without, then with the passphrase as UTF-8 bytes.
        try:
            return paramiko.PKey.from_path(cfg.key_file, None)
        except (paramiko.PasswordRequiredException, TypeError):
            pass  # encrypted (cryptography: "... password-protected, but password was not ...")
        except FileNotFoundError:
            raise TargetConfigError(f"{where} does not exist") from None
        except (paramiko.SSHException, OSError, ValueError) as exc:
            raise TargetConfigError(f"{where} cannot be used: {type(exc).__name__}: "
                                    f"{str(exc)[:120]}") from None
        passphrase = cfg.passphrase()
        if passphrase is None:
            unset = (f"; the variable {cfg.key_passphrase_env} it names is unset or empty"
                     if cfg.key_passphrase_env else "")
            raise TargetConfigError(
                f"{where} is encrypted: name the environment variable holding its passphrase "
                f"in key_passphrase_env{unset} (or use allow_agent: true with a running "
                "ssh-agent)")
        try:
            return paramiko.PKey.from_path(cfg.key_file, passphrase.encode())  # type: ignore[arg-type]
        except (paramiko.SSHException, OSError, ValueError, TypeError):
            raise TargetConfigError(
                f"{where} cannot be decrypted with the passphrase in {cfg.key_passphrase_env}: "
                "is it the right one?") from None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._sftp is not None:
            try:
                self._sftp.close()
            except Exception:
                pass
        self.client.close()

    def alive(self) -> bool:
        transport = self.client.get_transport()
        return transport is not None and transport.is_active()

    # -- failures -------------------------------------------------------------------------
    @contextmanager
    def step(self, what: str, timeout_s: float) -> Iterator[None]:
        """Map whatever paramiko/sockets raise during `what` to a hilbench error."""
        try:
            yield
        except HilbenchError:
            raise
        except TimeoutError:
            raise RunTimeoutError(f"{what} on {self.cfg.dest} did not finish within "
                                  f"{timeout_s:g} s") from None
        except (paramiko.SSHException, EOFError, OSError) as exc:
            if not self.alive():
                raise RunError(f"connection to {self.cfg.dest} lost during {what} "
                               f"({type(exc).__name__}: {exc})") from None
            raise RunError(f"{what} on {self.cfg.dest} failed: {type(exc).__name__}: {exc}") from None

    # -- files ----------------------------------------------------------------------------
    def sftp(self) -> paramiko.SFTPClient:
        if self._sftp is None:
            with self.step("opening SFTP", self.cfg.timeout_s):
                self._sftp = self.client.open_sftp()
                self._sftp.get_channel().settimeout(self.cfg.timeout_s)  # type: ignore[union-attr]
        return self._sftp

    def _where(self, remote: str) -> str:
        return f"{self.cfg.user}@{self.cfg.host}:{remote}"

    def mkdtemp(self, base: str) -> str:
        """A new private directory under `base` (relative: to the login directory)."""
        with self.step("making the run directory", self.cfg.timeout_s):
            sftp = self.sftp()
            path = f"{sftp.normalize(base).rstrip('/')}/hilbench-{secrets.token_hex(8)}"
            sftp.mkdir(path, mode=0o700)
        self.commands.append(Command(("sftp-mkdir", self._where(path))))
        return path

    def put(self, local: Path, remote: str) -> None:
        with self.step(f"upload of {local.name!r}", self.cfg.timeout_s):
            self.sftp().put(str(local), remote, confirm=True)
        self.commands.append(Command(("sftp-put", str(local), self._where(remote))))

    def put_bytes(self, data: bytes, remote: str, what: str) -> None:
        with self.step(f"upload of {what}", self.cfg.timeout_s):
            self.sftp().putfo(io.BytesIO(data), remote, file_size=len(data), confirm=True)
        self.commands.append(Command(("sftp-put", f"<{what}>", self._where(remote))))

    def get_bytes(self, remote: str, what: str) -> bytes:
        buf = io.BytesIO()
        with self.step(f"download of {what}", self.cfg.timeout_s):
            self.sftp().getfo(remote, buf)
        self.commands.append(Command(("sftp-get", self._where(remote), f"<{what}>")))
        return buf.getvalue()

    def exists(self, remote: str) -> bool:
        with self.step(f"looking for {remote}", self.cfg.timeout_s):
            try:
                self.sftp().stat(remote)
            except FileNotFoundError:
                return False
        return True

    def remove_tree(self, remote: str) -> None:
        """Remove a run directory; best effort (logged) when the connection is gone."""
        if not self.alive():
            self.log.append(f"could not remove {remote}: the connection is gone (the runner "
                            "removes its directory itself when its session drops)")
            return
        try:
            with self.step(f"removing {remote}", self.cfg.timeout_s):
                self._remove(self.sftp(), remote)
            self.commands.append(Command(("sftp-rm-r", self._where(remote))))
        except HilbenchError as exc:
            self.log.append(f"could not remove {remote}: {exc}")

    def _remove(self, sftp: paramiko.SFTPClient, path: str) -> None:
        for entry in sftp.listdir_attr(path):
            child = f"{path}/{entry.filename}"
            if entry.st_mode is not None and stat.S_ISDIR(entry.st_mode):
                self._remove(sftp, child)
            else:
                sftp.remove(child)
        sftp.rmdir(path)

    # -- commands -------------------------------------------------------------------------
    def describe(self, argv: Sequence[str], timeout_s: float) -> Command:
        """The equivalent OpenSSH command line (for the record), remote argv quoted."""
        cfg = self.cfg
        policy = "accept-new" if cfg.accept_unknown_host_key else "yes"
        key = ("-i", str(cfg.key_file)) if cfg.key_file else ()
        remote = "exec " + " ".join(shlex.quote(a) for a in argv)
        return Command(("ssh", "-p", str(cfg.port), *key, "-o", f"UserKnownHostsFile={cfg.known_hosts}",
                        "-o", f"StrictHostKeyChecking={policy}", f"{cfg.user}@{cfg.host}", remote),
                       timeout_s=timeout_s)

    def run(self, argv: Sequence[str], timeout_s: float, what: str, *,
            hold_stdin: bool = False) -> RemoteCompleted:
        """Run argv on the board (quoted, through `exec`); its exit status and output.

        hold_stdin keeps the command's stdin open (and empty) until it exits, so the command
        sees EOF exactly when the session goes away."""
        command = self.describe(argv, timeout_s)
        self.commands.append(command)
        out, err = bytearray(), bytearray()
        start = time.monotonic()
        with self.step(what, timeout_s):
            transport = self.client.get_transport()
            if transport is None or not transport.is_active():
                raise RunError(f"connection to {self.cfg.dest} lost before {what}")
            chan = transport.open_session(timeout=self.cfg.connect_timeout_s)
            try:
                chan.exec_command(command.argv[-1])
                if not hold_stdin:
                    chan.shutdown_write()
                while True:
                    busy = False
                    while chan.recv_ready():
                        out += chan.recv(65536)
                        busy = True
                    while chan.recv_stderr_ready():
                        err += chan.recv_stderr(65536)
                        busy = True
                    if chan.exit_status_ready() and not chan.recv_ready() \
                            and not chan.recv_stderr_ready():
                        break
                    if time.monotonic() - start > timeout_s:
                        raise RunTimeoutError(
                            f"{what} on {self.cfg.dest} did not finish within {timeout_s:g} s "
                            "and was abandoned (the runner stops itself when its session closes)")
                    if not busy:
                        time.sleep(0.02)
                status = chan.recv_exit_status()
            finally:
                chan.close()
        if status == -1:
            if not self.alive():
                raise RunError(f"connection to {self.cfg.dest} lost during {what}")
            raise RunError(f"{what} on {self.cfg.dest} ended without an exit status (killed by "
                           f"a signal?); stderr: {_tail(err)}")
        return RemoteCompleted(command, status, out.decode("utf-8", "replace"),
                               err.decode("utf-8", "replace"), time.monotonic() - start)


def _tail(data: bytes | bytearray, lines: int = 8) -> str:
    text = bytes(data).decode("utf-8", "replace").strip()
    return "\n".join(text.splitlines()[-lines:]) or "(none)"
