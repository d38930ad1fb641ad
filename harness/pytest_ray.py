"""`pytest suites/<name> --hil-ray ADDRESS`: a recipe suite's (variant, target) tests as tasks
on a Ray cluster (harness.sweep_ray).

The first test of a recipe starts the Ray sweep of every (variant, target) the session
selected for that recipe (its tests carry the `hil_recipe` marker); each test then waits for
its own job, while the others run on the cluster. The session records the rows (one writer),
as without Ray. One recipe's sweep runs at a time: Ray joins one cluster per process.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .sweep import SweepItem
from .sweep_ray import ray_sweep

__all__ = ["RaySweeps"]


class RaySweeps:
    """The Ray sweeps of one pytest session, one recipe at a time."""

    def __init__(self, address: str, quick: bool, subset: int | None,
                 items: Sequence[Any]) -> None:
        self.address, self.quick, self.subset, self.items = address, quick, subset, items
        self.running: tuple[Path, Iterator[SweepItem]] | None = None
        self.done: dict[tuple[Path, str, str], SweepItem] = {}

    def item(self, recipe: Path, variant: str, target: str) -> SweepItem:
        """The finished job of (variant, target), from the recipe's Ray sweep."""
        recipe = Path(recipe).resolve()
        key = (recipe, variant, target)
        if key not in self.done and (self.running is None or self.running[0] != recipe):
            self.close()
            variants, targets = self._selected(recipe, variant, target)
            self.running = (recipe, ray_sweep(self.address, recipe, targets, only=variants,
                                              quick=self.quick, subset=self.subset))
        while key not in self.done and self.running is not None:
            try:
                got = next(self.running[1])
            except StopIteration:
                self.running = None
                break
            self.done[(recipe, got.variant, got.target)] = got
        if key not in self.done:
            return SweepItem(variant, target, error=f"{variant} on {target}: the Ray sweep of "
                             f"{recipe.name} ended without this job")
        return self.done.pop(key)

    def close(self, drain: bool = True) -> None:
        """Leave the cluster: after the running sweep's last job (its results are kept), or at
        once with `drain=False` (the end of the session: jobs no test waits for are dropped)."""
        if self.running is not None:
            recipe, sweep = self.running
            self.running = None
            if not drain:
                close = getattr(sweep, "close", None)
                if close is not None:
                    close()
                return
            for got in sweep:
                self.done[(recipe, got.variant, got.target)] = got

    def _selected(self, recipe: Path, variant: str, target: str) -> tuple[list[str], list[str]]:
        """The variants and targets of the session's tests of `recipe`."""
        variants, targets = [variant], [target]
        for test in self.items:
            marker = test.get_closest_marker("hil_recipe")
            params = getattr(getattr(test, "callspec", None), "params", {})
            if marker is None or Path(marker.args[0]).resolve() != recipe:
                continue
            if "variant" in params and params["variant"] not in variants:
                variants.append(params["variant"])
            if "hil_target" in params and params["hil_target"] not in targets:
                targets.append(params["hil_target"])
        return variants, targets
