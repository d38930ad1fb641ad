"""How much a metric may change between a baseline and a candidate before the gate calls it a
regression.

Each gated metric has a rule: its kind (a relative change for costs, absolute percentage points
for accuracies, exact for bit-exactness) and which direction is better. The default tolerance
depends on how the number was obtained: deterministic provenances (cycle models, RTL cycles,
instruction counts, static sizes, a fixed data set) get zero, noisy ones (wall clock, power
sensors, board counters) a default fraction, widened to the recorded spread when there is one.
A tolerance given by the user (`--tolerance metric=VALUE` or a gate.yaml) replaces the default.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from harness.errors import ResultsError

__all__ = ["MetricRule", "RULES", "DETERMINISTIC", "NOISY_DEFAULTS", "SPREAD_COLUMNS",
           "parse_tolerance", "parse_tolerances", "load_tolerance_file", "allowed_change"]


@dataclass(frozen=True)
class MetricRule:
    """`kind`: "relative" (tolerance is a fraction of the baseline), "points" (tolerance in
    percentage points of a 0..1 fraction) or "exact" (no tolerance unless given, then relative)."""

    kind: str
    higher_is_better: bool = False


RULES: dict[str, MetricRule] = {
    "cycles_per_inference": MetricRule("relative"),
    "instructions_per_inference": MetricRule("relative"),
    "latency_ms": MetricRule("relative"),
    "energy_uj_per_inference": MetricRule("relative"),
    "flash_bytes": MetricRule("exact"),
    "ram_bytes": MetricRule("exact"),
    "accuracy": MetricRule("points", higher_is_better=True),
    "balanced_accuracy": MetricRule("points", higher_is_better=True),
}

# The same inputs give the same number: any change is real.
DETERMINISTIC = frozenset({"rtl-cycle-exact", "iss-cycle-model", "instructions", "static-analysis",
                           "energy-model", "dataset", "golden-dataset"})
# Default relative tolerance of noisy provenances (a user tolerance replaces it).
NOISY_DEFAULTS = {"wall-clock": 0.10, "power-sensor": 0.10, "hw-counter": 0.02}
_OTHER_DEFAULT = 0.10   # a provenance hilbench does not know: treat it as noisy
# Recorded spread of a metric: (high, centre) columns; the gate allows at least high - centre.
SPREAD_COLUMNS = {"latency_ms": ("latency_p90_ms", "latency_median_ms")}


def parse_tolerance(metric: str, text: str) -> float:
    """A tolerance value for `metric` as a number in the rule's unit: a fraction for relative
    and exact metrics ("0.05" or "5%"), percentage points for accuracies ("0.5")."""
    rule = RULES.get(metric)
    if rule is None:
        raise ResultsError(f"--tolerance: {metric!r} is not a gated metric; choose one of: "
                           f"{', '.join(RULES)} (bit_exact admits no tolerance)")
    raw = text.strip()
    percent = raw.endswith("%")
    if percent and rule.kind == "points":
        raise ResultsError(f"--tolerance {metric}={text}: accuracy tolerances are percentage "
                           "points, give a plain number (0.5 = half a point)")
    try:
        value = float(raw.removesuffix("%"))
    except ValueError:
        raise ResultsError(f"--tolerance {metric}={text}: not a number (e.g. {metric}=0.02 "
                           f"or {metric}=2%)") from None
    if not math.isfinite(value) or value < 0:
        raise ResultsError(f"--tolerance {metric}={text}: must be a finite number >= 0")
    return value / 100.0 if percent else value


def parse_tolerances(items: list[str]) -> dict[str, float]:
    """`metric=VALUE` strings (repeatable --tolerance) as {metric: value}."""
    out: dict[str, float] = {}
    for item in items:
        metric, sep, value = item.partition("=")
        if not sep or not metric.strip():
            raise ResultsError(f"--tolerance {item!r}: write METRIC=VALUE, e.g. latency_ms=5%")
        out[metric.strip()] = parse_tolerance(metric.strip(), value)
    return out


def load_tolerance_file(path: Path) -> dict[str, float]:
    """A gate.yaml: `tolerances: {metric: value, ...}` (values as on the command line)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise ResultsError(f"cannot read the gate config {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ResultsError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("tolerances", {}), dict) \
            or set(data) - {"tolerances"}:
        raise ResultsError(f"{path}: expected a mapping with one key `tolerances: "
                           "{metric: value}`, e.g. tolerances: {latency_ms: 5%}")
    return {str(k): parse_tolerance(str(k), str(v)) for k, v in (data.get("tolerances") or {}).items()}


def allowed_change(metric: str, baseline: float, provenance: str, given: float | None,
                   spread: float | None = None) -> tuple[float, str]:
    """The largest change in the bad direction that still passes, in the metric's own unit,
    and a few words saying where it comes from."""
    rule = RULES[metric]
    if given is not None:
        if rule.kind == "points":
            return given / 100.0, f"{given:g} points (given)"
        return given * abs(baseline), f"{given:.4g} relative (given)"
    if provenance in DETERMINISTIC or rule.kind == "exact":
        return 0.0, f"exact ({provenance}, deterministic)" if provenance in DETERMINISTIC \
            else "exact (default for sizes)"
    fraction = NOISY_DEFAULTS.get(provenance, _OTHER_DEFAULT)
    if rule.kind == "points":
        allowed, why = fraction / 100.0, f"{fraction:g} points ({provenance} default)"
    else:
        allowed, why = fraction * abs(baseline), f"{fraction:.0%} ({provenance} default)"
    if spread is not None and spread > allowed:
        return spread, f"recorded spread {spread:.4g} ({provenance})"
    return allowed, why
