"""The gate on a real regression: ad01 (int8) on the Cortex-M4 cycle-model ISS, built once with
the shipped kernels (the baseline), once with a copy of the kernel tree whose fully-connected
kernel spins in a delay loop (the regression), and once more with the shipped kernels again
(the revert). The gate fails on the second run naming model, target, metric and both values,
and passes on the third; the baseline lives in a store file made by --update-baseline.
"""
from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

import pytest
from hb_testutil import model_path

import harness.codegen
from harness.cli import main
from harness.report.gate import _text
from harness.report.tables import format_value
from harness.results import ResultStore
from harness.targets import load_target

pytest.importorskip("unicorn")
pytest.importorskip("capstone")

from harness.backends.iss_arm import IssArmBackend  # noqa: E402

MODEL = model_path("ad01_int8")
DELAY = "    { volatile int32_t hb_delay; for (hb_delay = 0; hb_delay < 200; ++hb_delay) {} }\n"


@lru_cache(maxsize=1)
def _unavailable() -> str | None:
    if shutil.which("arm-none-eabi-gcc") is None:
        return "arm-none-eabi-gcc not found (Debian: apt-get install gcc-arm-none-eabi)"
    return IssArmBackend(load_target("cortex-m4-iss")).available()


pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(_unavailable() is not None, reason=_unavailable() or "")]


def _run(store: Path) -> None:
    code = main(["run", str(MODEL), "-t", "cortex-m4-iss", "-n", "2", "--results", str(store),
                 "--no-reference-check", "--quiet"])
    assert code == 0


def _slow_kernels(tmp_path: Path) -> Path:
    """A copy of the kernel tree whose FC kernel spends extra cycles per call."""
    root = tmp_path / "kernels"
    shutil.copytree(harness.codegen.KERNEL_ROOT, root)
    fc = root / "armv7em" / "arm_fc_s8_body.h"
    text = fc.read_text()
    anchor = "    int32_t b, oc;\n"
    assert anchor in text, "the FC kernel changed: update the anchor of this test"
    fc.write_text(text.replace(anchor, anchor + DELAY, 1))
    return root


def test_gate_fails_on_a_slower_kernel_and_passes_after_the_revert(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    store, baseline = tmp_path / "results.sqlite", tmp_path / "baseline.sqlite"
    _run(store)
    assert main(["gate", "--results", str(store), "--baseline", str(baseline),
                 "--update-baseline"]) == 0
    assert ResultStore(baseline).count() == 1
    capsys.readouterr()

    slow = _slow_kernels(tmp_path)
    with monkeypatch.context() as m:
        m.setattr(harness.codegen, "KERNEL_ROOT", slow)
        m.setattr(harness.codegen, "KERNEL_DIR", slow / "ref")
        _run(store)
    capsys.readouterr()
    junit = tmp_path / "gate.xml"
    assert main(["gate", "--results", str(store), "--baseline", str(baseline),
                 "--junit", str(junit)]) == 1
    out = capsys.readouterr().out
    df = ResultStore(store).dataframe().sort_values("id")
    # means over 2 inputs: printed as the gate and the history format them
    before, after = (float(v) for v in df["cycles_per_inference"])
    assert after > before
    line = next(x for x in out.splitlines() if "cycles_per_inference" in x)
    assert line.startswith("regression: ad/int8 on cortex-m4-iss [armv7em] cycles_per_inference")
    assert f"baseline {_text(before)} -> candidate {_text(after)}" in line, line
    assert "gate: FAIL" in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and int(suite.get("failures", "0")) >= 1
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert "cycles_per_inference" in failed and "flash_bytes" in failed

    _run(store)   # the shipped kernels again
    capsys.readouterr()
    assert main(["gate", "--results", str(store), "--baseline", str(baseline)]) == 0
    out = capsys.readouterr().out
    assert "gate: PASS" in out and "regression" not in out
    # the history shows the bump and the revert, in run order
    assert main(["history", "--results", str(store), "--model", "ad", "--target",
                 "cortex-m4-iss"]) == 0
    values = [line.split(": ")[1].split()[0] for line in capsys.readouterr().out.splitlines()]
    assert values == [format_value(before), format_value(after), format_value(before)]
