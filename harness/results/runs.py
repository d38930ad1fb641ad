"""Runs in the store, and the references (REF) that name a set of them.

A *run* is one `RunContext`: one pytest session (all its xdist workers) or one CLI call; every
row carries its `run_id` (a uuid4 hex), the git commit and dirty flag, the time and the host.
A REF, as `hilbench gate` and `report` take it, is read in this order:

1. the path of an existing file: a results store, all of it (e.g. a baseline file);
2. `latest`: the run with the newest row in the store;
3. a run id, or a unique prefix of at least 4 characters;
4. a git commit (or a unique prefix of one, or a name git resolves such as `main` or
   `HEAD~1`): every run recorded at that commit.

Run ids and commits are both hexadecimal: a prefix that matches both is refused as ambiguous.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from harness.errors import ResultsError
from harness.results.store import ResultStore

__all__ = ["RunSet", "resolve_ref", "latest_run_id", "run_table", "write_baseline"]

_MIN_PREFIX = 4


@dataclass(frozen=True)
class RunSet:
    """The rows a REF names (a frame shaped like ResultStore.dataframe()) and what it was."""

    ref: str
    label: str
    rows: pd.DataFrame
    store: ResultStore


def _short(text: object) -> str:
    return str(text)[:10] if isinstance(text, str) else "no commit"


def _label(kind: str, rows: pd.DataFrame) -> str:
    commits = sorted({_short(c) for c in rows["git_commit"]})
    runs = sorted({str(r) for r in rows["run_id"]})
    when = str(rows["time_utc"].max())[:19]
    what = f"run {runs[0][:12]}" if len(runs) == 1 else f"{len(runs)} runs"
    if kind == "run":
        return f"{what}, commit {', '.join(commits)}, {len(rows)} rows, latest {when}"
    return f"{kind}: {what}, commit {', '.join(commits)}, {len(rows)} rows, latest {when}"


def latest_run_id(df: pd.DataFrame) -> str:
    """The run id of the newest row (by time, then id)."""
    newest = df.sort_values(["time_utc", "id"], kind="stable").iloc[-1]
    return str(newest["run_id"])


def _git_commit(ref: str) -> str | None:
    """The full commit git resolves `ref` to in the current directory's repository, if any."""
    try:
        done = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                              capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _by_prefix(ref: str, names: set[str]) -> set[str]:
    if ref in names:
        return {ref}
    if len(ref) < _MIN_PREFIX:
        return set()
    return {n for n in names if n.startswith(ref)}


def resolve_ref(ref: str, store_path: Path) -> RunSet:
    """The rows REF names (see the module docstring); ResultsError with the choices if none."""
    ref = ref.strip()
    if not ref:
        raise ResultsError("an empty REF: give a run id, a git commit or a results store file")
    if Path(ref).is_file():
        other = ResultStore(Path(ref))
        rows = other.dataframe()
        if rows.empty:
            raise ResultsError(f"the store file {ref} has no measurements")
        return RunSet(ref, _label(f"store {ref}", rows), rows, other)
    if not Path(store_path).is_file():
        raise ResultsError(f"no results store at {store_path} to look up {ref!r} in; give "
                           "--results or a store file as REF")
    store = ResultStore(store_path)
    df = store.dataframe()
    if df.empty:
        raise ResultsError(f"the results store {store_path} is empty; run benchmarks first")
    if ref == "latest":
        run = latest_run_id(df)
        return RunSet(ref, _label("latest", df[df["run_id"] == run]), df[df["run_id"] == run], store)
    runs = _by_prefix(ref, {str(r) for r in df["run_id"]})
    commits = _by_prefix(ref.lower(), {str(c) for c in df["git_commit"].dropna()})
    if runs and commits:
        raise ResultsError(f"REF {ref!r} is ambiguous: it starts run id(s) and commit(s); "
                           "give more characters")
    if len(runs) > 1 or len(commits) > 1:
        matches = ", ".join(sorted(runs | commits)[:5])
        raise ResultsError(f"REF {ref!r} is ambiguous, it starts: {matches}; give more characters")
    if runs:
        rows = df[df["run_id"] == next(iter(runs))]
        return RunSet(ref, _label("run", rows), rows, store)
    commit = next(iter(commits)) if commits else _git_commit(ref)
    if commit is not None:
        rows = df[df["git_commit"] == commit]
        if rows.empty:
            raise ResultsError(f"REF {ref!r} is commit {commit[:12]}, which has no runs in "
                               f"{store_path}; run the benchmarks at that commit first")
        return RunSet(ref, _label(f"commit {ref}", rows), rows, store)
    raise ResultsError(
        f"unknown REF {ref!r}: not a file, a run id or a commit of {store_path} "
        f"({df['run_id'].nunique()} runs; the latest is {latest_run_id(df)}); "
        "`hilbench runs` lists them")


def run_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per run, newest first: run_id, time (of its first row), commit, dirty, host,
    hilbench and Python versions, rows, and the models and targets it measured."""
    if df.empty:
        return pd.DataFrame(columns=["run_id", "time_utc", "git_commit", "git_dirty", "host",
                                     "hilbench_version", "python", "rows", "models", "targets"])
    groups = []
    for run_id, rows in df.groupby("run_id", sort=False):
        first = rows.sort_values("time_utc", kind="stable").iloc[0]
        groups.append({
            "run_id": str(run_id), "time_utc": str(first["time_utc"]),
            "git_commit": None if pd.isna(first["git_commit"]) else str(first["git_commit"]),
            "git_dirty": None if pd.isna(first["git_dirty"]) else bool(first["git_dirty"]),
            "host": str(first["host"]), "hilbench_version": str(first["hilbench_version"]),
            "python": str(first["python"]), "rows": len(rows),
            "models": ", ".join(sorted({str(m) for m in rows["model"]})),
            "targets": ", ".join(sorted({str(t) for t in rows["target"]})),
        })
    return pd.DataFrame(groups).sort_values("time_utc", ascending=False, kind="stable") \
        .reset_index(drop=True)


def write_baseline(source: ResultStore, measurement_ids: list[int], path: Path) -> Path:
    """A new store file at path holding exactly these measurements (run ids, commits, times,
    metrics and layers unchanged), written beside it and renamed over it: a crash leaves the
    old baseline in place."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        leftover.unlink(missing_ok=True)
    try:
        target = ResultStore(tmp)
        for mid in measurement_ids:
            measurement, ctx = source.get(mid)
            target.record(measurement, ctx)
        # Fold the WAL into the file, which stays in WAL mode: readers then leave its bytes
        # unchanged (a baseline kept in git stays clean).
        with closing(sqlite3.connect(tmp)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for side in ("-wal", "-shm"):
            sidecar = tmp.with_name(tmp.name + side)
            if sidecar.exists() and side == "-wal" and sidecar.stat().st_size:
                raise ResultsError(f"cannot fold the journal of {tmp} into it; nothing replaced")
            sidecar.unlink(missing_ok=True)
        os.replace(tmp, path)
    except BaseException:
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)
        raise
    return path
