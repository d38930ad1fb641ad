"""A real OpenSSH server on 127.0.0.1 for the ssh backend's tests (imported by test_ssh.py).

`start_sshd(folder)` generates a host key and a client key (ssh-keygen, ed25519), an
authorized_keys and a known_hosts for them, an sshd_config (ListenAddress 127.0.0.1 only, a
free port, AuthorizedKeysFile/PidFile in the folder, StrictModes no, UsePAM no, keys only,
internal-sftp, PATH of the sessions set with SetEnv so the simulated `vcgencmd` and
`tegrastats` in <folder>/bin are found) and runs `/usr/sbin/sshd -D -e -f <config>`. It works
as root (PermitRootLogin prohibit-password; /run/sshd is created when missing, as Debian's
service does) and as any other user (who can then log in as themselves only).

Fixtures: `sshd` (one server per test module and worker, stopped at the end, its sessions
too) and `ssh_env` (the environment variables targets/ssh-localhost/target.yaml refers to,
plus HILBENCH_SSH_LOOPBACK_ONLY=1, per test).
"""
from __future__ import annotations

import os
import pwd
import signal
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

SSHD = Path("/usr/sbin/sshd")
needs_sshd = pytest.mark.skipif(not SSHD.exists(), reason=f"{SSHD} is missing (Debian: apt-get "
                                "install openssh-server)")

# A Raspberry Pi 5 `vcgencmd pmic_read_adc` reading (format of the Pi 5 firmware, 2023-2024:
# current lines first, then volt lines, channel numbers in brackets, 8 decimals, the same
# layout as captured on boards in public projects); the values are made up but plausible.
PMIC_READ_ADC = """\
 3V7_WL_SW_A current(0)=0.00390372A
   3V3_SYS_A current(1)=0.07320840A
   1V8_SYS_A current(2)=0.16394460A
  DDR_VDD2_A current(3)=0.02342232A
  DDR_VDDQ_A current(4)=0.00000000A
   1V1_SYS_A current(5)=0.18738440A
    0V8_SW_A current(6)=0.30845880A
  VDD_CORE_A current(7)=1.25000000A
   3V3_DAC_A current(17)=0.00006105A
   3V3_ADC_A current(18)=0.00042735A
   0V8_AON_A current(16)=0.00439560A
      HDMI_A current(22)=0.01708980A
 3V7_WL_SW_V volt(8)=3.72304000V
   3V3_SYS_V volt(9)=3.30348600V
   1V8_SYS_V volt(10)=1.79682600V
  DDR_VDD2_V volt(11)=1.10475400V
  DDR_VDDQ_V volt(12)=0.60329610V
   1V1_SYS_V volt(13)=1.10549800V
    0V8_SW_V volt(14)=0.80219890V
  VDD_CORE_V volt(15)=0.80000000V
   3V3_DAC_V volt(20)=3.31043000V
   3V3_ADC_V volt(21)=3.30494700V
   0V8_AON_V volt(19)=0.79560440V
      HDMI_V volt(23)=5.12479000V
     EXT5V_V volt(24)=5.10642000V
      BATT_V volt(25)=0.00000000V
"""

# One tegrastats line of a Jetson Orin Nano on JetPack 6 (format of NVIDIA's tegrastats
# documentation, "Jetson Linux Developer Guide > tegrastats Utility"); values made up.
TEGRASTATS_LINE = (
    "RAM 2130/7620MB (lfb 2x4MB) SWAP 0/3810MB (cached 0MB) "
    "CPU [14%@1510,3%@1510,0%@1510,1%@1510,off,off] EMC_FREQ 0%@2133 GR3D_FREQ 0%@[305] "
    "NVDEC off NVJPG off NVJPG1 off VIC off OFA off APE 200 cpu@47.468C soc2@45.687C "
    "soc0@45.031C gpu@45.156C tj@47.468C soc1@46.968C "
    "VDD_IN 6120mW/5950mW VDD_CPU_GPU_CV 1450mW/1380mW VDD_SOC 1520mW/1500mW"
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def keygen(path: Path, comment: str) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True, capture_output=True, timeout=30)
    return path


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def write_fake_tools(folder: Path) -> Path:
    """<folder>/vcgencmd (pmic_read_adc) and <folder>/tegrastats (--interval MS), simulated."""
    folder.mkdir(parents=True, exist_ok=True)
    vcgencmd = folder / "vcgencmd"
    vcgencmd.write_text(
        "#!/bin/sh\n# simulated Raspberry Pi 5 vcgencmd\n"
        'if [ "$1" != pmic_read_adc ]; then echo \'error=1 error_msg="Command not registered"\'; '
        "exit 1; fi\ncat <<'EOF'\n" + PMIC_READ_ADC + "EOF\n")
    tegrastats = folder / "tegrastats"
    tegrastats.write_text(
        f"#!{sys.executable}\n# simulated Jetson tegrastats: one line per --interval ms\n"
        "import sys, time\n"
        "ms = int(sys.argv[sys.argv.index('--interval') + 1]) if '--interval' in sys.argv else 1000\n"
        "while True:\n"
        f"    print(time.strftime('%m-%d-%Y %H:%M:%S ') + {TEGRASTATS_LINE!r}, flush=True)\n"
        "    time.sleep(ms / 1000)\n")
    for tool in (vcgencmd, tegrastats):
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder


@dataclass
class SshServer:
    folder: Path
    port: int
    user: str
    client_key: Path
    other_key: Path          # a valid key that is not authorized
    other_host_pub: str      # a host key that is not this server's
    known_hosts: Path
    proc: subprocess.Popen  # type: ignore[type-arg]
    log: Path

    def env(self, remote_tmp: Path) -> dict[str, str]:
        return {
            "HILBENCH_SSH_PORT": str(self.port),
            "HILBENCH_SSH_USER": self.user,
            "HILBENCH_SSH_KEY": str(self.client_key),
            "HILBENCH_SSH_KNOWN_HOSTS": str(self.known_hosts),
            "HILBENCH_SSH_PYTHON": sys.executable,
            "HILBENCH_SSH_REMOTE_TMP": str(remote_tmp),
            "HILBENCH_SSH_LOOPBACK_ONLY": "1",
        }

    def sshd_pids(self) -> list[int]:
        """The server and its per-connection sshd processes (not what the sessions run)."""
        return [self.proc.pid] + [p for p in descendants(self.proc.pid) if _comm(p) == "sshd"]

    def kill(self) -> None:
        """Kill the server and every connection's sshd at once, as a crash would."""
        for pid in self.sshd_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        sessions = [p for p in self.sshd_pids() if p != self.proc.pid]
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for pid in sessions:  # sessions outlive the listener: end them too
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def start_sshd(folder: Path) -> SshServer:
    folder.mkdir(parents=True, exist_ok=True)
    user = pwd.getpwuid(os.geteuid()).pw_name  # whoever runs sshd can log in as themselves
    host_key = keygen(folder / "ssh_host_ed25519_key", "hilbench-test-host")
    other_host = keygen(folder / "other_host_ed25519_key", "hilbench-test-other-host")
    client_key = keygen(folder / "client_ed25519", "hilbench-test-client")
    other_key = keygen(folder / "unauthorized_ed25519", "hilbench-test-unauthorized")
    authorized = folder / "authorized_keys"
    authorized.write_text(client_key.with_suffix(".pub").read_text())
    bin_dir = write_fake_tools(folder / "bin")
    if os.geteuid() == 0 and not Path("/run/sshd").is_dir():
        Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)
    path = ":".join([str(bin_dir), str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin",
                     "/bin"])
    log = folder / "sshd.log"
    last_error = ""
    for _attempt in range(3):  # the free port may be taken between probing and binding
        port = _free_port()
        config = folder / "sshd_config"
        config.write_text("\n".join([
            f"Port {port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {host_key}",
            f"PidFile {folder / 'sshd.pid'}",
            f"AuthorizedKeysFile {authorized}",
            "StrictModes no",
            "UsePAM no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "Subsystem sftp internal-sftp",
            f"SetEnv PATH={path}",
            "LogLevel VERBOSE",
            "",
        ]))
        with log.open("ab") as out:
            proc = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)],
                                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            host_pub = host_key.with_suffix(".pub").read_text().split()
            known_hosts = folder / "known_hosts"
            known_hosts.write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
            other = other_host.with_suffix(".pub").read_text().split()
            return SshServer(folder, port, user, client_key, other_key, f"{other[0]} {other[1]}",
                             known_hosts, proc, log)
        last_error = log.read_text()[-800:]
    raise RuntimeError(f"sshd did not start: {last_error}")


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    if not SSHD.exists():
        pytest.skip(f"{SSHD} is missing (Debian: apt-get install openssh-server)")
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ssh_env(sshd: SshServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point targets/ssh-localhost at `sshd`; returns the board's run-directory parent."""
    remote_tmp = tmp_path / "board tmp"
    remote_tmp.mkdir()
    for key, value in sshd.env(remote_tmp).items():
        monkeypatch.setenv(key, value)
    return remote_tmp


def leftover_runners(marker: str) -> list[int]:
    """Processes whose command line mentions `marker` (a run directory) and runner.py."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        cmdline = raw.replace(b"\0", b" ").decode("utf-8", "replace")
        if marker in cmdline and "runner.py" in cmdline:
            found.append(int(entry.name))
    return found


def wait_until(predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


__all__ = ["SSHD", "needs_sshd", "SshServer", "start_sshd", "keygen", "sshd", "ssh_env",
           "PMIC_READ_ADC", "TEGRASTATS_LINE", "leftover_runners", "wait_until"]
