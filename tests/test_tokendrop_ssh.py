"""The ViT token-dropping suite through `hilbench sweep` on ssh-localhost (a real OpenSSH server
on 127.0.0.1, this machine's LiteRT as the board's runtime) and on host: one record per keep
ratio with keep_ratio, macs (guide + ViT), accuracy, latency percentiles and the agreement
with golden. Quick training (cached), one ratio and a small test subset to stay fast."""
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
def test_keep_half_on_ssh_localhost_and_host(ssh_env: Path, tmp_path: Path) -> None:  # noqa: F811
    db = tmp_path / "r.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "sweep", str(REPO / "suites/vit/recipe.yaml"),
         "--target", "ssh-localhost", "--target", "host", "--variant", "keep0.5", "--quick",
         "--subset", "40", "--json", "--results", str(db)],
        capture_output=True, text=True, timeout=1500, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    records = {r["target"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert set(records) == {"ssh-localhost", "host"}
    for r in records.values():
        assert r["keep_ratio"] == 0.5 and r["kept_tokens"] == 24 and r["precision"] == "fp32"
        assert r["macs"] == r["vit_macs"] + r["guide_macs"] and r["guide_macs"] > 0
        assert r["within_tolerance"] is True and r["accuracy_provenance"] == "dataset"
        assert r["n_eval"] == 40 and 0.0 <= r["accuracy"] <= 1.0
        assert r["latency_ms"] > r["vit_latency_ms"] > 0      # guide + ViT
    ssh = records["ssh-localhost"]
    assert ssh["backend"] == "ssh" and ssh["latency_p90_ms_provenance"] == "wall-clock"
    assert ssh["latency_p90_ms"] >= ssh["latency_median_ms"] > 0
    store = ResultStore(db)
    assert store.count() == 2
    extra = json.loads(store.dataframe()["extra_json"].iloc[0])
    assert len(extra["example_positions"]) == 6 and len(extra["example_positions"][0]) == 24
