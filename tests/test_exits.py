"""Early exits (issue 12): the exit order read from the file, the integer exit policy at and
around its threshold, the staged golden run, and generated C that takes the same decision
with the same outputs on host, cortex-m4-iss and rv32-nnx; the --json fields and the
per-input rows of the store.

The model is the ECG early-exit recipe in quick mode (3 epochs on 6,000 DS1 beats, int8 PTQ,
cached by content hash): about 25 s cold, a second warm."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.backends import backend_for
from harness.bench import bench_model
from harness.datasets import load_dataset
from harness.errors import HilbenchError
from harness.evaluate import eval_set
from harness.exit_bench import bench_exits, exit_outcome
from harness.exits import build_program, exit_outputs, make_rule, read_exits, run_exits
from harness.exits.policy import ONE, confidence_sum, fires
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.inputs import model_inputs
from harness.results import ResultStore
from harness.targets import load_target
from harness.variants.build import BuiltVariant, build_variants
from harness.variants.recipe import load_recipe

REPO = Path(__file__).resolve().parent.parent
RECIPE = REPO / "suites" / "ecg_exits" / "recipe.yaml"


def _skip_unless(target: str) -> None:
    reason = backend_for(load_target(target)).available()
    if reason:
        pytest.skip(f"{target}: {reason}")


@pytest.fixture(scope="module")
def int8_model() -> Path:
    built = list(build_variants(load_recipe(RECIPE), quick=True, seed=0, only=["int8-ptq"]))
    assert isinstance(built[0], BuiltVariant), built
    return built[0].path


@pytest.fixture(scope="module")
def beats() -> np.ndarray:
    ds = load_dataset("mitbih", quick=True)
    return eval_set(ds, 60, 0).split.x


def test_exit_order_comes_from_the_signature_and_the_metadata_carries_calibration(
        int8_model: Path) -> None:
    spec = read_exits(int8_model)
    assert spec is not None and len(spec.exits) == 2
    assert [e.name for e in spec.exits] == ["output_0", "output_1"]
    assert [e.tensor for e in spec.exits] == [e.tensor for e in exit_outputs(int8_model)]
    graph = load_model(int8_model)
    # exit 0 is the early head: 4 classes after half the convolutions, fewer MACs
    program = build_program(graph, spec, 0.9)
    macs = program.stage_macs()
    assert len(macs) == 2 and 0 < macs[0] < macs[1]
    cal = spec.calibration
    assert cal["split"] == "val" and cal["n"] > 0 and len(cal["exits"]) == 2
    assert all(e.temperature == f["temperature"] > 0 for e, f in zip(spec.exits, cal["exits"]))


def test_thresholds_outside_zero_to_one_are_errors() -> None:
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(HilbenchError, match="from 0 to 1"):
            make_rule(bad, 1.0, "int8", 0.1)


def test_int8_rule_fires_exactly_at_the_threshold_and_not_one_step_above() -> None:
    logits = np.array([[40, 10, -5, 3], [12, 11, 10, 9]], np.int8)
    rule = make_rule(0.9, 0.7, "int8", 0.1)
    s = confidence_sum(rule, logits)
    assert s[0] >= ONE and s[1] > s[0]
    at = dataclasses.replace(rule, bound=int(s[0]))
    assert fires(at, logits).tolist() == [True, False]
    below = dataclasses.replace(rule, bound=int(s[0]) - 1)
    assert fires(below, logits).tolist() == [False, False]
    # T = 0 always exits, T = 1 never, whatever the logits
    assert fires(make_rule(0.0, 1.0, "int8", 0.1), logits).all()
    assert not fires(make_rule(1.0, 1.0, "int8", 0.1), np.array([[127, -128, -128, -128]],
                                                                np.int8)).any()


def test_staged_golden_matches_the_full_run_at_every_exit(int8_model: Path,
                                                          beats: np.ndarray) -> None:
    graph = load_model(int8_model)
    spec = read_exits(int8_model)
    assert spec is not None
    inputs = model_inputs(graph, beats)
    full = dict(zip(graph.outputs, GoldenInterpreter(graph).run(inputs)))
    out = run_exits(build_program(graph, spec, 0.9), inputs)
    taken = out[-1]
    assert set(taken.tolist()) == {0, 1}, "threshold 0.9 should send some beats each way"
    for k, e in enumerate(spec.exits):
        reached = taken >= k
        assert np.array_equal(out[k][reached], full[e.tensor][reached])
        assert not out[k][~reached].any()          # exits never reached are zero
    # the decision is the policy on exit 0's logits
    rule = build_program(graph, spec, 0.9).rules[0]
    assert np.array_equal(taken == 0, fires(rule, full[spec.exits[0].tensor]))


def test_threshold_0_exits_first_and_1_runs_full_depth_on_host(int8_model: Path) -> None:
    ds = load_dataset("mitbih", quick=True)
    ev = eval_set(ds, 40, 0)
    for threshold, expected in ((0.0, [1.0, 0.0]), (1.0, [0.0, 1.0])):
        r = bench_exits(int8_model, "host", ev, threshold)
        assert r.comparison.bit_exact
        assert r.measurement.extra["exit_histogram"] == expected
        # the host times every input (wall clock): percentiles and per-input rows
        m = r.measurement
        assert m.metrics["latency_ms_p50"].provenance == "wall-clock"
        assert m.metrics["latency_ms_p50"].value <= m.metrics["latency_ms_max"].value
        assert all(row["latency_ms"] > 0 for row in m.per_input) and len(m.per_input) == 40


def test_c_decides_exactly_at_the_threshold_like_golden(int8_model: Path,
                                                        beats: np.ndarray) -> None:
    """Set exit 0's bound to one beat's own table sum S: that beat must exit (S <= K), and
    with K = S - 1 it must not, in the generated C as in golden."""
    graph = load_model(int8_model)
    spec = read_exits(int8_model)
    assert spec is not None
    program = build_program(graph, spec, 0.9)
    inputs = model_inputs(graph, beats)
    full = dict(zip(graph.outputs, GoldenInterpreter(graph).run(inputs)))
    s = confidence_sum(program.rules[0], full[spec.exits[0].tensor])
    pick = int(np.argsort(s)[len(s) // 2])
    for bound, exits_at_pick in ((int(s[pick]), True), (int(s[pick]) - 1, False)):
        rule = dataclasses.replace(program.rules[0], bound=bound)
        staged = dataclasses.replace(program, rules=(rule, *program.rules[1:]))
        r = bench_model(int8_model, "host", inputs=inputs, exits=staged)
        assert r.comparison.bit_exact, r.comparison
        taken = exit_outcome(r.outputs).exits
        assert bool(taken[pick] == 0) is exits_at_pick
        assert np.array_equal(taken == 0, s <= bound)


@pytest.mark.sim
@pytest.mark.parametrize("target,n", [("cortex-m4-iss", 24), ("rv32-nnx", 4)])
def test_outputs_and_exit_decisions_are_bit_exact_on_simulated_targets(
        int8_model: Path, target: str, n: int) -> None:
    _skip_unless(target)
    ds = load_dataset("mitbih", quick=True)
    graph = load_model(int8_model)
    spec = read_exits(int8_model)
    assert spec is not None
    # a threshold that splits these beats between both exits
    ev = eval_set(ds, n, 1)
    full = GoldenInterpreter(graph).run(model_inputs(graph, ev.split.x))
    s = confidence_sum(build_program(graph, spec, 0.5).rules[0],
                       dict(zip(graph.outputs, full))[spec.exits[0].tensor])
    threshold = float(ONE / np.median(s)) * 0.999
    r = bench_exits(int8_model, target, ev, threshold)
    m = r.measurement
    assert r.comparison.bit_exact and m.bit_exact
    hist = m.extra["exit_histogram"]
    assert 0 < hist[0] < 1 and abs(sum(hist) - 1) < 1e-12
    cycles = np.array([row["cycles"] for row in m.per_input])
    taken = np.array([row["exit_index"] for row in m.per_input])
    # an input that left early cost fewer cycles than any that ran full depth
    assert cycles[taken == 0].max() < cycles[taken == 1].min()
    assert m.metrics["cycles_per_inference"].value == pytest.approx(cycles.mean())
    assert m.metrics["cycles_max"].value == cycles.max()


@pytest.mark.sim
def test_run_json_has_the_exit_fields_and_the_store_keeps_each_input(int8_model: Path,
                                                                     tmp_path: Path) -> None:
    _skip_unless("cortex-m4-iss")
    db = tmp_path / "r.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", str(int8_model), "-t", "cortex-m4-iss",
         "--dataset", "mitbih", "--subset", "20", "--exit-threshold", "0.9",
         "--exit-threshold", "1", "--json", "--results", str(db), "-q"],
        capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 2
    for r in records:
        assert abs(sum(r["exit_histogram"]) - 1) < 1e-12
        assert r["cycles_p50"] <= r["cycles_p90"] <= r["cycles_max"]
        assert r["cycles_provenance"] == "iss-cycle-model"
        assert r["accuracy_provenance"] == "dataset" and r["n_eval"] == 20
        assert sum(e["n"] for e in r["accuracy_per_exit"]) == 20
    early, full = records
    assert full["exit_histogram"] == [0.0, 1.0]
    if early["exit_histogram"][0] > 0:
        assert early["cycles_per_inference"] < full["cycles_per_inference"]
    rows = ResultStore(db).per_input_dataframe()
    assert len(rows) == 40 and set(rows["exit_index"]) <= {0, 1}
    assert rows["cycles"].notna().all()
    from harness.cli import main
    out = tmp_path / "report"
    assert main(["report", "--results", str(db), "--out", str(out)]) == 0
    for name in ("exit_histogram", "exit_curve", "exit_cycles"):
        assert (out / f"{name}.png").stat().st_size > 0 and (out / f"{name}.pdf").is_file()


def test_exit_threshold_needs_a_dataset(int8_model: Path) -> None:
    from harness.cli import main
    assert main(["run", str(int8_model), "-t", "host", "--exit-threshold", "0.5",
                 "--no-record"]) != 0


def test_sweep_of_an_exit_recipe_gives_one_row_per_threshold(int8_model: Path,
                                                              tmp_path: Path) -> None:
    from harness.cli import main
    db = tmp_path / "r.sqlite"
    assert main(["sweep", str(RECIPE), "--target", "host", "--variant", "int8-ptq", "--quick",
                 "--subset", "20", "--results", str(db), "-q"]) == 0
    thresholds = load_recipe(RECIPE).exit_thresholds
    df = ResultStore(db).dataframe()
    extras = [json.loads(e) for e in df["extra_json"]]
    assert [e["exit_threshold"] for e in extras] == [[t] for t in thresholds]
    early = [e["exit_histogram"][0] for e in extras]
    assert early[0] == 1.0 and early[-1] == 0.0
    assert all(a >= b for a, b in zip(early, early[1:]))    # a higher threshold exits less
    assert len(ResultStore(db).per_input_dataframe()) == 20 * len(thresholds)


def test_fp32_exit_model_decides_like_golden_on_host() -> None:
    """float32: expf in C, np.exp in Python; documented as within tolerance, and on these
    beats the decisions and outputs agree."""
    (built,) = list(build_variants(load_recipe(RECIPE), quick=True, seed=0, only=["fp32"]))
    assert isinstance(built, BuiltVariant), built
    ev = eval_set(load_dataset("mitbih", quick=True), 60, 0)
    r = bench_exits(built.path, "host", ev, 0.9)
    assert r.comparison.ok and r.measurement.bit_exact is not None
    hist = r.measurement.extra["exit_histogram"]
    assert 0 < hist[0] < 1


@pytest.mark.sim
def test_the_replayed_curve_matches_the_target_at_two_thresholds(int8_model: Path) -> None:
    """Record once (forced exit 0 and full depth on the ISS: per-input cycles per exit; the
    golden logits of every exit), replay thresholds 0.9 and 0.98, and run them on the ISS."""
    from harness.exits.replay import replay_decisions, replay_point
    _skip_unless("cortex-m4-iss")
    ds = load_dataset("mitbih", quick=True)
    ev = eval_set(ds, 16, 2)
    graph = load_model(int8_model)
    spec = read_exits(int8_model)
    assert spec is not None
    full = dict(zip(graph.outputs, GoldenInterpreter(graph).run(model_inputs(graph, ev.split.x))))
    logits = [full[e.tensor] for e in spec.exits]
    forced = [bench_exits(int8_model, "cortex-m4-iss", ev, t, reference_check=False)
              for t in (0.0, 1.0)]
    exit_cycles = np.stack([np.array(r.per_input["cycles"]) for r in forced], axis=1)
    for t in (0.9, 0.98):
        rules = build_program(graph, spec, t).rules
        replayed = replay_point(t, rules, logits, ev.split.y, ds.classes, exit_cycles)
        r = bench_exits(int8_model, "cortex-m4-iss", ev, t, reference_check=False)
        assert np.array_equal(exit_outcome(r.outputs).exits, replay_decisions(rules, logits))
        assert r.measurement.extra["exit_histogram"] == replayed.histogram
        assert r.measurement.metrics["balanced_accuracy"].value == replayed.balanced_accuracy
        measured = r.measurement.metrics["cycles_per_inference"].value
        assert replayed.mean_cycles == pytest.approx(measured, rel=0.01)


def test_a_store_written_before_per_input_rows_stays_readable(tmp_path: Path) -> None:
    import sqlite3
    db = tmp_path / "old.sqlite"
    ResultStore(db)
    with sqlite3.connect(db) as conn:          # the store as it was before input_results
        conn.execute("DROP TABLE input_results")
    store = ResultStore(db)
    assert store.per_input_dataframe().empty and store.count() == 0
