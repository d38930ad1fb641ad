"""`hilbench sweep --ray`: the (variant, target) jobs of a sweep as tasks on a real Ray cluster
(a head on loopback with two worker processes, `ray_fixtures.ray_head`).

The rows must equal a serial run's: same accuracy, outputs check, sizes and cycles of the
deterministic targets (wall-clock numbers and per-run facts excluded). A worker killed in the
middle of a job is replaced and the job runs again: every row arrives once. The driver alone
writes the store. Both `hilbench sweep --ray` and the suite's `pytest --hil-ray` are run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from ray_fixtures import RayHead, cluster_processes, ray_head  # noqa: F401

from harness.results import ResultStore

REPO = Path(__file__).resolve().parent.parent
DIGITS = REPO / "suites" / "digits" / "recipe.yaml"
# Per-run facts and wall-clock numbers: everything else of a row must match the serial run.
RUN_FACTS = {"id", "run_id", "time_utc", "commands_json", "extra_json"}
EXTRA_RUN_FACTS = {"stage_seconds", "sweep_seconds", "build_cache_hit", "ray_worker"}
SUBSET = "120"     # test samples per job: keeps the ISS jobs short


def _sweep(*args: str, db: Path, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "harness.cli", "sweep", str(DIGITS), *args, "--quick",
            "--subset", SUBSET, "--json", "--results", str(db)]
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)


def _rows(db: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """The store's rows by (variant, target), without per-run facts and wall-clock metrics."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for r in ResultStore(db).dataframe().to_dict("records"):
        key = (r["variant"], r["target"])
        assert key not in rows, f"two rows for {key}"
        timed = {k for k in r if r.get(f"{k}_provenance") == "wall-clock"}
        kept = {k: v for k, v in r.items()
                if k not in RUN_FACTS | timed and v is not None and not (isinstance(v, float) and v != v)}
        extra = json.loads(r["extra_json"])
        rows[key] = {**kept,
                     "extra": {k: v for k, v in extra.items() if k not in EXTRA_RUN_FACTS}}
    return rows


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    db = tmp_path_factory.mktemp("serial") / "r.sqlite"
    done = _sweep("-t", "host", "-t", "cortex-m4-iss", db=db)
    assert done.returncode == 0, done.stderr
    return _rows(db)


@pytest.mark.sim
def test_a_ray_sweep_gives_the_rows_of_the_serial_sweep(
        ray_head: RayHead, serial: dict[tuple[str, str], dict[str, Any]],  # noqa: F811
        tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    done = _sweep("-t", "host", "-t", "cortex-m4-iss", "--ray", ray_head.address, db=db,
                  env=ray_head.env)
    assert done.returncode == 0, done.stderr
    rows = _rows(db)
    assert len(rows) == 6 and set(rows) == set(serial)
    for key, row in rows.items():
        assert row == serial[key], key
        assert row["accuracy_provenance"] == "dataset" and row["n_inputs"] == int(SUBSET)
    iss = rows[("int8-ptq", "cortex-m4-iss")]
    assert iss["bit_exact"] == 1 and iss["cycles_per_inference_provenance"] == "iss-cycle-model"
    assert iss["cycles_per_inference"] > 0
    # Progress on the driver as jobs finish; the records on stdout are the rows.
    assert "ray: [6/6]" in done.stderr
    assert len([json.loads(line) for line in done.stdout.splitlines()]) == 6
    workers = {json.loads(r["extra_json"])["ray_worker"]
               for r in ResultStore(db).dataframe().to_dict("records")}
    assert len(workers) >= 1


def _running_job(head_pid: int, deadline: float) -> int:
    """The pid of a worker of the head while it runs a sweep job (Ray names it after the task)."""
    while time.monotonic() < deadline:
        for pid, cmd in cluster_processes(head_pid).items():
            if cmd.startswith("ray::run_shipped"):
                return pid
        time.sleep(0.05)
    raise AssertionError("no Ray worker ran a sweep job in time")


@pytest.mark.sim
def test_the_suite_on_ray_reruns_the_job_of_a_killed_worker_and_records_each_row_once(
        ray_head: RayHead, serial: dict[tuple[str, str], dict[str, Any]],  # noqa: F811
        tmp_path: Path) -> None:
    """pytest suites/digits --hil-ray HEAD: the tests are Ray tasks; one worker is killed while
    it runs a job, Ray runs the job again, and every test passes with its row recorded once."""
    db = tmp_path / "r.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", str(DIGITS.with_name("test_digits.py")),
         "-p", "no:cacheprovider", "-q", "--hil-target", "host", "--hil-quick",
         "--hil-subset", SUBSET, "--hil-results", str(db), "--hil-ray", ray_head.address],
        cwd=REPO, env=ray_head.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        victim = _running_job(ray_head.pgid, time.monotonic() + 300)
        os.kill(victim, signal.SIGKILL)
        out, _ = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out[-3000:]
    assert "3 passed" in out, out[-3000:]
    rows = _rows(db)
    assert set(rows) == {(v, "host") for v in ("fp32", "int8-ptq", "int8-qat")}
    for key, row in rows.items():
        assert row == serial[key], key
    ran_on = [json.loads(r["extra_json"])["ray_worker"]
              for r in ResultStore(db).dataframe().to_dict("records")]
    assert all(not w.endswith(f":{victim}") for w in ran_on), (victim, ran_on)


def _job(tmp_path: Path) -> Any:
    from harness.sweep import SweepJob

    return SweepJob("int8-ptq", "host", tmp_path / "digits-int8-ptq.tflite", "digits", "digits",
                    "0" * 64, True, None, 0)


def test_a_worker_on_another_commit_returns_an_error_and_no_row(tmp_path: Path) -> None:
    from harness.sweep_ray import run_shipped

    item = run_shipped(_job(tmp_path), b"model", "0" * 64, commit="f" * 40)
    assert item.measurement is None
    assert item.error is not None and "check out the same commit on every node" in item.error


def test_a_model_that_arrives_corrupted_is_an_error_and_no_row(tmp_path: Path) -> None:
    from harness.sweep_ray import run_shipped

    item = run_shipped(_job(tmp_path), b"model", "0" * 64, commit=None)
    assert item.measurement is None and item.error is not None and "corrupted" in item.error


def test_bad_ray_options_are_one_error_line(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from harness.cli import main

    pytest.importorskip("ray", reason="the ray extra is not installed (scripts/setup.sh)")
    base = ["sweep", str(DIGITS), "-t", "host", "--no-record"]
    assert main([*base, "--ray", "127.0.0.1:1"]) == 1
    err = capsys.readouterr().err
    assert "error: nothing answers at 127.0.0.1:1" in err and "ray start --head" in err
    assert main([*base, "--ray", "head-without-port"]) == 1
    assert "give HOST:PORT of the head" in capsys.readouterr().err
    assert main([*base, "--ray-cpus", "2"]) == 1
    assert "--ray-cpus needs --ray auto" in capsys.readouterr().err
    assert main([*base, "--ray", "127.0.0.1:1", "--ray-cpus", "2"]) == 1
    assert "only with --ray auto" in capsys.readouterr().err
