"""The schema of a `targets/<name>/target.yaml`: one declarative description, checked once.

    TargetSpec                     the whole file (unknown keys are errors)
    ├── toolchain: Toolchain       cc, cflags, ldflags, size
    ├── memory:    Memory          flash_bytes, ram_bytes
    ├── energy:    Energy          joules_per_cycle, or ua_per_mhz and volts
    ├── firmware:  Firmware        the MCU runtime (harness/firmware/config.py says how it is used)
    ├── pipeline:  Pipeline        sensor and edge targets and the link between them (LinkSpec)
    ├── platformio: Platformio     the PlatformIO project a board's firmware is built as
    ├── meter: Meter               an external power meter on the board's supply
    └── one section per backend:   qemu, iss, iss_rv, verilator, serial; the ssh backend's
                                   connection keys sit at the top level (harness/remote/config.py
                                   checks them after ${VAR} expansion)

`spec_error(file, exc)` turns pydantic's ValidationError into the one line hilbench prints:
`targets/x/target.yaml: toolchain.cflags: expected a list of strings, got 'str'`.
"""
from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .paths import KERNELS_DIR

__all__ = ["TargetSpec", "ToolchainSpec", "MemorySpec", "EnergySpec", "FirmwareSpec",
           "QemuSpec", "IssArmSpec", "IssRvSpec", "VerilatorSpec", "SerialSpec", "RenodeSpec",
           "PlatformioSpec", "MeterSpec", "spec_error",
           "SSH_KEYS", "REQUIRED_SECTIONS", "LinkSpec", "PipelineSpec"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ToolchainSpec(_Section):
    cc: str
    cflags: list[str] = []
    ldflags: list[str] = []
    size: str = "size"


class MemorySpec(_Section):
    flash_bytes: int | None = Field(None, gt=0)
    ram_bytes: int | None = Field(None, gt=0)


class EnergySpec(_Section):
    joules_per_cycle: float | None = Field(None, gt=0)
    ua_per_mhz: float | None = Field(None, gt=0)
    volts: float | None = Field(None, gt=0)


def _as_kind(value: Any) -> Any:
    """`counter: dwt` is short for `counter: {kind: dwt}`."""
    return {"kind": value} if isinstance(value, str) else value


class UartSpec(_Section):
    kind: Literal["cmsdk-apb-uart", "hb-soc", "stm32-lpuart", "nrf-uart"]
    base: int = Field(ge=0)
    clock_hz: int | None = Field(None, gt=0)
    baud: int | None = Field(None, gt=0)


class CounterSpec(_Section):
    kind: Literal["cmsdk-timer", "dwt", "mcycle"]
    base: int | None = Field(None, ge=0)
    clock_hz: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _base(self) -> CounterSpec:
        if self.kind == "cmsdk-timer" and self.base is None:
            raise ValueError("base: missing (a cmsdk-timer counter needs its address)")
        return self


class BudgetSpec(_Section):
    kind: Literal["cmsdk-timer", "none"] = "none"
    base: int | None = Field(None, ge=0)
    irq: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _timer(self) -> BudgetSpec:
        if self.kind == "cmsdk-timer" and (self.base is None or self.irq is None):
            key = "base" if self.base is None else "irq"
            raise ValueError(f"{key}: missing (a cmsdk-timer budget needs base and irq)")
        return self


class ExitSpec(_Section):
    kind: Literal["semihosting", "halt", "hb-soc"] = "semihosting"
    base: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _base(self) -> ExitSpec:
        if self.kind == "hb-soc" and self.base is None:
            raise ValueError("base: missing (the address of hb-soc's EXIT register)")
        return self


class FirmwareSpec(_Section):
    """The `firmware:` section (schema and defaults: harness/firmware/config.py)."""

    arch: Literal["cortex-m", "riscv"] = "cortex-m"
    runtime: str = "cortex-m4"
    board: str | None = None        # folder of board files preferred to runtime's (nucleo-l4r5zi)
    inputs: Literal["compiled", "stream"] = "compiled"
    flash_origin: int | None = Field(None, ge=0)
    ram_origin: int | None = Field(None, ge=0)
    stack_bytes: int = Field(16384, gt=0)
    num_irqs: Literal[32, 64] = 32
    uart: UartSpec
    counter: CounterSpec
    budget: BudgetSpec = BudgetSpec()
    exit: ExitSpec = ExitSpec()
    model_id: str | None = None

    @field_validator("counter", "budget", "exit", "uart", mode="before")
    @classmethod
    def _kinds(cls, value: Any) -> Any:
        return _as_kind(value)

    @model_validator(mode="after")
    def _stream(self) -> FirmwareSpec:
        if self.inputs == "stream" and self.uart.kind == "hb-soc":
            raise ValueError(f"inputs: stream needs a UART that receives (cmsdk-apb-uart, "
                             f"stm32-lpuart, nrf-uart), not {self.uart.kind}")
        return self


class QemuSpec(_Section):
    binary: str = "qemu-system-arm"
    machine: str
    icount_shift: int = Field(0, ge=0, le=10)
    max_instructions_per_inference: int = Field(4_000_000_000, gt=0)
    extra_args: list[str] = []


class IssArmSpec(_Section):
    """The `iss:` section of the iss_arm backend (memory_map: harness/iss/memory.py)."""

    branch_refill_cycles: int = Field(2, ge=1, le=3)   # the TRM's P
    max_instructions_per_inference: int = Field(4_000_000_000, gt=0)
    memory_map: dict[str, Any] | None = None


class IssRvSpec(_Section):
    nnx: Literal[0, 1] = 1
    # the RTL core whose timing model prices the run (harness/rvtiming); None: no cycles
    timing: Literal["hb_core", "vexriscv", "cv32e40x"] | None = None
    max_instructions_per_inference: int = Field(2_000_000_000, gt=0)


class VerilatorSpec(_Section):
    # rtl/soc/hb_soc.v | rtl/vexriscv/vx_soc.v | rtl/cv32e40x/cv_soc.sv |
    # rtl/soc/obi_soc.sv (cv32e40p, ibex)
    core: Literal["hb_core", "vexriscv", "cv32e40x", "cv32e40p", "ibex"] = "hb_core"
    nnx: Literal[0, 1] = 0
    mem_latency: int = Field(1, ge=0, le=256)
    max_cycles_per_inference: int = Field(2_000_000_000, gt=0)


class SerialSpec(_Section):
    port: str | None = None
    port_env: str | None = None
    baud: int = Field(115200, gt=0)
    flash: list[str] = []
    boot_wait_s: float = Field(1.0, ge=0)
    launch: list[str] = []
    port_pattern: str = r"char device redirected to (/dev/pts/[0-9]+)"
    counter_provenance: Literal["hw-counter", "instructions"] = "hw-counter"
    instructions_per_tick: float = Field(1.0, gt=0)
    model_id: str | None = None

    @model_validator(mode="after")
    def _one_way(self) -> SerialSpec:
        if self.flash and self.launch:
            raise ValueError("flash: flash and launch exclude each other (a board, or a "
                             "simulator started for the run)")
        return self


class RenodeSpec(_Section):
    """The `renode:` section (harness/backends/renode.py says how each key is used)."""

    binary: str = "renode"                    # HILBENCH_RENODE overrides it
    versions: list[str] = ["1.15"]            # accepted major.minor series
    platform: str                             # .repl file, next to the target.yaml
    peripherals: list[str] = []               # C# files compiled by Renode (include @file.cs)
    performance_in_mips: int = Field(25, gt=0)
    counter_timer_hz: int = Field(gt=0)       # the .repl's clock of firmware.counter's timer
    budget_timer_hz: int = Field(gt=0)        # the .repl's clock of firmware.budget's timer
    quantum_s: float = Field(0.01, gt=0)
    max_instructions_per_inference: int = Field(4_000_000_000, gt=0)


class PlatformioSpec(_Section):
    """The `platformio:` section: the firmware is a PlatformIO project (harness/firmware/
    pio_project.py writes it), built by `pio run` and, for the serial backend, flashed by the
    `serial.flash` / `serial.launch` command. `platform` may name the folder of a local
    platform as symlink://{target_dir}/... ({target_dir}: the target's folder)."""

    platform: str
    board: str
    env: str = Field("hilbench", pattern=r"^[A-Za-z0-9_.-]+$")
    framework: str | None = None
    upload_protocol: str | None = None
    upload_command: list[str] = []
    options: dict[str, str] = {}


class MeterSpec(_Section):
    """The `meter:` section: an external power meter on the board's supply (harness/power)."""

    kind: Literal["lpm01a", "ppk2", "joulescope"]
    port: str | None = None
    port_env: str | None = None
    volts: float = Field(3.3, gt=0, le=5.0)
    rate_hz: int = Field(1000, gt=0)
    baud: int = Field(3686400, gt=0)              # LPM01A's virtual COM port
    mode: Literal["source", "ampere"] = "source"  # PPK2
    window: Literal["protocol", "gpio"] = "protocol"
    inferences: int = Field(100, gt=0)
    idle_s: float = Field(0.5, gt=0)
    idle_margin_s: float = Field(0.01, ge=0)      # left out at each end of the idle span
    stall_s: float = Field(1.0, gt=0)


# The ssh backend's keys, at the top level of its target.yaml (harness/remote/config.py).
SSH_KEYS = ("host", "port", "user", "key_file", "known_hosts", "accept_unknown_host_key",
            "key_passphrase_env", "allow_agent", "connect_timeout_s", "remote_tmp", "python",
            "num_threads", "reference_kernels", "warmup", "power")

class LinkSpec(_Section):
    """A radio link between two targets of a pipeline, from a datasheet (energy-model)."""

    kind: Literal["ble5"]
    datasheet: str = Field(min_length=1)          # where the numbers come from
    phy_bits_per_s: float = Field(gt=0)           # on-air bit rate (LE 2M PHY: 2e6)
    tx_current_a: float = Field(gt=0)             # radio TX current at the chosen power
    volts: float = Field(gt=0)
    payload_bytes_per_packet: int = Field(gt=0)   # application bytes per LL packet
    overhead_bytes_per_packet: int = Field(ge=0)  # preamble, access address, headers, CRC
    ack_bytes: int = Field(0, ge=0)               # the peer's empty packet per data packet
    ifs_s: float = Field(0.0, ge=0)               # inter-frame space (twice per packet)


class PipelineSpec(_Section):
    """Targets composed with a link: stage 1 (through `split_after`) on the first, the
    remaining stages on the second (harness/pipeline)."""

    sensor: str = Field(min_length=1)
    edge: str = Field(min_length=1)
    split_after: int = Field(0, ge=0)
    link: LinkSpec


# Sections a backend cannot do without.
REQUIRED_SECTIONS: dict[str, tuple[str, ...]] = {
    "host": ("toolchain",),
    "qemu": ("toolchain", "firmware", "qemu"),
    "iss_arm": ("toolchain", "firmware"),
    "iss_rv": ("toolchain", "firmware"),
    "verilator": ("toolchain", "firmware", "verilator"),
    "serial": ("toolchain", "firmware", "serial"),
    "renode": ("toolchain", "firmware", "renode"),
    "pipeline": ("pipeline",),
}


class TargetSpec(BaseModel):
    """A whole target.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: str
    description: str = ""
    clock_hz: int | None = Field(None, gt=0)
    memory: MemorySpec = MemorySpec()
    toolchain: ToolchainSpec | None = None
    energy: EnergySpec = EnergySpec()
    timeout_s: float = Field(300.0, gt=0)
    default_inputs: int = Field(100, gt=0)
    kernels: str = "ref"
    firmware: FirmwareSpec | None = None
    qemu: QemuSpec | None = None
    iss: IssArmSpec | None = None
    iss_rv: IssRvSpec | None = None
    verilator: VerilatorSpec | None = None
    serial: SerialSpec | None = None
    renode: RenodeSpec | None = None
    pipeline: PipelineSpec | None = None
    platformio: PlatformioSpec | None = None
    meter: MeterSpec | None = None
    # ssh: checked by harness/remote/config.py after ${VAR} expansion
    host: Any = None
    port: Any = None
    user: Any = None
    key_file: Any = None
    known_hosts: Any = None
    accept_unknown_host_key: Any = None
    key_passphrase_env: Any = None
    allow_agent: Any = None
    connect_timeout_s: Any = None
    remote_tmp: Any = None
    python: Any = None
    num_threads: Any = None
    reference_kernels: Any = None
    warmup: Any = None
    power: Any = None

    @field_validator("kernels")
    @classmethod
    def _kernel_set(cls, name: str) -> str:
        folder = (KERNELS_DIR / name).resolve()
        if folder.parent != KERNELS_DIR.resolve():
            raise ValueError(f"expected the name of a kernel set (a folder of {KERNELS_DIR}), "
                             f"got the path {name!r} outside it")
        if not folder.is_dir():
            known = ", ".join(sorted(p.name for p in KERNELS_DIR.iterdir() if p.is_dir()))
            raise ValueError(f"expected one of the kernel sets {known}, got {name!r}")
        return name

    @model_validator(mode="before")
    @classmethod
    def _ssh_keys_only_for_ssh(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("backend") != "ssh":
            stray = [k for k in SSH_KEYS if k in data]
            if stray:
                raise ValueError(f"{stray[0]}: unknown key for backend {data.get('backend')!r} "
                                 "(connection keys belong to ssh targets)")
        return data

    @model_validator(mode="after")
    def _backend_needs(self) -> TargetSpec:
        for section in REQUIRED_SECTIONS.get(self.backend, ()):
            if getattr(self, section) is None:
                raise ValueError(f"{section}: missing (the {self.backend} backend needs a "
                                 f"'{section}:' section)")
        fw, mem = self.firmware, self.memory
        if fw is not None and self.backend in REQUIRED_SECTIONS and \
                "firmware" in REQUIRED_SECTIONS[self.backend]:
            if mem.ram_bytes is None:
                raise ValueError("memory.ram_bytes: missing (needed to link a firmware)")
            if fw.arch == "cortex-m" and mem.flash_bytes is None:
                raise ValueError("memory.flash_bytes: missing (needed to link a cortex-m "
                                 "firmware)")
        if self.backend in ("verilator", "iss_rv") and mem.ram_bytes is not None:
            ram = mem.ram_bytes
            if ram < 4096 or ram & (ram - 1):
                raise ValueError(f"memory.ram_bytes: expected a power of two >= 4096 (the SoC's "
                                 f"RAM_BYTES), got {ram}")
        return self

    def options(self) -> dict[str, Any]:
        """The backend sections and ssh keys that are set, as plain data (Target.options)."""
        core = {"backend", "description", "clock_hz", "memory", "toolchain", "energy",
                "timeout_s", "default_inputs", "kernels"}
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if k not in core}


# ---------------------------------------------------------------------------------------
# ValidationError -> one line


_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


def _describe(annotation: Any) -> str:
    """'a list of strings', 'an integer', 'one of a, b', 'a mapping' for a field's type."""
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in args) if len(args) > 1 else _describe(args[0])
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(annotation))
    if origin is list:
        inner = _describe(args[0]) if args else "values"
        plural = {"a string": "strings", "an integer": "integers", "a number": "numbers"}
        return f"a list of {plural.get(inner, inner)}"
    if origin is dict or annotation is dict:
        return "a mapping"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a mapping with " + ", ".join(annotation.model_fields)
    if annotation in _NAMES:
        return _NAMES[annotation]
    return "a value"


def _field(loc: tuple[Any, ...]) -> tuple[type[BaseModel] | None, Any]:
    """(the model holding the last key of `loc`, that key's annotation)."""
    model: Any = TargetSpec
    annotation: Any = None
    for part in loc:
        if isinstance(part, int):        # a list item: the list's element type
            args = typing.get_args(annotation)
            annotation = args[0] if args else None
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None, None
        info = model.model_fields.get(str(part))
        if info is None:
            return model, None
        annotation = info.annotation
        inner = [a for a in typing.get_args(annotation) if isinstance(a, type)
                 and issubclass(a, BaseModel)]
        holder = model
        model = inner[0] if inner else annotation
    return holder if loc else None, annotation


_SUBKEY = re.compile(r"^([a-z_][a-z0-9_.]*): (.*)$", re.S)
_BOUNDS = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
           "less_than_equal": "<="}


def spec_error(file: Path | str, exc: ValidationError) -> str:
    """The first error of `exc` as `<file>: <key>: expected ..., got ...` (one line)."""
    errors = exc.errors(include_url=False)
    err = errors[0]
    loc = tuple(p for p in err["loc"] if isinstance(p, int) or not str(p).startswith(
        ("function-", "lax-", "strict-")))
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    holder, annotation = _field(loc)
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        fields = list(holder.model_fields) if holder is not None else []
        if holder is TargetSpec:
            fields = [f for f in fields if f not in SSH_KEYS]
        known = ", ".join(fields)
        text = "unknown key" + (f" (expected one of: {known})" if known else "")
    elif kind == "missing":
        text = f"missing (expected {_describe(annotation)})"
    elif kind == "value_error":
        text = str(err["msg"]).removeprefix("Value error, ")
        sub = _SUBKEY.match(text)       # "<key>: ..." from a model validator names a sub-key
        if sub:
            key = f"{key}.{sub.group(1)}" if key else sub.group(1)
            text = sub.group(2)
    elif kind in _BOUNDS:
        bound = next(iter((err.get("ctx") or {}).values()), "?")
        text = f"expected {_describe(annotation)} {_BOUNDS[kind]} {bound}, got {value!r}"
    elif kind == "literal_error":
        text = f"expected {_describe(annotation)}, got {value!r}"
    else:
        got = value if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else type(value).__name__
        text = f"expected {_describe(annotation)}, got {got!r}"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{file}: {key}: {text}{more}" if key else f"{file}: {text}{more}"
