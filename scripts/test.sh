#!/usr/bin/env bash
# The tests: set up, then run the harness's own tests, the RTL verification and the suites'
# quick selection on 2 workers. Extra arguments go to pytest (e.g. `-m "not slow"`, `-k golden`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# One BLAS thread per worker: xdist already uses both cores.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
# Lint first (ruff and mypy, configured in pyproject.toml): a failure stops before the tests.
.venv/bin/ruff check harness rtl tests
.venv/bin/mypy harness
# loadfile: a test module (and the simulator it builds once) stays on one worker.
exec .venv/bin/python -m pytest -p no:cacheprovider -n 2 --dist loadfile tests rtl/tests "$@"
