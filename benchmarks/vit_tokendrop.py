"""ViT token dropping per keep ratio: MACs (guide + ViT), accuracy and latency on each target.

    .venv/bin/python benchmarks/vit_tokendrop.py [--target host] [--target ssh-localhost]
        [--quick] [--subset N] [--all-seeds] [--variant NAME] [--recipe suites/vit/recipe.yaml]

Runs `harness.sweep.sweep` on the token-drop recipe (training and conversion through the
cache) without recording and prints a Markdown table per target: keep ratio, kept tokens,
guide and ViT MACs, accuracy (target outputs, n samples), latency mean / median / p90 of guide
+ ViT, agreement with golden; then the MACs reduction and accuracy change of each variant
against keep 1.0 of the same precision and training seed, and with --all-seeds (the recipe's
`seeds`) the mean and spread of each variant's accuracy over the seeds. `ssh-localhost` gets a real OpenSSH server on 127.0.0.1 for the run
(tests/ssh_fixtures.py). Prints numbers; nothing asserts on them.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for extra in (REPO, REPO / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import numpy as np  # noqa: E402

from harness.sweep import sweep  # noqa: E402


def _fmt(m: object, name: str, digits: int = 3) -> str:
    metric = getattr(m, "metrics", {}).get(name)
    return "-" if metric is None else f"{metric.value:.{digits}f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--recipe", default=str(REPO / "suites/vit/recipe.yaml"))
    p.add_argument("--target", action="append", dest="targets")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--subset", type=int)
    p.add_argument("--all-seeds", action="store_true")
    p.add_argument("--variant", action="append", dest="variants")
    args = p.parse_args()
    targets = args.targets or ["host", "ssh-localhost"]
    server = None
    if "ssh-localhost" in targets:
        from ssh_fixtures import start_sshd
        folder = Path(tempfile.mkdtemp(prefix="hilbench-vit-sshd-"))
        server = start_sshd(folder)
        (folder / "remote").mkdir()
        os.environ.update(server.env(folder / "remote"))
    try:
        items = list(sweep(Path(args.recipe), targets, quick=args.quick, subset=args.subset,
                           only=args.variants, all_seeds=args.all_seeds,
                           progress=lambda msg: print(msg, file=sys.stderr, flush=True)))
    finally:
        if server is not None:
            server.stop()
    for target in targets:
        print(f"\n### {target}\n")
        print("| variant | seed | keep | tokens | guide MACs | ViT MACs | accuracy (n) | latency "
              "mean / median / p90 ms | golden |")
        print("|---|---|---|---|---|---|---|---|---|")
        bases: dict[tuple[object, object], object] = {}
        rows = [i for i in items if i.target == target]
        for item in rows:
            m = item.measurement
            if m is None:
                print(f"| {item.variant} | error: {item.error} |")
                continue
            e = m.extra
            if e["keep_ratio"] == 1.0:
                bases.setdefault((e.get("train_seed"), e.get("precision")), m)
            agree = "bit-exact" if m.bit_exact else f"max diff {m.max_abs_diff:.2g}"
            print(f"| {item.variant} | {e.get('train_seed')} | {e['keep_ratio']} | {e['kept_tokens']} | "
                  f"{e['guide_macs']:,} | {e['vit_macs']:,} | {_fmt(m, 'accuracy')} "
                  f"({e['n_eval']}) | {_fmt(m, 'latency_ms')} / {_fmt(m, 'latency_median_ms')}"
                  f" / {_fmt(m, 'latency_p90_ms')} | {agree} |")
        print()
        for item in rows:
            m = item.measurement
            base = None if m is None else bases.get((m.extra.get("train_seed"),
                                                     m.extra.get("precision")))
            if m is None or base is None or m is base:
                continue
            cut = 1 - m.extra["macs"] / base.extra["macs"]  # type: ignore[attr-defined]
            change = m.metrics["accuracy"].value - base.metrics["accuracy"].value  # type: ignore[attr-defined]
            print(f"- {item.variant} (seed {m.extra.get('train_seed')}): MACs {cut:.1%} lower "
                  f"than keep 1.0 {m.extra.get('precision')} (guide included), accuracy "
                  f"{change:+.3f}")
        by_variant: dict[str, list[float]] = {}
        for item in rows:
            if item.measurement is not None:
                by_variant.setdefault(item.variant, []).append(
                    item.measurement.metrics["accuracy"].value)
        if any(len(v) > 1 for v in by_variant.values()):
            print()
            for name, accs in by_variant.items():
                print(f"- {name}: accuracy mean {np.mean(accs):.3f}, min {min(accs):.3f}, "
                      f"max {max(accs):.3f} over {len(accs)} seeds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
