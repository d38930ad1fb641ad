"""The SQLite schema of the results store.

One row per measurement, with its metrics and per-layer cycles in child tables (long form);
`ResultStore.dataframe` pivots them wide. The version lives in `PRAGMA user_version` so a
later schema can migrate old files instead of misreading them.
"""
from __future__ import annotations

__all__ = ["SCHEMA_VERSION", "SCHEMA_SQL", "MEASUREMENT_COLUMNS"]

SCHEMA_VERSION = 1

# Columns of `measurements` in table order (without the integer primary key `id`).
MEASUREMENT_COLUMNS = (
    "run_id", "time_utc", "host", "git_commit", "git_dirty", "hilbench_version", "python",
    "model", "variant", "target", "backend", "model_path", "model_sha256", "n_inputs",
    "bit_exact", "mismatches", "max_abs_diff", "seed",
    "commands_json", "tool_versions_json", "extra_json",
)

# `metrics.value` has no declared type on purpose: SQLite then keeps ints as ints and floats
# as floats (a REAL column would turn cycle counts into floats, NUMERIC 3.0 into 3).
SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS measurements (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id             TEXT    NOT NULL,
    time_utc           TEXT    NOT NULL,
    host               TEXT    NOT NULL,
    git_commit         TEXT,
    git_dirty          INTEGER,
    hilbench_version   TEXT    NOT NULL,
    python             TEXT    NOT NULL,
    model              TEXT    NOT NULL,
    variant            TEXT    NOT NULL,
    target             TEXT    NOT NULL,
    backend            TEXT    NOT NULL,
    model_path         TEXT    NOT NULL,
    model_sha256       TEXT    NOT NULL,
    n_inputs           INTEGER NOT NULL,
    bit_exact          INTEGER,
    mismatches         INTEGER,
    max_abs_diff       REAL,
    seed               INTEGER,
    commands_json      TEXT    NOT NULL,
    tool_versions_json TEXT    NOT NULL,
    extra_json         TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS measurements_key ON measurements (model, variant, target);
CREATE INDEX IF NOT EXISTS measurements_run ON measurements (run_id);

CREATE TABLE IF NOT EXISTS metrics (
    measurement_id INTEGER NOT NULL REFERENCES measurements (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    value                  NOT NULL,
    unit           TEXT    NOT NULL,
    provenance     TEXT    NOT NULL,
    note           TEXT    NOT NULL,
    PRIMARY KEY (measurement_id, name)
);

CREATE TABLE IF NOT EXISTS layer_metrics (
    measurement_id INTEGER NOT NULL REFERENCES measurements (id) ON DELETE CASCADE,
    idx            INTEGER NOT NULL,
    name           TEXT    NOT NULL,
    op             TEXT    NOT NULL,
    cycles         REAL    NOT NULL,
    provenance     TEXT    NOT NULL,
    PRIMARY KEY (measurement_id, idx)
);
"""
