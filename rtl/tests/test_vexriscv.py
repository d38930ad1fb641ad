"""VexRiscv (rtl/vexriscv/): the nnx CFU adapter against the golden model (cocotb, streamed
like a pipelined core), and firmware on vx_soc (hb_bench built by rtl.vexriscv.build): the
same random nnx programs on VexRiscv + CFU and on hb_core + nnx, checked against
rtl/model/nnx.py; exits, traps and the console."""
from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from rtl.model import nnx

pytestmark = pytest.mark.rtl

OPS = ["mac4", "dot4", "srdhm", "rdbpot", "requant", "setq", "setout"]
# the intrinsic call per op (operands a, b; acc for mac4), from rtl/sw/nnx.h
CALLS = {
    "mac4": "nnx_mac4((int32_t)acc[i], a[i], b[i])",
    "dot4": "nnx_dot4(a[i], b[i])",
    "srdhm": "nnx_srdhm((int32_t)a[i], (int32_t)b[i])",
    "rdbpot": "nnx_rdbpot((int32_t)a[i], (int32_t)b[i])",
    "requant": "nnx_requant((int32_t)a[i], (int32_t)b[i])",
    "setq": "(nnx_setq((int32_t)a[i], (int32_t)b[i]), 0)",
    "setout": "(nnx_setout((int32_t)a[i], (int16_t)b[i], (int16_t)(b[i] >> 16)), 0)",
}
# the accumulator bank: macc k / vmac j write rd = 0, racc k reads ACC[k] (k, j literal)
for _insn in nnx.INSNS:
    _kind, _k = _insn.name[:4], _insn.name[4:]
    if _kind in ("macc", "vmac"):
        CALLS[_insn.name] = f"(nnx_{_kind}({_k}, a[i], b[i]), 0)"
    elif _kind == "racc":
        CALLS[_insn.name] = f"nnx_racc({_k})"
OPS += [name for name in CALLS if name not in OPS]


def _vx_missing() -> str | None:
    from rtl.toolchain import ToolMissing, missing_tools
    missing = missing_tools("verilator", "riscv-gcc")
    if missing:
        return "; ".join(missing)
    try:
        from rtl.vexriscv.build import core_verilog
        core_verilog()
    except ToolMissing as exc:
        return str(exc)
    return None


needs_vx = pytest.mark.skipif(_vx_missing() is not None, reason=_vx_missing() or "")


def random_program(seed: int, count: int, only: str | None = None,
                   bank: bool = True) -> tuple[str, list[int]]:
    """C source running `count` random nnx operations (or only the instruction `only`; without
    the accumulator bank's if not `bank`) and printing each result (hex), and the golden
    model's results for them."""
    from rtl.tests.cocotb_nnx import rand_op
    rng = random.Random(seed)
    model = nnx.Nnx()
    kinds, aa, bb, accs, want = [], [], [], [], []
    while len(kinds) < count:
        _c1, f3, f7, rs1, rs2, rd = rand_op(rng)
        insn = nnx.BY_CODE.get((f3, f7))
        if insn is None or (only and insn.name != only) or not nnx.implemented(f3, f7, bank):
            continue
        if insn.name == "rdbpot":
            rs2 &= 31
        if insn.name == "setout":   # nnx_setout's min/max are 16-bit halves of rs2
            rs2 &= 0xFFFFFFFF
        kinds.append(OPS.index(insn.name))
        aa.append(rs1)
        bb.append(rs2)
        accs.append(rd)
        want.append(model.execute(f3, f7, rs1, rs2, rd))
    arr = lambda name, xs: (f"static const uint32_t {name}[{count}] = {{"  # noqa: E731
                            + ",".join(f"{x:#x}u" for x in xs) + "};\n")
    cases = "\n".join(f"        case {k}: r = (uint32_t){CALLS[op]}; break;"
                      for k, op in enumerate(OPS))
    src = ('#include "hb_rv.h"\n#include "nnx.h"\n'
           + f"static const uint8_t kind[{count}] = {{" + ",".join(map(str, kinds)) + "};\n"
           + arr("a", aa) + arr("b", bb) + arr("acc", accs)
           + "int main(void)\n{\n"
           + f"    for (int i = 0; i < {count}; i++) {{\n        uint32_t r = 0;\n"
           + "        switch (kind[i]) {\n" + cases + "\n        }\n"
           + "        hb_put_hex(r);\n        hb_putchar('\\n');\n    }\n    return 0;\n}\n")
    return src, want


def _run(exe: Path, elf: Path):
    from rtl.bench.run import bench_command, parse_output
    p = subprocess.run(bench_command(exe, elf, 50_000_000), capture_output=True, timeout=300)
    return parse_output(p.returncode, p.stdout, p.stderr.decode(errors="replace"))


def test_cfu_adapter_stream_vs_model():
    from rtl.tests.sim import Sim, require
    from rtl.toolchain import RTL_DIR
    require("verilator", "cocotb")
    sim = Sim("cfu_nnx", "Cfu", [RTL_DIR / "vexriscv" / "cfu_nnx.v",
                                 RTL_DIR / "nnx" / "hb_nnx.v"], {})
    sim.run("rtl.tests.cocotb_cfu", extra_env={"HB_SEED": "5", "HB_COUNT": "3000"})
    sim.run("rtl.tests.cocotb_cfu", testcase="test_cfu_stream",
            extra_env={"HB_SEED": "6", "HB_COUNT": "1000", "HB_GAPS": "0",
                       "HB_BACKPRESSURE": "0"})


@needs_vx
@pytest.mark.parametrize("core", ["vexriscv", "hb_core"])
def test_random_nnx_program_vs_model(tmp_path: Path, core: str) -> None:
    """The same random nnx program (400 ops) through each core's port: every result equals
    the golden model's (on VexRiscv mac4 is nnx.dot4 + add: NNX_NO_RD_OPERAND)."""
    from rtl.bench.build import build_bench
    from rtl.sw.build import build_elf
    from rtl.vexriscv.build import build_vx_bench
    src, want = random_program(11, 400)
    (tmp_path / "prog.c").write_text(src)
    flags = ["-DHB_CFU_ENABLE=1", "-DNNX_NO_RD_OPERAND=1"] if core == "vexriscv" else []
    elf = build_elf([tmp_path / "prog.c"], tmp_path / "prog.elf", nnx=True, extra_cflags=flags)
    exe = build_vx_bench(cfu=True) if core == "vexriscv" else build_bench(nnx=True)
    r = _run(exe, elf)
    assert r.status == "exit" and r.exit_code == 0, (r.fields, r.stderr)
    got = [int(line, 16) for line in r.stdout.decode().split()]
    assert len(got) == len(want)
    bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w]
    assert not bad, f"{len(bad)} mismatches, first {bad[:3]}"


@needs_vx
def test_vx_soc_console_exit_and_trap(tmp_path: Path) -> None:
    """hello.c prints and exits 0 on vx_soc; an nnx program on the core without the CFU
    enabled stops with an illegal-instruction trap at the instruction's pc."""
    from rtl.sw.build import SW_DIR, build_elf
    from rtl.vexriscv.build import build_vx_bench
    exe = build_vx_bench(cfu=True)
    hello = build_elf([SW_DIR / "tests" / "hello.c"], tmp_path / "hello.elf")
    r = _run(exe, hello)
    assert (r.status, r.exit_code, r.returncode) == ("exit", 0, 0)
    assert r.stdout.decode() == "hello from hb_core\nmcycle>0 1 minstret>0 1\n"
    assert 0 < r.minstret < r.mcycle
    src, _ = random_program(3, 4)
    (tmp_path / "p.c").write_text(src)
    elf = build_elf([tmp_path / "p.c"], tmp_path / "p.elf", nnx=True)   # no HB_CFU_ENABLE
    r = _run(exe, elf)
    assert r.status == "trap" and r.returncode == 4
    assert r.fields["cause"] == "2"
    pc = int(r.fields["pc"], 16)
    word = int(r.fields["tval"], 16)
    assert word & 0x7F == nnx.CUSTOM_0 and pc > 0


@needs_vx
def test_a_users_cfu_v_plugs_in(tmp_path: Path) -> None:
    """--cfu-source: the minimal dot4-only cfu_dot4.v (zero-latency answer) replaces the nnx
    adapter; a dot4 program gives the golden model's results."""
    from rtl.sw.build import build_elf
    from rtl.toolchain import RTL_DIR
    from rtl.vexriscv.build import build_vx_bench
    exe = build_vx_bench(cfu=True, cfu_source=RTL_DIR / "vexriscv" / "cfu_dot4.v")
    assert "vx_cfu-" in str(exe)
    src, want = random_program(4, 200, only="dot4")
    (tmp_path / "p.c").write_text(src)
    elf = build_elf([tmp_path / "p.c"], tmp_path / "p.elf", nnx=True,
                    extra_cflags=["-DHB_CFU_ENABLE=1"])
    r = _run(exe, elf)
    assert r.status == "exit" and r.exit_code == 0, (r.fields, r.stderr)
    assert [int(x, 16) for x in r.stdout.decode().split()] == want


def test_cfu_sources_rejects_missing_file(tmp_path: Path) -> None:
    from rtl.vexriscv.build import NNX_CFU, cfu_sources, config_name
    assert cfu_sources(False) == [] and cfu_sources(True) == NNX_CFU
    with pytest.raises(ValueError, match="does not exist"):
        cfu_sources(True, tmp_path / "nope.v")
    assert config_name([], 1, 4 << 20) == "vx_cfu0_lat1_ram4096k"
    assert config_name(NNX_CFU, 1, 4 << 20) == "vx_nnx_lat1_ram4096k"
