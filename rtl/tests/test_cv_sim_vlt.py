"""rtl/cv32e40x/cv_sim.vlt (split_var on the controller's struct ports, isolate_assignments
in the MPU): the default build uses it, with it Verilator schedules CV32E40X (NNX = 0)
without any combinational loop, and the model runs the firmware cycle for cycle like the
build without it (plain Verilator defaults)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from rtl.tests.test_cv32e40x import _missing

pytestmark = [pytest.mark.rtl, pytest.mark.skipif(_missing() is not None,
                                                  reason=_missing() or "")]

_SIM_SECONDS = re.compile(r" sim_seconds=[0-9.]+")


def _schedule_stats(tmp: Path, flags: str) -> dict[str, int]:
    """Integer statistics by name of `verilator --cc --stats` on build.py's command for cv_soc
    (NNX = 0) with flag set `flags`, without the C++ build."""
    from rtl.bench.build import MAIN_CPP
    from rtl.cv32e40x.build import core_sources, verilate_command
    from rtl.toolchain import verilator_env
    cmd = verilate_command(tmp, core_sources(), nnx=False, ram_bytes=4 << 20, flags=flags)
    for opt in ("--exe", "--build"):
        cmd.remove(opt)
    for opt in ("-j", "-o", "-MAKEFLAGS", "-CFLAGS"):      # options with a value
        while opt in cmd:
            i = cmd.index(opt)
            del cmd[i:i + 2]
    cmd.remove(str(MAIN_CPP))
    (tmp / "obj").mkdir(parents=True)
    r = subprocess.run([*cmd, "--stats"], env=verilator_env(), capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    (stats,) = (tmp / "obj").glob("*__stats.txt")
    out: dict[str, int] = {}
    for line in stats.read_text().splitlines():
        m = re.match(r"\s*(.*?)\s{2,}(\d+)$", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def test_default_build_passes_the_config() -> None:
    from rtl.cv32e40x.build import (
        DEFAULT_FLAGS,
        SIM_CONFIG,
        core_sources,
        flag_set,
        verilate_command,
    )
    assert str(SIM_CONFIG) in flag_set(DEFAULT_FLAGS)
    sources = core_sources()
    cmd = verilate_command(Path("out"), sources, nnx=False, ram_bytes=4096)
    assert cmd.index(str(SIM_CONFIG)) < cmd.index(str(sources[0]))   # read before the RTL


def test_default_flags_leave_no_combinational_loop(tmp_path: Path) -> None:
    """Without the configuration the scheduler iterates a loop of ~300 logic blocks (the
    'act' region); with it and the default flag set's -fdfg-synthesize-all -fno-table, none."""
    from rtl.cv32e40x.build import DEFAULT_FLAGS
    default = _schedule_stats(tmp_path / "default", DEFAULT_FLAGS)
    plain = _schedule_stats(tmp_path / "plain", "plain")
    blocks, active = "Scheduling, Cycles, cyclic logic blocks", "Scheduling, size of region: Active"
    split = "SplitVar, packed variables split due to attribute"
    assert plain[blocks] > 100 and plain[active] > 1000 and plain[split] == 0, plain
    assert default.get(blocks, 0) == 0 and default[active] == 0 and default[split] > 0, default


def test_split_build_runs_cycle_for_cycle_like_plain(tmp_path: Path) -> None:
    """dot.c (int8 FC layer, scalar and emulated nnx) on the default build and on "plain"
    (no configuration file): the same console, counters and simulated cycles."""
    from rtl.bench.run import bench_command
    from rtl.cv32e40x.build import DEFAULT_FLAGS, build_cv_bench
    from rtl.sw.build import SW_DIR, build_elf
    assert DEFAULT_FLAGS != "plain"
    elf = build_elf([SW_DIR / "tests" / "dot.c"], tmp_path / "dot.elf",
                    extra_cflags=["-DHB_COUNTERS_ENABLE=1"])
    consoles = []
    for flags in (DEFAULT_FLAGS, "plain"):
        exe = build_cv_bench(flags=flags)
        p = subprocess.run(bench_command(exe, elf, 5_000_000), capture_output=True, text=True,
                           timeout=600)
        assert p.returncode == 0, (flags, p.stdout[-500:], p.stderr[-500:])
        consoles.append(_SIM_SECONDS.sub("", p.stdout))
    assert "OK\n" in consoles[0] and "status=exit" in consoles[0]
    assert consoles[0] == consoles[1]
