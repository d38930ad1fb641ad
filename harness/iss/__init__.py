"""A cycle-modelling Cortex-M4 instruction-set simulator: Unicorn executes the firmware ELF,
Capstone decodes each basic block once, and a Cortex-M4 timing model (`timing.py`, from the
TRM's tables) gives every block its cycles. See README.md for the model and its assumptions.

    simulate(elf, memory_map, budget) -> SimResult(console, exit_code, instructions, cycles,
                                                   seconds, counter_reads, hot_blocks, ...)

Instruction counts are exact (every executed block is counted whole; blocks only end early
on a fault, which ends the run). Cycles are a model: the static per-block cost, plus P per
taken branch, plus the data-dependent part of SDIV/UDIV. The firmware's DWT CYCCNT reads
return the modelled count at the reading instruction.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from ..errors import RunError, RunTimeoutError
from .cpu import CortexM4
from .dwt import CounterRead
from .elf import ElfImage, read_elf
from .faults import Fault
from .memory import MPS2_AN386, MemoryMap
from .probes import Call
from .timing import DEFAULT_REFILL

__all__ = ["simulate", "SimResult", "BlockStat", "Call", "CounterRead", "Fault",
           "MemoryMap", "MPS2_AN386", "DEFAULT_REFILL", "read_elf", "ElfImage"]

DEFAULT_BUDGET = 10_000_000_000


@dataclass(frozen=True)
class BlockStat:
    """One basic block: where, how often it ran, and its static cost per execution."""

    address: int
    size: int
    function: str
    executions: int
    instructions: int
    cycles: int

    @property
    def total_cycles(self) -> int:
        return self.executions * self.cycles


@dataclass
class SimResult:
    console: str
    exit_code: int | None
    instructions: int
    cycles: int
    seconds: float                      # host time inside the emulator
    stopped: str                        # "exit" or "fault"
    fault: Fault | None = None
    taken_branches: int = 0
    block_executions: int = 0
    distinct_blocks: int = 0
    counter: str = ""                   # which block counter ran (native or Python)
    counter_reads: list[CounterRead] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    hot_blocks: list[BlockStat] = field(default_factory=list)
    imprecise_reads: int = 0            # CYCCNT reads not tied to one instruction
    late_divides: int = 0               # divides charged 2 cycles on their first run

    @property
    def instructions_per_second(self) -> float:
        return self.instructions / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        return (f"{self.instructions} instructions, {self.cycles} modelled cycles "
                f"(CPI {self.cycles / max(self.instructions, 1):.3f}), "
                f"{self.taken_branches} taken branches, {self.distinct_blocks} blocks, "
                f"{self.seconds:.2f} s host = {self.instructions_per_second / 1e6:.1f} M "
                f"simulated instructions/s ({self.counter})")


def simulate(elf: str | Path | ElfImage, memory_map: MemoryMap = MPS2_AN386,
             budget: int = DEFAULT_BUDGET, *, refill: int = DEFAULT_REFILL,
             clock_hz: int | None = None, timeout_s: float | None = None,
             writes: Mapping[int, bytes] | None = None, calls: Sequence[str] = (),
             hot_blocks: int = 20) -> SimResult:
    """Run a Cortex-M4 firmware ELF to its semihosting exit (or a fault).

    `writes` are copied into memory after loading (e.g. input data at a symbol's address);
    `calls` names functions whose calls are counted exactly (SimResult.calls). A fault ends
    the run with the HB_FAULT line the firmware's handler would print appended to the
    console. Raises RunTimeoutError past `budget` instructions or `timeout_s` host seconds,
    RunError when the ELF does not fit the memory map or a probed function is missing."""
    image = elf if isinstance(elf, ElfImage) else read_elf(elf)
    cpu = CortexM4(memory_map, refill=refill, clock_hz=clock_hz)
    try:
        cpu.load(image)
        for address, data in (writes or {}).items():
            cpu.write(address, data)
    except ValueError as exc:
        raise RunError(f"{image.path.name}: {exc}") from None
    for name in calls:
        symbol = image.symbol(name)
        if symbol is None or not symbol.is_function:
            raise RunError(f"{image.path.name} has no function {name!r} to count calls of")
        cpu.probes.watch(name, symbol.address)
    outcome = cpu.run(budget, timeout_s)
    assert cpu.counter is not None
    state = cpu.counter.state
    console = cpu.console.decode("utf-8", "replace")
    tail = console[-400:].strip().replace("\n", " | ")
    if outcome.stopped in ("budget", "timeout"):
        limit = (f"the instruction budget of {budget:,}" if outcome.stopped == "budget"
                 else f"the timeout of {timeout_s:g} s")
        raise RunTimeoutError(
            f"{image.path.name} did not exit within {limit} (stopped at pc=0x{outcome.pc:08x} "
            f"in {image.function_at(outcome.pc)} after {state.instructions:,} instructions)"
            + (f"; last console output: {tail}" if tail else ""))
    if outcome.fault is not None:
        console += outcome.fault.console_lines(_current_input(cpu, image))
    stats = []
    for slot, info in cpu.blocks.items():
        runs = int(cpu.counter.executions[slot])
        if runs:
            stats.append(BlockStat(info.address, info.size, image.function_at(info.address),
                                   runs, info.instructions, info.total_cycles))
    stats.sort(key=lambda b: b.total_cycles, reverse=True)
    return SimResult(
        console=console, exit_code=outcome.exit_code, instructions=int(state.instructions),
        cycles=int(state.cycles), seconds=outcome.seconds, stopped=outcome.stopped,
        fault=outcome.fault, taken_branches=int(state.taken),
        block_executions=int(state.blocks), distinct_blocks=len(cpu.blocks),
        counter=cpu.counter.how, counter_reads=list(cpu.ppb.reads),
        calls=list(cpu.probes.calls), hot_blocks=stats[:hot_blocks],
        imprecise_reads=cpu.imprecise_reads, late_divides=len(cpu.late_divides))


def _current_input(cpu: CortexM4, image: ElfImage) -> int | None:
    """The runner's `hb_current_input` (which input was running), when the ELF has it."""
    symbol = image.symbol("hb_current_input")
    if symbol is None:
        return None
    return int(struct.unpack("<I", cpu.read(symbol.address, 4))[0])
