"""The ssh backend against a board that answers wrongly, and bad connection settings.

The runner's answer is checked by harness/remote/result.py (fed here with made-up files, no
board); then a real loopback sshd (tests/ssh_fixtures.py) runs a runner whose answer is
altered after it wrote it, encrypted keys, a `timeout` wrapper that exits 124."""
from __future__ import annotations

import dataclasses
import io
import json
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hb_testutil import model_path
from ssh_fixtures import SshServer, keygen, needs_sshd, ssh_env, sshd  # noqa: F401

from harness.backends.ssh import SshBackend
from harness.errors import RunError, RunTimeoutError, TargetConfigError
from harness.remote.config import ssh_config
from harness.remote.figures import latency_metrics, power_figures
from harness.remote.result import parse_result, runner_timed_out
from harness.targets import Target, load_target


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=allow_pickle)
    return buf.getvalue()


N, REPEATS = 3, 2
SPECS = [((4,), "int8")]


def good_files() -> dict[str, Any]:
    """result.json (as a dict) and the files it names, as runner.py writes them."""
    return {
        "result.json": {"ok": True, "kernels": "reference", "num_threads": 1, "n": N,
                        "repeats": REPEATS, "warmup": 1, "outputs": ["output_0.npy"],
                        "latency": "latency_ns.npy",
                        "power": {"source": "tegrastats", "error": None,
                                  "samples": {"t": [0.0, 1.0, 2.0, 3.0],
                                              "rails": {"VDD_IN": [1.0, 1.0, 3.0, 3.0]}},
                                  "idle": [0.0, 1.0], "active": [2.0, 3.0], "inferences": 10}},
        "output_0.npy": npy(np.zeros((N, 4), dtype=np.int8)),
        "latency_ns.npy": npy(np.full(N * REPEATS, 1_000_000, dtype=np.int64)),
    }


def parse(files: dict[str, Any], specs: Any = SPECS) -> Any:
    raw = files["result.json"]
    raw = raw if isinstance(raw, bytes) else json.dumps(raw).encode()

    def fetch(name: str) -> bytes:
        assert "/" not in name
        if name not in files:
            raise RunError(f"no {name}")
        return files[name]

    return parse_result(raw, fetch, n=N, repeats=REPEATS, output_specs=specs, where="b@h:22")


def with_result(**changes: Any) -> dict[str, Any]:
    files = good_files()
    files["result.json"].update(changes)
    return files


def test_a_good_answer_parses() -> None:
    r = parse(good_files())
    assert r.outputs[0].shape == (N, 4) and r.latency_ns.tolist() == [1e6] * 6
    metrics, summary = power_figures(r.power, None)
    assert metrics["power_active_w"].value == 3.0 and metrics["power_idle_w"].value == 1.0
    assert metrics["energy_above_idle_uj_per_inference"].value == pytest.approx(2 * 1 / 10 * 1e6)
    assert latency_metrics(r.latency_ns, N, REPEATS, 1, "ref", 1)["latency_ms"].value == 1.0


def files_with(name: str, data: bytes) -> dict[str, Any]:
    files = good_files()
    files[name] = data
    return files


def power_with(**changes: Any) -> dict[str, Any]:
    files = good_files()
    files["result.json"]["power"].update(changes)
    return files


@pytest.mark.parametrize("files, message", [
    ({"result.json": b"[1, 2]"}, "a result.json that is a list, not an object"),
    ({"result.json": b'"ok"'}, "a result.json that is a str, not an object"),
    ({"result.json": b"null"}, "a result.json that is a NoneType"),
    ({"result.json": b'{"ok": true}'}, "whose 'n' is None, not a count"),
    ({"result.json": b"\xff\xfenot json"}, "a result.json that is not JSON"),
    ({"result.json": b'{"ok": "yes"}'}, "whose 'ok' is 'yes'"),
    ({"result.json": b'{"ok": false, "error": "RuntimeError: no LiteRT"}'},
     "the runner on b@h:22 failed: RuntimeError: no LiteRT"),
    (with_result(outputs=None), "whose 'outputs' is None, not a list of files"),
    (with_result(outputs=[]), "whose 'outputs' is \\[\\], not a list of files"),
    (with_result(n=N + 1), "4 inputs x 2 repeats for a job of 3 x 2"),
    (with_result(repeats=-2), "whose 'repeats' is -2, not a count"),
    (with_result(kernels=["x"]), "whose 'kernels' is \\['x'\\], not text"),
    (with_result(outputs=["../../etc/passwd"]), "'../../etc/passwd', which is not a plain file"),
    (with_result(outputs=["/etc/passwd"]), "'/etc/passwd', which is not a plain file name"),
    (with_result(outputs=[".."]), "which is not a plain file name"),
    (with_result(latency="sub/latency_ns.npy"), "latencies named 'sub/latency_ns.npy'"),
    (with_result(outputs=["output_0.npy", "output_0.npy"]), "2 outputs for a model with 1"),
    (files_with("output_0.npy", npy(np.zeros((N + 1, 4), np.int8))),
     r"output_0.npy of shape \(4, 4\) for 3 inputs"),
    (files_with("output_0.npy", npy(np.zeros((N, 5), np.int8))),
     r"output_0.npy of \(5,\) int8 per input; the model's output 0 is \(4,\) int8"),
    (files_with("output_0.npy", npy(np.zeros((N, 4), np.float32))), "float32 per input"),
    (files_with("output_0.npy", npy(np.array(3))), r"of shape \(\) for 3 inputs"),
    (files_with("output_0.npy", npy(np.array([[object()]] * N, dtype=object), allow_pickle=True)),
     "output_0.npy, which is not a .npy array .ValueError: Object arrays cannot be loaded"),
    (files_with("output_0.npy", b"\x93NUMPY garbage"), "which is not a .npy array"),
    (files_with("output_0.npy", npy(np.zeros((N, 4), np.int8))[:60]), "not a .npy array"),
    (files_with("output_0.npy", npy(np.array([["a"] * 4] * N))), "of dtype <U1, not numbers"),
    (files_with("latency_ns.npy", npy(np.array([1.0, np.nan, 1, 1, 1, 1]))),
     "a latency that is negative or not a number"),
    (files_with("latency_ns.npy", npy(np.array([1, -5, 1, 1, 1, 1]))),
     "a latency that is negative or not a number"),
    (files_with("latency_ns.npy", npy(np.ones(5, np.int64))), r"latencies of shape \(5,\)"),
    (power_with(samples={"t": [0, 1], "rails": {"VDD_IN": [1.0]}}),
     "power rail 'VDD_IN' without one reading per sample time"),
    (power_with(samples={"t": [0, 1], "rails": {"VDD_IN": [1.0, -2.0]}}),
     "not a finite, non-negative number of watts"),
    (power_with(samples={"t": [0, 1], "rails": {"VDD_IN": [1.0, "2W"]}}), "number of watts"),
    (power_with(samples={"t": [1, 0], "rails": {}}), "times are not increasing finite numbers"),
    (power_with(samples={"t": "0 1", "rails": {}}), "without a list of times"),
    (power_with(samples=[1, 2]), "without a list of times"),
    (power_with(active=[3.0, 2.0]), r"power.active window of \[3.0, 2.0\]"),
    (power_with(idle=[0.0, float("nan")]), "power.idle window"),
    (power_with(inferences=-1), "whose 'inferences' is -1"),
    (with_result(power="VDD_IN 5W"), "a power section that is a str"),
])
def test_a_wrong_answer_is_refused(files: dict[str, Any], message: str) -> None:
    with pytest.raises(RunError, match=message):
        parse(files)


def test_without_model_specs_only_the_sample_count_is_checked() -> None:
    files = files_with("output_0.npy", npy(np.zeros((N, 7), np.float32)))
    assert parse(files, specs=None).outputs[0].shape == (N, 7)


def test_active_power_below_idle_gives_no_negative_energy() -> None:
    files = power_with(samples={"t": [0.0, 1.0, 2.0, 3.0], "rails": {"VDD_IN": [3.0, 3.0, 2.0, 2.0]}})
    metrics, summary = power_figures(parse(files).power, None)
    assert "energy_above_idle_uj_per_inference" not in metrics
    assert all(m.value >= 0 for m in metrics.values())
    assert "below the idle" in summary["power_note"]


def test_exit_124_is_a_timeout_only_when_the_runner_says_so() -> None:
    line = "runner: timeout_s exceeded, stopping\n"
    assert runner_timed_out(124, line, 120.5, 120)
    assert not runner_timed_out(124, "", 2.7, 120)          # `timeout 2.7 python3 ...`
    assert not runner_timed_out(124, line, 2.7, 120)        # too early to be ours
    assert not runner_timed_out(1, line, 200, 120)


# ---- settings --------------------------------------------------------------------------


def localhost(timeout_s: float | None = None, **options: Any) -> Target:
    t = load_target("ssh-localhost")
    t = dataclasses.replace(t, options={**t.options, **options})
    return t if timeout_s is None else dataclasses.replace(t, timeout_s=timeout_s)


def plain(**options: Any) -> Target:
    return dataclasses.replace(localhost(), options={"host": "127.0.0.1", "key_file": "/k",
                                                     **options})


@pytest.mark.parametrize("options, message", [
    ({"port": 99999}, "port must be from 1 to 65535, got 99999"),
    ({"port": 0}, "port must be from 1 to 65535, got 0"),
    ({"port": 22.5}, "port must be a number, got 22.5"),
    ({"port": True}, "port must be a number, got True"),
    ({"connect_timeout_s": float("nan")}, "connect_timeout_s must be at least 0.1, got nan"),
    ({"power": {"interval_s": float("inf")}}, "power.interval_s must be at least 0.001"),
    ({"num_threads": "1e999"}, "num_threads must be a number"),
])
def test_bad_numbers_in_the_settings(options: dict[str, Any], message: str) -> None:
    with pytest.raises(TargetConfigError, match=message):
        ssh_config(plain(**options), {})
    assert message.split(",")[0] in (SshBackend(plain(**options)).available() or "")


def test_a_key_file_that_is_a_folder(tmp_path: Path) -> None:
    reason = SshBackend(plain(key_file=str(tmp_path))).available()
    assert reason == (f"target ssh-localhost: key_file {tmp_path} is a folder; give the private "
                      "key file in it (e.g. id_ed25519)")
    from harness.remote.connection import Connection

    with pytest.raises(TargetConfigError, match="is a folder"):
        Connection._key(ssh_config(plain(key_file=str(tmp_path)), {}))


# ---- through a real sshd on 127.0.0.1 --------------------------------------------------


def encrypted_key(sshd: SshServer, folder: Path, passphrase: str) -> Path:
    key = folder / "encrypted_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "enc", "-f",
                    str(key)], check=True, capture_output=True, timeout=30)
    with (sshd.folder / "authorized_keys").open("a") as f:
        f.write(key.with_suffix(".pub").read_text())
    return key


STAND_IN = SimpleNamespace(source=model_path("ad01_int8"))


@needs_sshd
@pytest.mark.sim
def test_key_passphrase_env(sshd: SshServer, ssh_env: Path, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    key = encrypted_key(sshd, tmp_path, "correct horse ✓")
    monkeypatch.setenv("HILBENCH_SSH_KEY", str(key))
    target = localhost(key_passphrase_env="HB_TEST_PASSPHRASE")
    monkeypatch.delenv("HB_TEST_PASSPHRASE", raising=False)
    with pytest.raises(TargetConfigError, match=f"key file {key} is encrypted: name the "
                       "environment variable .* the variable HB_TEST_PASSPHRASE it names is unset"):
        SshBackend(target).build(STAND_IN)
    with pytest.raises(TargetConfigError, match=f"key file {key} is encrypted"):
        SshBackend(localhost()).build(STAND_IN)                 # no key_passphrase_env at all
    monkeypatch.setenv("HB_TEST_PASSPHRASE", "wrong")
    with pytest.raises(TargetConfigError, match="cannot be decrypted with the passphrase in "
                       "HB_TEST_PASSPHRASE: is it the right one"):
        SshBackend(target).build(STAND_IN)
    monkeypatch.setenv("HB_TEST_PASSPHRASE", "correct horse ✓")
    artifact = SshBackend(target).build(STAND_IN)
    assert artifact.tool_versions["board_runtime"].startswith("ai-edge-litert")
    # a passphrase given for a key that has none is not an error
    monkeypatch.setenv("HILBENCH_SSH_KEY", str(sshd.client_key))
    SshBackend(target).build(STAND_IN)


def wrapper(folder: Path, after: str) -> Path:
    """A `python` for the board that runs the runner, then runs `after` (Python, with the run
    directory as sys.argv[1]) on what it wrote: a runner whose answer is wrong."""
    script = folder / "lying-python"
    script.write_text(f"""#!/bin/sh
"{sys.executable}" "$@"; status=$?
if [ "$2" != "--probe" ]; then "{sys.executable}" -c '{after}' "$(dirname "$2")"; fi
exit $status
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


NEGATIVE_LATENCY = ("import sys, numpy as np; p = sys.argv[1] + \"/latency_ns.npy\"; "
                    "np.save(p, -np.load(p))")


@needs_sshd
@pytest.mark.sim
def test_a_negative_latency_is_refused_and_nothing_recorded(ssh_env: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HILBENCH_SSH_PYTHON", str(wrapper(tmp_path, NEGATIVE_LATENCY)))
    db = tmp_path / "r.sqlite"
    done = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(model_path("ad01_int8")),
                           "-t", "ssh-localhost", "-n", "3", "--results", str(db), "-q"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: the runner on ") and \
        "returned a latency that is negative or not a number; nothing is recorded" in done.stderr
    assert not db.exists() or __import__("harness.results").results.ResultStore(db).count() == 0
    assert list(ssh_env.iterdir()) == []


@needs_sshd
@pytest.mark.sim
def test_a_wrapper_exiting_124_is_not_a_timeout(ssh_env: Path, tmp_path: Path) -> None:
    from harness.importers import load_model
    from harness.inputs import random_inputs

    target = localhost(python=["timeout", "2.7", sys.executable])
    backend = SshBackend(target)
    artifact = backend.build(SimpleNamespace(source=model_path("kws_ref_model")))
    x = random_inputs(load_model(model_path("kws_ref_model")), 20, 0)
    with pytest.raises(RunError, match="exited with 124 without a result") as info:
        backend.run(artifact, x, repeats=100_000)
    assert not isinstance(info.value, RunTimeoutError)


@needs_sshd
@pytest.mark.sim
@pytest.mark.parametrize("probe", ['["versions"]', '{"versions": [1, 2]}', "not json"])
def test_a_probe_answer_of_the_wrong_shape(ssh_env: Path, tmp_path: Path, probe: str) -> None:
    script = tmp_path / "odd-python"
    script.write_text(f"#!/bin/sh\necho '{probe}'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(RunError, match="printed no versions"):
        SshBackend(localhost(python=str(script))).build(STAND_IN)
