"""The stand-alone Verilator benchmark top (rtl/bench): builds, runs firmware,
and rejects bad inputs with clear errors and distinct exit codes."""
from __future__ import annotations

import subprocess
import sys

import pytest

from rtl.tests.sim import require

pytestmark = pytest.mark.rtl


@pytest.fixture(scope="module")
def benches():
    require("verilator", "riscv-gcc")
    from rtl.bench.build import build_bench
    return {0: build_bench(nnx=False), 1: build_bench(nnx=True)}


@pytest.fixture(scope="module")
def fw(tmp_path_factory):
    require("riscv-gcc")
    from rtl.sw.build import SW_DIR, assemble, build_elf
    d = tmp_path_factory.mktemp("fw")
    t = SW_DIR / "tests"
    return {
        "hello": build_elf([t / "hello.c"], d / "hello.elf"),
        "dot_nnx": build_elf([t / "dot.c"], d / "dot_nnx.elf", nnx=True),
        "dot_scalar": build_elf([t / "dot.c"], d / "dot_scalar.elf"),
        "spin": assemble("1: addi x5, x5, 1\n   j 1b\n", d / "spin.elf"),
        "illegal": assemble("li x5, 1\n.word 0xffffffff\n", d / "illegal.elf"),
        "exit7": assemble("li a0, 7\nli t0, 0x10000004\nsw a0, 0(t0)\n1: j 1b\n", d / "exit7.elf"),
    }


def run(exe, *args):
    from rtl.bench.run import parse_output
    p = subprocess.run([str(exe), *map(str, args)], capture_output=True, timeout=300)
    return parse_output(p.returncode, p.stdout, p.stderr.decode())


def test_hello(benches, fw):
    for exe in benches.values():
        r = run(exe, fw["hello"])
        assert r.returncode == 0 and r.status == "exit" and r.exit_code == 0
        assert r.stdout == b"hello from hb_core\nmcycle>0 1 minstret>0 1\n"
        assert r.mcycle > r.minstret > 100


def test_hello_matches_iss(benches, fw):
    from rtl.model.iss import run_elf
    r = run(benches[1], fw["hello"])
    ref = run_elf(fw["hello"])
    assert ref.status == "exit" and ref.exit_code == 0
    assert ref.stdout == r.stdout
    assert ref.instret == r.minstret


def test_dot_nnx_speedup(benches, fw):
    r = run(benches[1], fw["dot_nnx"])
    assert r.returncode == 0, r
    vals = dict(line.split("=") for line in r.stdout.decode().split() if "=" in line)
    scalar, nnx = int(vals["scalar_cycles"]), int(vals["nnx_cycles"])
    assert b"OK" in r.stdout
    assert scalar / nnx >= 4.0, f"nnx speed-up only {scalar / nnx:.2f}x"


def test_dot_scalar_build_on_base_core(benches, fw):
    r = run(benches[0], fw["dot_scalar"])
    assert r.returncode == 0 and b"OK" in r.stdout


def test_nnx_program_on_base_core_traps(benches, fw):
    r = run(benches[0], fw["dot_nnx"])
    assert r.returncode == 4 and r.status == "trap"
    assert r.fields["cause"] == "2"
    assert "illegal instruction" in r.stderr


def test_exit_code_forwarded(benches, fw):
    r = run(benches[0], fw["exit7"])
    assert r.returncode == 1 and r.status == "exit" and r.exit_code == 7


def test_illegal_instruction_is_clear(benches, fw):
    r = run(benches[0], fw["illegal"])
    assert r.returncode == 4 and r.status == "trap"
    assert r.fields["cause"] == "2" and r.fields["pc"] == "0x00000004"
    assert r.fields["tval"] == "0xffffffff"
    assert "illegal instruction (mcause=2) at pc=0x00000004" in r.stderr


def test_cycle_budget(benches, fw):
    r = run(benches[1], "--max-cycles", "5000", fw["spin"])
    assert r.returncode == 3 and r.status == "timeout"
    assert r.cycles == 5000
    assert "cycle budget exceeded" in r.stderr


def test_wrong_architecture_elf(benches):
    r = run(benches[1], "/bin/true" if sys.platform.startswith("linux") else sys.executable)
    assert r.returncode == 2 and r.status is None
    assert "not a 32-bit little-endian RISC-V ELF" in r.stderr
    assert "e_machine=62" in r.stderr or "e_machine" in r.stderr


def test_not_an_elf_and_missing_file(benches, tmp_path):
    junk = tmp_path / "junk.elf"
    junk.write_bytes(b"hello world, not an elf at all" * 4)
    r = run(benches[1], junk)
    assert r.returncode == 2 and "not an ELF file" in r.stderr
    r = run(benches[1], tmp_path / "missing.elf")
    assert r.returncode == 2 and "cannot open" in r.stderr


def test_usage_errors(benches):
    p = subprocess.run([str(benches[1]), "--max-cycles", "abc", "x.elf"], capture_output=True)
    assert p.returncode == 2 and b"bad --max-cycles" in p.stderr
    p = subprocess.run([str(benches[1])], capture_output=True)
    assert p.returncode == 2 and b"usage" in p.stderr


def test_iss_rejects_wrong_arch_and_reports_traps(fw):
    require("unicorn", "elftools")
    from rtl.model.iss import ElfError, run_elf
    with pytest.raises(ElfError):
        run_elf("/bin/true")
    r = run_elf(fw["illegal"])
    assert r.status == "trap" and r.trap_cause == 2 and r.trap_pc == 4
    r = run_elf(fw["spin"], max_instructions=10_000)
    assert r.status == "timeout"
    r = run_elf(fw["dot_nnx"], nnx=False)
    assert r.status == "trap" and r.trap_cause == 2
    r = run_elf(fw["dot_nnx"], nnx=True)
    assert r.status == "exit" and r.exit_code == 0 and b"OK" in r.stdout


def test_build_cli_prints_binary(benches):
    from rtl.toolchain import RTL_DIR
    p = subprocess.run([sys.executable, "-m", "rtl.bench.build", "--nnx", "1"],
                       capture_output=True, text=True, check=True, cwd=RTL_DIR.parent)
    assert p.stdout.strip() == str(benches[1])


@pytest.mark.parametrize("latency", [0, 2])
def test_other_memory_latencies(fw, latency):
    """MEM_LATENCY is a real parameter: same results, CPI formula holds."""
    require("verilator", "unicorn", "elftools")
    from rtl.bench.build import build_bench
    from rtl.model.iss import run_elf
    exe = build_bench(nnx=True, mem_latency=latency)
    r = run(exe, fw["hello"])
    ref = run_elf(fw["hello"])
    assert r.returncode == 0 and r.stdout == ref.stdout and r.minstret == ref.instret
    spin = run(exe, "--max-cycles", "1000", fw["spin"])
    # addi + j: both L + 2 cycles each
    assert spin.status == "timeout" and abs(spin.minstret - 1000 / (latency + 2)) <= 1
