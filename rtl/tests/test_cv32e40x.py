"""CV32E40X (rtl/cv32e40x/cv_soc.sv, X_EXT = 0) runs the hb_soc firmware on the same
hb_bench top: console, counters, exit code, and the int8 FC layer of dot.c (scalar vs the
emulated nnx C, checked by the program itself)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl


def _missing() -> str | None:
    from rtl.toolchain import ToolMissing, missing_tools
    missing = missing_tools("verilator", "riscv-gcc")
    if missing:
        return "; ".join(missing)
    try:
        from rtl.cv32e40x.build import package_root
        package_root()
    except ToolMissing as exc:
        return str(exc)
    return None


@pytest.mark.skipif(_missing() is not None, reason=_missing() or "")
def test_cv_soc_runs_the_firmware(tmp_path: Path) -> None:
    from rtl.bench.run import bench_command, parse_output
    from rtl.cv32e40x.build import build_cv_bench
    from rtl.sw.build import SW_DIR, build_elf
    exe = build_cv_bench()
    flags = ["-DHB_COUNTERS_ENABLE=1"]
    for name, expect in (("hello", "hello from hb_core\nmcycle>0 1 minstret>0 1\n"),
                         ("dot", None)):
        elf = build_elf([SW_DIR / "tests" / f"{name}.c"], tmp_path / f"{name}.elf",
                        extra_cflags=flags)
        p = subprocess.run(bench_command(exe, elf, 5_000_000), capture_output=True, timeout=600)
        r = parse_output(p.returncode, p.stdout, p.stderr.decode(errors="replace"))
        assert (r.status, r.exit_code) == ("exit", 0), (name, r.fields, r.stderr)
        assert 0 < r.minstret < r.mcycle <= r.cycles
        if expect is not None:
            assert r.stdout.decode() == expect
        else:
            assert r.stdout.decode().splitlines()[-1] == "OK"
