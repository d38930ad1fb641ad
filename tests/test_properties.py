"""Property-based tests (hypothesis) of the three formats hilbench reads from outside:
target.yaml (harness.targets.load_target), the MLPerf Tiny device lines (harness.mlperf_dut)
and the ssh runner's answer (harness.remote.result). Inputs are mutations of real documents
and random text; the outcome is the correct result or a clean HilbenchError, never another
exception, and never a negative or NaN figure. Bounded to a few seconds in total.

The target.yaml property only uses the public contract (load_target(path) returns a target or
raises TargetConfigError), so it holds for any implementation of the parser."""
from __future__ import annotations

import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from harness.errors import HilbenchError, TargetConfigError  # noqa: E402
from harness.mlperf_dut import COUNT_MAX, parse_infer, parse_profile  # noqa: E402
from harness.remote.figures import latency_metrics, power_figures  # noqa: E402
from harness.remote.result import parse_result  # noqa: E402
from harness.targets import load_target, targets_dir  # noqa: E402

# CI: a fixed, small sample (a few seconds). HILBENCH_PROPERTY_EXAMPLES=5000 explores more,
# with fresh random examples each run.
_EXAMPLES = int(os.environ.get("HILBENCH_PROPERTY_EXAMPLES", "0"))
BOUNDED = settings(max_examples=_EXAMPLES or 100, deadline=None, derandomize=not _EXAMPLES,
                   suppress_health_check=[HealthCheck.too_slow], database=None)

scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=8)
odd_values = (scalars | st.lists(scalars, max_size=3) | st.dictionaries(st.text(max_size=6), scalars,
                                                                         max_size=3)
              | st.sampled_from([-1, 0, -1e9, float("nan"), float("inf"), 10**400 // 10**300,
                                 "", "~", "${UNSET_HILBENCH_VAR}", [], {}]))


# ---- target.yaml ----------------------------------------------------------------------

TARGET_DOCS = {p.parent.name: yaml.safe_load(p.read_text())
               for p in sorted(targets_dir().glob("*/target.yaml"))}


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append(prefix + (k,))
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.append(prefix + (i,))
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def mutated_targets(draw: st.DrawFn) -> str:
    import copy

    name = draw(st.sampled_from(sorted(TARGET_DOCS)))
    doc = copy.deepcopy(TARGET_DOCS[name])
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()):
            del parent[path[-1]]                     # drop a key / an element
        else:
            parent[path[-1]] = draw(odd_values)       # another type, a negative, a string
    if not isinstance(doc, dict) or draw(st.integers(0, 9)) == 0:
        doc = draw(json_values)
    text = yaml.safe_dump(doc, allow_unicode=True)
    if draw(st.integers(0, 5)) == 0:                 # and sometimes broken YAML text
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=5)) + text[at:]
    return text


def _positive_or_none(value: Any) -> bool:
    return value is None or (not isinstance(value, bool) and isinstance(value, (int, float))
                             and 0 < value < math.inf)


@BOUNDED
@given(mutated_targets())
def test_target_yaml_is_loaded_or_refused_cleanly(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "mutant" / "target.yaml"
        file.parent.mkdir()
        file.write_text(text, encoding="utf-8")
        try:
            target = load_target(file)
        except TargetConfigError:
            return
    for key in ("clock_hz", "timeout_s", "default_inputs", "flash_bytes", "ram_bytes"):
        assert _positive_or_none(getattr(target, key, None)), (key, getattr(target, key, None))


def test_the_real_targets_still_load() -> None:
    for name in TARGET_DOCS:
        load_target(name)


# ---- MLPerf Tiny device lines ---------------------------------------------------------

GOOD_INFER = ["m-warmup-start-1", "m-warmup-done", "m-infer-start-2", "m-lap-us-10",
              "m-lap-us-30", "m-infer-done", "m-results-[0.250,-1.500]", "m-hb-output-[40c0]",
              "m-hb-count-[1234]", "m-hb-layers-[1000,200]"]
numbers = st.one_of(st.integers(-2**70, 2**70).map(str), st.sampled_from(
    ["0", "-0", "1e3", "0x10", " 5", "5 ", "+5", "1_000", "", "nan", "18446744073709551616",
     "1" + "0" * 400, "١٢", "5\n"]), st.text(max_size=6))


@st.composite
def device_answers(draw: st.DrawFn) -> list[str]:
    lines = list(GOOD_INFER)
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(lines)))
        choice = draw(st.integers(0, 3))
        if choice == 0 and lines and i < len(lines):
            del lines[i]
        elif choice == 1 and i < len(lines):             # a number replaced
            line = lines[i]
            head = line[:line.index("[") + 1] if "[" in line else line.rstrip("0123456789")
            tail = "]" if "[" in line else ""
            parts = draw(st.lists(numbers, min_size=1, max_size=3))
            lines[i] = head + ",".join(parts) + tail
        elif choice == 2:
            lines.insert(i, draw(st.sampled_from(GOOD_INFER)))   # a line repeated
        else:
            lines.insert(i, draw(st.text(max_size=20)))            # noise
    return lines


@BOUNDED
@given(device_answers(), st.integers(1, 3), st.integers(0, 2))
def test_device_lines_parse_or_are_refused(lines: list[str], n: int, warmup: int) -> None:
    parse_profile(lines)
    try:
        r = parse_infer(lines, n, warmup, "board")
    except HilbenchError:
        return
    assert r.count is None or 1 <= r.count <= COUNT_MAX
    assert all(0 <= c <= COUNT_MAX for c in r.layers)
    assert r.count is None or sum(r.layers) <= r.count
    assert r.lap_us is None or all(0 <= t <= COUNT_MAX for t in r.lap_us)


# ---- the ssh runner's answer ----------------------------------------------------------

N, REPEATS = 2, 3


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _good() -> tuple[dict[str, Any], dict[str, bytes]]:
    result = {"ok": True, "kernels": "ref", "num_threads": None, "n": N, "repeats": REPEATS,
              "warmup": 1, "outputs": ["output_0.npy"], "latency": "latency_ns.npy",
              "power": {"source": "sysfs", "error": None,
                        "samples": {"t": [0.0, 0.5, 1.0, 1.5], "rails": {"VDD_IN": [1.0, 1.2, 4.0, 4.5]}},
                        "idle": [0.0, 0.5], "active": [1.0, 1.5], "inferences": 8}}
    files = {"output_0.npy": _npy(np.arange(N * 4, dtype=np.int8).reshape(N, 4)),
             "latency_ns.npy": _npy(np.arange(1, N * REPEATS + 1, dtype=np.int64) * 1000)}
    return result, files


def _array(dtype: str, shape: tuple[int, ...], fill: float) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        return np.full(shape, fill).astype(dtype)


arrays = st.builds(
    _array,
    st.sampled_from(["int8", "uint8", "int64", "float32", "float64", "bool", "<U2"]),
    st.lists(st.integers(0, 4), max_size=3).map(tuple),
    st.sampled_from([0, 1, -1, 127, float("nan"), float("inf"), -1e12]))


@st.composite
def runner_answers(draw: st.DrawFn) -> tuple[bytes, dict[str, bytes]]:
    result, files = _good()
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from(["result", "power", "samples", "file"]))
        if where == "file":
            name = draw(st.sampled_from(sorted(files)))
            how = draw(st.integers(0, 2))
            if how == 0:
                files[name] = files[name][:draw(st.integers(0, len(files[name])))]
            elif how == 1:
                files[name] = _npy(draw(arrays))
            elif files[name]:
                data = bytearray(files[name])
                data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
                files[name] = bytes(data)
            continue
        power = result.get("power")
        section = {"result": result, "power": power,
                   "samples": power.get("samples") if isinstance(power, dict) else None}[where]
        if not isinstance(section, dict) or not section:
            continue
        key = draw(st.sampled_from(sorted(section)))
        if draw(st.booleans()):
            del section[key]
        else:
            section[key] = draw(json_values | st.sampled_from(
                [["../latency_ns.npy"], "/etc/passwd", -1, N + 1, [1.0, 0.0]]))
    raw = json.dumps(result).encode()
    if draw(st.integers(0, 9)) == 0:
        raw = raw[:draw(st.integers(0, len(raw)))]
    return raw, files


@BOUNDED
@given(runner_answers())
def test_runner_answers_parse_or_are_refused(answer: tuple[bytes, dict[str, bytes]]) -> None:
    raw, files = answer

    def fetch(name: str) -> bytes:
        assert "/" not in name and name not in ("", ".", "..")
        if name not in files:
            raise HilbenchError(f"no {name} on the board")
        return files[name]

    try:
        r = parse_result(raw, fetch, n=N, repeats=REPEATS, output_specs=[((4,), "int8")],
                         where="b")
    except HilbenchError:
        return
    assert [a.shape for a in r.outputs] == [(N, 4)]
    metrics = latency_metrics(r.latency_ns, r.n, r.repeats, r.warmup, r.kernels, r.num_threads)
    power, _summary = power_figures(r.power, None)
    for name, metric in {**metrics, **power}.items():
        assert math.isfinite(metric.value) and metric.value >= 0, (name, metric)


@pytest.mark.parametrize("text, message", [
    ("backend: serial\nclock_hz: -25000000\n", "clock_hz: expected an integer > 0, got -25000000"),
    ("backend: host\ntimeout_s: .nan\n", "timeout_s: expected a number > 0.0, got nan"),
    ("backend: host\ndefault_inputs: 0\n", "default_inputs: expected an integer > 0, got 0"),
    ("backend: host\nclock_hz: 0\n", "clock_hz: expected an integer > 0, got 0"),
    ("backend: host\ndefault_inputs: -3\n", "default_inputs: expected an integer > 0"),
    ("backend: host\nmemory: true\n", "memory: expected a mapping"),
    ("backend: host\nenergy: {volts: -1.8, ua_per_mhz: 100}\n", "energy.volts: expected a number > 0"),
    ("backend: null\n", "backend: expected a string, got 'NoneType'"),
    ("backend: [qemu]\n", "backend: expected a string, got 'list'"),
])
def test_target_yaml_examples(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "target.yaml").write_text(text)
    with pytest.raises(TargetConfigError, match=message):
        load_target(tmp_path / "t" / "target.yaml")


def test_target_yaml_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "target.yaml").write_bytes(b"backend: host\ndescription: \xff\xfe\n")
    with pytest.raises(TargetConfigError, match="not UTF-8 text"):
        load_target(tmp_path / "t" / "target.yaml")
