"""Build firmware for hb_soc with riscv64-unknown-elf-gcc.

    from rtl.sw.build import build_elf, assemble
    elf = build_elf(["main.c"], "out/main.elf", nnx=True)

``build_elf`` links ``crt0.S`` + ``hb_libc.c`` + the given sources with
``link.ld``; ``-I rtl/sw`` makes ``hb_rv.h`` / ``nnx.h`` visible.
Command line equivalent (what ``firmware_command`` returns)::

    riscv64-unknown-elf-gcc -march=rv32im -mabi=ilp32 -O2 -ffreestanding \
        -nostdlib -nostartfiles -ffunction-sections -fdata-sections \
        -Wl,--gc-sections -I rtl/sw -T rtl/sw/link.ld \
        rtl/sw/crt0.S rtl/sw/hb_libc.c main.c -lgcc -o main.elf

``assemble`` turns a bare assembly snippet (entry at address 0, no crt0)
into an ELF, for directed tests.

CLI: ``python -m rtl.sw.build [--nnx] -o out.elf src.c ...``
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from rtl.toolchain import riscv_tool

SW_DIR = Path(__file__).resolve().parent
MARCH = "rv32im"
MABI = "ilp32"
DEFAULT_RAM_BYTES = 4 * 1024 * 1024


def firmware_command(sources, out, *, nnx: bool = False, opt: str = "-O2",
                     ram_bytes: int = DEFAULT_RAM_BYTES, stack_bytes: int | None = None,
                     extra_cflags=(),
                     include_dirs=(), libc: bool = True) -> list[str]:
    cmd = [riscv_tool("gcc"), f"-march={MARCH}", f"-mabi={MABI}", opt, "-g",
           "-ffreestanding", "-nostdlib", "-nostartfiles",
           "-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections",
           "-Wall", f"-I{SW_DIR}", *[f"-I{d}" for d in include_dirs],
           "-T", str(SW_DIR / "link.ld"), f"-Wl,--defsym=HB_RAM_SIZE={ram_bytes:#x}"]
    if stack_bytes is None:
        stack_bytes = min(0x10000, ram_bytes // 8)
    cmd.append(f"-Wl,--defsym=HB_STACK_SIZE={stack_bytes:#x}")
    if nnx:
        cmd.append("-DUSE_NNX=1")
    cmd += list(extra_cflags)
    cmd += [str(SW_DIR / "crt0.S")]
    if libc:
        cmd.append(str(SW_DIR / "hb_libc.c"))
    cmd += [str(s) for s in sources]
    cmd += ["-lgcc", "-o", str(out)]
    return cmd


def build_elf(sources, out, **kw) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = firmware_command(sources, out, **kw)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"firmware build failed: {' '.join(cmd)}\n{r.stderr}")
    return out


def assemble(asm: str, out, *, base: int = 0, data_base: int | None = None) -> Path:
    """Assemble a snippet (``_start`` at ``base``) into an ELF without crt0.

    Uses -march=rv32im_zicsr so csrr/csrw mnemonics are accepted.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    src = out.with_suffix(".S")
    src.write_text(".section .text\n.globl _start\n_start:\n" + asm + "\n")
    cmd = [riscv_tool("gcc"), f"-march={MARCH}_zicsr", f"-mabi={MABI}", "-nostdlib",
           "-nostartfiles", f"-Wl,-Ttext={base:#x}", "-Wl,--no-relax",
           "-Wl,-e,_start", str(src), "-o", str(out)]
    if data_base is not None:
        cmd.insert(-3, f"-Wl,-Tdata={data_base:#x}")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"assembly failed: {' '.join(cmd)}\n{r.stderr}\n--- source ---\n"
                           + src.read_text())
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sources", nargs="+")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--nnx", action="store_true", help="define USE_NNX (target rv32-nnx)")
    ap.add_argument("--opt", default="-O2")
    ap.add_argument("--ram-bytes", type=lambda s: int(s, 0), default=DEFAULT_RAM_BYTES)
    ap.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME[=VALUE]",
                    help="a preprocessor define, e.g. -D HB_CFU_ENABLE (VexRiscv's CFU "
                         "enable) or -D NNX_NO_RD_OPERAND (repeatable)")
    a = ap.parse_args(argv)
    build_elf(a.sources, a.output, nnx=a.nnx, opt=a.opt, ram_bytes=a.ram_bytes,
              extra_cflags=[f"-D{d}" for d in a.defines])
    print(a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
