"""The accuracy-vs-cost curve of an exit model over thresholds, replayed from one recording.

Record once: every exit's logits for every input (a full-depth run: threshold 1, or the
golden interpreter, which the targets match bit for bit) and each input's cycles when it
leaves at exit k (runs forced to exit k: thresholds 1, .., 1, 0). Then for any threshold
the decision of each input is the policy on its recorded logits (exactly the target's
arithmetic, policy.py), its prediction that exit's argmax, and its cost the recorded cycles
of that exit. `hilbench`'s tests and benchmarks/early_exit.py check the replay against
on-target runs at two thresholds.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..accuracy import score
from .policy import ExitRule, fires

__all__ = ["ReplayPoint", "replay_decisions", "replay_point"]


@dataclass(frozen=True)
class ReplayPoint:
    threshold: float
    histogram: list[float]
    accuracy: float
    balanced_accuracy: float
    mean_cycles: float | None


def replay_decisions(rules: Sequence[ExitRule], exit_logits: Sequence[np.ndarray]) -> np.ndarray:
    """The exit each input takes under `rules` (the last exit takes what is left)."""
    n = len(exit_logits[0])
    taken = np.full(n, len(exit_logits) - 1, np.int64)
    open_ = np.ones(n, bool)
    for k, rule in enumerate(rules[:len(exit_logits) - 1]):
        go = open_ & fires(rule, exit_logits[k])
        taken[go] = k
        open_ &= ~go
    return taken


def replay_point(threshold: float, rules: Sequence[ExitRule], exit_logits: Sequence[np.ndarray],
                 labels: np.ndarray, classes: tuple[str, ...] | list[str],
                 exit_cycles: np.ndarray | None = None) -> ReplayPoint:
    """One point of the curve; `exit_cycles` is (N, exits): input i's cycles leaving at k."""
    taken = replay_decisions(rules, exit_logits)
    preds = np.stack([np.asarray(z).reshape(len(z), -1).argmax(axis=1) for z in exit_logits],
                     axis=1)[np.arange(len(taken)), taken]
    s = score(labels, preds, classes)
    hist = np.bincount(taken, minlength=len(exit_logits)) / len(taken)
    cycles = None
    if exit_cycles is not None:
        cycles = float(np.asarray(exit_cycles)[np.arange(len(taken)), taken].mean())
    return ReplayPoint(threshold, [float(h) for h in hist], s.accuracy, s.balanced_accuracy,
                       cycles)
