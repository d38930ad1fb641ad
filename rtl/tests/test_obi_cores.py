"""CV32E40P and Ibex on rtl/soc/obi_soc.sv (with the RAM of rtl/soc/obi_mem.sv) run the
hb_soc firmware on the same hb_bench top: console, counters, exit code, the int8 FC layer
of dot.c (scalar vs the emulated nnx C, checked by the program itself), and an illegal
instruction ending the run as a trap with the core's mcause (and Ibex's mtval)."""
from __future__ import annotations

import importlib
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.rtl

CORES = ("cv32e40p", "ibex")
FLAGS = ["-DHB_COUNTERS_ENABLE=1"]      # as the cv32e40p / ibex targets build the firmware
UNIMP = 0xC0001073                      # csrrw x0, cycle, x0: a write to a read-only CSR


def _missing(core: str) -> str | None:
    from rtl.toolchain import ToolMissing, missing_tools
    missing = missing_tools("verilator", "riscv-gcc")
    if missing:
        return "; ".join(missing)
    try:
        importlib.import_module(f"rtl.{core}.build").package_root()
    except ToolMissing as exc:
        return str(exc)
    return None


def _run(exe: Path, elf: Path, max_cycles: int):
    from rtl.bench.run import bench_command, parse_output
    p = subprocess.run(bench_command(exe, elf, max_cycles), capture_output=True, timeout=600)
    return parse_output(p.returncode, p.stdout, p.stderr.decode(errors="replace"))


@pytest.mark.parametrize("core", CORES)
def test_obi_soc_runs_the_firmware_and_traps(core: str, tmp_path: Path) -> None:
    problem = _missing(core)
    if problem:
        pytest.skip(problem)
    from rtl.sw.build import SW_DIR, build_elf
    exe = importlib.import_module(f"rtl.{core}.build").build_bench()
    for name, expect in (("hello", "hello from hb_core\nmcycle>0 1 minstret>0 1\n"),
                         ("dot", None)):
        elf = build_elf([SW_DIR / "tests" / f"{name}.c"], tmp_path / f"{name}.elf",
                        extra_cflags=FLAGS)
        r = _run(exe, elf, 5_000_000)
        assert (r.status, r.exit_code) == ("exit", 0), (core, name, r.fields, r.stderr)
        assert 0 < r.minstret < r.mcycle <= r.cycles
        if expect is not None:
            assert r.stdout.decode() == expect
        else:
            assert r.stdout.decode().splitlines()[-1] == "OK"

    (tmp_path / "bad.c").write_text(
        "#include \"hb_rv.h\"\n"
        "int main(void) { hb_puts(\"before\\n\");\n"
        f"  __asm__ volatile (\".word {UNIMP:#x}\"); hb_puts(\"after\\n\"); return 0; }}\n")
    elf = build_elf([tmp_path / "bad.c"], tmp_path / "bad.elf", extra_cflags=FLAGS)
    r = _run(exe, elf, 1_000_000)
    assert r.status == "trap" and r.fields["cause"] == "2", r.fields
    # Ibex's controller also $displays "Illegal instruction ... at PC ..." (simulation only)
    out = r.stdout.decode()
    assert out.startswith("before\n") and "after" not in out, out
    pc = int(r.fields["pc"], 16)
    assert 0 < pc < 0x10000 and pc % 4 == 0
    # Ibex writes the faulting instruction to mtval; CV32E40P has no mtval (reads 0)
    assert int(r.fields["tval"], 16) == (UNIMP if core == "ibex" else 0)
