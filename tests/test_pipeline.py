"""A decentralized pipeline (issue 12): an early-exit model's stage 1 on cortex-m4-iss, a
BLE 5 link model, the remaining stages on ssh-localhost (a real sshd on loopback), three
placements compared per input; and a stage-2 target failing mid-run leaves no row."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ssh_fixtures import needs_sshd, ssh_env, sshd  # noqa: F401

from harness.backends import backend_for
from harness.cli import main
from harness.errors import RunError
from harness.exits import read_exits
from harness.exits.slice import edge_model
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.litert_ref import run_litert
from harness.pipeline import transfer
from harness.results import ResultStore
from harness.targets import load_target
from harness.variants.build import BuiltVariant, build_variants
from harness.variants.recipe import load_recipe

REPO = Path(__file__).resolve().parent.parent
RECIPE = REPO / "suites" / "ecg_exits" / "recipe.yaml"


@pytest.fixture(scope="module")
def int8_model() -> Path:
    built = list(build_variants(load_recipe(RECIPE), quick=True, seed=0, only=["int8-ptq"]))
    assert isinstance(built[0], BuiltVariant), built
    return built[0].path


def test_ble_link_model_counts_packets_and_tx_time() -> None:
    link = load_target("wearable-to-edge").spec.pipeline.link  # type: ignore[union-attr]
    assert transfer(link, 0).joules == 0
    one = transfer(link, 244)
    two = transfer(link, 245)
    assert (one.packets, two.packets) == (1, 2)
    on_air = 8 * (244 + 17) / 2e6
    assert one.joules == pytest.approx(on_air * 4.8e-3 * 3.0)
    assert one.seconds == pytest.approx(on_air + 2 * 150e-6 + 8 * 10 / 2e6)


def test_the_edge_half_matches_the_whole_model_and_litert(int8_model: Path) -> None:
    spec = read_exits(int8_model)
    assert spec is not None
    graph = load_model(int8_model)
    cut = edge_model(int8_model, spec, 0, int8_model.parent / "stage2-test.tflite")
    try:
        edge = load_model(cut)
        rng = np.random.default_rng(0)
        x = rng.integers(-128, 128, (8, *graph.input_tensors()[0].shape[1:]), dtype=np.int8)
        values = GoldenInterpreter(graph).run_all([x])
        feats = [values[t] for t in edge.inputs]
        ours = GoldenInterpreter(edge).run(feats)
        assert np.array_equal(ours[0], values[spec.exits[1].tensor])
        assert np.array_equal(ours[0], run_litert(cut, feats, reference_kernels=True)[0])
    finally:
        cut.unlink()


@needs_sshd
@pytest.mark.sim
def test_split_on_the_m4_iss_and_ssh_localhost_reports_three_placements(
        int8_model: Path, ssh_env: Path, tmp_path: Path) -> None:  # noqa: F811
    if backend_for(load_target("cortex-m4-iss")).available():
        pytest.skip("cortex-m4-iss unavailable")
    db = tmp_path / "r.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "pipeline", str(int8_model), "-t",
         "wearable-to-edge", "--dataset", "mitbih", "--subset", "16", "--exit-threshold", "0.9",
         "--json", "--results", str(db)], capture_output=True, text=True, timeout=900, cwd=REPO)
    assert done.returncode == 0, done.stderr
    recs = {r["placement"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert set(recs) == {"sensor", "edge", "split"}
    for r in recs.values():
        assert r["bit_exact"] is True and r["n_eval"] == 16
        assert r["energy_provenance"] == "energy-model"
        assert r["link_uj_per_inference_provenance"] == "energy-model"
    assert recs["sensor"]["forwarded_fraction"] == 0 and recs["sensor"]["bytes_sent_mean"] == 0
    assert recs["edge"]["forwarded_fraction"] == 1 and recs["edge"]["bytes_sent_mean"] == 768
    split = recs["split"]
    assert 0 <= split["forwarded_fraction"] <= 1
    assert split["bytes_sent_mean"] == pytest.approx(512 * split["forwarded_fraction"])
    assert split["sensor_cycles_per_inference"] < recs["sensor"]["sensor_cycles_per_inference"]
    rows = ResultStore(db).per_input_dataframe()
    assert len(rows) == 48
    detail = [json.loads(d) for d in rows["detail_json"]]
    assert all({"forwarded", "bytes_sent", "link_uj", "link_ms", "stage2_ms", "total_ms"}
               <= set(d) for d in detail)
    out = tmp_path / "report"
    assert main(["report", "--results", str(db), "--out", str(out)]) == 0
    assert (out / "placements.png").stat().st_size > 0


@pytest.mark.sim
def test_a_stage_2_target_failing_mid_run_is_one_error_and_no_row(
        int8_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Edge = host (so no sshd is needed), its run fails after the sensor stage ran."""
    if backend_for(load_target("cortex-m4-iss")).available():
        pytest.skip("cortex-m4-iss unavailable")
    folder = tmp_path / "targets" / "m4-to-host"
    folder.mkdir(parents=True)
    text = (REPO / "targets" / "wearable-to-edge" / "target.yaml").read_text()
    (folder / "target.yaml").write_text(text.replace("edge: ssh-localhost", "edge: host"))
    from harness.backends.host import HostBackend

    def broken(self: HostBackend, *args: Any, **kwargs: Any) -> Any:
        raise RunError("host: the edge runner died (simulated)")

    monkeypatch.setattr(HostBackend, "run", broken)
    db = tmp_path / "r.sqlite"
    status = main(["pipeline", str(int8_model), "-t", str(folder / "target.yaml"), "--dataset",
                   "mitbih", "--subset", "12", "--exit-threshold", "0.99", "--results", str(db),
                   "-q"])
    err = capsys.readouterr().err
    assert status != 0
    assert "stage 2 on host failed" in err and "nothing recorded" in err
    assert len(err.strip().splitlines()) == 1
    assert not db.exists() or ResultStore(db).count() == 0
