"""Per-layer evidence for the armv7em kernel set: the MLPerf Tiny int8 models on cortex-m4-iss
with the `ref` and the `armv7em` kernels.

    .venv/bin/python benchmarks/m4_kernels.py [--models kws_ref_model|PATH.tflite ...] [--inputs 1]
        [--target cortex-m4-iss] [--layers]

Per model: modelled cycles per inference (end to end, the firmware's own count) with each
kernel set, MACs per cycle and the speed-up, flash and RAM of each firmware; with --layers,
per layer: op, shape, MACs, modelled cycles with ref and with armv7em, MACs/cycle and the
ratio. Every run is checked bit-exact against the golden interpreter (harness.bench). Prints
the Markdown tables of harness/codegen/kernels/armv7em/README.md. Not a timed test.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.bench import BenchResult, bench_model  # noqa: E402
from harness.importers import load_model  # noqa: E402
from harness.ir import Graph  # noqa: E402

MODELS = REPO / "models" / "mlperf-tiny"
DEFAULT_MODELS = ["kws_ref_model", "pretrainedResnet_quant", "vww_96_int8", "ad01_int8"]
SETS = ("ref", "armv7em")
# CMSIS-NN on the same cycle model (sum of layers), from issue 14.
CMSIS_NN = {"kws_ref_model": 9.50e6, "pretrainedResnet_quant": 36.7e6, "vww_96_int8": 30.4e6,
            "ad01_int8": 0.74e6}


def _layer_macs(graph: Graph) -> list[int]:
    sub = Graph(graph.name, graph.tensors, [], graph.inputs, graph.outputs)
    out = []
    for op in graph.ops:
        sub.ops = [op]
        out.append(sub.macs())
    return out


def _shape(graph: Graph, op) -> str:  # type: ignore[no-untyped-def]
    x, y = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    extra = ""
    if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        w = graph.tensor(op.inputs[1])
        extra = f" k{w.shape[1]}x{w.shape[2]}/s{op.attrs['stride'][0]}"
    return "x".join(map(str, x.shape[1:])) + "->" + "x".join(map(str, y.shape[1:])) + extra


def _check(r: BenchResult, stem: str, kernels: str) -> None:
    if not r.comparison.bit_exact:
        raise SystemExit(f"{stem} with {kernels}: {r.comparison.mismatches} outputs differ "
                         "from golden")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument("--inputs", type=int, default=1)
    parser.add_argument("--target", default="cortex-m4-iss")
    parser.add_argument("--layers", action="store_true", help="per-layer tables too")
    args = parser.parse_args()
    summary = ["| model | MACs | ref cycles | armv7em cycles | speed-up | MACs/cycle ref -> "
               "armv7em | CMSIS-NN cycles | vs CMSIS-NN | flash ref / armv7em | RAM ref / "
               "armv7em |", "|---|---:|---:|---:|---:|---|---:|---:|---|---|"]
    for name in args.models:   # an MLPerf Tiny stem, or the path of any .tflite
        path = Path(name) if name.endswith(".tflite") else MODELS / f"{name}.tflite"
        stem = path.stem
        graph = load_model(path)
        runs = {}
        for k in SETS:
            runs[k] = bench_model(path, args.target, n_inputs=args.inputs, kernels=k)
            _check(runs[k], stem, k)
        m = {k: runs[k].measurement.metrics for k in SETS}
        cyc = {k: m[k]["cycles_per_inference"].value for k in SETS}
        macs = graph.macs()
        cmsis = CMSIS_NN.get(stem)
        summary.append(
            f"| {stem} | {macs:,} | {cyc['ref']:,.0f} | {cyc['armv7em']:,.0f} | "
            f"{cyc['ref'] / cyc['armv7em']:.1f}x | {macs / cyc['ref']:.3f} -> "
            f"{macs / cyc['armv7em']:.3f} | "
            + (f"{cmsis:,.0f} | {cmsis / cyc['armv7em']:.2f}x" if cmsis else " | ")
            + f" | {m['ref']['flash_bytes'].value:,.0f} / {m['armv7em']['flash_bytes'].value:,.0f}"
            f" | {m['ref']['ram_bytes'].value:,.0f} / {m['armv7em']['ram_bytes'].value:,.0f} |")
        if not args.layers:
            continue
        print(f"\n### {stem} ({args.target}, modelled cycles per layer)\n")
        print("| # | op | shape | MACs | ref cycles | armv7em cycles | MACs/cycle | speed-up |")
        print("|---:|---|---|---:|---:|---:|---:|---:|")
        layers = {k: {lm.index: lm.cycles for lm in runs[k].measurement.layers} for k in SETS}
        for i, (op, lm) in enumerate(zip(graph.ops, _layer_macs(graph))):
            ref, arm = layers["ref"].get(i), layers["armv7em"].get(i)
            if ref is None or arm is None:
                continue
            rate = f"{lm / arm:.3f}" if lm and arm else ""
            print(f"| {i} | {op.kind} | {_shape(graph, op)} | {lm:,} | {ref:,.0f} | {arm:,.0f} "
                  f"| {rate} | {ref / arm if arm else 0:.1f}x |")
        total = {k: sum(layers[k].values()) for k in SETS}
        print(f"| | sum of layers | | {macs:,} | {total['ref']:,.0f} | {total['armv7em']:,.0f} "
              f"| {macs / total['armv7em']:.3f} | {total['ref'] / total['armv7em']:.1f}x |",
              flush=True)
    print(f"\n### End to end ({args.target}, {args.inputs} input(s) per model, bit-exact)\n")
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
