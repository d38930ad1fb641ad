"""Throughput of the Cortex-M4 cycle-model ISS (target cortex-m4-iss) on the MLPerf Tiny models.

    .venv/bin/python benchmarks/iss_throughput.py [--models kws_ref_model ad01_int8]
        [--inputs 3] [--python-hook]

Per model: instructions per inference (exact), modelled cycles per inference, CPI, MACs per
modelled cycle, modelled latency at the target's clock and the simulator's speed (simulated
instructions per host second, cycle modelling included, whole run). Every run is checked
against the golden interpreter (harness.bench.bench_model: int8 bit-exact, fp32 within
tolerance). --python-hook forces
the pure-Python block counter (what runs without a C compiler) for comparison. Prints a
Markdown table (the one in harness/iss/README.md). Not a timed test.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.bench import bench_model  # noqa: E402
from harness.errors import HilbenchError  # noqa: E402

MODELS = REPO / "models" / "mlperf-tiny"
DEFAULT_MODELS = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8",
                  "kws_ref_model_float32", "vww_96_float", "pretrainedResnet", "ad01_fp32"]
TARGET = "cortex-m4-iss"


def row(stem: str, n: int) -> str:
    try:
        result = bench_model(MODELS / f"{stem}.tflite", TARGET, n_inputs=n)
    except HilbenchError as exc:
        return f"| {stem} | {type(exc).__name__}: {str(exc).splitlines()[0][:120]} |||||||"
    m = result.measurement.metrics
    instr = m["instructions_per_inference"].value
    cycles = m["cycles_per_inference"].value
    macs = m["macs_per_cycle"].value
    speed = m["iss_instructions_per_second"].value
    c = result.comparison
    exact = "bit-exact" if c.bit_exact else (
        "within tolerance" if c.ok else f"NO ({result.measurement.mismatches} differ)")
    return (f"| {stem} | {instr:,.0f} | {cycles:,.0f} | {cycles / instr:.2f} | {macs:.3f} | "
            f"{m['latency_ms'].value:,.1f} | {speed / 1e6:,.1f} | {exact} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument("--inputs", type=int, default=3)
    parser.add_argument("--python-hook", action="store_true",
                        help="count blocks with the Python hook instead of the native one")
    args = parser.parse_args()
    if args.python_hook:
        os.environ["HILBENCH_ISS_PYTHON_HOOK"] = "1"
    print(f"{TARGET}, {args.inputs} inputs per model, host {platform.processor() or 'cpu'} "
          f"({platform.machine()}), Python {platform.python_version()}"
          + (", Python block hook" if args.python_hook else ""))
    print()
    print("| model | instructions / inference | modelled cycles / inference | CPI | "
          "MACs / cycle | latency at 120 MHz (ms) | simulated M instr / s | vs golden |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for stem in args.models:
        print(row(stem, args.inputs), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
