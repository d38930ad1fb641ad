#!/usr/bin/env bash
# The main job: set up, run the default benchmark suite (MLPerf Tiny on the simulated targets
# available here), record into results/hilbench.sqlite and write the report to results/report/.
# Extra arguments go to pytest, e.g. `scripts/bench.sh --hil-target host -k kws`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
targets=(--hil-target host --hil-target mps2-an386)
if [ "$#" -gt 0 ] && printf '%s\n' "$@" | grep -q -- '--hil-target'; then targets=(); fi
status=0
.venv/bin/python -m pytest suites/mlperf_tiny -p no:cacheprovider -q \
  --hil-results results/hilbench.sqlite "${targets[@]}" "$@" || status=$?
.venv/bin/hilbench report --results results/hilbench.sqlite --out results/report
exit "$status"
