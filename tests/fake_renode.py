"""A FAKE Renode for hilbench's own tests (tests/test_renode_fake.py puts it on PATH as `renode`).

What it is: a program with Renode 1.15's command line (`--version`; `--disable-xwt --console
--plain <script.resc>`), its monitor on standard input and output (it stops at `quit` or at the
end of its input, as Renode in console mode does), and the monitor commands hilbench's scripts
use, checked as Renode checks them: absolute paths that exist, peripheral types Renode 1.15
has or that an `include`d C# file defines, `uart0` declared by the platform. Its output is
shaped like a real Renode's: time-stamped log lines, and monitor errors without a level
("There was an error executing command ...", "No such command or device: ...").

What it is not: an emulator. At `start` it runs the ELF in QEMU's mps2-an386 machine
(qemu-system-arm -icount shift=0), whose memory map, UART and CMSDK timers are the ones the
platform file declares (the fake refuses any other map), so the firmware's outputs are really
computed, bit for bit. Where it differs from a real Renode, on purpose and visibly:
- Time base: QEMU's timers tick every 40 instructions. A real Renode at `PerformanceInMips M`
  ticks a timer of F Hz every M*1e6/F instructions. The fake multiplies the counts the firmware
  prints (HB_RESULT, HB_LAYER: TIMER0) by 40*F0/(M*1e6), so they are QEMU's counts to +-40
  instructions where a real Renode's are exact; TIMER1 (the budget) must tick every 40
  instructions (625 kHz at M = 25), as QEMU's does, or the fake refuses to run.
- The hb_exit hook: it cannot run IronPython. It recognises hilbench's hook (`cpu AddHook
  <address> "f = open('<file>', 'w'); ..."`), checks that the address is hb_exit's (nm), and
  writes what that hook writes, with QEMU's exit status (the firmware's exit code) as r0.
- Faults: QEMU escalates an undefined instruction to HardFault (HFSR.FORCED); Renode 1.15.3
  reports it as a UsageFault and HFSR reads as unimplemented, 0 (issue 15). With
  FAKE_RENODE_FAULTS=renode the fake rewrites the firmware's HB_FAULT line that way (the CFSR
  value QEMU sets is kept: what Renode's CFSR reads was not recorded).
- `--version`: the text is a guess at Renode's layout; hilbench only looks for the version
  number in it.

Knobs (environment): FAKE_RENODE_VERSION (the `--version` text), FAKE_RENODE_MODE = normal |
crash (exits with status 134 after the first HB_RESULT, QEMU left running) | deaf (ignores
`quit` and the end of its input: only a kill stops it) | silent-hook (the hook never reports),
FAKE_RENODE_PIDS (a file its own pid
and QEMU's are appended to).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

VERSION = "Renode v1.15.3.29104\n  build: 6e5bd87f-202409261225\n  build type: Release\n" \
          "  runtime: Mono 6.8.0.105"
STOCK_TYPES = {"CPU.CortexM", "IRQControllers.NVIC", "Memory.MappedMemory",
               "UART.CMSDK_APB_UART", "Miscellaneous.DWT"}
# QEMU's mps2-an386 (hw/arm/mps2.c): what the fake can stand in for
QEMU_MAP = {"0x00000000": "Memory.MappedMemory", "0x20000000": "Memory.MappedMemory",
            "0x40004000": "UART.CMSDK_APB_UART", "0x40000000": "timer", "0x40001000": "timer",
            "0xE000E000": "IRQControllers.NVIC"}
QEMU_TICK = 40          # instructions per 25 MHz timer tick under -icount shift=0
_ENTRY = re.compile(r"^(\w+):\s*([\w.]+)\s*@\s*sysbus\s+(0x[0-9A-Fa-f]+)")
_HOOK = re.compile(r"""^cpu AddHook (0x[0-9a-fA-F]+) "(.*)"$""")
_COUNT = re.compile(r"^(HB_RESULT \d+ |HB_LAYER \d+ )(\d+)(.*)$", re.S)
_UDF_FAULT = re.compile(r"^HB_FAULT HardFault (pc=\S+) cfsr=0x00010000 hfsr=0x40000000 (.*)$",
                        re.S)


def log(level: str, source: str, text: str) -> None:
    stamp = time.strftime("%H:%M:%S") + f".{int(time.time() * 1e4) % 10000:04d}"
    print(f"{stamp} [{level}] {source}{': ' if source else ''}{text}", flush=True)


class ScriptError(Exception):
    pass


class FakeRenode:
    def __init__(self) -> None:
        self.types = set(STOCK_TYPES)
        self.peripherals: dict[str, tuple[str, str, dict[str, str]]] = {}
        self.mips = 100           # Renode's default PerformanceInMips
        self.elf: Path | None = None
        self.uart: Path | None = None
        self.hook_file: Path | None = None
        self.machine = False
        self.qemu: subprocess.Popen[bytes] | None = None

    # -- monitor commands ------------------------------------------------------------------

    def execute(self, line: str) -> None:
        words = line.split()
        if words[:2] == ["using", "sysbus"]:
            return
        if words[0] == "include":
            self.include(self.path(words[1]))
        elif words[:2] == ["mach", "create"]:
            self.machine = True
            log("INFO", "", "System bus created.")
        elif words[:2] == ["machine", "LoadPlatformDescription"]:
            self.need_machine()
            self.platform(self.path(words[2]))
        elif words[:2] == ["cpu", "PerformanceInMips"]:
            self.need_machine()
            self.mips = int(words[2])
        elif words[0] == "emulation" and words[1] in ("SetGlobalQuantum",
                                                      "SetAdvanceImmediately"):
            return
        elif words[:2] == ["sysbus", "LoadELF"]:
            self.need_machine()
            elf = self.path(words[2])
            if elf.read_bytes()[:4] != b"\x7fELF":
                raise ScriptError(f"Error while loading ELF: {elf} is not an ELF file")
            self.elf = elf
        elif words[1:2] == ["CreateFileBackend"] and words[0] in self.peripherals:
            self.uart = Path(words[2][1:])
            if not self.uart.is_absolute():
                raise ScriptError(f"Could not find file '{words[2][1:]}'")
            self.uart.write_bytes(b"")
        elif line.startswith("cpu AddHook"):
            self.hook(line)
        elif words == ["start"]:
            self.start()
        else:
            raise ScriptError(f"No such command or device: {words[0]}")

    def need_machine(self) -> None:
        if not self.machine:
            raise ScriptError("No machine selected.")

    def path(self, token: str) -> Path:
        """`@/abs/path`: Renode resolves a relative one against its own folder, not the
        script's, so hilbench's scripts must give absolute paths."""
        path = Path(token[1:]) if token.startswith("@") else Path(token)
        if not token.startswith("@") or not path.is_absolute() or not path.is_file():
            raise ScriptError(f"Could not find file '{token.lstrip('@')}'")
        return path

    def include(self, path: Path) -> None:
        if path.suffix != ".cs":
            raise ScriptError(f"fake renode: include of {path.suffix} files is not modelled")
        source = path.read_text()
        if "namespace Antmicro.Renode.Peripherals.Timers" not in source:
            raise ScriptError(f"Could not compile {path}: the fake knows Timers peripherals only")
        self.types |= {f"Timers.{c}" for c in re.findall(r"public class (\w+)", source)}

    def platform(self, path: Path) -> None:
        current = None
        for raw in path.read_text().splitlines():
            line = raw.split("//")[0].rstrip()
            entry = _ENTRY.match(line)
            if entry:
                name, kind, address = entry.groups()
                if kind not in self.types:
                    raise ScriptError(f"Error E05: Could not resolve type: '{kind}'")
                current = name
                self.peripherals[name] = (kind, address.upper().replace("0X", "0x"), {})
            elif line.startswith((" ", "\t")) and current and ":" in line:
                key, value = (s.strip() for s in line.split(":", 1))
                self.peripherals[current][2][key] = value
        at = {address: kind for kind, address, _ in self.peripherals.values()}
        for address, kind in QEMU_MAP.items():
            found = at.get(address, "")
            if found != kind and not (kind == "timer" and found.startswith("Timers.")):
                raise ScriptError(f"fake renode: no {kind} at {address}: QEMU's mps2-an386 "
                                  "cannot stand in for this platform")

    def hook(self, line: str) -> None:
        found = _HOOK.match(line)
        file = re.search(r"open\('([^']+)', 'w'\)", found.group(2)) if found else None
        if not found or not file:
            raise ScriptError("fake renode: only hilbench's hb_exit hook is modelled")
        if self.elf is None or int(found.group(1), 16) != hb_exit_address(self.elf):
            raise ScriptError("fake renode: the hook is not on hb_exit")
        self.hook_file = Path(file.group(1))

    # -- the emulation: QEMU's mps2-an386 ------------------------------------------------------

    def start(self) -> None:
        if self.elf is None or self.uart is None:
            raise ScriptError("fake renode: start before LoadELF / CreateFileBackend")
        freq = {name: int(p[2].get("frequency", "0")) for name, p in self.peripherals.items()
                if p[0].startswith("Timers.")}
        scale = {name: QEMU_TICK * hz / (self.mips * 1e6) for name, hz in freq.items()}
        if scale.get("timer1") != 1 or not float(scale.get("timer0", 0.5)).is_integer():
            raise ScriptError(f"fake renode: cannot model timers {freq} at PerformanceInMips "
                              f"{self.mips} with QEMU's 40-instruction ticks")
        argv = ["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none",
                "-serial", "stdio", "-semihosting-config", "enable=on,target=native",
                "-icount", "shift=0,align=off,sleep=off", "-no-reboot", "-kernel", str(self.elf)]
        self.qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        record_pid("qemu", self.qemu.pid)
        log("INFO", "hilbench", "Machine started.")
        threading.Thread(target=self.pump, args=(int(scale["timer0"]),), daemon=True).start()

    def pump(self, scale: int) -> None:
        """QEMU's UART to the file backend, counts in Renode's time base; then the hook."""
        assert self.qemu is not None and self.qemu.stdout is not None and self.uart
        mode, faults = os.environ.get("FAKE_RENODE_MODE"), os.environ.get("FAKE_RENODE_FAULTS")
        with open(self.uart, "ab") as out:
            for raw in self.qemu.stdout:
                text = raw.decode("ascii", "replace")
                count = _COUNT.match(text)
                if count:
                    text = f"{count.group(1)}{int(count.group(2)) * scale}{count.group(3)}"
                udf = _UDF_FAULT.match(text)
                if udf and faults == "renode":
                    text = f"HB_FAULT UsageFault {udf.group(1)} cfsr=0x00010000 " \
                           f"hfsr=0x00000000 {udf.group(2)}"
                out.write(text.encode())
                out.flush()
                if mode == "crash" and text.startswith("HB_RESULT"):
                    print("=================================================================\n"
                          "\tNative Crash Reporting\n"
                          "=================================================================",
                          flush=True)
                    os._exit(134)
        status = self.qemu.wait()
        if self.hook_file is not None and mode != "silent-hook":
            self.hook_file.write_text(f"hb_exit r0={status} end")
        log("WARNING", "cpu", "Semihosting operation 0x20 is not supported")

    def stop(self) -> None:
        if self.qemu is not None and self.qemu.poll() is None:
            self.qemu.kill()
            self.qemu.wait()


def hb_exit_address(elf: Path) -> int:
    out = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "hb_exit":
            return int(parts[0], 16) & ~1
    return -1


def record_pid(what: str, pid: int) -> None:
    path = os.environ.get("FAKE_RENODE_PIDS")
    if path:
        with open(path, "a") as f:
            f.write(f"{what} {pid}\n")


def main(argv: list[str]) -> int:
    if argv[:1] in (["--version"], ["-v"]):
        print(os.environ.get("FAKE_RENODE_VERSION", VERSION))
        return 0
    if any(a in ("--port", "-P", "--robot-server-port") for a in argv):
        print("fake renode: hilbench must not serve the monitor or robot server on a socket")
        return 2
    flags = [a for a in argv if a.startswith("-")]
    scripts = [a for a in argv if not a.startswith("-")]
    if sorted(flags) != ["--console", "--disable-xwt", "--plain"] or len(scripts) != 1:
        print(f"fake renode: unexpected command line {argv}")
        return 2
    record_pid("renode", os.getpid())
    renode = FakeRenode()
    log("INFO", "", "Loaded monitor commands from: /opt/renode/scripts/monitor.py")
    script = Path(scripts[0])
    log("INFO", "", f"Including script: {script}")
    for line in script.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            renode.execute(line)
        except (ScriptError, OSError) as exc:
            print(f"There was an error executing command '{line}'\n{exc}", flush=True)
            break
    deaf = os.environ.get("FAKE_RENODE_MODE") == "deaf"
    for command in sys.stdin:                   # the monitor: quit, or the end of the input
        if command.strip() in ("quit", "q") and not deaf:
            break
    while deaf:
        time.sleep(1)
    renode.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
