"""Inter-patient ECG accuracy of the ECG recipe: fp32 and int8 per training seed, and the mean.

    .venv/bin/python benchmarks/ecg_accuracy.py [suites/ecg/recipe.yaml] [--quick]
        [--seed S] [--only fp32,int8-qat] [--subset N]

Trains the recipe's model for each of its seeds (cached by content hash), builds the variants
(fp32, int8-ptq, int8-qat: converted with litert-torch and checked against LiteRT), then runs
each .tflite through hilbench's golden interpreter (the bit-exact reference every target must
match) over the MIT-BIH DS2 test set (49,661 beats of 22 patients never seen in training).
Prints balanced accuracy, accuracy, per-class sensitivity and PPV per seed and the mean, and
the seconds per stage. The goal (issue 10): fp32 balanced accuracy >= 0.65 with S
sensitivity >= 50 %, int8 within 1 point of fp32, as the mean over the seeds. Nothing asserts:
it prints numbers. Set HILBENCH_THREADS=1 on a shared machine.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.accuracy import Scores, predictions, score  # noqa: E402
from harness.datasets import Dataset, load_dataset  # noqa: E402
from harness.errors import HilbenchError  # noqa: E402
from harness.golden import GoldenInterpreter  # noqa: E402
from harness.importers import load_model  # noqa: E402
from harness.inputs import model_inputs  # noqa: E402
from harness.variants import BuiltVariant, build_variants, load_recipe  # noqa: E402

CHUNK = 2048      # samples per golden-interpreter batch (bounds memory)


def golden_scores(path: Path, dataset: Dataset, subset: int | None) -> tuple[Scores, float]:
    """Scores of the model file's golden-interpreter outputs on the test split, and seconds."""
    start = time.perf_counter()
    graph = load_model(path)
    interp = GoldenInterpreter(graph)
    x, y = dataset.test.x, dataset.test.y
    if subset is not None and subset < len(y):
        from harness.datasets import stratified_indices
        pick = stratified_indices(y, subset, seed=0)
        x, y = x[pick], y[pick]
    preds = [predictions(interp.run(model_inputs(graph, x[i:i + CHUNK]))[0])
             for i in range(0, len(y), CHUNK)]
    return score(y, np.concatenate(preds), dataset.classes), time.perf_counter() - start


def _pct(v: float | None) -> str:
    return "  -  " if v is None else f"{100 * v:5.1f}"


def row(label: str, s: Scores, classes: tuple[str, ...]) -> str:
    sens = " ".join(_pct(s.sensitivity[c]) for c in classes)
    ppv = " ".join(_pct(s.ppv[c]) for c in classes)
    return (f"| {label} | {100 * s.balanced_accuracy:5.1f} | {100 * s.accuracy:5.1f} | {sens} "
            f"| {ppv} |")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("recipe", nargs="?", default=str(REPO / "suites" / "ecg" / "recipe.yaml"))
    p.add_argument("--quick", action="store_true", help="the recipe's quick (CI) training")
    p.add_argument("--seed", type=int, action="append", default=None,
                   help="train this seed only (repeatable); default: the recipe's seeds")
    p.add_argument("--only", default=None, help="comma-separated variant names")
    p.add_argument("--subset", type=int, default=None,
                   help="score a stratified subset of the test split (default: all of it)")
    args = p.parse_args()

    def say(msg: str) -> None:
        print(f"  {msg}", file=sys.stderr, flush=True)

    try:
        recipe = load_recipe(Path(args.recipe))
        dataset = load_dataset(recipe.dataset, quick=args.quick)
        only = args.only.split(",") if args.only else None
        results: dict[str, list[tuple[int, Scores]]] = {}
        lines: list[str] = []
        for seed in args.seed or list(recipe.seeds):
            for item in build_variants(recipe, quick=args.quick, seed=seed, only=only,
                                       progress=say):
                if not isinstance(item, BuiltVariant):
                    print(f"{item.name} (seed {item.train_seed}): FAILED: {item.error}")
                    continue
                s, golden_s = golden_scores(item.path, dataset, args.subset)
                results.setdefault(item.name, []).append((seed, s))
                t = item.timings
                lines.append(f"| {item.name} | {seed} | {t.get('train', 0):.1f} | "
                             f"{t.get('convert', 0):.1f} | {t.get('check', 0):.1f} | "
                             f"{golden_s:.1f} | {'yes' if item.cached else 'no'} | "
                             f"{item.params} | {item.macs} | {item.model_bytes} |")
                say(f"{item.name} seed {seed}: balanced accuracy {s.balanced_accuracy:.4f} "
                    f"on {s.n} DS2 beats")
    except HilbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    classes = dataset.classes
    n = next(iter(results.values()))[0][1].n if results else 0
    print(f"\n{recipe.label}: golden interpreter on {n} beats of {dataset.name}/test (DS2), "
          f"{'quick' if args.quick else 'full'} training\n")
    cls = " ".join(f"{c:>5}" for c in classes)
    print(f"| variant / seed | bal. acc % | acc % | sensitivity % {cls} | PPV % {cls} |")
    print("|---|---:|---:|---|---|")
    for name, runs in results.items():
        for seed, s in runs:
            print(row(f"{name} / {seed}", s, classes))
        mean_bal = np.mean([s.balanced_accuracy for _, s in runs])
        mean_acc = np.mean([s.accuracy for _, s in runs])
        sens: dict[str, float | None] = {
            c: float(np.mean([s.sensitivity[c] or 0.0 for _, s in runs])) for c in classes}
        ppv: dict[str, float | None] = {
            c: float(np.mean([s.ppv[c] or 0.0 for _, s in runs])) for c in classes}
        mean = Scores(n, float(mean_acc), float(mean_bal), sens, ppv, [])
        print(row(f"**{name} / mean of {len(runs)}**", mean, classes))
    print("\n| variant | seed | train s | convert s | check s | golden s | cached | params "
          "| MACs | bytes |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
