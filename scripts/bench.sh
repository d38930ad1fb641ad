#!/usr/bin/env bash
# The main job: set up, run the default benchmark suite (MLPerf Tiny) on the simulated targets,
# then every compression recipe (suites/*/recipe.yaml: train with the full setting, cached;
# build every variant; score each on the data set's test split on every simulated target),
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
# Compression sweeps (skipped when a --hil-target selects a narrower run). The recipes'
# eval.subset sizes say which targets run a class-stratified subset, the others run the whole
# test split. Verilator (rv32-nnx) runs the int8 variants only: fp32 is soft float there.
if ! { [ "$#" -gt 0 ] && printf '%s\n' "$@" | grep -q -- '--hil-target'; }; then
  for recipe in suites/*/recipe.yaml; do
    [ "$recipe" = suites/vit/recipe.yaml ] && continue   # fp32 ViT: host (and SSH boards) below
    .venv/bin/hilbench sweep "$recipe" --results "$results" \
      --target host --target cortex-m4-iss --target mps2-an386 || status=$?
    .venv/bin/hilbench sweep "$recipe" --results "$results" --target rv32-nnx --variant 'int8*' \
      || status=$?
  done
  # ViT token dropping (guide + ViT per input, one row per variant and training seed: the
  # recipe's seeds 0-2, full training each; the figures show the mean); add
  # `--target <ssh board>` once its targets/<board>/target.yaml is filled in.
  .venv/bin/hilbench sweep suites/vit/recipe.yaml --results "$results" --target host \
    --all-seeds || status=$?
fi
.venv/bin/hilbench report --results "$results" --out results/report || status=$?
exit "$status"
