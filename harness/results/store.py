"""The SQLite results store: every measurement of every run, safe for concurrent writers.

Several processes (pytest-xdist workers, parallel CLI calls) may record at once, so each call
opens its own connection, the file runs in WAL mode with a busy timeout, and each measurement
goes in with its metrics and layers in one `BEGIN IMMEDIATE` transaction: a crash or an error
midway leaves no partial row. Reads return pandas DataFrames for the reports.
"""
from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from harness.errors import ResultsError
from harness.measure import STANDARD_METRICS, LayerMetric, Measurement, Metric, RunContext
from harness.results.per_input import PER_INPUT_COLUMNS, PER_INPUT_SQL, insert_per_input
from harness.results.schema import MEASUREMENT_COLUMNS, SCHEMA_SQL, SCHEMA_VERSION

__all__ = ["ResultStore", "DEFAULT_RESULTS_PATH", "FILTER_KEYS", "BASE_COLUMNS", "LAYER_COLUMNS"]

DEFAULT_RESULTS_PATH = Path("results/hilbench.sqlite")
FILTER_KEYS = ("model", "variant", "target", "backend", "run_id")
BASE_COLUMNS = ("id", *MEASUREMENT_COLUMNS)
LAYER_COLUMNS = (
    "measurement_id", "run_id", "time_utc", "model", "variant", "target", "backend",
    "idx", "name", "op", "cycles", "provenance",
)

_T = TypeVar("_T")
_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (extended codes keep these in the low byte)
_NULLABLE_INT = ("mismatches", "seed")
_NULLABLE_BOOL = ("git_dirty", "bit_exact")
_OUR_TABLES = frozenset({"measurements", "metrics", "layer_metrics", "input_results",
                         "sqlite_sequence"})


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _BUSY_CODES:
        return True
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _plain(value: object) -> object:
    """json.dumps fallback: numpy scalars and arrays become Python numbers and lists."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def _json(value: object, what: str) -> str:
    try:
        return json.dumps(value, sort_keys=True, allow_nan=False, default=_plain)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Measurement.{what} is not JSON-serialisable: {exc}") from exc


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def _measurement_row(m: Measurement, ctx: RunContext) -> tuple[object, ...]:
    """The `measurements` row in MEASUREMENT_COLUMNS order, JSON fields encoded."""
    row: dict[str, object] = {
        "run_id": ctx.run_id,
        "time_utc": ctx.time_utc,
        "host": ctx.host,
        "git_commit": ctx.git_commit,
        "git_dirty": _optional_int(ctx.git_dirty),
        "hilbench_version": ctx.hilbench_version,
        "python": ctx.python,
        "model": m.model,
        "variant": m.variant,
        "target": m.target,
        "backend": m.backend,
        "model_path": m.model_path,
        "model_sha256": m.model_sha256,
        "n_inputs": int(m.n_inputs),
        "bit_exact": _optional_int(m.bit_exact),
        "mismatches": _optional_int(m.mismatches),
        "max_abs_diff": None if m.max_abs_diff is None else float(m.max_abs_diff),
        "seed": _optional_int(m.seed),
        "commands_json": _json(m.commands, "commands"),
        "tool_versions_json": _json(m.tool_versions, "tool_versions"),
        "extra_json": _json(m.extra, "extra"),
    }
    return tuple(row[c] for c in MEASUREMENT_COLUMNS)


def _insert_measurement(conn: sqlite3.Connection, row: Sequence[object]) -> int:
    marks = ", ".join("?" * len(MEASUREMENT_COLUMNS))
    cur = conn.execute(f"INSERT INTO measurements ({', '.join(MEASUREMENT_COLUMNS)}) VALUES ({marks})", row)
    assert cur.lastrowid is not None
    return int(cur.lastrowid)


def _insert_metrics(conn: sqlite3.Connection, measurement_id: int, metrics: dict[str, Metric]) -> None:
    conn.executemany(
        "INSERT INTO metrics (measurement_id, name, value, unit, provenance, note) VALUES (?, ?, ?, ?, ?, ?)",
        [(measurement_id, n, x.value, x.unit, x.provenance, x.note) for n, x in metrics.items()],
    )


def _insert_layers(conn: sqlite3.Connection, measurement_id: int, layers: list[LayerMetric]) -> None:
    conn.executemany(
        "INSERT INTO layer_metrics (measurement_id, idx, name, op, cycles, provenance) VALUES (?, ?, ?, ?, ?, ?)",
        [(measurement_id, x.index, x.name, x.op, x.cycles, x.provenance) for x in layers],
    )


def _metric_order(names: set[str]) -> list[str]:
    """Standard metrics first in their canonical order, then the others alphabetically."""
    return [n for n in STANDARD_METRICS if n in names] + sorted(names.difference(STANDARD_METRICS))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Give the base columns stable dtypes: nullable ints/bools where NULL is allowed."""
    df["id"] = df["id"].astype("int64")
    df["n_inputs"] = df["n_inputs"].astype("int64")
    for col in _NULLABLE_INT:
        df[col] = df[col].astype("Int64")
    for col in _NULLABLE_BOOL:
        df[col] = df[col].astype("Int64").astype("boolean")
    df["max_abs_diff"] = df["max_abs_diff"].astype("float64")
    return df


def _value_series(values: list[object]) -> pd.Series:
    """Metric values as Int64 when every present value is an int, else float64."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) for v in present):
        return pd.Series(values, dtype="Int64")
    return pd.Series([float("nan") if v is None else v for v in values], dtype="float64")


class ResultStore:
    """Measurements in one SQLite file; every method opens (and closes) its own connection."""

    def __init__(self, path: str | Path = DEFAULT_RESULTS_PATH, *, timeout_s: float = 30.0, attempts: int = 5) -> None:
        self.path = Path(path)
        self.timeout_s = float(timeout_s)
        self.attempts = max(1, int(attempts))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultsError(f"cannot create the folder of the results store {self.path}: {exc}") from exc
        self._retrying(self._create_schema, "open")

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path)!r})"

    # -- connections and retries -------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions, we issue BEGIN/COMMIT ourselves.
        conn = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout_s * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _retrying(self, action: Callable[[], _T], what: str) -> _T:
        """Run action, again after a short backoff when the file is locked by another process."""
        for attempt in range(1, self.attempts + 1):
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise ResultsError(f"cannot {what} the results store {self.path}: {exc}") from exc
                if attempt == self.attempts:
                    raise ResultsError(
                        f"the results store {self.path} stayed locked through {self.attempts} attempts "
                        f"of {self.timeout_s:g} s to {what} it; is another process stuck holding it?"
                    ) from exc
                time.sleep(min(0.05 * 2**attempt, 2.0) * (0.5 + random.random()))
            except sqlite3.DatabaseError as exc:
                raise ResultsError(f"cannot {what} the results store {self.path}: {exc}") from exc
        raise AssertionError("unreachable")

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def _create_schema(self) -> None:
        with closing(self._connect()) as conn:
            # Only reads until the file is known to be ours: a refused file is left unchanged.
            version = self._check_version(conn)
            self._check_tables(conn, version)
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")  # persistent: stored in the file
            if version == SCHEMA_VERSION:
                conn.execute(PER_INPUT_SQL)   # added to version 1: older stores get it here
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                if self._check_version(conn) == 0:  # another process may have won the race
                    for statement in SCHEMA_SQL.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(PER_INPUT_SQL)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                self._rollback(conn)
                raise

    def _check_version(self, conn: sqlite3.Connection) -> int:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise ResultsError(
                f"the results store {self.path} has schema version {version}, newer than this "
                f"hilbench ({SCHEMA_VERSION}); it was left unchanged: upgrade hilbench or use "
                "another --results file"
            )
        return version

    def _check_tables(self, conn: sqlite3.Connection, version: int) -> None:
        """ResultsError unless the file's tables are hilbench's (or it has none yet)."""
        tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        columns = {str(r[1]) for r in conn.execute("PRAGMA table_info(measurements)")}
        foreign = sorted(tables - _OUR_TABLES) if version == 0 else []
        if foreign or (version == SCHEMA_VERSION and not set(MEASUREMENT_COLUMNS) <= columns):
            shown = ", ".join(foreign or sorted(tables))[:200] or "none"
            raise ResultsError(
                f"{self.path} is an SQLite database but not a hilbench results store (its tables: "
                f"{shown}); it was left unchanged: give another --results file"
            )

    # -- writing -------------------------------------------------------------------------------

    def record(self, m: Measurement, ctx: RunContext) -> int:
        """Store one measurement with its metrics and layers atomically; return its id."""
        m.validate()
        row = _measurement_row(m, ctx)  # encodes JSON now, so a bad field fails before any write
        metrics = dict(m.metrics)
        layers = list(m.layers)
        per_input = list(m.per_input)

        def attempt() -> int:
            with closing(self._connect()) as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    measurement_id = _insert_measurement(conn, row)
                    _insert_metrics(conn, measurement_id, metrics)
                    _insert_layers(conn, measurement_id, layers)
                    insert_per_input(conn, measurement_id, per_input)
                    conn.execute("COMMIT")
                except BaseException:
                    self._rollback(conn)
                    raise
                return measurement_id

        try:
            return self._retrying(attempt, "record into")
        except OverflowError as exc:
            raise ResultsError(f"cannot record {m.model}/{m.variant} into {self.path}: {exc}") from exc

    # -- reading -------------------------------------------------------------------------------

    @staticmethod
    def _where(filters: dict[str, object], alias: str) -> tuple[str, list[object]]:
        unknown = sorted(set(filters).difference(FILTER_KEYS))
        if unknown:
            raise TypeError(f"unknown filter(s) {', '.join(unknown)}; filter on {', '.join(FILTER_KEYS)}")
        keys = [k for k in FILTER_KEYS if k in filters]
        if not keys:
            return "", []
        return " WHERE " + " AND ".join(f"{alias}.{k} = ?" for k in keys), [filters[k] for k in keys]

    def _read(self, queries: list[tuple[str, list[object]]]) -> list[list[tuple[object, ...]]]:
        """Run the queries in one read transaction, so they see the same snapshot."""

        def attempt() -> list[list[tuple[object, ...]]]:
            with closing(self._connect()) as conn:
                conn.execute("BEGIN")
                try:
                    return [conn.execute(sql, params).fetchall() for sql, params in queries]
                finally:
                    self._rollback(conn)

        return self._retrying(attempt, "read")

    def count(self) -> int:
        """Number of measurements in the store."""
        (rows,) = self._read([("SELECT COUNT(*) FROM measurements", [])])
        return int(rows[0][0])  # type: ignore[call-overload]

    def dataframe(self, **filters: object) -> pd.DataFrame:
        """One row per measurement (by id): the measurement columns, then for each metric
        `<name>`, `<name>_unit`, `<name>_provenance`. Filters are equalities on FILTER_KEYS."""
        where, params = self._where(filters, "ms")
        base, metric_rows = self._read(
            [
                (f"SELECT ms.id, {', '.join('ms.' + c for c in MEASUREMENT_COLUMNS)} FROM measurements ms"
                 f"{where} ORDER BY ms.id", params),
                ("SELECT mt.measurement_id, mt.name, mt.value, mt.unit, mt.provenance FROM metrics mt"
                 f" JOIN measurements ms ON ms.id = mt.measurement_id{where}", params),
            ]
        )
        df = _typed(pd.DataFrame(base, columns=list(BASE_COLUMNS)))
        position = {row[0]: i for i, row in enumerate(base)}
        by_name: dict[str, list[tuple[int, object, object, object]]] = {}
        for mid, name, value, unit, provenance in metric_rows:
            by_name.setdefault(str(name), []).append((position[mid], value, unit, provenance))
        columns: dict[str, pd.Series] = {}
        for name in _metric_order(set(by_name)):
            values: list[object] = [None] * len(base)
            units: list[object] = [None] * len(base)
            provenances: list[object] = [None] * len(base)
            for i, value, unit, provenance in by_name[name]:
                values[i], units[i], provenances[i] = value, unit, provenance
            columns[name] = _value_series(values)
            columns[f"{name}_unit"] = pd.Series(units)
            columns[f"{name}_provenance"] = pd.Series(provenances)
        if not columns:
            return df
        return pd.concat([df, pd.DataFrame(columns, index=df.index)], axis=1)

    def layers_dataframe(self, **filters: object) -> pd.DataFrame:
        """Per-layer cycles, one row per layer, with the measurement's identifying columns."""
        where, params = self._where(filters, "ms")
        (rows,) = self._read(
            [
                ("SELECT l.measurement_id, ms.run_id, ms.time_utc, ms.model, ms.variant, ms.target, ms.backend,"
                 " l.idx, l.name, l.op, l.cycles, l.provenance FROM layer_metrics l"
                 f" JOIN measurements ms ON ms.id = l.measurement_id{where} ORDER BY l.measurement_id, l.idx",
                 params),
            ]
        )
        df = pd.DataFrame(rows, columns=list(LAYER_COLUMNS))
        return df.astype({"measurement_id": "int64", "idx": "int64", "cycles": "float64"})

    def per_input_dataframe(self, **filters: object) -> pd.DataFrame:
        """Per-input rows (early-exit runs): exit taken, cycles, label, prediction."""
        where, params = self._where(filters, "ms")
        (rows,) = self._read([(
            "SELECT p.measurement_id, ms.model, ms.variant, ms.target, p.idx, p.exit_index,"
            " p.cycles, p.label, p.prediction, p.detail_json FROM input_results p JOIN measurements ms"
            f" ON ms.id = p.measurement_id{where} ORDER BY p.measurement_id, p.idx", params)])
        return pd.DataFrame(rows, columns=list(PER_INPUT_COLUMNS))

    def get(self, measurement_id: int) -> tuple[Measurement, RunContext]:
        """Rebuild one stored measurement and its run context exactly (notes included)."""
        base, metric_rows, layer_rows = self._read(
            [
                (f"SELECT {', '.join(MEASUREMENT_COLUMNS)} FROM measurements WHERE id = ?", [measurement_id]),
                ("SELECT name, value, unit, provenance, note FROM metrics WHERE measurement_id = ? ORDER BY rowid",
                 [measurement_id]),
                ("SELECT idx, name, op, cycles, provenance FROM layer_metrics WHERE measurement_id = ? ORDER BY idx",
                 [measurement_id]),
            ]
        )
        if not base:
            raise KeyError(f"no measurement with id {measurement_id} in {self.path}")
        r = dict(zip(MEASUREMENT_COLUMNS, base[0]))

        def as_bool(value: object) -> bool | None:
            return None if value is None else bool(value)

        ctx = RunContext(
            run_id=str(r["run_id"]), time_utc=str(r["time_utc"]), host=str(r["host"]),
            git_commit=None if r["git_commit"] is None else str(r["git_commit"]),
            git_dirty=as_bool(r["git_dirty"]), hilbench_version=str(r["hilbench_version"]),
            python=str(r["python"]),
        )
        m = Measurement(
            model=str(r["model"]), variant=str(r["variant"]), target=str(r["target"]),
            backend=str(r["backend"]), model_path=str(r["model_path"]), model_sha256=str(r["model_sha256"]),
            n_inputs=int(r["n_inputs"]),  # type: ignore[call-overload]
            bit_exact=as_bool(r["bit_exact"]),
            mismatches=_optional_int(r["mismatches"]),
            max_abs_diff=None if r["max_abs_diff"] is None else float(r["max_abs_diff"]),  # type: ignore[arg-type]
            metrics={
                str(n): Metric(value=v, unit=str(u), provenance=str(p), note=str(note))  # type: ignore[arg-type]
                for n, v, u, p, note in metric_rows
            },
            layers=[
                LayerMetric(index=int(i), name=str(n), op=str(o), cycles=float(c), provenance=str(p))  # type: ignore[call-overload,arg-type]
                for i, n, o, c, p in layer_rows
            ],
            commands=json.loads(str(r["commands_json"])),
            tool_versions=json.loads(str(r["tool_versions_json"])),
            seed=_optional_int(r["seed"]),
            extra=json.loads(str(r["extra_json"])),
        )
        return m, ctx
