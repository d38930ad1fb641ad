"""The gate's matching and tolerance logic on small stores (no tools), and its bad input:
tolerances at and past their limit, deterministic vs noisy provenances, recorded spread,
provenance changes (modelled vs measured never compared), rows and metrics missing on either
side, the kernel set in the key, accuracy in points and on other data; unknown or ambiguous
REFs, an empty or missing store, bad tolerances; JUnit; runs and history listings."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from report_store import COMMITS, RUNS, build_store, context

from harness.cli import main
from harness.errors import ResultsError
from harness.measure import Measurement, Metric
from harness.report.gate import compare
from harness.report.junit import junit_xml
from harness.report.tolerance import load_tolerance_file, parse_tolerances
from harness.results import ResultStore

UNITS = {"cycles_per_inference": "cycles", "latency_ms": "ms", "accuracy": "fraction",
         "flash_bytes": "B", "latency_p90_ms": "ms", "latency_median_ms": "ms"}


def _m(metrics: dict[str, tuple[float, str]], *, model: str = "kws", kernels: str = "ref",
       bit_exact: bool = True, n_eval: int = 100) -> Measurement:
    return Measurement(
        model=model, variant="int8", target="t", backend="host", model_path="m.tflite",
        model_sha256="0" * 64, n_inputs=4, bit_exact=bit_exact, mismatches=0, max_abs_diff=0.0,
        metrics={k: Metric(v, UNITS.get(k, "x"), p) for k, (v, p) in metrics.items()},
        extra={"kernels": kernels, "dataset": "digits", "eval_split": "test", "n_eval": n_eval})


def _frames(tmp_path: Path, base: list[Measurement], cand: list[Measurement]) -> tuple[pd.DataFrame, pd.DataFrame]:
    store = ResultStore(tmp_path / "s.sqlite")
    for i, rows in enumerate((base, cand)):
        for m in rows:
            store.record(m, context(i))
    df = store.dataframe()
    return df[df["run_id"] == RUNS[0]], df[df["run_id"] == RUNS[1]]


def _gate(tmp_path: Path, base: list[Measurement], cand: list[Measurement],
          tolerances: dict[str, float] | None = None, allow_missing: bool = False) -> dict[str, list[str]]:
    b, c = _frames(tmp_path, base, cand)
    result = compare(b, c, baseline_label="b", candidate_label="c", tolerances=tolerances,
                     allow_missing=allow_missing)
    kinds: dict[str, list[str]] = {}
    for f in result.findings:
        if f.metric == "bit_exact" and f.kind == "unchanged":
            continue
        kinds.setdefault(f.kind, []).append(f.metric or f.row)
    kinds["passed"] = ["yes" if result.passed else "no"]
    return kinds


def test_deterministic_provenances_allow_no_change(tmp_path: Path) -> None:
    k = _gate(tmp_path, [_m({"cycles_per_inference": (1000, "iss-cycle-model"), "flash_bytes": (500, "static-analysis")})],
              [_m({"cycles_per_inference": (1001, "iss-cycle-model"), "flash_bytes": (499, "static-analysis")})])
    assert k["regression"] == ["cycles_per_inference"] and k["improvement"] == ["flash_bytes"]
    assert k["passed"] == ["no"]


def test_noisy_default_and_exactly_at_the_tolerance(tmp_path: Path) -> None:
    at = _gate(tmp_path / "a", [_m({"latency_ms": (1.0, "wall-clock")})], [_m({"latency_ms": (1.1, "wall-clock")})])
    assert at["unchanged"] == ["latency_ms"] and at["passed"] == ["yes"]   # 10% default, at the limit
    past = _gate(tmp_path / "b", [_m({"latency_ms": (1.0, "wall-clock")})], [_m({"latency_ms": (1.1001, "wall-clock")})])
    assert past["regression"] == ["latency_ms"]
    given = _gate(tmp_path / "c", [_m({"cycles_per_inference": (1000, "iss-cycle-model")})],
                  [_m({"cycles_per_inference": (1050, "iss-cycle-model")})], {"cycles_per_inference": 0.05})
    assert given["unchanged"] == ["cycles_per_inference"]
    given = _gate(tmp_path / "d", [_m({"cycles_per_inference": (1000, "iss-cycle-model")})],
                  [_m({"cycles_per_inference": (1051, "iss-cycle-model")})], {"cycles_per_inference": 0.05})
    assert given["regression"] == ["cycles_per_inference"]


def test_recorded_spread_widens_a_noisy_tolerance(tmp_path: Path) -> None:
    def row(latency: float) -> Measurement:
        return _m({"latency_ms": (latency, "wall-clock"), "latency_median_ms": (1.0, "wall-clock"),
                   "latency_p90_ms": (1.3, "wall-clock")})

    assert _gate(tmp_path / "a", [row(1.0)], [row(1.29)])["unchanged"] == ["latency_ms"]
    assert _gate(tmp_path / "b", [row(1.0)], [row(1.31)])["regression"] == ["latency_ms"]


def test_accuracy_in_points_and_on_other_data(tmp_path: Path) -> None:
    base = [_m({"accuracy": (0.90, "dataset")})]
    assert _gate(tmp_path / "a", base, [_m({"accuracy": (0.895, "dataset")})],
                 {"accuracy": 0.5})["unchanged"] == ["accuracy"]
    assert _gate(tmp_path / "b", base, [_m({"accuracy": (0.894, "dataset")})],
                 {"accuracy": 0.5})["regression"] == ["accuracy"]
    assert _gate(tmp_path / "c", base, [_m({"accuracy": (0.80, "dataset")}, n_eval=50)])[
        "provenance-changed"] == ["accuracy"]
    assert _gate(tmp_path / "d", base, [_m({"accuracy": (0.91, "dataset")})])["improvement"] == ["accuracy"]


def test_provenance_change_is_listed_never_compared(tmp_path: Path) -> None:
    k = _gate(tmp_path / "a", [_m({"cycles_per_inference": (1000, "iss-cycle-model"), "latency_ms": (1.0, "wall-clock")})],
              [_m({"cycles_per_inference": (9000, "hw-counter"), "latency_ms": (9.0, "hw-counter")})])
    assert k["modelled-vs-measured"] == ["cycles_per_inference"]
    assert k["provenance-changed"] == ["latency_ms"]
    assert "regression" not in k and k["passed"] == ["yes"]


def test_missing_and_new_rows_and_metrics(tmp_path: Path) -> None:
    base = [_m({"cycles_per_inference": (1000, "iss-cycle-model"), "flash_bytes": (5, "static-analysis")}),
            _m({"flash_bytes": (5, "static-analysis")}, model="gone")]
    cand = [_m({"cycles_per_inference": (1000, "iss-cycle-model")}),
            _m({"flash_bytes": (5, "static-analysis")}, model="kws", kernels="armv7em")]
    k = _gate(tmp_path / "a", base, cand)
    assert sorted(k["missing-in-candidate"]) == ["flash_bytes", "gone/int8 on t [ref]"]
    assert k["new-in-candidate"] == ["kws/int8 on t [armv7em]"]   # another kernel set: another row
    assert k["passed"] == ["no"]
    assert _gate(tmp_path / "b", base, cand, allow_missing=True)["passed"] == ["yes"]


def test_bit_exact_lost_is_a_regression_and_junit_says_so(tmp_path: Path) -> None:
    b, c = _frames(tmp_path, [_m({})], [_m({}, bit_exact=False)])
    result = compare(b, c, baseline_label="b", candidate_label="c")
    assert [f.metric for f in result.failures] == ["bit_exact"]
    assert "baseline yes -> candidate no" in result.failures[0].line()
    root = ET.fromstring(junit_xml(result))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and root.get("tests") == "1"
    case = suite.find("testcase")
    assert case is not None and case.get("classname") == "kws/int8 on t [ref]" and case.find("failure") is not None


def test_tolerance_parsing_and_file(tmp_path: Path) -> None:
    assert parse_tolerances(["latency_ms=5%", "cycles_per_inference=0.01", "accuracy=0.5"]) == {
        "latency_ms": 0.05, "cycles_per_inference": 0.01, "accuracy": 0.5}
    for bad, message in (("speed=1", "not a gated metric"), ("accuracy=1%", "percentage points"),
                         ("latency_ms=-1", ">= 0"), ("latency_ms", "METRIC=VALUE"),
                         ("latency_ms=fast", "not a number"), ("bit_exact=1", "not a gated metric")):
        with pytest.raises(ResultsError, match=message):
            parse_tolerances([bad])
    good = tmp_path / "gate.yaml"
    good.write_text("tolerances:\n  latency_ms: 5%\n  accuracy: 0.25\n")
    assert load_tolerance_file(good) == {"latency_ms": 0.05, "accuracy": 0.25}
    bad = tmp_path / "bad.yaml"
    bad.write_text("latency_ms: 5%\n")
    with pytest.raises(ResultsError, match="tolerances"):
        load_tolerance_file(bad)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_refs_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "r.sqlite"
    code, _, err = _cli(capsys, "gate", "--results", str(store), "--baseline", "abcd")
    assert code == 1 and err.startswith("error: no results store at") and len(err.splitlines()) == 1
    ResultStore(store)
    code, _, err = _cli(capsys, "gate", "--results", str(store), "--baseline", "abcd")
    assert code == 1 and "is empty" in err
    code, _, err = _cli(capsys, "report", "--html", "--results", str(store), "--out", str(tmp_path))
    assert code == 1 and err.startswith("error: no measurements in")
    build_store(store)
    code, _, err = _cli(capsys, "gate", "--results", str(store), "--baseline", "nope-not-a-ref")
    assert code == 1 and "unknown REF 'nope-not-a-ref'" in err and "hilbench runs" in err
    # by run-id prefix, by commit prefix; kws got faster, digits is new: passes
    junit = tmp_path / "j.xml"
    code, out, _ = _cli(capsys, "gate", "--results", str(store), "--baseline", RUNS[0][:6],
                        "--junit", str(junit))
    assert code == 0 and "improvement: kws/int8 on cortex-m4-iss [ref] cycles_per_inference: " \
        "baseline 2000000 -> candidate 1800000" in out
    assert ET.parse(junit).getroot().get("failures") == "0"
    code, out, _ = _cli(capsys, "gate", "--results", str(store), "--baseline", RUNS[1],
                        "--candidate", COMMITS[0][:8], "--json")
    result = json.loads(out)
    assert code == 1 and result["counts"]["regression"] == 18 and result["counts"]["missing-in-candidate"] == 6
    assert json.loads((tmp_path / "gate.json").read_text())["passed"] is False
    code, _, err = _cli(capsys, "gate", "--results", str(store), "--baseline", RUNS[0],
                        "--tolerance", "speed=1")
    assert code == 1 and "not a gated metric" in err
    # the baseline file flow: created from the latest run, then read without changing a byte
    baseline = tmp_path / "baseline.sqlite"
    code, out, _ = _cli(capsys, "gate", "--results", str(store), "--baseline", str(baseline),
                        "--update-baseline")
    assert code == 0 and "created baseline" in out and ResultStore(baseline).count() == 14
    before = baseline.read_bytes()
    code, out, _ = _cli(capsys, "gate", "--results", str(store), "--baseline", str(baseline))
    assert code == 0 and "gate: PASS: no change" in out and baseline.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if "baseline" in p.name) == ["baseline.sqlite"]
    code, _, err = _cli(capsys, "gate", "--results", str(store), "--baseline", "latest-run",
                        "--update-baseline")
    assert code == 1 and "store file" in err
    code, out, _ = _cli(capsys, "runs", "--results", str(store))
    assert code == 0 and out.splitlines()[0].startswith(RUNS[1]) and len(out.splitlines()) == 2
    code, _, err = _cli(capsys, "history", "--results", str(store), "--model", "nope", "--target", "t")
    assert code == 1 and "models in the store: ad, digits, kws" in err
    code, out, _ = _cli(capsys, "history", "--results", str(store), "--model", "kws",
                        "--target", "cortex-m4-iss", "--variant", "int8")
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == [COMMITS[0][:10], COMMITS[1][:10]]


def test_ambiguous_prefix_is_refused(tmp_path: Path) -> None:
    from harness.results.runs import resolve_ref

    store = ResultStore(tmp_path / "r.sqlite")
    for run_id in ("abcd1111", "abcd2222"):
        ctx = context(0)
        store.record(_m({}), type(ctx)(**{**ctx.__dict__, "run_id": run_id}))
    with pytest.raises(ResultsError, match="ambiguous"):
        resolve_ref("abcd", store.path)
    assert resolve_ref("abcd1", store.path).rows["run_id"].tolist() == ["abcd1111"]


def test_repeated_rows_compare_the_latest_and_say_how_many_were_set_aside(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Three rows of one key in the candidate run (repeats): the gate compares the latest (a
    regression here, though the first two equal the baseline) and says that two were set aside;
    a key with one row on each side is not mentioned."""
    cycles = "iss-cycle-model"
    base = [_m({"cycles_per_inference": (100.0, cycles)}),
            _m({"cycles_per_inference": (50.0, cycles)}, model="vww")]
    cand = [_m({"cycles_per_inference": (100.0, cycles)}),
            _m({"cycles_per_inference": (100.0, cycles)}),
            _m({"cycles_per_inference": (120.0, cycles)}),
            _m({"cycles_per_inference": (50.0, cycles)}, model="vww")]
    b, c = _frames(tmp_path, base, cand)
    result = compare(b, c, baseline_label="b", candidate_label="c")
    assert [(f.row, f.baseline, f.candidate) for f in result.of("regression")] == [
        ("kws/int8 on t [ref]", 100.0, 120.0)]
    assert result.set_aside == {"baseline": {}, "candidate": {"kws/int8 on t [ref]": 2}}
    assert result.rows_compared == 2 and "2 older duplicate rows set aside" in result.verdict()
    code, out, _ = _cli(capsys, "gate", "--results", str(tmp_path / "s.sqlite"),
                        "--baseline", RUNS[0], "--candidate", RUNS[1])
    assert code == 1
    assert ("note: the candidate has 2 older rows of the same model, variant, target and "
            "kernels (repeats or earlier runs); only the latest row of each is compared: "
            "kws/int8 on t [ref] x2") in out.splitlines()
    assert "note: the baseline" not in out
    assert json.loads((tmp_path / "gate.json").read_text())["set_aside"]["candidate"] == {
        "kws/int8 on t [ref]": 2}
    # the repeats disagree on a deterministic metric: said, on the candidate side only
    warning = [line for line in out.splitlines() if line.startswith("warning:")]
    assert warning == [f"warning: the candidate's 3 rows of kws/int8 on t [ref] in run "
                       f"{RUNS[1][:12]} differ on cycles_per_inference (100 .. 120) although "
                       "its provenance (iss-cycle-model) is deterministic"]
    assert result.disagreements["baseline"] == []


def test_noisy_repeats_that_differ_are_not_a_warning(tmp_path: Path) -> None:
    base = [_m({"latency_ms": (1.0, "wall-clock")})]
    cand = [_m({"latency_ms": (1.0, "wall-clock")}), _m({"latency_ms": (1.05, "wall-clock")}),
            _m({"cycles_per_inference": (7.0, "rtl-cycle-exact")}, model="ad"),
            _m({"cycles_per_inference": (7.0, "rtl-cycle-exact")}, model="ad")]
    b, c = _frames(tmp_path, base, cand)
    result = compare(b, c, baseline_label="b", candidate_label="c")
    assert result.disagreements == {"baseline": [], "candidate": []}
    assert not [n for n in result.notes() if n.startswith("warning")]
