"""The ECG early-exit model's threshold curve: exit fraction, balanced accuracy and mean cycles
per threshold, replayed from one recording and verified on the target at two thresholds.

    .venv/bin/python benchmarks/early_exit.py [--recipe suites/ecg_exits/recipe.yaml]
        [--seed 0 --seed 1 ...] [--target cortex-m4-iss] [--subset 40] [--quick]

Per training seed (cached by content hash), for the int8-ptq variant:
1. the golden interpreter (bit-exact with every target) gives every exit's logits on all of
   MIT-BIH DS2 (49,661 beats) and on the DS1 validation patients;
2. the target runs a stratified DS2 subset forced to each exit (thresholds 0 and 1): each
   beat's cycles when leaving at exit 0 and at full depth (firmware counter, per input);
3. every threshold is replayed (harness.exits.replay): the policy on the recorded logits,
   the taken exit's prediction, the mean of the recorded per-exit cycles (DS2: the subset's
   mean per exit; the convolution kernels' cycles do not depend on the data);
4. the goal is read at one threshold fixed in advance, `--threshold` (default 0.9: a
   calibrated max-softmax of 0.9), with its DS1-validation numbers next to the DS2 ones;
5. two thresholds run on the target: measured decisions and mean cycles vs the replay.
Goal (issue 12): >= 50 % of DS2 beats exit early at <= 1 point balanced-accuracy loss.
Nothing asserts: it prints numbers.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.datasets import load_dataset  # noqa: E402
from harness.evaluate import eval_set  # noqa: E402
from harness.exit_bench import bench_exits, exit_outcome  # noqa: E402
from harness.exits import build_program, read_exits  # noqa: E402
from harness.exits.replay import replay_decisions, replay_point  # noqa: E402
from harness.golden import GoldenInterpreter  # noqa: E402
from harness.importers import load_model  # noqa: E402
from harness.inputs import model_inputs  # noqa: E402
from harness.variants import BuiltVariant, build_variants, load_recipe  # noqa: E402

GRID = [0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 1.0]
CHUNK = 4096


def exit_logits(path: Path, x: np.ndarray) -> list[np.ndarray]:
    graph = load_model(path)
    spec = read_exits(path)
    assert spec is not None
    interp = GoldenInterpreter(graph)
    parts: list[list[np.ndarray]] = [[] for _ in spec.exits]
    for i in range(0, len(x), CHUNK):
        out = dict(zip(graph.outputs, interp.run(model_inputs(graph, x[i:i + CHUNK]))))
        for k, e in enumerate(spec.exits):
            parts[k].append(out[e.tensor])
    return [np.concatenate(p) for p in parts]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default=str(REPO / "suites" / "ecg_exits" / "recipe.yaml"))
    ap.add_argument("--seed", type=int, action="append", default=None)
    ap.add_argument("--target", default="cortex-m4-iss")
    ap.add_argument("--subset", type=int, default=40, help="DS2 beats run on the target")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threshold", type=float, default=0.9,
                    help="the threshold the goal is read at (default 0.9)")
    args = ap.parse_args()
    recipe = load_recipe(Path(args.recipe))
    ds = load_dataset(recipe.dataset, quick=args.quick)
    summary = []
    for seed in args.seed or list(recipe.seeds):
        (built,) = list(build_variants(recipe, quick=args.quick, seed=seed, only=["int8-ptq"]))
        assert isinstance(built, BuiltVariant), built
        path = built.path
        graph, spec = load_model(path), read_exits(path)
        assert spec is not None
        cal = spec.calibration["exits"]
        print(f"\nseed {seed}: {path.name}; temperatures (DS1 validation, {spec.calibration['n']}"
              f" beats): " + ", ".join(f"exit {k} T={c['temperature']:.3g} (NLL "
                                      f"{c['nll_before']:.3f}->{c['nll_after']:.3f})"
                                      for k, c in enumerate(cal)))
        test, val = exit_logits(path, ds.test.x), exit_logits(path, ds.val.x)
        ev = eval_set(ds, args.subset, seed)
        forced = [bench_exits(path, args.target, ev, t, reference_check=False) for t in (0.0, 1.0)]
        sub_cycles = np.stack([np.array(r.per_input["cycles"]) for r in forced], axis=1) \
            if all(r.per_input and "cycles" in r.per_input for r in forced) else None
        per_exit = sub_cycles.mean(axis=0) if sub_cycles is not None else None
        ds2_cycles = None if per_exit is None else np.tile(per_exit, (len(ds.test), 1))
        full_val = replay_point(1.0, build_program(graph, spec, 1.0).rules, val, ds.val.y,
                                ds.classes)
        print(f"  {args.target} cycles per exit (mean of {args.subset} beats): "
              + ("n/a" if per_exit is None else ", ".join(f"{c:,.0f}" for c in per_exit)))
        print(f"  {'T':>6} {'early %':>8} {'DS2 BA':>7} {'loss pt':>7} {'mean cyc':>10} "
              f"{'saved %':>7} {'val BA':>7}")
        full = replay_point(1.0, build_program(graph, spec, 1.0).rules, test, ds.test.y,
                            ds.classes, ds2_cycles)
        chosen = None
        for t in sorted({*GRID, args.threshold}):
            rules = build_program(graph, spec, t).rules
            p = replay_point(t, rules, test, ds.test.y, ds.classes, ds2_cycles)
            v = replay_point(t, rules, val, ds.val.y, ds.classes)
            loss = 100 * (full.balanced_accuracy - p.balanced_accuracy)
            saved = (100 * (1 - p.mean_cycles / full.mean_cycles)
                     if p.mean_cycles is not None and full.mean_cycles else float("nan"))
            print(f"  {t:6.3f} {100 * p.histogram[0]:8.1f} {p.balanced_accuracy:7.4f} "
                  f"{loss:7.2f} {p.mean_cycles or float('nan'):10,.0f} {saved:7.1f} "
                  f"{v.balanced_accuracy:7.4f}")
            if t == args.threshold:
                chosen = (t, p, loss, v)
        if chosen is not None:
            t, p, loss, v = chosen
            print(f"  at T={t:g}: DS2 {100 * p.histogram[0]:.1f} % exit early, balanced accuracy "
                  f"{p.balanced_accuracy:.4f} (full depth {full.balanced_accuracy:.4f}, loss "
                  f"{loss:.2f} points); DS1 validation {100 * v.histogram[0]:.1f} % early, "
                  f"loss {100 * (full_val.balanced_accuracy - v.balanced_accuracy):.2f} points")
            summary.append((seed, t, p.histogram[0], loss))
        for t in (args.threshold, 0.98):
            r = bench_exits(path, args.target, ev, t, reference_check=False)
            measured = exit_outcome(r.outputs).exits
            replayed = replay_decisions(build_program(graph, spec, t).rules,
                                        [z[ev_index(ds, ev)] for z in test])
            same = bool(np.array_equal(measured, replayed))
            line = (f"  verified on {args.target} at T={t:g}: decisions "
                    f"{'identical to' if same else 'DIFFER from'} the replay on {len(measured)} "
                    f"beats")
            if sub_cycles is not None and r.per_input:
                cyc = np.array(r.per_input["cycles"])
                rep = sub_cycles[np.arange(len(replayed)), replayed].mean()
                line += f"; mean cycles measured {cyc.mean():,.0f}, replayed {rep:,.0f}"
            print(line)
    if summary:
        print("\nseed       T  DS2 early %  BA loss (points)")
        for seed, t, early, loss in summary:
            print(f"{seed:4d}  {t:6.3f}  {100 * early:11.1f}  {loss:16.2f}")
        print(f"mean  {'':6}  {100 * np.mean([s[2] for s in summary]):11.1f}  "
              f"{np.mean([s[3] for s in summary]):16.2f}")
    return 0


def ev_index(ds: object, ev: object) -> np.ndarray:
    """Positions of the eval subset's samples in the whole test split (same seeded choice)."""
    from harness.datasets import stratified_indices
    split = ds.test  # type: ignore[attr-defined]
    if not ev.is_subset:  # type: ignore[attr-defined]
        return np.arange(len(split))
    return stratified_indices(split.y, len(ev.split), ev.subset_seed)  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
