"""The pytest plugin: options, fixtures, recording, skips, broken targets, xdist."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.results import ResultStore

pytest_plugins = ["pytester"]

AD_TEST = """
from harness.catalog import models_dir

def test_ad(hil_bench):
    result = hil_bench(models_dir() / "mlperf-tiny" / "ad01_int8.tflite", n_inputs=5)
    assert result.comparison.bit_exact
"""


def _target(folder: Path, yaml: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "target.yaml").write_text(yaml)
    (folder / "main.c").write_text((Path(__file__).parent.parent / "targets/host/main.c").read_text())
    return folder


def test_records_and_summarises(pytester: pytest.Pytester, tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    pytester.makepyfile(AD_TEST)
    res = pytester.runpytest_subprocess("--hil-results", str(db), "-p", "no:cacheprovider")
    res.assert_outcomes(passed=1)
    res.stdout.fnmatch_lines(["*hilbench measurements*", "ad*int8*host*bit-exact*", "recorded in*"])
    assert ResultStore(db).count() == 1


def test_unavailable_target_is_a_skip_with_the_reason(pytester: pytest.Pytester,
                                                       tmp_path: Path) -> None:
    target = _target(tmp_path / "nocc", "backend: host\ntoolchain: {cc: no-such-gcc-1}\n")
    pytester.makepyfile(AD_TEST)
    res = pytester.runpytest_subprocess("--hil-target", str(target), "-rs",
                                        "--hil-results", str(tmp_path / "r.sqlite"))
    res.assert_outcomes(skipped=1)
    res.stdout.fnmatch_lines(["*target nocc is not available: no-such-gcc-1 not found*"])


def test_hung_target_is_marked_broken_once(pytester: pytest.Pytester, tmp_path: Path) -> None:
    target = _target(tmp_path / "slow",
                     "backend: host\ntimeout_s: 0.001\ntoolchain: {cc: gcc, ldflags: [-lm]}\n")
    pytester.makepyfile(AD_TEST + AD_TEST.replace("test_ad", "test_ad_again"))
    db = tmp_path / "r.sqlite"
    res = pytester.runpytest_subprocess("--hil-target", str(target), "-rs", "--hil-results", str(db))
    res.assert_outcomes(failed=1, skipped=1)
    res.stdout.fnmatch_lines(["*did not finish within 0.001 s*", "*marked broken*"])
    assert not db.exists() or ResultStore(db).count() == 0


def test_xdist_workers_share_the_run(pytester: pytest.Pytester, tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    pytester.makepyfile(AD_TEST + AD_TEST.replace("test_ad", "test_ad_again"))
    res = pytester.runpytest_subprocess("-n", "2", "--hil-results", str(db))
    res.assert_outcomes(passed=2)
    df = ResultStore(db).dataframe()
    assert len(df) == 2 and df["run_id"].nunique() == 1
    res.stdout.fnmatch_lines(["*hilbench measurements*", "ad*", "ad*"])


def test_no_record(pytester: pytest.Pytester, tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    pytester.makepyfile(AD_TEST)
    res = pytester.runpytest_subprocess("--hil-no-record", "--hil-results", str(db))
    res.assert_outcomes(passed=1)
    res.stdout.fnmatch_lines(["*hilbench measurements*"])
    assert not db.exists()
