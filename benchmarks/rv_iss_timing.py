"""The RV32 ISS timing models against the RTL: cycles per core and MLPerf Tiny int8 model.

    .venv/bin/python benchmarks/rv_iss_timing.py [--cores hb_core cv32e40x vexriscv]
        [--models ad01_int8 kws_ref_model] [--firmware base ext] [--live]
        [--calibrate --fit-models kws_ref_model]

For each core, model and firmware (base: `ref` kernels, ext: the nnx kernels) it runs the ISS
target `<rtl-target>-iss` (modelled cycles, provenance iss-cycle-model) and takes the RTL's
cycles of `<rtl-target>` (Verilator, rtl-cycle-exact) from results/rtl_cycles.json, or runs
Verilator when they are missing, when --live is given, or when the cached run's instruction
count differs from the ISS's (then the firmware changed). One seeded random input (seed 0)
on both, so both run the same instructions. Prints per row the RTL and modelled cycles, the
error of the whole inference, the mean absolute per-layer error, and the ISS's speed.

The role column says whether the model is in the set the core's `fitted` weights were fitted
on (KWS, --fit-models) or validates them (hb_core has no fitted weights: all validation).
--calibrate fits each core's `fitted` weights (harness/rvtiming/cores.py) on the per-layer
counts of --fit-models (base and ext firmware together) and prints them with the errors of
the fitted table; paste them into cores.py to adopt them. The other models validate.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.bench import bench_model  # noqa: E402
from harness.errors import HilbenchError  # noqa: E402
from harness.rvtiming import core_timing  # noqa: E402
from harness.rvtiming.calibrate import Sample, fit, relative_errors  # noqa: E402

MODELS = REPO / "models" / "mlperf-tiny"
CACHE = REPO / "results" / "rtl_cycles.json"
INT8_MODELS = {"ad01_int8": "AD", "kws_ref_model": "KWS", "vww_96_int8": "VWW",
               "pretrainedResnet_quant": "IC"}
TARGETS = {"hb_core": ("rv32-base", "rv32-nnx"), "vexriscv": ("vexriscv-base", "vexriscv-cfu"),
           "cv32e40x": ("cv32e40x-base", "cv32e40x-nnx")}


def say(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def rtl_run(target: str, stem: str) -> dict[str, Any]:
    began = time.monotonic()
    result = bench_model(MODELS / f"{stem}.tflite", target, n_inputs=1)
    m = result.measurement
    return {"cycles": m.metrics["cycles_per_inference"].value,
            "instructions": m.metrics["instructions_per_inference"].value,
            "layers": [[layer.index, layer.name, layer.op, layer.cycles] for layer in m.layers],
            "bit_exact": m.bit_exact, "seconds": time.monotonic() - began,
            "sim_cps": m.extra.get("sim_cycles_per_second")}


def iss_run(target: str, stem: str) -> dict[str, Any]:
    began = time.monotonic()
    result = bench_model(MODELS / f"{stem}.tflite", f"{target}-iss", n_inputs=1)
    m = result.measurement
    return {"cycles": m.metrics["cycles_per_inference"].value,
            "instructions": m.metrics["instructions_per_inference"].value,
            "bit_exact": m.bit_exact, "seconds": time.monotonic() - began,
            "ips": m.extra.get("iss_instructions_per_second"),
            "features": m.extra.get("timing_features", {}),
            "layer_features": m.extra.get("timing_layer_features", [])}


def rtl_counts(target: str, stem: str, iss: dict[str, Any], live: bool) -> dict[str, Any]:
    key = f"{target}/{stem}"
    cache = json.loads(CACHE.read_text()) if CACHE.exists() else {}   # re-read: shared file
    cached = cache.get(key)
    if live or cached is None or cached["instructions"] != iss["instructions"]:
        say(f"{key}: Verilator (slow) ...")
        cached = cache[key] = rtl_run(target, stem)
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        tmp = CACHE.with_suffix(".tmp")
        tmp.write_text(json.dumps(cache, indent=1))
        tmp.replace(CACHE)
    return cached


def samples(runs: list[tuple[str, str, dict[str, Any], dict[str, Any]]]) -> list[Sample]:
    """One sample per layer (ISS features, RTL cycles)."""
    out = []
    for target, stem, iss, rtl in runs:
        for (index, _name, op, cycles), feats in zip(rtl["layers"], iss["layer_features"]):
            out.append(Sample(f"{stem}/{target}/layer {index} {op}", feats, cycles))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--models", nargs="+", default=["ad01_int8", "kws_ref_model"],
                        choices=list(INT8_MODELS))
    parser.add_argument("--firmware", nargs="+", default=["base", "ext"], choices=["base", "ext"],
                        help="base: the RTL target without the extension, ext: with it")
    parser.add_argument("--live", action="store_true",
                        help="run Verilator even when results/rtl_cycles.json has the counts")
    parser.add_argument("--calibrate", action="store_true",
                        help="fit each core's `fitted` weights and print them")
    parser.add_argument("--fit-models", nargs="+", default=["kws_ref_model"],
                        choices=list(INT8_MODELS))
    args = parser.parse_args(argv)
    rows, notes = [], []
    for core_name in args.cores:
        core = core_timing(core_name)
        runs = []
        for stem in dict.fromkeys(args.models + (args.fit_models if args.calibrate else [])):
            for target in TARGETS[core_name]:
                if ("ext" if target == TARGETS[core_name][1] else "base") not in args.firmware:
                    continue
                say(f"{core_name} {stem}: {target}-iss ...")
                try:
                    iss = iss_run(target, stem)
                    rtl = rtl_counts(target, stem, iss, args.live)
                except HilbenchError as exc:
                    notes.append(f"{INT8_MODELS[stem]} on {target}: {type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0][:200]}")
                    continue
                runs.append((target, stem, iss, rtl))
        if args.calibrate and core.fitted:
            fit_runs = [r for r in runs if r[1] in args.fit_models]
            fitted = fit(core, samples(fit_runs), core.fitted)
            print(f"\n{core_name}: fitted on {', '.join(args.fit_models)} per layer "
                  f"({len(samples(fit_runs))} layers): {fitted}")
            core = dataclasses.replace(core, weights={**core.weights, **fitted})
        for target, stem, iss, rtl in runs:
            if stem not in args.models:
                continue
            model = core.cycles(_vector(iss["features"])) if args.calibrate else iss["cycles"]
            layer_errors = relative_errors(core, samples([(target, stem, iss, rtl)]))
            mean_layer = float(abs(layer_errors).mean()) * 100 if len(layer_errors) else None
            role = "fit set" if core.fitted and stem in args.fit_models else "validation"
            rows.append([core_name, INT8_MODELS[stem], "ext" if target.endswith(
                ("nnx", "cfu")) else "base", f"{rtl['cycles'] / 1e6:.3f}",
                f"{model / 1e6:.3f}", f"{(model - rtl['cycles']) / rtl['cycles'] * 100:+.2f}",
                f"{mean_layer:.1f}" if mean_layer is not None else "-",
                f"{iss['ips'] / 1e6:.2f}" if iss["ips"] else "-",
                "yes" if iss["bit_exact"] and rtl["bit_exact"] else "NO", role])
    header = ["core", "model", "firmware", "M cycles RTL", "M cycles model", "error %",
              "mean abs layer error %", "ISS M instr/s", "bit-exact", "role"]
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    worst = max((abs(float(r[5])) for r in rows), default=0.0)
    print(f"\nlargest whole-inference error: {worst:.2f} % (goal: 10 %)")
    for note in notes:
        print(f"- {note}")
    return 1 if notes else 0


def _vector(features: dict[str, int]) -> Any:
    import numpy as np

    from harness.rvtiming.features import INDEX
    out = np.zeros(len(INDEX))
    for name, value in features.items():
        out[INDEX[name]] = value
    return out


if __name__ == "__main__":
    raise SystemExit(main())
