"""A seeded mutation fuzzer over the bundled models (harness/fuzz.py): every mutant either
fails with a clean HilbenchError or runs with LiteRT agreeing; never a traceback, a hang, or
golden outputs LiteRT contradicts. Bounded: golden on 2 inputs, no C build, < ~60 s."""
from __future__ import annotations

import time
import warnings
from pathlib import Path

import pytest
from hb_testutil import MODELS

from harness.fuzz import BAD_OUTCOMES, MUTATIONS, fuzz, mutants
from harness.litert_ref import litert_unavailable

MUTANTS = 336   # 8 models x 7 mutation kinds x 6


@pytest.mark.skipif(litert_unavailable() is not None, reason=litert_unavailable() or "")
def test_mutants_fail_cleanly_or_agree_with_litert() -> None:
    models = sorted(MODELS.glob("*.tflite"))
    assert len(models) == 8
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        report = fuzz(models, MUTANTS, seed=2024)
    seconds = time.perf_counter() - start
    assert sum(report.counts.values()) == MUTANTS
    assert set(report.by_mutation) == set(MUTATIONS)
    assert report.counts["error"] > 0 and report.counts["agree"] > 0
    bad = [f"{o}: {m.model} {m.mutation} ({m.detail}): {why}" for m, o, why in report.bad]
    assert not bad, "\n".join(bad)
    assert all(report.counts[o] == 0 for o in BAD_OUTCOMES)
    assert report.counts["litert-refuses"] == 0, dict(report.counts)
    assert seconds < 120, f"the fuzzer took {seconds:.0f} s"


def test_mutants_are_reproducible() -> None:
    models = sorted(MODELS.glob("*.tflite"))[:2]
    a = [(m.mutation, m.detail, m.data) for m in mutants(models, 14, seed=5)]
    b = [(m.mutation, m.detail, m.data) for m in mutants(models, 14, seed=5)]
    assert a == b and len({d for _, _, d in a}) > 10


def test_benchmark_script_runs(tmp_path: Path) -> None:
    import subprocess
    import sys
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "fuzz_import.py"
    done = subprocess.run([sys.executable, str(script), "--mutants", "16", "--seed", "3"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| **total** |" in done.stdout
