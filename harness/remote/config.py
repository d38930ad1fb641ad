"""The options of an `ssh` target, read from its target.yaml (`Target.options`).

    backend: ssh
    timeout_s: 600                    # budget of every remote step (connect, each transfer, the run)
    host: ${HILBENCH_JETSON_HOST}     # required
    port: ${HILBENCH_JETSON_PORT:-22}
    user: jetson                      # default: the local user name
    key_file: ~/.ssh/id_ed25519       # required unless allow_agent: true
    known_hosts: ~/.ssh/known_hosts   # the host key must be in it ...
    accept_unknown_host_key: false    # ... unless true: then an unknown key is accepted once and
                                      # appended to known_hosts (a *changed* key is always refused)
    key_passphrase_env: NAME          # optional: the variable holding the key's passphrase
    allow_agent: false                # also try the keys of a running ssh-agent
    connect_timeout_s: 15             # TCP connect + banner + authentication
    remote_tmp: /tmp                  # where the per-run directory is made (and removed)
    python: python3                   # the board's interpreter (a string, or a list for argv)
    num_threads: 4                    # LiteRT threads (default: LiteRT's own default)
    reference_kernels: false          # true: OpResolverType.BUILTIN_REF (bit-exact with golden)
    warmup: 1                         # untimed invokes per input before the timed repeats
    power:                            # on-board power sampling, see harness/remote/power.py
      kind: auto                      # auto | none | jetson-ina3221 | tegrastats | rpi5-pmic
      rail: VDD_IN                    # default: the input rail if one is known, else all rails summed
      sysfs_root: /sys                # where to look for the INA3221 (tests point it at a fake tree)
      vcgencmd: vcgencmd              # command for rpi5-pmic
      tegrastats: tegrastats          # command for tegrastats
      interval_s: 0.02                # sampling period (sysfs; tegrastats gets it in ms)
      idle_s: 0.5                     # idle sampling before the run (for above-idle energy)
      min_window_s: 1.0               # keep invoking until the sampled window is this long

Every string value may use `${NAME}` (the environment variable; the option counts as unset when
the variable is unset or empty) or `${NAME:-default}`; `~` is expanded in key_file and
known_hosts. Secrets never go in the YAML: the key is a file, its passphrase an environment
variable named by key_passphrase_env.
"""
from __future__ import annotations

import getpass
import ipaddress
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import TargetConfigError, TargetUnavailableError
from ..targets import Target

__all__ = ["PowerConfig", "SshConfig", "ssh_config", "key_file_problem", "expand_vars",
           "is_loopback", "LOOPBACK_ONLY_ENV", "POWER_KINDS", "OPTION_KEYS"]

# Set (to 1) by the test fixtures: refuse any host that is not a loopback literal.
LOOPBACK_ONLY_ENV = "HILBENCH_SSH_LOOPBACK_ONLY"
POWER_KINDS = ("auto", "none", "jetson-ina3221", "tegrastats", "rpi5-pmic")

OPTION_KEYS = ("host", "port", "user", "key_file", "known_hosts", "accept_unknown_host_key",
               "key_passphrase_env", "allow_agent", "connect_timeout_s", "remote_tmp", "python",
               "num_threads", "reference_kernels", "warmup", "power")

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def expand_vars(value: Any, env: Mapping[str, str], missing: set[str]) -> Any:
    """`value` with ${NAME} / ${NAME:-default} replaced in every string (lists and dicts too).

    A string that names an unset variable without a default becomes None and the variable's
    name is added to `missing`."""
    if isinstance(value, dict):
        return {k: expand_vars(v, env, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_vars(v, env, missing) for v in value]
    if not isinstance(value, str):
        return value
    unset: list[str] = []

    def sub(m: re.Match[str]) -> str:
        got = env.get(m.group(1), "")
        if got:
            return got
        if m.group(2) is not None:
            return m.group(2)
        unset.append(m.group(1))
        return ""

    text = _VAR.sub(sub, value)
    if unset:
        missing.update(unset)
        return None
    return text


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback IP literals; no name is resolved."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class PowerConfig:
    kind: str = "auto"
    rail: str | None = None
    sysfs_root: str = "/sys"
    vcgencmd: str = "vcgencmd"
    tegrastats: str = "tegrastats"
    interval_s: float = 0.02
    idle_s: float = 0.5
    min_window_s: float = 1.0

    def job(self) -> dict[str, object]:
        """The `power` section of the runner's job.json."""
        return {"kind": self.kind, "rail": self.rail, "sysfs_root": self.sysfs_root,
                "vcgencmd": self.vcgencmd, "tegrastats": self.tegrastats,
                "interval_s": self.interval_s, "idle_s": self.idle_s,
                "min_window_s": self.min_window_s}


@dataclass(frozen=True)
class SshConfig:
    target: str
    host: str
    port: int
    user: str
    key_file: Path | None
    known_hosts: Path
    accept_unknown_host_key: bool = False
    key_passphrase_env: str | None = None
    allow_agent: bool = False
    connect_timeout_s: float = 15.0
    timeout_s: float = 300.0
    remote_tmp: str = "/tmp"
    python: tuple[str, ...] = ("python3",)
    num_threads: int | None = None
    reference_kernels: bool = False
    warmup: int = 1
    power: PowerConfig = field(default_factory=PowerConfig)

    @property
    def dest(self) -> str:
        """user@host:port, for messages (never anything secret)."""
        return f"{self.user}@{self.host}:{self.port}"

    def passphrase(self) -> str | None:
        """The key's passphrase from the variable key_passphrase_env names (None: unset/empty)."""
        return (os.environ.get(self.key_passphrase_env) or None) if self.key_passphrase_env else None


def key_file_problem(cfg: SshConfig) -> str | None:
    """Why cfg.key_file cannot be a private key file (missing, a folder), else None."""
    if cfg.key_file is None or cfg.key_file.is_file():
        return None
    if cfg.key_file.is_dir():
        return (f"target {cfg.target}: key_file {cfg.key_file} is a folder; give the private "
                "key file in it (e.g. id_ed25519)")
    return f"target {cfg.target}: key_file {cfg.key_file} does not exist"


def _yaml_name(target: Target) -> str:
    return f"{target.folder.parent.name}/{target.folder.name}/target.yaml"


def _bool(value: object, key: str, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise TargetConfigError(f"{where}: {key} must be true or false, got {value!r}")


def _number(value: object, key: str, where: str, kind: type, low: float,
            high: float | None = None) -> Any:
    try:
        if isinstance(value, bool) or (kind is int and isinstance(value, float)
                                       and not value.is_integer()):
            raise ValueError(value)
        number = kind(value)
    except (TypeError, ValueError, OverflowError):
        raise TargetConfigError(f"{where}: {key} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < low or (high is not None and number > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise TargetConfigError(f"{where}: {key} must be {bound}, got {value!r}")
    return number


def _power(raw: object, where: str) -> PowerConfig:
    if raw is None:
        return PowerConfig()
    if not isinstance(raw, dict):
        raise TargetConfigError(f"{where}: power must be a mapping (kind: ..., rail: ...)")
    unknown = set(raw) - set(PowerConfig.__dataclass_fields__)
    if unknown:
        raise TargetConfigError(f"{where}: unknown power option(s) {sorted(unknown)}; known: "
                                f"{', '.join(PowerConfig.__dataclass_fields__)}")
    kind = str(raw.get("kind") or "auto")
    if kind not in POWER_KINDS:
        raise TargetConfigError(f"{where}: power.kind {kind!r} is not one of {', '.join(POWER_KINDS)}")
    d = PowerConfig()
    return PowerConfig(
        kind=kind,
        rail=str(raw["rail"]) if raw.get("rail") else None,
        sysfs_root=str(raw.get("sysfs_root") or d.sysfs_root),
        vcgencmd=str(raw.get("vcgencmd") or d.vcgencmd),
        tegrastats=str(raw.get("tegrastats") or d.tegrastats),
        interval_s=_number(raw.get("interval_s", d.interval_s), "power.interval_s", where, float, 0.001),
        idle_s=_number(raw.get("idle_s", d.idle_s), "power.idle_s", where, float, 0.0),
        min_window_s=_number(raw.get("min_window_s", d.min_window_s), "power.min_window_s", where,
                             float, 0.0),
    )


def ssh_config(target: Target, env: Mapping[str, str] | None = None) -> SshConfig:
    """The target's ssh options, expanded and checked.

    Raises TargetUnavailableError (naming the YAML and the variables to set) when host or
    key_file is not set, TargetConfigError when a value is invalid."""
    env = os.environ if env is None else env
    where = _yaml_name(target)
    unknown = sorted(set(target.options) - set(OPTION_KEYS))
    if unknown:
        raise TargetConfigError(f"{where}: unknown option(s) {', '.join(unknown)} for the ssh "
                                f"backend; known: {', '.join(OPTION_KEYS)}")
    missing: dict[str, set[str]] = {}
    opts: dict[str, Any] = {}
    for key, raw in target.options.items():
        names: set[str] = set()
        opts[key] = expand_vars(raw, env, names)
        if names:
            missing[key] = names
    allow_agent = _bool(opts.get("allow_agent", False), "allow_agent", where)
    required = ["host"] + ([] if allow_agent else ["key_file"])
    unset = [k for k in required if opts.get(k) in (None, "")]
    unset += [k for k in target.options if k in missing and k not in unset]
    if unset:
        env_names = sorted(set().union(*(missing.get(k, set()) for k in unset)))
        hint = (f" (or the environment variable{'s' if len(env_names) > 1 else ''} "
                f"{', '.join(env_names)})") if env_names else ""
        raise TargetUnavailableError(f"target {target.name}: set {'/'.join(unset)} in {where}{hint}")
    host = str(opts["host"])
    if env.get(LOOPBACK_ONLY_ENV) == "1" and not is_loopback(host):
        raise TargetUnavailableError(
            f"target {target.name}: host {host!r} is not a loopback address and "
            f"{LOOPBACK_ONLY_ENV}=1 allows loopback only")
    python = opts.get("python") or "python3"
    if isinstance(python, list):
        python = tuple(str(p) for p in python)
    else:
        python = (str(python),)
    threads = opts.get("num_threads")
    key_file = opts.get("key_file")
    return SshConfig(
        target=target.name,
        host=host,
        port=_number(opts.get("port", 22), "port", where, int, 1, 65535),
        user=str(opts.get("user") or getpass.getuser()),
        key_file=Path(os.path.expanduser(str(key_file))) if key_file else None,
        known_hosts=Path(os.path.expanduser(str(opts.get("known_hosts") or "~/.ssh/known_hosts"))),
        accept_unknown_host_key=_bool(opts.get("accept_unknown_host_key", False),
                                      "accept_unknown_host_key", where),
        key_passphrase_env=str(opts["key_passphrase_env"]) if opts.get("key_passphrase_env") else None,
        allow_agent=allow_agent,
        connect_timeout_s=_number(opts.get("connect_timeout_s", 15.0), "connect_timeout_s", where,
                                  float, 0.1),
        timeout_s=float(target.timeout_s),
        remote_tmp=str(opts.get("remote_tmp") or "/tmp"),
        python=python,
        num_threads=None if threads in (None, "") else _number(threads, "num_threads", where, int, 1),
        reference_kernels=_bool(opts.get("reference_kernels", False), "reference_kernels", where),
        warmup=_number(opts.get("warmup", 1), "warmup", where, int, 0),
        power=_power(opts.get("power"), where),
    )
