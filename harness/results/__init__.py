"""Persistent results: the SQLite store every run writes its measurements into."""
from __future__ import annotations

from harness.results.store import DEFAULT_RESULTS_PATH, ResultStore

__all__ = ["ResultStore", "DEFAULT_RESULTS_PATH"]
