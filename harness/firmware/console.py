"""The firmware's console protocol (targets/mcu-common/README.md): HB_BOOT / HB_RESULT /
HB_INSTRET / HB_LAYER / HB_END / HB_FAULT / HB_TIMEOUT lines parsed into a FirmwareReport,
and Cortex-M fault status decoded."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import RunError, RunTimeoutError

__all__ = ["InputResult", "Fault", "BudgetStop", "FirmwareReport", "parse_console",
           "describe_cfsr"]


@dataclass(frozen=True)
class InputResult:
    index: int
    count: int          # counter units (timer ticks or cycles) around hb_model_invoke
    output: bytes


_CFSR_BITS = {
    0: "IACCVIOL", 1: "DACCVIOL", 3: "MUNSTKERR", 4: "MSTKERR", 5: "MLSPERR", 7: "MMARVALID",
    8: "IBUSERR", 9: "PRECISERR", 10: "IMPRECISERR", 11: "UNSTKERR", 12: "STKERR",
    13: "LSPERR", 15: "BFARVALID", 16: "UNDEFINSTR", 17: "INVSTATE", 18: "INVPC", 19: "NOCP",
    24: "UNALIGNED", 25: "DIVBYZERO",
}
_HFSR_BITS = {1: "VECTTBL", 30: "FORCED", 31: "DEBUGEVT"}


def describe_cfsr(cfsr: int, hfsr: int = 0) -> str:
    """The set fault-status bits by name, e.g. 'UNDEFINSTR, FORCED'."""
    names = [n for bit, n in _CFSR_BITS.items() if cfsr >> bit & 1]
    names += [n for bit, n in _HFSR_BITS.items() if hfsr >> bit & 1]
    return ", ".join(names) or "no status bits"


@dataclass(frozen=True)
class Fault:
    name: str                  # HardFault, BusFault, NMI, IRQ9, ...
    pc: int | None
    cfsr: int | None
    hfsr: int | None
    input: int | None          # index of the input being run, None outside an inference
    line: str

    def describe(self, symbol: str | None = None) -> str:
        text = self.name
        if self.pc is not None:
            text += f" at pc=0x{self.pc:08x}" + (f" in {symbol}" if symbol else "")
        if self.cfsr is not None and self.hfsr is not None:
            text += (f" (cfsr=0x{self.cfsr:08x} hfsr=0x{self.hfsr:08x}: "
                     f"{describe_cfsr(self.cfsr, self.hfsr)})")
        if self.input is not None:
            text += f" during input {self.input}"
        return text


@dataclass(frozen=True)
class BudgetStop:
    input: int
    ticks: int


@dataclass
class FirmwareReport:
    """What one firmware run printed."""

    boot: dict[str, int] = field(default_factory=dict)
    results: list[InputResult] = field(default_factory=list)
    layers: dict[int, int] = field(default_factory=dict)
    instret: dict[int, int] = field(default_factory=dict)  # HB_INSTRET, by input index
    ended: bool = False
    fault: Fault | None = None
    budget: BudgetStop | None = None
    malformed: list[str] = field(default_factory=list)   # HB_ lines that do not parse

    def outputs(self) -> bytes:
        return b"".join(r.output for r in sorted(self.results, key=lambda r: r.index))

    def counts(self) -> list[int]:
        return [r.count for r in sorted(self.results, key=lambda r: r.index)]

    def instructions(self) -> list[int]:
        """HB_INSTRET counts in input order (empty when the board printed none)."""
        return [self.instret[i] for i in sorted(self.instret)]

    def check(self, n: int, output_bytes: int, where: str, symbol: str | None = None) -> None:
        """Raise RunError unless the run ended normally with n well-formed results (a budget
        stop raises RunTimeoutError; callers that know the budget's unit may check
        `budget` first for a better message). `symbol`: the function at the fault's pc."""
        if self.fault is not None:
            raise RunError(f"{where}: firmware stopped with {self.fault.describe(symbol)}")
        if self.budget is not None:
            raise RunTimeoutError(
                f"{where}: firmware did not print HB_END: stopped by its per-inference budget "
                f"({self.budget.ticks} ticks) during input {self.budget.input}")
        if self.malformed:
            raise RunError(f"{where}: malformed console line(s): "
                           + "; ".join(repr(m[:120]) for m in self.malformed[:3]))
        if not self.ended:
            raise RunError(f"{where}: firmware did not print HB_END ({len(self.results)} of "
                           f"{n} results received)")
        indices = sorted(r.index for r in self.results)
        if indices != list(range(n)):
            raise RunError(f"{where}: expected results for inputs 0..{n - 1}, got "
                           f"{len(indices)} ({indices[:5]}...)")
        if self.boot.get("output_bytes", output_bytes) != output_bytes:
            raise RunError(f"{where}: firmware was built for {self.boot['output_bytes']} output "
                           f"bytes, the model has {output_bytes}")
        wrong = [r.index for r in self.results if len(r.output) != output_bytes]
        if wrong:
            raise RunError(f"{where}: result {wrong[0]} holds "
                           f"{len(self.results[wrong[0]].output)} output bytes, expected "
                           f"{output_bytes}")


_BOOT = re.compile(r"^HB_BOOT((?: \w+=\d+)*)$")
_RESULT = re.compile(r"^HB_RESULT (\d+) (\d+)(?: ((?:[0-9a-f]{2})*))?$")
_LAYER = re.compile(r"^HB_LAYER (\d+) (\d+)$")
_INSTRET = re.compile(r"^HB_INSTRET (\d+) (\d+)$")
_FAULT = re.compile(r"^HB_FAULT (\w+)((?: \w+=\w+)*)$")
_TIMEOUT = re.compile(r"^HB_TIMEOUT (\d+) (\d+)$")
_NO_INPUT = 0xFFFFFFFF


def _key_values(text: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in text.split())


def parse_console(text: str) -> FirmwareReport:
    """Parse the firmware's console. Lines not starting with HB_ are ignored (boot banners,
    simulator messages); HB_ lines that do not parse land in `malformed`. Parsing stops at
    HB_END, a HB_FAULT or a HB_TIMEOUT line."""
    report = FirmwareReport()
    seen: set[int] = set()
    for raw in text.replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line.startswith("HB_"):
            continue
        if line == "HB_END":
            report.ended = True
            break
        if m := _RESULT.match(line):
            index = int(m.group(1))
            if index in seen:
                report.malformed.append(line)
                continue
            seen.add(index)
            output = bytes.fromhex(m.group(3) or "")
            report.results.append(InputResult(index, int(m.group(2)), output))
        elif m := _LAYER.match(line):
            report.layers[int(m.group(1))] = int(m.group(2))
        elif m := _INSTRET.match(line):
            report.instret[int(m.group(1))] = int(m.group(2))
        elif m := _BOOT.match(line):
            report.boot = {k: int(v) for k, v in _key_values(m.group(1)).items()}
        elif m := _FAULT.match(line):
            fields = _key_values(m.group(2))

            def number(key: str, fields: dict[str, str] = fields) -> int | None:
                try:
                    return int(fields[key], 0)
                except (KeyError, ValueError):
                    return None

            current = number("input")
            report.fault = Fault(m.group(1), number("pc"), number("cfsr"), number("hfsr"),
                                 None if current in (None, _NO_INPUT) else current, line)
            break
        elif m := _TIMEOUT.match(line):
            report.budget = BudgetStop(int(m.group(1)), int(m.group(2)))
            break
        else:
            report.malformed.append(line)
    return report
