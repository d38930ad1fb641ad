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


@pytest.mark.skipif(_missing() is not None, reason=_missing() or "")
def test_random_nnx_program_through_cv_x_if(tmp_path: Path) -> None:
    """The random nnx program of test_vexriscv (400 ops) through the CV-X-IF coprocessor:
    every result equals the golden model's; an unknown custom-0 encoding is not accepted,
    so the core raises an illegal-instruction trap (mcause 2) at its pc."""
    from rtl.bench.run import bench_command, parse_output
    from rtl.cv32e40x.build import build_cv_bench
    from rtl.sw.build import build_elf
    from rtl.tests.test_vexriscv import random_program
    exe = build_cv_bench(nnx=True)
    flags = ["-DHB_COUNTERS_ENABLE=1", "-DNNX_NO_RD_OPERAND=1"]
    src, want = random_program(11, 400, bank=False)   # cv_xif_nnx has no accumulator bank
    (tmp_path / "prog.c").write_text(src)
    elf = build_elf([tmp_path / "prog.c"], tmp_path / "prog.elf", nnx=True, extra_cflags=flags)
    p = subprocess.run(bench_command(exe, elf, 20_000_000), capture_output=True, timeout=600)
    r = parse_output(p.returncode, p.stdout, p.stderr.decode(errors="replace"))
    assert (r.status, r.exit_code) == ("exit", 0), (r.fields, r.stderr)
    got = [int(x, 16) for x in r.stdout.decode().split()]
    assert got == want
    (tmp_path / "bad.c").write_text(
        "int main(void) { int r; __asm__ volatile (\".insn r CUSTOM_0, 6, 10, %0, x0, x0\""
        " : \"=r\"(r)); return r; }\n")
    elf = build_elf([tmp_path / "bad.c"], tmp_path / "bad.elf", extra_cflags=flags)
    p = subprocess.run(bench_command(exe, elf, 1_000_000), capture_output=True, timeout=600)
    r = parse_output(p.returncode, p.stdout, p.stderr.decode(errors="replace"))
    assert r.status == "trap" and r.fields["cause"] == "2", r.fields
