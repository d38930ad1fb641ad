#!/usr/bin/env bash
# The main job: set up, run the default benchmark suite (MLPerf Tiny) on the simulated targets,
# record into results/hilbench.sqlite and write the report to results/report/.
#
# Default targets: host, mps2-an386 (QEMU), cortex-m4-iss (cycle model) with all eight models;
# rv32-base and rv32-nnx (Verilator, cycle-exact) with the four int8 models (the fp32 ones run
# there too, in soft float, but take minutes per inference: ask for them with --hil-target).
# Extra arguments go to pytest; naming a --hil-target replaces the defaults, e.g.
# `scripts/bench.sh --hil-target host -k kws`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
results=results/hilbench.sqlite
suite=(.venv/bin/python -m pytest suites/mlperf_tiny -p no:cacheprovider -v -n 2
       --hil-results "$results")
status=0
if [ "$#" -gt 0 ] && printf '%s\n' "$@" | grep -q -- '--hil-target'; then
  "${suite[@]}" "$@" || status=$?
else
  "${suite[@]}" --hil-target host --hil-target mps2-an386 --hil-target cortex-m4-iss "$@" \
    || status=$?
  "${suite[@]}" --hil-target rv32-base --hil-target rv32-nnx -k int8 "$@" || status=$?
fi
.venv/bin/hilbench report --results "$results" --out results/report || status=$?
exit "$status"
