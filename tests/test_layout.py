"""The shape of the package: small files, and imports that follow the data flow
(importers/ir -> golden/lower -> codegen -> build/firmware -> backends -> bench/measure ->
results -> report -> cli/pytest_plugin)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness.paths import REPO_ROOT

HARNESS = REPO_ROOT / "harness"

# Layers, lowest first; a module may import its own layer and the ones below (a module not
# listed here is not checked). measure (Metric, the provenance vocabulary) sits with build:
# every backend returns Metrics.
LAYERS = [
    ("errors", "paths", "commands", "ir", "fixedpoint", "fixedpoint16", "op_params", "cache",
     "catalog", "inputs", "target_schema", "targets", "datasets", "accuracy", "zoo", "training",
     "ray_cluster"),
    ("golden", "golden_ops", "lower", "lower_seq", "lower_lstm8", "lower_more", "lower_int8_tf",
     "importers", "litert_ref", "compare", "reference_check",
     "variants", "fuzz", "exits"),
    ("codegen",),
    ("build", "measure", "artifacts", "firmware", "iss", "rvtiming", "mlperf_dut", "launch",
     "remote", "power"),
    ("backends",),
    ("bench", "evaluate", "sweep", "exit_bench", "pipeline", "export", "sweep_ray", "tokendrop"),
    ("results",),
    ("report",),
    ("cli", "cli_gate", "cli_export", "pytest_plugin", "pytest_ray", "recipe_suite"),
]
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}
SMALL_BACKENDS = ("qemu", "iss_arm", "iss_rv", "verilator")


def _modules() -> list[Path]:
    return sorted(p for p in HARNESS.rglob("*.py") if "__pycache__" not in p.parts)


def _top(path: Path) -> str:
    rel = path.relative_to(HARNESS)
    return rel.parts[0].removesuffix(".py")


def _imported_tops(path: Path) -> set[str]:
    """The harness top-level modules `path` imports (relative or absolute)."""
    tree = ast.parse(path.read_text())
    depth_of_package = len(path.relative_to(HARNESS).parts) - 1
    tops: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                parts = (node.module or "").split(".")
                if parts[0] == "harness" and len(parts) > 1:
                    tops.add(parts[1])
                continue
            up = node.level - 1                  # packages above the module's own
            if up > depth_of_package:
                continue
            base = list(path.relative_to(HARNESS).parts[:depth_of_package - up])
            parts = base + (node.module.split(".") if node.module else [])
            if parts:
                tops.add(parts[0])
            else:                                # from . import x (at the harness root)
                tops.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "harness" and len(parts) > 1:
                    tops.add(parts[1])
    return {t.removesuffix(".py") for t in tops}


def test_no_python_file_in_harness_reaches_500_lines() -> None:
    sizes = {str(p.relative_to(REPO_ROOT)): len(p.read_text().splitlines()) for p in _modules()}
    assert max(sizes.values()) < 500, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]


@pytest.mark.parametrize("name", SMALL_BACKENDS)
def test_simulator_backends_stay_small(name: str) -> None:
    lines = len((HARNESS / "backends" / f"{name}.py").read_text().splitlines())
    assert lines < 250, f"harness/backends/{name}.py has {lines} lines"


def test_imports_follow_the_data_flow() -> None:
    wrong = []
    for path in _modules():
        own = _top(path)
        if own in ("__init__", "__main__") or own not in LAYER_OF:
            continue
        for top in _imported_tops(path):
            if top in LAYER_OF and LAYER_OF[top] > LAYER_OF[own]:
                wrong.append(f"{path.relative_to(REPO_ROOT)} imports harness.{top}")
    assert not wrong, wrong


def test_rtl_never_imports_harness() -> None:
    for path in sorted((REPO_ROOT / "rtl").rglob("*.py")):
        assert "harness" not in _imported_tops_absolute(path), path


def _imported_tops_absolute(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
    return names
