"""Per-input rows of a measurement (early-exit runs): which exit each input took, its cycles.

Table `input_results`, keyed by the measurement row (other per-input facts, e.g. a pipeline's
bytes sent and link energy, as JSON in `detail_json`), added to schema version 1 without a
version bump: it is created (IF NOT EXISTS) whenever a store is opened, so stores written
before it stay readable and simply have no per-input rows.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any

__all__ = ["PER_INPUT_SQL", "PER_INPUT_COLUMNS", "insert_per_input"]

PER_INPUT_SQL = """
CREATE TABLE IF NOT EXISTS input_results (
    measurement_id INTEGER NOT NULL REFERENCES measurements (id) ON DELETE CASCADE,
    idx            INTEGER NOT NULL,
    exit_index     INTEGER,
    cycles         REAL,
    label          INTEGER,
    prediction     INTEGER,
    detail_json    TEXT,
    PRIMARY KEY (measurement_id, idx)
)
"""

PER_INPUT_COLUMNS = ("measurement_id", "model", "variant", "target", "idx", "exit_index",
                     "cycles", "label", "prediction", "detail_json")


_COLUMNS = {"input_index", "exit_index", "cycles", "label", "prediction"}


def insert_per_input(conn: sqlite3.Connection, measurement_id: int,
                     rows: list[dict[str, Any]]) -> None:
    conn.executemany(
        "INSERT INTO input_results (measurement_id, idx, exit_index, cycles, label, prediction,"
        " detail_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(measurement_id, int(r["input_index"]), r.get("exit_index"), r.get("cycles"),
          r.get("label"), r.get("prediction"),
          json.dumps({k: v for k, v in r.items() if k not in _COLUMNS}, sort_keys=True)
          if set(r) - _COLUMNS else None) for r in rows])
