"""Speed-up of the nnx extension on the MLPerf Tiny int8 models, cycle-exact in Verilator.

    .venv/bin/python benchmarks/rv32_speedup.py [--models kws_ref_model ad01_int8] [--inputs 1]

Per model: cycles per inference on rv32-base (hb_core without nnx, portable `ref` kernels)
and on rv32-nnx (hb_core with nnx, `rvx` kernels), the speed-up, MACs per cycle, the area
overhead of the extension (rtl/area.py: Yosys generic cells of hb_cpu, NNX=1 vs NNX=0) and
the Verilator simulation speed (simulated cycles per host second). Every run is checked
bit-exact against the golden interpreter (harness.bench.bench_model). Prints a Markdown table
(the one in rtl/README.md, "Measured on MLPerf Tiny"). Not a timed test: it takes minutes
(a scalar VWW or IC inference is ~0.3-0.4 G simulated cycles, ~40 s).
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.bench import bench_model  # noqa: E402
from harness.errors import HilbenchError  # noqa: E402
from harness.measure import Measurement  # noqa: E402

MODELS = REPO / "models" / "mlperf-tiny"
INT8_MODELS = {"kws_ref_model": "KWS", "ad01_int8": "AD", "vww_96_int8": "VWW",
               "pretrainedResnet_quant": "IC"}


@dataclass
class Run:
    measurement: Measurement | None
    error: str | None = None

    @property
    def cycles(self) -> float | None:
        if self.measurement is None:
            return None
        metric = self.measurement.metrics.get("cycles_per_inference")
        return None if metric is None else float(metric.value)


def run(stem: str, target: str, n: int) -> Run:
    try:
        return Run(bench_model(MODELS / f"{stem}.tflite", target, n_inputs=n).measurement)
    except HilbenchError as exc:
        return Run(None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")


def area_overhead() -> tuple[str, float | None]:
    """('hb_cpu: 12,345 -> 15,678 cells (+27.0 %)', 27.0) from rtl/area.py, or why not."""
    try:
        from rtl.area import compare
        report = compare()
    except Exception as exc:  # yosys missing or failing: the table still has the cycles
        return f"area not measured: {exc}", None
    base, nnx = report["base"], report["nnx"]
    pct = float(report["overhead_pct"])
    return (f"hb_cpu (Yosys generic cells): {base['cells']:,} without nnx, {nnx['cells']:,} "
            f"with nnx (+{pct:.1f} %); flip-flops {base['flops']:,} -> {nnx['flops']:,}"), pct


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(INT8_MODELS),
                        choices=list(INT8_MODELS))
    parser.add_argument("--inputs", type=int, default=1, help="inputs per model and target")
    parser.add_argument("--no-area", action="store_true", help="skip the Yosys synthesis")
    args = parser.parse_args(argv)

    started = time.monotonic()
    area_text, area_pct = ("area not measured (--no-area)", None) if args.no_area \
        else area_overhead()
    rows = []
    notes = []
    for stem in args.models:
        print(f"# {stem}: rv32-base ...", file=sys.stderr, flush=True)
        base = run(stem, "rv32-base", args.inputs)
        print(f"# {stem}: rv32-nnx ...", file=sys.stderr, flush=True)
        nnx = run(stem, "rv32-nnx", args.inputs)
        for name, r in (("rv32-base", base), ("rv32-nnx", nnx)):
            if r.error:
                notes.append(f"{INT8_MODELS[stem]} on {name}: {r.error}")
            elif r.measurement is not None and not r.measurement.bit_exact:
                notes.append(f"{INT8_MODELS[stem]} on {name}: NOT bit-exact "
                             f"({r.measurement.mismatches} mismatches)")
        macs = None
        for r in (base, nnx):
            if r.measurement is not None:
                macs = int(r.measurement.extra["macs"])
        speedup = base.cycles / nnx.cycles if base.cycles and nnx.cycles else None

        def mpc(r: Run) -> float | None:
            return macs / r.cycles if macs and r.cycles else None

        def speed(r: Run) -> float | None:
            value = r.measurement.extra.get("sim_cycles_per_second") if r.measurement else None
            return None if value is None else value / 1e6

        def exact(r: Run) -> str:
            return "-" if r.measurement is None else ("yes" if r.measurement.bit_exact else "NO")

        rows.append([
            INT8_MODELS[stem], _fmt(macs / 1e6 if macs else None, ".2f"),
            _fmt(base.cycles / 1e6 if base.cycles else None, ".1f"),
            _fmt(nnx.cycles / 1e6 if nnx.cycles else None, ".1f"),
            _fmt(speedup, ".2f") + ("x" if speedup else ""),
            _fmt(mpc(base), ".3f"), _fmt(mpc(nnx), ".3f"),
            _fmt(area_pct, "+.1f") + (" %" if area_pct is not None else ""),
            _fmt(speed(base), ".1f"), _fmt(speed(nnx), ".1f"),
            f"{exact(base)} / {exact(nnx)}",
        ])

    header = ["model", "M MACs", "M cycles rv32-base", "M cycles rv32-nnx", "speed-up",
              "MAC/cycle base", "MAC/cycle nnx", "area overhead", "sim M cycles/s base",
              "sim M cycles/s nnx", "bit-exact base / nnx"]
    print("| " + " | ".join(header) + " |")
    print("| " + " | ".join("---" for _ in header) + " |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(f"Cycles per inference: mean of {args.inputs} random input(s) per model, mcycle "
          "around hb_model_invoke (rtl-cycle-exact), MEM_LATENCY=1, 4 MiB RAM.")
    print(f"Area: {area_text}.")
    print(f"Host: {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}; wall time {time.monotonic() - started:.0f} s.")
    for note in notes:
        print(f"Note: {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
