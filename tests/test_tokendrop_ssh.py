"""The ViT token-dropping suite through `hilbench sweep` on ssh-localhost (a real OpenSSH server
on 127.0.0.1, this machine's LiteRT as the board's runtime) and on host: one record per keep
ratio with keep_ratio, macs (guide + ViT), accuracy, latency percentiles and the agreement
with golden. Quick training (cached), one ratio and a small test subset to stay fast."""
from __future__ import annotations

import json
import re
import stat
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
    """keep 0.5 in fp32 (within the float tolerance of golden) and in int8 (litert-torch's
    mixed-precision ViT: bit-exact with golden on the board's LiteRT and on host)."""
    db = tmp_path / "r.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "sweep", str(REPO / "suites/vit/recipe.yaml"),
         "--target", "ssh-localhost", "--target", "host", "--variant", "keep0.5",
         "--variant", "keep0.5-int8", "--quick", "--subset", "40", "--json", "--results",
         str(db)],
        capture_output=True, text=True, timeout=1500, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    records = {(r["target"], r["precision"]): r for r in map(json.loads, done.stdout.splitlines())}
    assert set(records) == {(t, p) for t in ("ssh-localhost", "host") for p in ("fp32", "int8")}
    for (_, precision), r in records.items():
        assert r["keep_ratio"] == 0.5 and r["kept_tokens"] == 24 and r.get("after_block") is None
        assert r["macs"] == r["vit_macs"] + r["guide_macs"] and r["guide_macs"] > 0
        assert r["within_tolerance"] is True and r["accuracy_provenance"] == "dataset"
        assert r["n_eval"] == 40 and 0.0 <= r["accuracy"] <= 1.0 and r["train_seed"] == 0
        assert r["latency_ms"] > r["vit_latency_ms"] > 0      # guide + ViT
        assert r["bit_exact"] is (precision == "int8")
        assert r["weight_bits"] == (8 if precision == "int8" else 32)
    assert records[("host", "int8")]["vit_macs"] == records[("host", "fp32")]["vit_macs"]
    for precision in ("fp32", "int8"):
        ssh = records[("ssh-localhost", precision)]
        assert ssh["backend"] == "ssh" and ssh["latency_p90_ms_provenance"] == "wall-clock"
        assert ssh["latency_p90_ms"] >= ssh["latency_median_ms"] > 0
        assert ssh["accuracy"] == records[("host", precision)]["accuracy"]
    store = ResultStore(db)
    assert store.count() == 4
    extra = json.loads(store.dataframe()["extra_json"].iloc[0])
    assert len(extra["example_positions"]) == 6 and len(extra["example_positions"][0]) == 24

def board_python(folder: Path, on_guide: str) -> Path:
    """A `python` for the board that logs every job's input rank to <folder>/jobs.log (4: the
    guide's images, 3: the ViT's tokens), and for a guide job first does `on_guide`:
    `corrupt` (the uploaded model.tflite is overwritten with bytes that are no model, so the
    board's LiteRT cannot load it) or `crash` (the runner's process dies of SIGSEGV)."""
    action = {"corrupt": "open(d + '/model.tflite', 'wb').write(b'no tflite model')",
              "crash": "os.kill(os.getpid(), signal.SIGSEGV)"}[on_guide]
    probe = folder / "probe.py"
    probe.write_text(
        "import os, signal, sys\nimport numpy as np\n"
        "d = os.path.dirname(sys.argv[1])\n"
        "rank = np.load(d + '/input_0.npy', mmap_mode='r').ndim\n"
        f"open({str(folder / 'jobs.log')!r}, 'a').write(f'{{rank}}\\n')\n"
        f"if rank == 4:\n    {action}\n")
    script = folder / f"{on_guide}-guide-python"
    script.write_text(f"""#!/bin/sh
if [ "$2" != "--probe" ]; then "{sys.executable}" "{probe}" "$2" || exit $?; fi
exec "{sys.executable}" "$@"
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@needs_sshd
@pytest.mark.sim
@pytest.mark.parametrize("on_guide, reason", [
    ("corrupt", "the runner on .* failed: ValueError: .*"),
    ("crash", r"the runner on .* exited with 139 without a result: Segmentation fault$")])
def test_a_guide_failing_on_the_board_is_one_error_and_no_row(
        ssh_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        on_guide: str, reason: str) -> None:
    """The real loopback sshd and runner; the board cannot run the guide (a corrupt upload, or
    a crashing runtime): `hilbench sweep` prints one error line naming the variant, the target
    and the guide, exits 1, records no row, never runs the ViT and leaves nothing on the
    board."""
    monkeypatch.setenv("HILBENCH_SSH_PYTHON", str(board_python(tmp_path, on_guide)))
    db = tmp_path / "r.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "sweep", str(REPO / "suites/vit/recipe.yaml"),
         "--target", "ssh-localhost", "--variant", "keep0.5", "--quick", "--subset", "8",
         "--json", "--results", str(db), "-q"],
        capture_output=True, text=True, timeout=1500, cwd=REPO)
    assert done.returncode == 1 and done.stdout == "", done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr[-2000:]      # (then the board's traceback, indented)
    assert "Traceback" not in done.stderr.split(errors[0])[0]   # no harness traceback
    assert re.match(r"^error: keep0\.5 on ssh-localhost: guide model failed on ssh-localhost: "
                    + reason, errors[0]), errors[0]
    assert ResultStore(db).count() == 0
    assert (tmp_path / "jobs.log").read_text().split() == ["4"]     # the guide only, once
    assert list(ssh_env.iterdir()) == []
