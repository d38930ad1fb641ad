"""The Cortex-M4 cycle-model ISS (harness/iss) and its backend `iss_arm` (target
cortex-m4-iss): configuration without tools; small programs (console, exit codes, budget,
faults, exact instruction counts); the shared firmware runtime with fixture models; the
MLPerf Tiny int8 models bit-exact, with instruction counts checked against QEMU on the same
firmware image.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import yaml
from hb_testutil import FLOAT_MODELS, INT8_MODELS, model_path
from mcu_fixture import SPIN_ITERATIONS, expected_outputs, write_model

from harness.backends import backend_for
from harness.errors import RunError, RunTimeoutError, TargetConfigError
from harness.targets import Target, load_target, targets_dir

pytest.importorskip("unicorn")
pytest.importorskip("capstone")

from harness.backends.iss_arm import IssArmBackend, IssOptions  # noqa: E402
from harness.iss import MPS2_AN386, MemoryMap, simulate  # noqa: E402
from harness.iss.timing import DEFAULT_REFILL  # noqa: E402

P = DEFAULT_REFILL
CC = "arm-none-eabi-gcc"


@lru_cache(maxsize=1)
def _unavailable() -> str | None:
    if shutil.which(CC) is None:
        return f"{CC} not found (Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"
    return IssArmBackend(load_target("cortex-m4-iss")).available()


needs_iss = pytest.mark.skipif(_unavailable() is not None, reason=_unavailable() or "")


@pytest.fixture(scope="module")
def iss_target() -> Target:
    return load_target("cortex-m4-iss")


def _inputs(n: int, size: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, size), dtype=np.uint8)


def _variant(tmp_path: Path, name: str, iss: dict[str, object]) -> Target:
    data = yaml.safe_load((targets_dir() / "cortex-m4-iss" / "target.yaml").read_text())
    data["iss"] = {**data["iss"], **iss}
    folder = tmp_path / name
    folder.mkdir()
    (folder / "target.yaml").write_text(yaml.safe_dump(data))
    return load_target(folder / "target.yaml")


# ---- configuration (no tools) ----------------------------------------------------------


def test_registered_and_configured(iss_target: Target) -> None:
    backend = backend_for(iss_target)
    assert isinstance(backend, IssArmBackend)
    options = IssOptions.from_target(iss_target)
    assert options.refill == 2 and options.max_instructions_per_inference == 4_000_000_000
    assert options.memory_map == MPS2_AN386  # the YAML spells out QEMU's mps2-an386 map
    assert iss_target.clock_hz == 120_000_000
    assert iss_target.joules_per_cycle() == pytest.approx(1.8 * 100e-12)
    fw = iss_target.options["firmware"]
    assert fw["counter"] == {"kind": "dwt"} and fw["budget"] == {"kind": "none"}


def test_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(TargetConfigError, match=r"iss.branch_refill_cycles: expected an integer <= 3, got 4"):
        IssOptions.from_target(_variant(tmp_path, "p4", {"branch_refill_cycles": 4}))
    with pytest.raises(TargetConfigError, match="multiples of 4 KiB"):
        MemoryMap.from_yaml({"regions": [{"name": "x", "base": 0x100, "size": 0x1000}]})
    with pytest.raises(TargetConfigError, match="alias of unknown region 'nope'"):
        MemoryMap.from_yaml({"regions": [{"name": "x", "base": 0, "size": 0x1000,
                                          "alias": "nope"}]})
    with pytest.raises(TargetConfigError, match="invalid memory_map"):
        MemoryMap.from_yaml({"regions": [{"base": 0}]})


def test_available_names_the_missing_packages(iss_target: Target,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "capstone", None)     # import capstone -> ImportError
    assert IssArmBackend(iss_target).available() == (
        "Python package capstone not found: pip install 'capstone>=5.0' into the venv")


# ---- small programs --------------------------------------------------------------------

_PROGRAM = r"""
#include <stdint.h>

#define UART_DATA (*(volatile uint32_t *)0x40004000u)
#define UART_STATE (*(volatile uint32_t *)0x40004004u)

void reset(void);
__attribute__((section(".vectors"), used))
const uintptr_t vectors[2] = {0x20010000u, (uintptr_t)reset};

static uint32_t semihost(uint32_t op, uint32_t arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register uint32_t r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void put(const char *s)
{
    while (*s) {
        while (UART_STATE & 1u) {
        }
        UART_DATA = (uint8_t)*s++;
    }
}

volatile int32_t sink;
volatile float fsink;

/* divides, IT blocks, calls, FP: a mix for the exact-count check */
__attribute__((noinline)) int32_t work(int32_t n)
{
    int32_t acc = 0;
    for (int32_t i = 1; i <= n; i++) {
        acc += (i * 7) / (i % 5 + 1);
        acc = acc > 1000 ? acc - 999 : acc;
    }
    return acc;
}

__attribute__((noinline)) float fwork(int32_t n)
{
    float x = 1.0f;
    for (int32_t i = 0; i < n; i++) {
        x = x * 1.0001f + 0.5f / (float)(i + 1);
    }
    return x;
}

void reset(void)
{
    put("hello uart\n");
    semihost(0x04u, (uint32_t)"hello semihosting\n");
    sink = work(WORK);
    fsink = fwork(WORK);
#if MODE == 1
    for (;;) {
        __asm__ volatile("nop");
    }
#elif MODE == 2
    sink = *(volatile int32_t *)0x60000000u;
#elif MODE == 3
    __asm__ volatile("udf #0");
#elif MODE == 4
    volatile uint32_t block[2] = {0x20026u, 5u};
    semihost(0x20u, (uint32_t)block);
#elif MODE == 5
    semihost(0x18u, 0x20023u);   /* SYS_EXIT, reason other than ApplicationExit */
#endif
    semihost(0x18u, 0x20026u);   /* SYS_EXIT, ADP_Stopped_ApplicationExit */
    for (;;) {
    }
}
"""


def _program(tmp: Path, mode: int = 0, work: int = 200) -> Path:
    src, elf = tmp / f"prog{mode}.c", tmp / f"prog{mode}.elf"
    src.write_text(_PROGRAM)
    subprocess.run([CC, "-std=c99", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                    "-mfpu=fpv4-sp-d16", "-O2", f"-DMODE={mode}", f"-DWORK={work}",
                    "-nostdlib", "-nostartfiles", "-Wl,--section-start=.vectors=0",
                    "-Wl,-Ttext=0x100", "-Wl,-Tdata=0x20000000", "-Wl,-e,reset", str(src),
                    "-o", str(elf), "-lgcc"], check=True)
    return elf


@pytest.mark.sim
@needs_iss
def test_console_and_exit_codes(tmp_path: Path) -> None:
    result = simulate(_program(tmp_path))
    assert result.console == "hello uart\nhello semihosting\n"
    assert result.stopped == "exit" and result.exit_code == 0 and result.fault is None
    assert simulate(_program(tmp_path, mode=4)).exit_code == 5    # SYS_EXIT_EXTENDED
    assert simulate(_program(tmp_path, mode=5)).exit_code == 1    # like QEMU for 32-bit ARM
    assert result.instructions > 1000 and result.cycles > result.instructions
    assert result.instructions_per_second > 0 and "simulated instructions/s" in result.summary()


@pytest.mark.sim
@needs_iss
def test_instruction_budget_stops_with_a_clear_error(tmp_path: Path) -> None:
    elf = _program(tmp_path, mode=1)
    with pytest.raises(RunTimeoutError,
                       match=r"prog1.elf did not exit within the instruction budget of "
                             r"1,000,000 \(stopped at pc=0x[0-9a-f]{8} in reset after "
                             r"1,00\d,\d{3} instructions\); last console output: hello uart"):
        simulate(elf, budget=1_000_000)


@pytest.mark.sim
@needs_iss
@pytest.mark.parametrize("mode, detail, status", [
    (2, "read from unmapped address 0x60000000 (4 bytes)", 0x8200),   # PRECISERR, BFARVALID
    (3, "undefined instruction", 0x10000),                           # UNDEFINSTR
])
def test_faults_are_reported_with_the_pc(tmp_path: Path, mode: int, detail: str,
                                         status: int) -> None:
    elf = _program(tmp_path, mode=mode)
    result = simulate(elf)
    assert result.stopped == "fault" and result.exit_code is None
    assert result.fault is not None and detail in result.fault.detail
    listing = subprocess.run(["arm-none-eabi-objdump", "-d", str(elf)], check=True,
                             capture_output=True, text=True).stdout
    at = re.search(rf"^\s*{result.fault.pc:x}:\s+\S+(?: \S+)?\s+(\w+)", listing, re.M)
    assert at is not None and at.group(1) in ("ldr", "udf")   # the faulting instruction
    line = result.console.strip().splitlines()[-1]
    assert line == (f"HB_FAULT HardFault pc=0x{result.fault.pc:08x} cfsr=0x{status:08x} "
                    "hfsr=0x40000000 input=4294967295")


@needs_iss
def test_bss_is_zeroed_at_its_run_address_not_its_load_address(tmp_path: Path) -> None:
    """A full flash puts .bss's load address past its end, into mps2-an386's mirror of flash
    at 0x00400000: zeroing there wiped the program (seen on vww fp32 with 30 inputs). The
    loader writes the file contents at the load address and the zeros at the run address."""
    from harness.iss.cpu import CortexM4
    from harness.iss.elf import ElfImage, Segment

    code = bytes(range(256)) * 16
    image = ElfImage(tmp_path / "synthetic.elf", 1, [
        Segment(0x0, code, len(code), True),
        Segment(0x003FFF00, b"\x11" * 16, 0x2000, False, vaddr=0x20001000),
    ])
    cpu = CortexM4(MPS2_AN386)
    cpu.write(0x20001010, b"\xff" * 0x2000)
    cpu.load(image)
    assert cpu.read(0x0, len(code)) == code                     # the mirror was not written
    assert cpu.read(0x003FFF00, 16) == b"\x11" * 16             # .data's initial values
    assert cpu.read(0x20001010, 0x2000 - 16) == bytes(0x2000 - 16)  # .bss zeroed in RAM
    assert cpu.read(0x20001000 + 0x2000, 16) == b"\xff" * 16    # and nothing after it


@pytest.mark.sim
@needs_iss
def test_instruction_count_is_exact(tmp_path: Path) -> None:
    """Blocks x Capstone lengths agree with a per-instruction code hook (slow, exact).

    Architecturally an instruction of an IT block that fails its condition still executes
    (as a NOP; QEMU's icount counts it too), but Unicorn skips its code hook, so the
    reference counts each executed IT as 1 + the size of its block."""
    import unicorn

    from harness.iss.blocks import thumb_lengths
    from harness.iss.cpu import CortexM4
    from harness.iss.elf import read_elf

    elf = _program(tmp_path, work=300)
    cpu = CortexM4(MPS2_AN386)
    cpu.load(read_elf(elf))
    executed = [0]
    in_it_block: set[int] = set()

    def count(uc: unicorn.Uc, address: int, size: int, data: object) -> None:
        if address in in_it_block:
            return
        executed[0] += 1
        first, second = uc.mem_read(address, 2)
        if second == 0xBF and first & 0x0F:           # IT{x{y{z}}}: mask in bits 3..0
            k = 4 - ((first & 0x0F) & -(first & 0x0F)).bit_length() + 1
            executed[0] += k
            lengths = thumb_lengths(bytes(uc.mem_read(address + 2, 16)))[:k]
            in_it_block.update(address + 2 + sum(lengths[:j]) for j in range(k))

    cpu.uc.hook_add(unicorn.UC_HOOK_CODE, count)
    outcome = cpu.run(10_000_000)
    assert outcome.stopped == "exit"
    assert in_it_block, "the program has no IT block: the check would be incomplete"
    assert cpu.instructions() == executed[0]
    assert simulate(elf).instructions == executed[0]


@pytest.mark.sim
@needs_iss
def test_python_and_native_block_counters_agree(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.iss.native as native

    elf = _program(tmp_path, work=300)
    fast = simulate(elf)
    monkeypatch.setattr(native, "_LIBRARY", None)
    monkeypatch.setenv("HILBENCH_ISS_PYTHON_HOOK", "1")
    slow = simulate(elf)
    assert "Python block hook" in slow.counter and "native" in fast.counter
    assert (slow.instructions, slow.cycles, slow.taken_branches) == (
        fast.instructions, fast.cycles, fast.taken_branches)


# ---- the firmware runtime with fixture models ------------------------------------------


@pytest.mark.sim
@needs_iss
def test_fixture_outputs_and_metrics(tmp_path: Path, iss_target: Target) -> None:
    backend = IssArmBackend(iss_target)
    artifact = backend.build(write_model(tmp_path / "model", "spin"))
    assert set(artifact.tool_versions) >= {"cc", "unicorn", "capstone"}
    x = _inputs(3)
    result = backend.run(artifact, [x])
    np.testing.assert_array_equal(result.outputs[0], expected_outputs(x))
    m = result.metrics
    assert m["cycles_per_inference"].provenance == "iss-cycle-model"
    assert m["instructions_per_inference"].provenance == "instructions"
    assert m["latency_ms"].value == pytest.approx(m["cycles_per_inference"].value / 120e3)
    assert m["iss_instructions_per_second"].value > 0   # its speed: benchmarks/iss_throughput.py
    assert [(lay.index, lay.provenance) for lay in result.layers] == [
        (0, "iss-cycle-model"), (1, "iss-cycle-model"), (2, "iss-cycle-model")]
    # layer 2: SPIN_ITERATIONS x (subs 1 + bne 1) + (SPIN_ITERATIONS - 1) taken branches x P,
    # plus the marker calls around it (a few tens of cycles)
    spin = result.layers[2].cycles
    assert 0 <= spin - (2 * SPIN_ITERATIONS + P * (SPIN_ITERATIONS - 1)) <= 60
    # instructions: 2 per iteration, plus the rest of the model (< 2000)
    instr = m["instructions_per_inference"].value
    assert 2 * SPIN_ITERATIONS <= instr <= 2 * SPIN_ITERATIONS + 2000
    cycles = m["cycles_per_inference"].value
    assert sum(lay.cycles for lay in result.layers) <= cycles
    assert "iss: firmware.elf:" in result.log and "hot block" in result.log
    assert backend.run(artifact, [x[:0]]).outputs[0].shape == (0, 32)


@pytest.mark.sim
@needs_iss
def test_budget_stops_a_firmware_that_never_ends(tmp_path: Path) -> None:
    target = _variant(tmp_path, "budget", {"max_instructions_per_inference": 1_000_000})
    backend = IssArmBackend(target)
    artifact = backend.build(write_model(tmp_path / "model", "forever"))
    with pytest.raises(RunTimeoutError,
                       match=r"budget \(inputs 0..1\): firmware.elf did not exit within the "
                             r"instruction budget of 52,000,000 .* in hb_model_invoke .*"
                             r"iss.max_instructions_per_inference = 1,000,000 per input"):
        backend.run(artifact, [_inputs(2)])


@pytest.mark.sim
@needs_iss
@pytest.mark.parametrize("behaviour, status", [("undefined-instruction", "UNDEFINSTR, FORCED"),
                                               ("bad-read", "PRECISERR, BFARVALID, FORCED")])
def test_hardfault_is_reported(tmp_path: Path, iss_target: Target, behaviour: str,
                               status: str) -> None:
    backend = IssArmBackend(iss_target)
    artifact = backend.build(write_model(tmp_path / "model", behaviour))
    with pytest.raises(RunError) as err:
        backend.run(artifact, [_inputs(2)])
    message = str(err.value)
    assert not isinstance(err.value, RunTimeoutError)
    assert "firmware stopped with HardFault at pc=0x" in message
    assert "in hb_model_invoke" in message and status in message
    assert message.endswith("during input 0")


# ---- the MLPerf Tiny int8 models -------------------------------------------------------


@pytest.mark.sim
@needs_iss
@pytest.mark.parametrize("stem", INT8_MODELS)
def test_mlperf_tiny_int8_bit_exact(stem: str) -> None:
    pytest.importorskip("harness.golden")
    from harness.bench import bench_model

    result = bench_model(model_path(stem), "cortex-m4-iss", n_inputs=5)
    m = result.measurement
    assert m.bit_exact, f"{stem}: {m.mismatches} mismatches, max diff {m.max_abs_diff}"
    cycles = m.metrics["cycles_per_inference"]
    instructions = m.metrics["instructions_per_inference"]
    assert cycles.provenance == "iss-cycle-model" and instructions.provenance == "instructions"
    assert 1.0 < cycles.value / instructions.value < 3.0       # CPI of a scalar in-order core
    assert m.metrics["energy_uj_per_inference"].provenance == "energy-model"
    assert m.metrics["macs_per_cycle"].provenance == "iss-cycle-model"
    assert len(m.layers) == len(result.artifact.model.layer_names)
    assert all(lay.provenance == "iss-cycle-model" for lay in m.layers)
    assert sum(lay.cycles for lay in m.layers) <= cycles.value
    assert m.metrics["iss_instructions_per_second"].value > 0


@pytest.mark.sim
@needs_iss
@pytest.mark.parametrize("stem", FLOAT_MODELS)
def test_mlperf_tiny_fp32_within_tolerance(stem: str) -> None:
    """fp32 on the FPU; vww with one input more than fit in one image, so the first image
    fills the flash (the case of test_bss_is_zeroed_at_its_run_address_not_its_load_address)."""
    pytest.importorskip("harness.golden")
    from harness.bench import bench_model
    from harness.firmware import inputs_per_firmware

    n = 3
    if stem == "vww_96_float":
        probe = bench_model(model_path(stem), "cortex-m4-iss", n_inputs=1)
        n = inputs_per_firmware(probe.artifact) + 1
    result = bench_model(model_path(stem), "cortex-m4-iss", n_inputs=n)
    c = result.comparison
    assert c.ok, f"{stem}: max |diff| {c.max_abs_diff:g}, top-1 agreement {c.top1_agreement:.0%}"
    assert result.measurement.metrics["cycles_per_inference"].provenance == "iss-cycle-model"


@lru_cache(maxsize=1)
def _no_qemu() -> str | None:
    if shutil.which("qemu-system-arm") is None:
        return "qemu-system-arm not found (Debian: apt-get install qemu-system-arm)"
    return backend_for(load_target("mps2-an386")).available()


@pytest.mark.sim
@pytest.mark.slow
@needs_iss
@pytest.mark.skipif(_no_qemu() is not None, reason=_no_qemu() or "")
@pytest.mark.parametrize("stem", INT8_MODELS)
def test_instruction_counts_match_qemu_on_the_same_image(stem: str, tmp_path: Path) -> None:
    """QEMU's firmware image (counter: CMSDK timer, budget timer) runs unchanged in the ISS
    (its timers read as zero there, unused). QEMU counts 40 instructions per timer tick
    between the two timer reads around hb_model_invoke; the ISS counts exactly from the
    call's first instruction to its return. They differ by the quantisation (< 40 per
    input: the tick difference is floor-rounded either way) and the instructions inside that
    window but outside the call (the tail of one hb_cycles(), the argument set-up and call,
    the head of the next hb_cycles(): < 16)."""
    pytest.importorskip("harness.golden")
    from harness.backends.base import pack_samples
    from harness.codegen import generate
    from harness.firmware import link_firmware, parse_console
    from harness.importers import load_model
    from harness.inputs import random_inputs

    an386 = load_target("mps2-an386")
    qemu = backend_for(an386)
    graph = load_model(model_path(stem))
    inputs = random_inputs(graph, 2, 0)
    artifact = qemu.build(generate(graph, tmp_path / "gen", kernels=an386.kernels))
    on_qemu = qemu.run(artifact, inputs)
    ticks = parse_console(on_qemu.log).counts()
    image = link_firmware(artifact, pack_samples(inputs), 2)
    on_iss = simulate(image.path, calls=("hb_model_invoke",))
    assert on_iss.exit_code == 0 and parse_console(on_iss.console).ended
    iss = [c.instructions for c in on_iss.calls]
    assert len(iss) == len(ticks) == 2
    for t, exact in zip(ticks, iss):
        assert -40 < 40 * t - exact < 40 + 16, (stem, 40 * t, exact)
