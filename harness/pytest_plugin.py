"""pytest plugin (entry point `pytest11`): benchmarks are ordinary tests.

Options (group "hilbench"): --hil-target (repeatable), --hil-results, --hil-inputs, --hil-seed,
--hil-no-record; for recipe suites --hil-quick, --hil-subset and --hil-ray (its tests as Ray
tasks: harness.pytest_ray). A test asking for `hil_target` runs once per selected target;
`hil_bench(path)` compiles, runs, checks against golden and records one Measurement (a run
whose outputs disagree with golden fails the test and records nothing); `hil_record(m)` is
the one narrow way to store a measurement. A target that is unavailable turns into a skip with
its reason; a target that hung once is marked broken and later tests on it skip at once.
The terminal summary lists what this session measured (all xdist workers included).
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Callable

import pytest

from .errors import RunTimeoutError, TargetUnavailableError
from .measure import Measurement, RunContext

_CTX = pytest.StashKey[RunContext]()
_BROKEN = pytest.StashKey[dict[str, str]]()
_LOCAL = pytest.StashKey[list[Measurement]]()
_RAY = pytest.StashKey[Any]()          # harness.pytest_ray.RaySweeps, with --hil-ray


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("hilbench", "hilbench hardware-in-the-loop benchmarks")
    g.addoption("--hil-target", action="append", default=None, metavar="NAME",
                help="target to benchmark on (repeatable; default: host)")
    g.addoption("--hil-results", default=None, metavar="PATH",
                help="results database (default: $HILBENCH_RESULTS or results/hilbench.sqlite)")
    g.addoption("--hil-inputs", type=int, default=None, metavar="N",
                help="random inputs per model checked against golden (default: the target's "
                "default_inputs, else 100)")
    g.addoption("--hil-kernels", default=None, metavar="NAME",
                help="C kernel set instead of each target's own (ref, armv7em, rvx)")
    g.addoption("--hil-weight-format", default=None, metavar="NAME",
                help="int8 CONV_2D / FC weight storage: auto (default), dense, sparse, packed")
    g.addoption("--hil-seed", type=int, default=0, metavar="S", help="input seed (default: 0)")
    g.addoption("--hil-no-record", action="store_true", help="do not write to the results store")
    g.addoption("--hil-quick", action="store_true", default=bool(os.environ.get("CI")),
                help="recipes train with their quick (CI-sized) setting (default: on when $CI is set)")
    g.addoption("--hil-subset", type=int, default=None, metavar="N",
                help="recipes: run a class-stratified subset of N test samples on every target "
                "(default: the recipe's eval.subset per target, else the whole test set)")
    g.addoption("--hil-ray", default=None, metavar="ADDRESS",
                help="recipes: run the selected (variant, target) tests as tasks on a Ray "
                "cluster ('auto': a local Ray; HOST:PORT: a head of `ray start --head`); the "
                "session records the rows")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: long-running benchmark or test")
    config.addinivalue_line("markers", "sim: needs a simulator or cross toolchain")
    config.addinivalue_line("markers", "hil_recipe(path): the test runs a variant of this "
                            "recipe (recipe suites; --hil-ray schedules them together)")
    if config.getoption("--hil-ray") and config.getoption("numprocesses", None):
        raise pytest.UsageError("--hil-ray and -n (pytest-xdist) exclude each other: the Ray "
                                "cluster already runs the tests in parallel")
    worker = getattr(config, "workerinput", None)
    if worker is not None and "hil_context" in worker:
        config.stash[_CTX] = RunContext(**worker["hil_context"])
    else:
        config.stash[_CTX] = RunContext.collect()
    config.stash[_BROKEN] = {}
    config.stash[_LOCAL] = []


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker records under the controller's run id."""
    node.workerinput["hil_context"] = dataclasses.asdict(node.config.stash[_CTX])


def pytest_unconfigure(config: pytest.Config) -> None:
    sweeps = config.stash.get(_RAY, None)
    if sweeps is not None:
        sweeps.close(drain=False)


def _targets(config: pytest.Config) -> list[str]:
    return config.getoption("--hil-target") or ["host"]


def _results_path(config: pytest.Config) -> Path:
    from .results import DEFAULT_RESULTS_PATH

    opt = config.getoption("--hil-results")
    return Path(opt or os.environ.get("HILBENCH_RESULTS") or DEFAULT_RESULTS_PATH)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "hil_target" in metafunc.fixturenames:
        names = _targets(metafunc.config)
        metafunc.parametrize("hil_target", names, ids=names, scope="session")


@pytest.fixture(scope="session")
def hil_context(pytestconfig: pytest.Config) -> RunContext:
    return pytestconfig.stash[_CTX]


@pytest.fixture
def hil_record(pytestconfig: pytest.Config) -> Callable[[Measurement], int | None]:
    """Store one Measurement under this session's run id; returns its row id."""

    def record(m: Measurement) -> int | None:
        pytestconfig.stash[_LOCAL].append(m)
        if pytestconfig.getoption("--hil-no-record"):
            return None
        from .results import ResultStore

        return ResultStore(_results_path(pytestconfig)).record(m, pytestconfig.stash[_CTX])

    return record


@pytest.fixture
def hil_bench(pytestconfig: pytest.Config, hil_target: str,
              hil_record: Callable[[Measurement], int | None]) -> Callable[..., Any]:
    """`hil_bench(model_path, **options) -> BenchResult` on the current `hil_target`."""
    from .bench import bench_model

    broken = pytestconfig.stash[_BROKEN]

    def run(model_path: str | Path, **options: Any) -> Any:
        if hil_target in broken:
            pytest.skip(f"target {hil_target} is marked broken: {broken[hil_target]}")
        if pytestconfig.getoption("--hil-inputs") is not None:
            options.setdefault("n_inputs", pytestconfig.getoption("--hil-inputs"))
        options.setdefault("seed", pytestconfig.getoption("--hil-seed"))
        if pytestconfig.getoption("--hil-kernels"):
            options.setdefault("kernels", pytestconfig.getoption("--hil-kernels"))
        if pytestconfig.getoption("--hil-weight-format"):
            options.setdefault("weight_format", pytestconfig.getoption("--hil-weight-format"))
        try:
            result = bench_model(model_path, hil_target, **options)
        except TargetUnavailableError as exc:
            pytest.skip(str(exc))
        except RunTimeoutError as exc:
            broken[hil_target] = str(exc)
            raise
        c = result.comparison
        if not c.ok:  # a wrong result is a failure, and records nothing
            pytest.fail(f"{Path(model_path).name} on {hil_target}: outputs disagree with the "
                        f"golden interpreter ({c.mismatches} elements differ, max |diff| "
                        f"{c.max_abs_diff:g}, top-1 agreement {c.top1_agreement:.0%}); nothing "
                        "recorded", pytrace=False)
        hil_record(result.measurement)
        return result

    return run


@pytest.fixture
def hil_variant(pytestconfig: pytest.Config, hil_target: str, request: pytest.FixtureRequest,
                hil_record: Callable[[Measurement], int | None]) -> Callable[..., Measurement]:
    """`hil_variant(recipe_path, variant) -> Measurement`: the variant of a recipe (trained and
    converted through the cache) run on the current `hil_target` with the data set's test
    samples, scored, and recorded. A variant that fails, or disagrees with golden, fails the test."""
    from .sweep import sweep

    broken = pytestconfig.stash[_BROKEN]

    def run(recipe_path: str | Path, variant: str) -> Measurement:
        if hil_target in broken:
            pytest.skip(f"target {hil_target} is marked broken: {broken[hil_target]}")
        quick = pytestconfig.getoption("--hil-quick")
        subset = pytestconfig.getoption("--hil-subset")
        if pytestconfig.getoption("--hil-ray"):
            item = _ray_sweeps(pytestconfig, request).item(Path(recipe_path), variant, hil_target)
        else:
            item = list(sweep(Path(recipe_path), [hil_target], only=[variant], quick=quick,
                              subset=subset))[0]
        if item.unavailable:
            pytest.skip(item.error or "target unavailable")
        if item.measurement is None:
            if item.timed_out:
                broken[hil_target] = item.error or "timed out"
            pytest.fail(item.error or "no measurement", pytrace=False)
        hil_record(item.measurement)
        return item.measurement

    return run


def _ray_sweeps(config: pytest.Config, request: pytest.FixtureRequest) -> Any:
    if _RAY not in config.stash:
        from .pytest_ray import RaySweeps

        config.stash[_RAY] = RaySweeps(config.getoption("--hil-ray"),
                                       config.getoption("--hil-quick"),
                                       config.getoption("--hil-subset"), request.session.items)
    return config.stash[_RAY]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if getattr(config, "workerinput", None) is not None:
        return
    rows = _session_rows(config)
    if not rows:
        return
    tr = terminalreporter
    tr.section("hilbench measurements")
    from .report.tables import agreement

    header = ("model", "variant", "target", "agrees", "accuracy", "latency_ms", "cycles",
              "instructions", "flash_B", "ram_B")
    lines = [header] + [(
        _cell(r.get("model")), _cell(r.get("variant")), _cell(r.get("target")),
        _cell(agreement(r.get("bit_exact"), r.get("extra_json") or r)),
        *(_cell(r.get(k)) for k in ("accuracy", "latency_ms", "cycles_per_inference",
                                    "instructions_per_inference", "flash_bytes", "ram_bytes")))
        for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        tr.write_line("  ".join(c.ljust(w) for c, w in zip(line, widths)))
    if not config.getoption("--hil-no-record"):
        tr.write_line(f"recorded in {_results_path(config)} (run {config.stash[_CTX].run_id})")


def _session_rows(config: pytest.Config) -> list[dict[str, Any]]:
    from .measure import to_json_record

    if config.getoption("--hil-no-record"):
        return [to_json_record(m) for m in config.stash[_LOCAL]]
    path = _results_path(config)
    if not path.exists():
        return []
    from .results import ResultStore

    df = ResultStore(path).dataframe(run_id=config.stash[_CTX].run_id)
    return [] if df.empty else df.to_dict("records")


def _cell(value: Any) -> str:
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
