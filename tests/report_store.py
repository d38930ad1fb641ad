"""A small results store with the variety the reports must handle (imported as `report_store`):
two runs at two commits; models on host (wall-clock latency, static sizes) and on the
Cortex-M4 ISS (modelled cycles, exact instruction counts, modelled energy, per-layer cycles);
a suite with accuracies of three variants on two targets. Numbers are made up, the shapes are
the store's own (rows go in through ResultStore.record)."""
from __future__ import annotations

from pathlib import Path

from harness.measure import LayerMetric, Measurement, Metric, RunContext
from harness.results import ResultStore

COMMITS = ("1" * 40, "2" * 40)
RUNS = ("a" * 32, "b" * 32)


def context(i: int) -> RunContext:
    return RunContext(run_id=RUNS[i], time_utc=f"2026-01-0{i + 1}T00:00:00.000000+00:00",
                      host="lab", git_commit=COMMITS[i], git_dirty=False,
                      hilbench_version="0.1", python="3.11.2")


def measurement(model: str, variant: str, target: str, cycles: int, *, accuracy: float | None = None,
                kernels: str | None = "ref") -> Measurement:
    iss = target == "cortex-m4-iss"
    metrics = {
        "flash_bytes": Metric(40_000 + cycles // 10, "B", "static-analysis", "size of the ELF"),
        "ram_bytes": Metric(2_000 + cycles // 1000, "B", "static-analysis", "arena + stack"),
    }
    if iss:
        metrics["cycles_per_inference"] = Metric(cycles, "cycles", "iss-cycle-model", "TRM model")
        metrics["instructions_per_inference"] = Metric(cycles * 0.8, "instr", "instructions")
        metrics["latency_ms"] = Metric(cycles / 120e3, "ms", "iss-cycle-model", "at 120 MHz")
        metrics["energy_uj_per_inference"] = Metric(cycles * 1.8e-4, "uJ", "energy-model")
    else:
        metrics["latency_ms"] = Metric(cycles / 2e6, "ms", "wall-clock", "CLOCK_MONOTONIC")
    extra: dict[str, object] = {"kernels": kernels}
    if accuracy is not None:
        metrics["accuracy"] = Metric(accuracy, "fraction", "dataset", "target outputs")
        extra.update(dataset="digits", eval_split="test", n_eval=360, primary_metric="accuracy")
    layers = [LayerMetric(i, f"layer{i}", op, cycles * share, "iss-cycle-model")
              for i, (op, share) in enumerate((("CONV_2D", 0.7), ("FULLY_CONNECTED", 0.3)))] if iss else []
    return Measurement(model=model, variant=variant, target=target, backend="iss_arm" if iss else "host",
                       model_path=f"models/{model}.tflite", model_sha256="0" * 64, n_inputs=8,
                       bit_exact=True, mismatches=0, max_abs_diff=0.0, metrics=metrics, layers=layers,
                       commands=[["arm-none-eabi-gcc", "-O2", "-o", "fw.elf", "model.c"],
                                 ["hilbench-iss", "fw.elf"]] if iss else [["gcc", "-O2", "model.c"]],
                       tool_versions={"gcc": "12.2.0"}, seed=0, extra=extra)


def build_store(path: Path) -> ResultStore:
    """Run 0 (commit 1111...) then run 1 (commit 2222..., kws on the ISS 10% faster)."""
    store = ResultStore(path)
    for run, speedup in ((0, 1.0), (1, 0.9)):
        ctx = context(run)
        for model, base in (("kws", 2_000_000), ("ad", 600_000)):
            for variant, factor in (("int8", 1), ("fp32", 3)):
                for target in ("host", "cortex-m4-iss"):
                    cycles = int(base * factor * (speedup if model == "kws" else 1.0))
                    store.record(measurement(model, variant, target, cycles), ctx)
        if run == 1:
            for variant, cycles, acc in (("fp32", 900_000, 0.97), ("int8", 300_000, 0.96),
                                         ("int8-pruned", 200_000, 0.93)):
                for target in ("host", "cortex-m4-iss"):
                    store.record(measurement("digits", variant, target, cycles, accuracy=acc), ctx)
    return store
