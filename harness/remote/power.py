"""Power sensors of Linux boards: parsers (pure functions) and background samplers.

Shipped to the board next to runner.py, so it uses the standard library only (Python >= 3.8:
JetPack 5/6, Raspberry Pi OS bookworm); the host imports the same parsers for its tests.

Formats read (rail power in watts):

  jetson-ina3221, hwmon layout (mainline `ina3221` driver: JetPack 5 and 6, Orin; kernel doc
  Documentation/hwmon/ina3221.rst):
      <sysfs>/bus/i2c/drivers/ina3221/<bus>-<addr>/hwmon/hwmon<N>/in<k>_label    e.g. VDD_IN
                                                           .../in<k>_input    bus voltage, mV
                                                           .../curr<k>_input  current, mA
      k = 1, 2, 3; P = in * curr.
  jetson-ina3221, iio layout (NVIDIA's L4T `ina3221x` driver: JetPack 4, Nano/TX2/Xavier):
      <sysfs>/bus/i2c/drivers/ina3221x/<bus>-<addr>/iio:device<N>/rail_name_<k>   e.g. POM_5V_IN
                                                     .../in_power<k>_input        mW
                                                     .../in_voltage<k>_input, in_current<k>_input
      k = 0, 1, 2; P = in_power, else in_voltage * in_current.
  tegrastats (one line per interval; the first number is the instantaneous value, in mW):
      JetPack 5/6: `... VDD_IN 5036mW/5036mW VDD_CPU_GPU_CV 477mW/477mW VDD_SOC 1430mW/1430mW`
      JetPack 4:   `... POM_5V_IN 2545/2547 POM_5V_GPU 0/0 POM_5V_CPU 549/529`
  rpi5-pmic (`vcgencmd pmic_read_adc` on the Raspberry Pi 5; one reading per line):
      `   VDD_CORE_A current(7)=2.31000000A` and `   VDD_CORE_V volt(15)=0.87500000V`
      currents and volts paired by rail name (the part before _A/_V), P = V * I per rail;
      rails with only a voltage (EXT5V_V, BATT_V) carry no power.

Which rail is "the board" is decided on the host (`choose_rails`): the named rail, else the
module input rail (VDD_IN on Orin/Xavier NX, POM_5V_IN on Nano) when present, else the sum of
every rail (on the Pi 5: the PMIC's output rails, which leave out conversion losses and the
5 V peripherals).
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import threading
import time
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

__all__ = [
    "INPUT_RAILS", "parse_tegrastats", "parse_pmic_read_adc", "hwmon_watts", "iio_watts",
    "SysfsChannel", "discover_ina3221", "read_channels", "choose_rails", "Sampler",
    "TegrastatsSampler", "open_sampler",
]

INPUT_RAILS = ("VDD_IN", "POM_5V_IN")

_TEGRA = re.compile(r"(?<![\w@/])([A-Z][A-Z0-9_]*) (\d+)(?:mW)?/(\d+)(?:mW)?(?=\s|$)")
_PMIC = re.compile(r"^\s*(\S+)_([AV])\s+(?:current|volt)\(\d+\)=([-+0-9.eE]+)[AV]\s*$")


def parse_tegrastats(line: str) -> Dict[str, float]:
    """Instantaneous rail powers (W) of one tegrastats line; {} when it has none."""
    return {m.group(1): int(m.group(2)) / 1000.0 for m in _TEGRA.finditer(line)}


def parse_pmic_read_adc(text: str) -> Dict[str, float]:
    """Rail powers (W) from `vcgencmd pmic_read_adc`: V * I of every rail with both."""
    amps: Dict[str, float] = {}
    volts: Dict[str, float] = {}
    for line in text.splitlines():
        m = _PMIC.match(line)
        if m:
            (amps if m.group(2) == "A" else volts)[m.group(1)] = float(m.group(3))
    return {rail: volts[rail] * amps[rail] for rail in amps if rail in volts}


def hwmon_watts(millivolts: str, milliamps: str) -> float:
    """P of one hwmon ina3221 channel from the text of in<k>_input (mV) and curr<k>_input (mA)."""
    return int(millivolts.strip()) * int(milliamps.strip()) / 1e6


def iio_watts(milliwatts: str) -> float:
    """P of one ina3221x channel from the text of in_power<k>_input (mW)."""
    return int(milliwatts.strip()) / 1000.0


class SysfsChannel(NamedTuple):
    rail: str
    layout: str               # "hwmon" (files: mV, mA) | "iio-power" (mW) | "iio-vi" (mV, mA)
    files: Tuple[str, ...]


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


def discover_ina3221(sysfs_root: str) -> List[SysfsChannel]:
    """Every labelled INA3221 channel under sysfs_root, in both driver layouts."""
    root = glob.escape(sysfs_root.rstrip("/") or "/")
    found: List[SysfsChannel] = []
    hwmon = os.path.join(root, "bus/i2c/drivers/ina3221/*/hwmon/hwmon*/in[123]_label")
    for label in sorted(glob.glob(hwmon)):
        folder, name = os.path.split(label)
        k = name[2]
        volts, amps = os.path.join(folder, f"in{k}_input"), os.path.join(folder, f"curr{k}_input")
        rail = _read(label).strip()
        if rail and os.path.exists(volts) and os.path.exists(amps):
            found.append(SysfsChannel(rail, "hwmon", (volts, amps)))
    iio = os.path.join(root, "bus/i2c/drivers/ina3221x/*/iio:device*/rail_name_[012]")
    for label in sorted(glob.glob(iio)):
        folder, name = os.path.split(label)
        k = name[-1]
        rail = _read(label).strip()
        power = os.path.join(folder, f"in_power{k}_input")
        volts = os.path.join(folder, f"in_voltage{k}_input")
        amps = os.path.join(folder, f"in_current{k}_input")
        if not rail:
            continue
        if os.path.exists(power):
            found.append(SysfsChannel(rail, "iio-power", (power,)))
        elif os.path.exists(volts) and os.path.exists(amps):
            found.append(SysfsChannel(rail, "iio-vi", (volts, amps)))
    seen: Dict[str, int] = {}
    unique = []
    for ch in found:  # the same label on two sensors: keep both, tell them apart
        seen[ch.rail] = seen.get(ch.rail, 0) + 1
        unique.append(ch if seen[ch.rail] == 1 else ch._replace(rail=f"{ch.rail}#{seen[ch.rail]}"))
    return unique


def read_channels(channels: List[SysfsChannel]) -> Dict[str, float]:
    out = {}
    for ch in channels:
        texts = [_read(f) for f in ch.files]
        out[ch.rail] = iio_watts(texts[0]) if ch.layout == "iio-power" else hwmon_watts(*texts)
    return out


def choose_rails(names: List[str], rail: Optional[str]) -> Tuple[str, List[str]]:
    """(label, rails to add up) for the board's power: `rail` if given, else an input rail,
    else all rails. Raises ValueError when the named rail is not there."""
    if rail:
        if rail not in names:
            raise ValueError(f"power rail {rail!r} not found; the sensor has: {', '.join(names)}")
        return rail, [rail]
    for name in INPUT_RAILS:
        if name in names:
            return name, [name]
    return "sum of " + "+".join(names), list(names)


class Sampler:
    """Calls `read()` every interval_s in a daemon thread; samples are (t, {rail: W}) with t
    the time.perf_counter() midpoint of the read. A failing read stops it and sets `error`."""

    def __init__(self, read: Callable[[], Dict[str, float]], interval_s: float) -> None:
        self.read = read
        self.interval_s = interval_s
        self.samples: List[Tuple[float, Dict[str, float]]] = []
        self.error: Optional[str] = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="power-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        next_t = time.perf_counter()
        while not self._stop.is_set():
            t0 = time.perf_counter()
            try:
                rails = self.read()
            except Exception as exc:  # report it, do not kill the run
                self.error = f"{type(exc).__name__}: {exc}"
                return
            self.samples.append(((t0 + time.perf_counter()) / 2, rails))
            next_t += self.interval_s
            self._stop.wait(max(0.0, next_t - time.perf_counter()))

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)


class TegrastatsSampler(Sampler):
    """Runs `tegrastats --interval <ms>` and parses each line as it arrives."""

    def __init__(self, command: str, interval_s: float) -> None:
        super().__init__(lambda: {}, interval_s)
        self.command = command
        self._proc: Optional[subprocess.Popen] = None  # type: ignore[type-arg]

    def start(self) -> None:
        ms = max(1, int(round(self.interval_s * 1000)))
        self._proc = subprocess.Popen([self.command, "--interval", str(ms)], stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True)
        super().start()

    def _loop(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            if self._stop.is_set():
                return
            rails = parse_tegrastats(line)
            if rails:
                self.samples.append((time.perf_counter(), rails))
        if not self._stop.is_set():
            self.error = f"{self.command} stopped (exit code {self._proc.poll()})"

    def stop(self) -> None:
        self._stop.set()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        super().stop()


def _pmic_reader(command: str) -> Callable[[], Dict[str, float]]:
    def read() -> Dict[str, float]:
        done = subprocess.run([command, "pmic_read_adc"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=10, check=False)
        rails = parse_pmic_read_adc(done.stdout)
        if not rails:
            raise RuntimeError(f"{command} pmic_read_adc printed no rail "
                               f"(exit {done.returncode}): {(done.stdout + done.stderr).strip()[:200]}")
        return rails
    return read


def open_sampler(cfg: Dict[str, object]) -> Tuple[Optional[Sampler], str]:
    """(sampler, what it reads) for the job's power section, or (None, why there is none)."""
    kind = str(cfg.get("kind") or "auto")
    interval = float(cfg.get("interval_s") or 0.02)  # type: ignore[arg-type]
    root = str(cfg.get("sysfs_root") or "/sys")
    if kind == "none":
        return None, "no power sensor configured (power.kind: none)"
    if kind in ("auto", "jetson-ina3221"):
        channels = discover_ina3221(root)
        if channels:
            read_channels(channels)  # fail here, not in the thread, when a file is unreadable
            layouts = sorted({c.layout for c in channels})
            return (Sampler(lambda: read_channels(channels), interval),
                    f"jetson-ina3221 ({'/'.join(layouts)} under {root}): "
                    + ", ".join(c.rail for c in channels))
        if kind == "jetson-ina3221":
            return None, f"no INA3221 channel found under {root}/bus/i2c/drivers/ina3221{{,x}}"
    tegrastats = str(cfg.get("tegrastats") or "tegrastats")
    if kind == "tegrastats" or (kind == "auto" and shutil.which(tegrastats)):
        if not shutil.which(tegrastats):
            return None, f"{tegrastats} not found on the board's PATH"
        return TegrastatsSampler(tegrastats, max(interval, 0.01)), f"tegrastats ({tegrastats})"
    vcgencmd = str(cfg.get("vcgencmd") or "vcgencmd")
    if kind == "rpi5-pmic" or (kind == "auto" and shutil.which(vcgencmd)):
        if not shutil.which(vcgencmd):
            return None, f"{vcgencmd} not found on the board's PATH"
        read = _pmic_reader(vcgencmd)
        try:
            rails = read()
        except (OSError, RuntimeError, subprocess.TimeoutExpired) as exc:
            return None, f"rpi5-pmic unusable: {exc}"
        return Sampler(read, interval), f"rpi5-pmic ({vcgencmd} pmic_read_adc): " + ", ".join(rails)
    return None, "no power sensor found on the board (no INA3221, tegrastats or vcgencmd)"
