"""`serial`: a board that runs the generated model as firmware and takes its inputs over its
serial line, with the MLPerf Tiny device protocol (harness/mlperf_dut.py on this side,
targets/mcu-common/runner_mlperf.c on the board).

    available()  pyserial importable, the firmware toolchain there, serial.port set (and the
                 flasher's program found, when serial.flash is given); never opens the port
    build()      firmware.build_firmware (firmware.inputs must be `stream`): no inputs in the
                 image, so one image serves every input
    run()        runs serial.flash (the image's path in place of {elf}), opens serial.port,
                 waits for the board to answer, checks `m-model-[...]` (serial.model_id,
                 by default the name compiled into the image), then per input: `db load`,
                 `db <hex>`..., `infer 1 0`, and the exact output bytes (m-hb-output) and
                 counter ticks (m-hb-count); with
                 repeats > 1 one more `infer <repeats> 1` on the first input for the latency

Target YAML, section `serial:`

    port: /dev/ttyACM0          or the environment variable named by port_env
    port_env: HILBENCH_MPS2_PORT
    baud: 115200
    flash: [openocd, -f, board/x.cfg, -c, "program {elf} verify reset exit"]   (optional)
    boot_wait_s: 1.0            after flashing, before the first command
    launch: [qemu-system-arm, ..., -serial, pty, -kernel, "{elf}"]   (optional, instead of a
                                board: a simulator started for the run, stopped after it,
                                whose output names the port; targets/mps2-an386-pty)
    port_pattern: 'char device redirected to (/dev/pts/[0-9]+)'   the port in launch's output
    counter_provenance: hw-counter    what the firmware's counter is: hw-counter on a board;
                                instructions when the "board" is QEMU with -icount behind a
                                pseudo-terminal (then instructions_per_tick converts ticks)
    instructions_per_tick: 40
    model_id: kws_ref_model     what the board must report in m-model-[...] (default: the
                                name compiled into the image: firmware.model_id, else the
                                model file's stem); another answer is refused

With a `platformio:` section (targets/mps2-an386-pio, targets/nucleo-l4r5zi) build() writes
the firmware as a PlatformIO project and runs `pio run` (harness/firmware/pio_build.py), and
flash / launch may use {pio}, {project} and {env} besides {elf}, e.g.
    flash: ["{pio}", run, -d, "{project}", -e, "{env}", -t, nobuild, -t, upload]

Metrics: with counter_provenance hw-counter, cycles_per_inference (a timer's ticks x clock_hz / its
clock; DWT counts cycles) and latency_ms at clock_hz (with repeats > 1: from the timed loop);
with `instructions`, instructions_per_inference. Every command has timeout_s (target.yaml)
to answer; a silent or dead board is a RunTimeoutError, an `e-[...]` answer, a HardFault or
the budget a RunError, and nothing is recorded.
"""
from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..artifacts import Artifact, RunResult, pack_samples, unpack_samples
from ..commands import Command, execute, which
from ..errors import RunError, TargetConfigError
from ..firmware.pio import pio_environment
from ..firmware.pio_build import build_pio_firmware, pio_placeholders, pio_problem
from ..launch import launched
from ..measure import LayerMetric, Metric
from ..mlperf_dut import Dut, check_identity, firmware_model_id
from ..power import capture_energy, open_meter
from ..targets import Target
from .firmware_backend import FirmwareBackend

if TYPE_CHECKING:
    from ..codegen import GeneratedModel

__all__ = ["SerialBackend", "SerialOptions"]


@dataclass(frozen=True)
class SerialOptions:
    port: str | None
    baud: int
    flash: tuple[str, ...]
    boot_wait_s: float
    counter_provenance: str
    instructions_per_tick: float
    model_id: str | None
    launch: tuple[str, ...] = ()
    port_pattern: str = r"char device redirected to (/dev/pts/[0-9]+)"

    @classmethod
    def from_target(cls, target: Target) -> SerialOptions:
        """The target's checked `serial:` section (harness/target_schema.py: SerialSpec), with
        the port from the environment variable port_env names when it is set."""
        section = target.spec.serial
        if section is None:
            raise TargetConfigError(f"{target.folder / 'target.yaml'}: the serial backend needs "
                                    "a 'serial:' section (port, baud, flash)")
        port = section.port
        if section.port_env and os.environ.get(section.port_env):
            port = os.environ[section.port_env]
        return cls(port, section.baud, tuple(section.flash), section.boot_wait_s,
                   section.counter_provenance, section.instructions_per_tick, section.model_id,
                   tuple(section.launch), section.port_pattern)


class SerialBackend(FirmwareBackend):
    """A board (or a simulator behind a pseudo-terminal): the firmware template's checks and
    build, its own run (one image streamed every input)."""

    name = "serial"
    python_modules = (("serial", "pyserial>=3.5"),)

    @functools.cached_property
    def options(self) -> SerialOptions:
        return SerialOptions.from_target(self.target)

    def _options(self) -> SerialOptions:
        return self.options

    def toolchain_problem(self) -> str | None:
        if which(self.toolchain.cc) is None:
            return f"{self.toolchain.cc} not found: install the target's cross compiler"
        return None

    def tool_problem(self) -> str | None:
        options = self.options
        if self.firmware.inputs != "stream":
            return (f"target {self.target.name}: the serial backend streams the inputs: set "
                    "firmware.inputs: stream")
        problems = []
        if self.target.spec.platformio is not None:
            problems.append(pio_problem(self.target))
        if options.launch:
            if options.launch[0] != "{pio}" and which(options.launch[0]) is None:
                problems.append(f"{options.launch[0]} (serial.launch) not found: install it")
        else:
            problems += [self._port_problem(), self._flasher_problem()]
        found = [p for p in problems if p]
        return "; ".join(found) if found else None

    def _port_problem(self) -> str | None:
        if self.options.port is not None:
            return None
        section = self.target.spec.serial
        env = section.port_env if section is not None else None
        return (f"target {self.target.name}: no serial port: set serial.port in its "
                "target.yaml" + (f" (or the environment variable {env})" if env else "")
                + " to the board's serial device")

    def _flasher_problem(self) -> str | None:
        flash = self.options.flash
        if flash and flash[0] != "{pio}" and which(flash[0]) is None:
            return f"no flasher: {flash[0]} (serial.flash) not found: install it"
        return None

    def build(self, model: GeneratedModel) -> Artifact:
        if self.target.spec.platformio is None:
            return super().build(model)
        artifact = build_pio_firmware(model, self.target)
        self.add_build_facts(artifact)
        return artifact

    def _command(self, argv: tuple[str, ...], artifact: Artifact) -> tuple[str, ...]:
        """A flash or launch command with its placeholders filled in."""
        if self.target.spec.platformio is not None:
            return pio_placeholders(argv, artifact)
        return tuple(a.replace("{elf}", str(artifact.path)) for a in argv)

    def _tool_env(self) -> dict[str, str]:
        """Environment of the flash / launch commands (PlatformIO's settings for pio)."""
        return pio_environment() if self.target.spec.platformio is not None else {}

    def add_build_facts(self, artifact: Artifact) -> None:
        import serial

        artifact.tool_versions["pyserial"] = str(serial.VERSION)

    def run(self, artifact: Artifact, inputs: Sequence[np.ndarray], repeats: int = 1) -> RunResult:
        options = self.options
        n = int(inputs[0].shape[0])
        data = pack_samples(inputs)
        commands: list[Command] = []
        if options.flash:
            cmd = Command(self._command(options.flash, artifact), env=self._tool_env(),
                          timeout_s=self.target.timeout_s)
            execute(cmd, error=RunError)
            commands.append(cmd)
        if not options.launch:
            return self._run_on(options.port, options, artifact, data, n, repeats, commands)
        argv = self._command(options.launch, artifact)
        with launched(argv, options.port_pattern, f"{self.target.name} (serial.launch)",
                      env=self._tool_env()) as (port, launch_cmd):
            commands.append(launch_cmd)
            return self._run_on(port, options, artifact, data, n, repeats, commands)

    def _run_on(self, port: str | None, options: SerialOptions, artifact: Artifact,
                data: bytes, n: int, repeats: int, commands: list[Command]) -> RunResult:
        import serial

        model = artifact.model
        record = model.input_bytes
        where = f"{self.target.name} ({port})"
        if port is None:
            raise RunError(f"{where}: no serial port configured (serial.port)")
        try:
            link = serial.serial_for_url(port, baudrate=options.baud, timeout=1.0)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise RunError(f"{where}: cannot open the serial port: {exc}") from None
        try:
            dut = Dut(link, timeout_s=self.target.timeout_s, where=where)
            if options.flash and options.boot_wait_s > 0:
                time.sleep(options.boot_wait_s)
            link.reset_input_buffer()
            dut.sync()
            profile = dut.profile()
            check_identity(profile, options.model_id or firmware_model_id(
                self.target.options.get("firmware", {}).get("model_id"), model.source),
                where, artifact.path)
            outputs = bytearray()
            counts: list[int] = []
            layers: list[int] = []
            for i in range(n):
                dut.where = f"{where}, input {i}"
                dut.load(data[i * record:(i + 1) * record])
                result = dut.infer(1, 0)
                if len(result.output) != model.output_bytes:
                    raise RunError(f"{dut.where}: {len(result.output)} output bytes, the model "
                                   f"has {model.output_bytes}")
                if result.layers and len(result.layers) != len(model.layer_names):
                    raise RunError(f"{dut.where}: {len(result.layers)} per-layer counts, the "
                                   f"model has {len(model.layer_names)} layers")
                outputs += result.output
                if result.count is not None:
                    counts.append(result.count)
                if i == 0:
                    layers = result.layers
            timed = None
            if repeats > 1 and n > 0:
                dut.where = f"{where}, {repeats} timed repeats"
                dut.load(data[:record])
                timed = dut.infer(repeats, 1)
            energy: tuple[dict[str, Metric], dict[str, Any]] = ({}, {})
            if self.target.spec.meter is not None and n > 0:
                energy = self._measure_energy(dut, data[:record], where)
        finally:
            link.close()
        scale, provenance = self._tick_scale(options)
        metrics = self._metrics(options, counts, timed, n)
        layer_metrics = [LayerMetric(i, model.layer_names[i], model.layer_ops[i], c * scale,
                                     provenance)
                         for i, c in enumerate(layers) if i < len(model.layer_names)]
        metrics.update(energy[0])
        extra: dict[str, Any] = {"board": profile, "counts_per_input": counts, **energy[1]}
        if timed is not None and timed.lap_us is not None:
            extra["lap_us"] = list(timed.lap_us)
        return RunResult(unpack_samples(bytes(outputs), n, model.output_specs), metrics,
                         layer_metrics, commands, "\n".join(dut.transcript), extra)

    def _measure_energy(self, dut: Dut, record: bytes, where: str
                        ) -> tuple[dict[str, Metric], dict[str, Any]]:
        """meter.inferences timed inferences of the first input under the target's power
        meter (harness/power): energy per inference with the idle power subtracted."""
        spec = self.target.spec.meter
        assert spec is not None
        dut.where = f"{where}, {spec.inferences} inferences under the {spec.kind} meter"
        dut.load(record)

        def run() -> int:
            dut.infer(spec.inferences, 1)
            return spec.inferences

        return capture_energy(open_meter(spec), run)

    # -- what the counts mean -------------------------------------------------------------

    def _tick_scale(self, options: SerialOptions) -> tuple[float, str]:
        """(per counter tick, provenance): instructions behind QEMU -icount; core cycles on
        a board (a timer's ticks times clock_hz / its clock_hz; DWT counts cycles)."""
        if options.counter_provenance == "instructions":
            return options.instructions_per_tick, "instructions"
        hz = self.firmware.counter_hz(None)
        clock = self.target.clock_hz
        return (clock / hz if hz and clock else 1.0), "hw-counter"

    def _metrics(self, options: SerialOptions, counts: list[int], timed: Any, n: int
                 ) -> dict[str, Metric]:
        if not counts:
            return {}
        cfg = self.firmware
        scale, provenance = self._tick_scale(options)
        mean = float(np.mean(counts))
        how = (f"the firmware's {cfg.counter['kind']} counter around hb_model_invoke, read on "
               f"the board and sent over the serial line, mean of {n} inputs")
        if provenance == "instructions":
            return {"instructions_per_inference": Metric(
                mean * scale, "instr", "instructions",
                f"{how}; x {scale:g} instructions per tick (QEMU -icount behind a "
                "pseudo-terminal)")}
        metrics = {"cycles_per_inference": Metric(
            mean * scale, "cycles", "hw-counter",
            how + ("" if scale == 1 else f"; x {scale:g} core cycles per timer tick"))}
        clock = self.target.clock_hz
        if clock:
            per = timed.count / timed.n * scale if timed is not None and timed.count else mean * scale
            metrics["latency_ms"] = Metric(per / clock * 1e3, "ms", "hw-counter",
                                           f"{how}, at the {clock / 1e6:g} MHz core clock")
        return metrics
