"""`ssh`: the original .tflite file run by LiteRT on a Linux board (Jetson, Raspberry Pi) over SSH.

The generated C is not used: the board runs the model file itself (`GeneratedModel.source`)
with its own LiteRT, which is what such a board would run in the field.

    available()  the YAML's connection settings are complete (never connects)
    build()      connects, probes the board's python / LiteRT / NumPy / uname (tool_versions)
    run()        per-run private directory on the board (SFTP): runner.py + power.py, the model
                 as model.tflite, input_<k>.npy, job.json; `exec python runner.py job.json`
                 (every word shlex-quoted; the user's file name is never on the command line);
                 result.json, output_<k>.npy and latency_ns.npy back; the directory removed

Metrics: latency mean/median/p90/p99 (`wall-clock`, measured on the board around invoke());
with a power sensor, power_active_w, power_idle_w, energy_uj_per_inference and
energy_above_idle_uj_per_inference (`power-sensor`); without one, no power metric and
`extra["power_note"]` says why. `RunResult.extra` carries the kernel mode, threads, the
sensor and rail, for Measurement.extra; agreement figures against the golden reference
(bit_exact, top-1, max_diff_quant_steps) are added by harness.bench from harness.compare.

Library choice and connection handling: harness/remote/connection.py. YAML schema:
harness/remote/config.py. Runner protocol: harness/remote/runner.py.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..errors import (
    BuildError,
    ModelError,
    RunError,
    RunTimeoutError,
    TargetConfigError,
    TargetUnavailableError,
)
from ..measure import Metric
from ..remote import BOARD_FILES
from ..remote.config import SshConfig, key_file_problem, ssh_config
from ..remote.result import RunnerResult, parse_result, runner_timed_out
from .base import Artifact, Backend, RunResult

if TYPE_CHECKING:
    from ..commands import Command
    from ..remote.connection import Connection

__all__ = ["SshBackend"]

# Seconds the host waits beyond timeout_s for the runner, which stops itself at timeout_s.
_GRACE_S = 20.0


def _model_file(model: object) -> Path:
    source = getattr(model, "source", None) or getattr(getattr(model, "graph", None), "source", None)
    if not source:
        raise BuildError("the ssh backend runs the model file itself, but the generated model "
                         "carries no `source` path")
    path = Path(source)
    if not path.is_file():
        raise BuildError(f"model file {path} not found")
    if path.suffix.lower() != ".tflite":
        raise ModelError(f"{path.name}: the ssh runner runs .tflite models only (ONNX Runtime "
                         "support is not there yet)")
    return path


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


class SshBackend(Backend):
    name = "ssh"
    runs_model_file = True      # the board's LiteRT runs the .tflite: no C is generated

    def _config(self) -> SshConfig:
        return ssh_config(self.target)

    def available(self) -> str | None:
        try:
            import paramiko  # noqa: F401
        except ImportError:
            return "paramiko is not installed: pip install paramiko (a hilbench dependency)"
        try:
            cfg = self._config()
        except (TargetUnavailableError, TargetConfigError) as exc:
            return str(exc)
        if key_file_problem(cfg):
            return key_file_problem(cfg)
        if not cfg.accept_unknown_host_key and not cfg.known_hosts.is_file():
            return (f"target {cfg.target}: known_hosts {cfg.known_hosts} does not exist; add the "
                    "board's host key to it after checking its fingerprint, or set "
                    "accept_unknown_host_key: true")
        return None

    def _connect(self, cfg: SshConfig) -> Connection:
        from ..remote.connection import Connection  # paramiko only when connecting
        return Connection.open(cfg)

    def build(self, model) -> Artifact:  # type: ignore[no-untyped-def]
        source = _model_file(model)
        cfg = self._config()
        with self._connect(cfg) as conn:
            workdir = conn.mkdtemp(cfg.remote_tmp)
            try:
                conn.put(BOARD_FILES["runner.py"], f"{workdir}/runner.py")
                conn.put(BOARD_FILES["power.py"], f"{workdir}/power.py")
                done = conn.run([*cfg.python, f"{workdir}/runner.py", "--probe"],
                                cfg.timeout_s, "the probe of the board's runtime")
            finally:
                conn.remove_tree(workdir)
            commands = list(conn.commands)
        if done.exit_status != 0:
            raise TargetUnavailableError(
                f"target {cfg.target}: {' '.join(cfg.python)} on {cfg.dest} cannot run the "
                f"runner (exit {done.exit_status}): {done.stderr.strip()[-300:]}")
        try:
            versions = json.loads(done.stdout.strip().splitlines()[-1])["versions"]
            if not isinstance(versions, dict):
                raise TypeError(versions)
        except (ValueError, KeyError, IndexError, TypeError):
            raise RunError(f"the probe on {cfg.dest} printed no versions: "
                           f"{done.stdout[-200:]!r} {done.stderr[-200:]!r}") from None
        if str(versions.get("runtime", "")).startswith("missing"):
            raise TargetUnavailableError(f"target {cfg.target}: {versions['runtime']}")
        if versions.get("numpy") == "missing":
            raise TargetUnavailableError(f"target {cfg.target}: NumPy is missing for "
                                         f"{' '.join(cfg.python)} on the board")
        tool_versions = {f"board_{k}": str(v) for k, v in versions.items()}
        tool_versions["paramiko"] = _paramiko_version()
        metrics = {"model_file_bytes": Metric(source.stat().st_size, "B", "static-analysis",
                                              "size of the .tflite file run on the board")}
        return Artifact(self.target, source, model, commands, metrics, tool_versions, False)

    def run(self, artifact: Artifact, inputs: Sequence[np.ndarray], repeats: int = 1) -> RunResult:
        cfg = self._config()
        job = {
            "model": "model.tflite",
            "source_name": artifact.path.name,
            "inputs": [f"input_{k}.npy" for k in range(len(inputs))],
            "repeats": int(repeats),
            "warmup": cfg.warmup,
            "num_threads": cfg.num_threads,
            "reference_kernels": cfg.reference_kernels,
            "timeout_s": cfg.timeout_s,
            "stdin_lifeline": True,
            "power": cfg.power.job(),
        }
        with self._connect(cfg) as conn:
            workdir = conn.mkdtemp(cfg.remote_tmp)
            try:
                for name, local in BOARD_FILES.items():
                    conn.put(local, f"{workdir}/{name}")
                conn.put(artifact.path, f"{workdir}/model.tflite")
                for k, x in enumerate(inputs):
                    conn.put_bytes(_npy(x), f"{workdir}/input_{k}.npy", f"input {k}")
                conn.put_bytes(json.dumps(job).encode(), f"{workdir}/job.json", "job.json")
                done = conn.run([*cfg.python, f"{workdir}/runner.py", f"{workdir}/job.json"],
                                cfg.timeout_s + _GRACE_S, "the run", hold_stdin=True)
                if runner_timed_out(done.exit_status, done.stderr, done.seconds, cfg.timeout_s):
                    raise RunTimeoutError(f"the runner on {cfg.dest} did not finish within "
                                          f"timeout_s={cfg.timeout_s:g} s and stopped itself")
                if not conn.exists(f"{workdir}/result.json"):
                    said = done.stderr.strip()[-500:] or done.stdout[-300:]
                    raise RunError(f"the runner on {cfg.dest} exited with {done.exit_status} "
                                   f"without a result: {said}")
                result = parse_result(
                    conn.get_bytes(f"{workdir}/result.json", "result.json"),
                    lambda name: conn.get_bytes(f"{workdir}/{name}", name),
                    n=int(inputs[0].shape[0]) if len(inputs) else 0, repeats=int(repeats),
                    output_specs=getattr(artifact.model, "output_specs", None), where=cfg.dest)
            finally:
                conn.remove_tree(workdir)
            commands, log = list(conn.commands), list(conn.log)
        return self._result(cfg, result, commands, log, done.stdout + done.stderr)

    def _result(self, cfg: SshConfig, result: RunnerResult, commands: list[Command],
                log: list[str], text: str) -> RunResult:
        from ..remote.figures import latency_metrics, power_figures

        metrics = latency_metrics(result.latency_ns, result.n, result.repeats, result.warmup,
                                  result.kernels, result.num_threads)
        power_metrics, power_summary = power_figures(result.power, cfg.power.rail)
        metrics.update(power_metrics)
        outputs = result.outputs
        extra: dict[str, Any] = {
            "board": cfg.dest,
            "kernels": result.kernels,
            "num_threads": result.num_threads,
            "warmup": result.warmup,
            "repeats": result.repeats,
            **power_summary,
        }
        lines = [*log, text.strip(), f"power: {power_summary.get('power_note') or power_summary}"]
        return RunResult(outputs, metrics, [], commands, "\n".join(x for x in lines if x), extra)


def _paramiko_version() -> str:
    import paramiko
    return str(paramiko.__version__)
