"""Bad input on every path of the command line, as a new user would type it: one `error:`
line (exit 1, or 2 for a bad option), never a traceback, and nothing recorded; a results
file that is refused is left byte for byte as it was."""
from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hb_testutil import model_path

from harness.errors import ModelError, ResultsError
from harness.results import ResultStore
from harness.results.schema import SCHEMA_VERSION

AD = str(model_path("ad01_int8"))

pytest_plugins = ["pytester"]


def hilbench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True,
                          text=True, timeout=600, env={**os.environ, **(env or {})})


def one_error(done: subprocess.CompletedProcess[str], code: int, message: str) -> None:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and message in errors[0], done.stderr


@pytest.mark.parametrize("option, message", [
    (["--seed", "-1"], "--seed: the seed must be an integer from 0 to 9223372036854775807, got -1"),
    (["--seed", str(2**70)], f"--seed: the seed must be an integer from 0 to {2**63 - 1}, got "
                             f"{2**70}"),
    (["--repeats", "0"], "--repeats: repeats must be an integer from 1 to 2147483647, got 0"),
    (["--inputs", "0"], "--inputs: the number of inputs must be an integer at least 1, got 0"),
])
def test_bad_options_are_refused_before_any_work(tmp_path: Path, option: list[str],
                                                 message: str) -> None:
    db = tmp_path / "r.sqlite"
    done = hilbench("run", AD, "-t", "host", "--results", str(db), *option)
    one_error(done, 2, message)
    assert done.stdout == "" and "[1/1]" not in done.stderr and not db.exists()


def test_too_many_inputs_name_the_limit(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    done = hilbench("run", AD, "-t", "host", "--results", str(db), "-q", "--inputs", "10000000000")
    one_error(done, 1, "10000000000 inputs of 640 bytes each (5.96e+03 GiB) exceed the limit of "
                       "2 GiB of inputs per run: use at most 3355443 inputs (--inputs)")
    assert not db.exists() or ResultStore(db).count() == 0


def test_cache_that_is_a_file(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.write_text("not a folder")
    done = hilbench("run", AD, "-t", "host", "-n", "2", "--no-record", "-q",
                    env={"HILBENCH_CACHE": str(cache)})
    one_error(done, 1, f"cannot use the build cache folder {cache}: Not a directory")
    assert "point HILBENCH_CACHE" in done.stderr and cache.read_text() == "not a folder"


def test_report_out_that_is_a_file(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    assert hilbench("run", AD, "-t", "host", "-n", "2", "--results", str(db), "-q").returncode == 0
    out = tmp_path / "report.txt"
    out.write_text("mine")
    one_error(hilbench("report", "--results", str(db), "--out", str(out)), 1,
              f"--out {out} is a file; reports go into a folder")
    assert out.read_text() == "mine"
    one_error(hilbench("report", "--results", str(db), "--out", str(out / "sub")), 1,
              f"cannot write the report into {out / 'sub'}: Not a directory")


@pytest.mark.parametrize("index, message", [
    ("ad.tflite: {workload: [", "cannot be read as YAML"),
    ("- ad.tflite\n- kws.tflite\n", "is a list, not a mapping"),
    ("ad.tflite: {variant: int8}\n", "the entry of ad.tflite needs `workload` and `variant`"),
    ("ad.tflite: just-a-name\n", "the entry of ad.tflite needs `workload` and `variant`"),
])
def test_malformed_models_yaml(tmp_path: Path, index: str, message: str) -> None:
    model = tmp_path / "ad.tflite"
    model.write_bytes(model_path("ad01_int8").read_bytes())
    (tmp_path / "models.yaml").write_text(index)
    db = tmp_path / "r.sqlite"
    done = hilbench("run", str(model), "-t", "host", "-n", "2", "--results", str(db), "-q")
    one_error(done, 1, f"{tmp_path / 'models.yaml'}: {message}")
    assert not db.exists() or ResultStore(db).count() == 0


def test_describe_with_a_good_index(tmp_path: Path) -> None:
    from harness.catalog import describe

    (tmp_path / "models.yaml").write_text("ad.tflite: {workload: ad, variant: int4}\n")
    info = describe(tmp_path / "ad.tflite")
    assert (info.workload, info.variant, info.task) == ("ad", "int4", "")
    (tmp_path / "models.yaml").write_text("{}")
    with pytest.raises(ModelError, match="not a mapping"):
        (tmp_path / "models.yaml").write_text("3")
        describe(tmp_path / "ad.tflite")


def test_a_folder_named_like_a_model(tmp_path: Path) -> None:
    folder = tmp_path / "x.tflite"
    folder.mkdir()
    one_error(hilbench("run", str(folder), "-t", "host", "--no-record", "-q"), 1,
              f"{folder} is a folder, not a model file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_an_unreadable_model(tmp_path: Path) -> None:
    model = tmp_path / "locked.tflite"
    model.write_bytes(model_path("ad01_int8").read_bytes())
    model.chmod(0)
    try:
        one_error(hilbench("run", str(model), "-t", "host", "--no-record", "-q"), 1,
                  f"cannot read the model file {model}: Permission denied")
    finally:
        model.chmod(0o644)


def test_an_unreadable_model_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a chmod 000 file gives a non-root user, simulated (tests may run as root)."""
    from harness import importers

    model = tmp_path / "locked.tflite"
    model.write_bytes(b"TFL3")

    def denied(path: Path) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setitem(importers.IMPORTERS, ".tflite", denied)
    with pytest.raises(ModelError, match=f"cannot read the model file {model}: Permission denied"):
        importers.load_model(model)


# ---- a run whose outputs disagree with golden records nothing ---------------------------

WRONG_FWRITE = """\
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
/* A target that computes a wrong result: the first output byte of every sample flipped. */
static inline size_t hb_wrong_fwrite(const void *p, size_t s, size_t n, FILE *f)
{
    ((unsigned char *)p)[0] ^= 1u;
    return fwrite(p, s, n, f);
}
#define fwrite hb_wrong_fwrite
"""


def wrong_host(tmp_path: Path) -> Path:
    folder = tmp_path / "wrong-host"
    folder.mkdir()
    (folder / "wrong.h").write_text(WRONG_FWRITE)
    host = Path(__file__).resolve().parent.parent / "targets" / "host"
    (folder / "main.c").write_text((host / "main.c").read_text())
    (folder / "target.yaml").write_text(
        "backend: host\ntoolchain:\n  cc: gcc\n"
        f"  cflags: [-std=c99, -O2, -include, {folder / 'wrong.h'}]\n  ldflags: [-lm]\n")
    return folder


def test_a_run_that_disagrees_with_golden_records_nothing(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    done = hilbench("run", AD, "-t", str(wrong_host(tmp_path)), "-n", "3", "--results", str(db),
                    "-q", "--json")
    one_error(done, 1, "ad01_int8.tflite on ")
    assert "outputs disagree with the golden interpreter (3 elements differ" in done.stderr
    assert "nothing recorded" in done.stderr
    assert '"bit_exact": false' in done.stdout        # still shown, never stored
    assert not db.exists() or ResultStore(db).count() == 0


def test_plugin_fails_and_records_nothing_on_disagreement(
        pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent))  # this plugin
    db = tmp_path / "r.sqlite"
    pytester.makepyfile(f"""
def test_ad(hil_bench):
    hil_bench({AD!r}, n_inputs=3)
""")
    res = pytester.runpytest_subprocess("--hil-target", str(wrong_host(tmp_path)),
                                        "--hil-results", str(db), "-p", "no:cacheprovider")
    res.assert_outcomes(failed=1)
    res.stdout.fnmatch_lines(["*outputs disagree with the golden interpreter (3 elements differ*"
                              "nothing recorded*"])
    assert not db.exists() or ResultStore(db).count() == 0


# ---- a results file that is refused is not modified -------------------------------------


def foreign(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
        conn.execute("INSERT INTO contacts VALUES ('ada', '123')")
    conn.close()


def newer(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE measurements (x)")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()


def same_version_other_tables(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE measurements (x)")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.close()


def corrupt(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 20)


def not_sqlite(path: Path) -> None:
    path.write_text("name,phone\nada,123\n" * 100)


@pytest.mark.parametrize("make, message", [
    (foreign, "not a hilbench results store (its tables: contacts); it was left unchanged"),
    (newer, "newer than this hilbench"),
    (same_version_other_tables, "not a hilbench results store (its tables: measurements)"),
    (corrupt, "cannot open the results store"),
    (not_sqlite, "cannot open the results store"),
])
def test_a_refused_store_is_not_modified(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "r.sqlite"
    make(path)
    before = path.read_bytes()
    with pytest.raises(ResultsError, match=re.escape(message)):
        ResultStore(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.sqlite"]   # no -wal, no -shm
    done = hilbench("report", "--results", str(path))
    one_error(done, 1, message.split(" (")[0])
    assert path.read_bytes() == before
