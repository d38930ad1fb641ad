"""cocotb-side driver for hb_soc (imported inside the simulator process).

    soc = Soc(dut)
    res = await soc.run_elf(path, max_cycles=100_000)
    res.status / res.exit_code / res.regs / res.stdout / res.mcycle / res.minstret
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, First, ReadOnly, RisingEdge

from rtl.model.iss import read_elf_segments

CLK_PERIOD_NS = 10


def sim_params() -> dict:
    out = {}
    for kv in filter(None, os.environ.get("HB_SIM_PARAMS", "").split(",")):
        k, v = kv.split("=")
        out[k] = int(v)
    return out


@dataclass
class SocResult:
    status: str                 # exit | trap | timeout
    exit_code: int | None
    regs: list[int]
    stdout: bytes
    mcycle: int
    minstret: int
    trap_cause: int | None = None
    trap_pc: int | None = None
    trap_tval: int | None = None
    cycles: int = 0
    mem: dict = field(default_factory=dict)


class Soc:
    def __init__(self, dut):
        self.dut = dut
        self._clock = None
        p = sim_params()
        self.ram_bytes = p.get("RAM_BYTES", 65536)
        self.nnx = p.get("NNX", 0)

    async def _start_clock(self):
        if self._clock is None:
            self._clock = cocotb.start_soon(Clock(self.dut.clk, CLK_PERIOD_NS, unit="ns").start())

    async def load(self, chunks) -> None:
        """Hold the core in reset and write ``[(byte_addr, bytes), ...]`` to RAM."""
        dut = self.dut
        await self._start_clock()
        dut.rst.value = 1
        dut.ld_en.value = 0
        await RisingEdge(dut.clk)
        for addr, data in chunks:
            if addr % 4:
                raise ValueError("chunks must be word aligned")
            data = bytes(data) + bytes(-len(data) % 4)
            for i in range(0, len(data), 4):
                dut.ld_en.value = 1
                dut.ld_addr.value = (addr + i) >> 2
                dut.ld_data.value = int.from_bytes(data[i:i + 4], "little")
                await RisingEdge(dut.clk)
        dut.ld_en.value = 0
        await RisingEdge(dut.clk)

    async def run(self, max_cycles: int = 200_000, read_mem=()) -> SocResult:
        """Release reset and run to exit / trap / max_cycles."""
        dut = self.dut
        out = bytearray()

        async def putc_monitor():
            while True:
                await FallingEdge(dut.clk)
                if dut.putc_valid.value:
                    out.append(int(dut.putc_data.value))

        mon = cocotb.start_soon(putc_monitor())
        await FallingEdge(dut.clk)
        dut.rst.value = 0
        timeout = ClockCycles(dut.clk, max_cycles)
        await First(RisingEdge(dut.exit_valid), RisingEdge(dut.trapped), timeout)
        await ReadOnly()
        mon.cancel()
        if dut.exit_valid.value:
            status = "exit"
        elif dut.trapped.value:
            status = "trap"
        else:
            status = "timeout"
        regs = [0] + [int(dut.u_cpu.u_core.rf[i].value) for i in range(1, 32)]
        res = SocResult(
            status=status,
            exit_code=int(dut.exit_code.value.to_signed()) if status == "exit" else None,
            regs=regs, stdout=bytes(out),
            mcycle=int(dut.mcycle.value), minstret=int(dut.minstret.value),
        )
        if status == "trap":
            res.trap_cause = int(dut.trap_cause.value)
            res.trap_pc = int(dut.trap_pc.value)
            res.trap_tval = int(dut.trap_tval.value)
        for addr, n in read_mem:
            res.mem[addr] = self.read_ram(addr, n)
        await RisingEdge(dut.clk)
        dut.rst.value = 1
        return res

    def read_ram(self, addr: int, n: int) -> bytes:
        """Back-door read of RAM contents (word aligned)."""
        buf = bytearray()
        for a in range(addr & ~3, addr + n, 4):
            buf += int(self.dut.ram[a >> 2].value).to_bytes(4, "little")
        off = addr & 3
        return bytes(buf[off:off + n])

    async def run_elf(self, path, max_cycles: int = 200_000, read_mem=()) -> SocResult:
        entry, segs = read_elf_segments(path)
        assert entry == 0, "the core starts at 0"
        chunks = []
        for paddr, data, memsz in segs:
            chunks.append((paddr, data + bytes(memsz - len(data))))
        await self.load(chunks)
        return await self.run(max_cycles=max_cycles, read_mem=read_mem)
