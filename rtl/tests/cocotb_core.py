"""cocotb tests of hb_core inside hb_soc: directed programs per instruction class.

Launched by rtl/tests/test_core.py through cocotb's runner.
"""
from __future__ import annotations

import os
from pathlib import Path

import cocotb

from rtl.sw.build import assemble
from rtl.tests import programs
from rtl.tests.tb import Soc

WORK = Path(os.getcwd()) / "prog"


async def run_case(soc: Soc, case: programs.Case):
    elf = assemble(case.source(), WORK / f"{case.name}.elf")
    res = await soc.run_elf(elf, max_cycles=20_000,
                            read_mem=[(a, len(b)) for a, b in case.mem.items()])
    soc.dut._log.info("%s: status=%s mcycle=%d minstret=%d", case.name, res.status,
                      res.mcycle, res.minstret)
    assert res.status == case.status, (
        f"{case.name}: status {res.status} (cause={res.trap_cause} pc={res.trap_pc}) "
        f"!= {case.status}")
    if case.status == "exit":
        assert res.exit_code == 0
    if case.trap_cause is not None:
        assert res.trap_cause == case.trap_cause, f"{case.name}: mcause {res.trap_cause}"
    errors = [f"x{r}={res.regs[r]:#010x} expected {v:#010x}"
              for r, v in sorted(case.expect.items()) if res.regs[r] != v]
    assert not errors, f"{case.name}: " + ", ".join(errors)
    for addr, data in case.mem.items():
        assert res.mem[addr] == data, f"{case.name}: mem[{addr:#x}] {res.mem[addr].hex()} != {data.hex()}"
    return res


async def run_class(dut, name):
    soc = Soc(dut)
    for case in programs.CLASSES[name]:
        await run_case(soc, case)


@cocotb.test()
async def test_alu(dut):
    await run_class(dut, "alu")


@cocotb.test()
async def test_shifts(dut):
    await run_class(dut, "shifts")


@cocotb.test()
async def test_branches(dut):
    await run_class(dut, "branches")


@cocotb.test()
async def test_loadstore(dut):
    await run_class(dut, "loadstore")


@cocotb.test()
async def test_muldiv(dut):
    await run_class(dut, "muldiv")


@cocotb.test()
async def test_csr(dut):
    soc = Soc(dut)
    for case in programs.CSR:
        res = await run_case(soc, case)
        if case.name == "csr_counters":
            misa = res.regs[11]
            assert misa == (0x40001100 | (0x00800000 if soc.nnx else 0)), hex(misa)


@cocotb.test()
async def test_traps(dut):
    soc = Soc(dut)
    for case in programs.TRAPS:
        res = await run_case(soc, case)
        if case.name == "illegal_instruction_halts":
            assert res.trap_pc == 8 + 31 * 4 - 4 or res.trap_tval == 0xFFFFFFFF
            assert res.trap_tval == 0xFFFFFFFF


@cocotb.test()
async def test_cpi(dut):
    """mcycle delta per instruction class (MEM_LATENCY=1) matches the README table."""
    soc = Soc(dut)
    table = dict(programs.CPI_LAT1)
    if soc.nnx:
        table[".insn r CUSTOM_0, 0, 0, x5, x6, x7"] = 4     # nnx.mac4
        table[".insn r CUSTOM_0, 3, 0, x5, x6, x7"] = 6     # nnx.requant
        table[".insn r CUSTOM_0, 1, 0, x5, x6, x7"] = 6     # nnx.srdhm
        table[".insn r CUSTOM_0, 2, 0, x5, x6, x7"] = 5     # nnx.rdbpot
        table[".insn r CUSTOM_0, 4, 0, x0, x6, x7"] = 4     # nnx.setq
        table[".insn r CUSTOM_0, 6, 3, x0, x6, x7"] = 4     # nnx.macc 3
        table[".insn r CUSTOM_0, 6, 9, x0, x6, x7"] = 4     # nnx.vmac 1
        table[".insn r CUSTOM_0, 7, 3, x5, x0, x0"] = 4     # nnx.racc 3
    reps = 8
    for insn, cpi in table.items():
        asm = ("    li x8, 0x1000\n    li x6, 1234567\n    li x7, 89\n"
               "    csrr x20, mcycle\n" + f"    {insn}\n" * reps + "    csrr x21, mcycle\n"
               "    sub x22, x21, x20\n")
        case = programs.Case("cpi", asm)
        res = await run_case(soc, case)
        # the csrr that starts the window costs 3 cycles after its own read
        measured = (res.regs[22] - 3) / reps
        dut._log.info("CPI %-40s %g", insn, measured)
        assert measured == cpi, f"{insn}: {measured} cycles, README says {cpi}"


@cocotb.test()
async def test_custom_is_illegal_without_nnx(dut):
    soc = Soc(dut)
    case = programs.Case("custom_illegal", "    li x6, 0x01010101\n"
                         "    .insn r CUSTOM_0, 0, 0, x5, x6, x6\n",
                         status="trap", trap_cause=2)
    if soc.nnx:
        case = programs.Case("custom_ok", case.asm, {5: 4})
    await run_case(soc, case)
    # custom-1 and an undefined funct are illegal with the extension too
    for word in (".insn r CUSTOM_1, 0, 0, x5, x6, x6", ".insn r CUSTOM_0, 7, 8, x5, x6, x6",
                 ".insn r CUSTOM_0, 6, 10, x5, x6, x6",
                 ".insn r CUSTOM_0, 0, 2, x5, x6, x6"):
        await run_case(soc, programs.Case("custom_bad", f"    {word}\n", status="trap",
                                          trap_cause=2))


@cocotb.test()
async def test_firmware(dut):
    """C programs built with crt0/link.ld (paths from HB_FIRMWARE: name=path,...)."""
    soc = Soc(dut)
    spec = os.environ.get("HB_FIRMWARE", "")
    for item in filter(None, spec.split(",")):
        name, path = item.split("=", 1)
        res = await soc.run_elf(path, max_cycles=2_000_000)
        dut._log.info("%s: %s", name, res.stdout.decode(errors="replace"))
        expected = Path(path).with_suffix(".expect")
        assert res.status == "exit" and res.exit_code == 0, (name, res.status, res.exit_code)
        if expected.exists():
            assert expected.read_bytes() in res.stdout, name
