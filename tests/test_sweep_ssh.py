"""A recipe's variants on an SSH board: `hilbench sweep ... --target ssh-localhost`, with a
real OpenSSH server on 127.0.0.1 (tests/ssh_fixtures.py) and this machine's LiteRT as the
board's runtime. The board runs the variant's .tflite itself; its outputs are scored."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ssh_fixtures import needs_sshd, ssh_env, sshd  # noqa: F401

from harness.results import ResultStore

REPO = Path(__file__).resolve().parent.parent


@needs_sshd
@pytest.mark.sim
def test_digits_int8_variant_on_ssh_localhost(ssh_env: Path, tmp_path: Path) -> None:  # noqa: F811
    db = tmp_path / "r.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "sweep", str(REPO / "suites/digits/recipe.yaml"),
         "--target", "ssh-localhost", "--variant", "int8-ptq", "--quick", "--json",
         "--results", str(db)], capture_output=True, text=True, timeout=1200, cwd=REPO)
    assert done.returncode == 0, done.stderr
    (r,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert r["target"] == "ssh-localhost" and r["backend"] == "ssh"
    assert r["bit_exact"] is True and r["accuracy"] > 0.8 and r["accuracy_provenance"] == "dataset"
    assert r["n_eval"] == r["n_inputs"] and r["latency_ms_provenance"] == "wall-clock"
    assert r["weight_bits"] == 8 and r["techniques"][0]["name"] == "int8-ptq"
    assert ResultStore(db).count() == 1
