"""Power meters (harness/power): energy from known traces, then each driver against its
simulated device (tests/meter_fakes.py): a normal capture, the device missing, a device that
stops streaming (clear error, nothing measured), and energy per inference from the window
with the idle power subtracted."""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from meter_fakes import FakeJoulescopeDriver, FakeLpm01a, FakePpk2

from harness.errors import RunError
from harness.power import Trace, capture_energy, energy_metrics, gpio_window, integrate
from harness.power.joulescope import Joulescope
from harness.power.lpm01a import Lpm01a, parse_sample, rate_argument
from harness.power.ppk2 import Ppk2
from harness.target_schema import MeterSpec

RUN_S = 0.3          # how long the simulated board "runs inferences"
N = 30


class _Run:
    """The board's inferences: the device draws its active current for about RUN_S seconds;
    `seconds` is how long it really did (the meter must find that, not RUN_S)."""

    def __init__(self, device: Any) -> None:
        self.device = device
        self.seconds = 0.0

    def __call__(self) -> int:
        self.device.active = True
        start = time.monotonic()
        time.sleep(RUN_S)
        self.device.active = False
        self.seconds = self.device._changes[-1][0] - self.device._changes[-2][0]
        assert abs(self.seconds - (time.monotonic() - start)) < 0.01
        return N


def _run(device: Any) -> _Run:
    return _Run(device)


# ---- energy from known traces (pure) -----------------------------------------------------


def test_integral_of_a_known_trace() -> None:
    trace = Trace.from_samples([1.0, 1.0, 3.0, 3.0, 1.0], 1000.0, "known")
    assert integrate(trace, 0.0, 0.004) == pytest.approx(0.001 * (1 + 2 + 3 + 2))
    assert integrate(trace, 0.0005, 0.0015) == pytest.approx(0.00125)  # interpolated ends
    with pytest.raises(RunError, match="not inside the trace"):
        integrate(trace, 0.0, 0.01)


def test_energy_per_inference_subtracts_idle() -> None:
    watts = [0.01] * 100 + [0.05] * 200 + [0.01] * 50
    gpio = [0] * 100 + [1] * 200 + [0] * 50
    trace = Trace.from_samples(watts, 1000.0, "known", gpio=gpio)
    window = gpio_window(trace)
    assert window == pytest.approx((0.100, 0.300))
    m = energy_metrics(trace, window, (0.0, 0.09), 20, "window: pin")
    # 0.05 W over 0.2 s (the trapezoid at the falling edge adds half a sample of the step)
    assert m["energy_uj_per_inference"].value == pytest.approx(0.05 * 0.2 / 20 * 1e6, rel=0.01)
    assert m["power_idle_w"].value == pytest.approx(0.01)
    assert m["energy_above_idle_uj_per_inference"].value == pytest.approx(
        0.04 * 0.2 / 20 * 1e6, rel=0.01)
    assert {x.provenance for x in m.values()} == {"power-meter"}


@pytest.mark.parametrize(("gpio", "message"), [
    ([0, 0, 0, 0], "never went high"),
    ([0, 1, 0, 1], "more than once"),
    ([0, 0, 1, 1], "still high"),
])
def test_bad_gpio_windows_are_clear(gpio: list[int], message: str) -> None:
    with pytest.raises(RunError, match=message):
        gpio_window(Trace.from_samples([1.0] * 4, 10.0, "t", gpio=gpio))


# ---- LPM01A ---------------------------------------------------------------------------------


@pytest.fixture
def lpm() -> Iterator[FakeLpm01a]:
    device = FakeLpm01a().start()
    yield device
    device.close()


def _lpm_spec(**changes: Any) -> MeterSpec:
    return MeterSpec(kind="lpm01a", **{"rate_hz": 1000, "idle_s": 0.2, "volts": 3.0,
                                       "inferences": N, **changes})


def test_lpm01a_sample_format() -> None:
    assert parse_sample("6409-07") == pytest.approx(640.9e-6)
    assert parse_sample("TimeStamp: 0001s 000ms, buff 00%") is None
    assert rate_argument(1000) == "1k" and rate_argument(500) == "500"
    with pytest.raises(RunError, match="not one of"):
        rate_argument(3000)


def test_lpm01a_capture(lpm: FakeLpm01a) -> None:
    meter = Lpm01a(_lpm_spec(), lpm.port)
    run = _run(lpm)
    metrics, facts = capture_energy(meter, run)
    deadline = time.monotonic() + 2
    while b"hrc" not in lpm.commands and time.monotonic() < deadline:
        time.sleep(0.01)                              # the fake reads the last command
    sent = [c.decode() for c in lpm.commands]
    assert sent[:2] == ["htc", "powershield"]
    assert {"volt 3000m", "freq 1k", "acqtime 0", "output current", "format ascii_dec",
            "start", "stop", "hrc"} <= set(sent)
    per = metrics["energy_uj_per_inference"]
    assert per.provenance == "power-meter"
    # 5 mA at 3 V during the window (which also holds the host's timing jitter)
    assert per.value == pytest.approx(3.0 * 5e-3 * run.seconds / N * 1e6, rel=0.04)
    assert metrics["power_idle_w"].value == pytest.approx(3.0 * 200e-6, rel=0.02)
    assert metrics["energy_above_idle_uj_per_inference"].value < per.value
    assert facts["power_inferences"] == N and facts["power_samples"] > 400


def test_lpm01a_missing_or_silent_is_clear(tmp_path: Any) -> None:
    with pytest.raises(RunError, match="cannot open the meter's port"):
        Lpm01a(_lpm_spec(), str(tmp_path / "ttyACM9")).open()
    silent = FakeLpm01a(answer=False).start()
    try:
        meter = Lpm01a(_lpm_spec(), silent.port)
        with pytest.raises(RunError, match="no answer to 'htc'"):
            meter.open()
        meter.close()
    finally:
        silent.close()


def test_lpm01a_that_stops_streaming_is_an_error() -> None:
    device = FakeLpm01a(stop_after_s=0.1).start()
    try:
        with pytest.raises(RunError, match="stopped streaming"):
            capture_energy(Lpm01a(_lpm_spec(stall_s=0.2), device.port), _run(device))
    finally:
        device.close()


# ---- PPK2 ---------------------------------------------------------------------------------


def _ppk2_spec(**changes: Any) -> MeterSpec:
    return MeterSpec(kind="ppk2", **{"window": "gpio", "idle_s": 0.1, "volts": 1.8,
                                     "inferences": N, **changes})


def test_ppk2_capture_with_the_gpio_window() -> None:
    device = FakePpk2().start()
    try:
        metrics, facts = capture_energy(Ppk2(_ppk2_spec(), device.port), _run(device))
    finally:
        device.close()
    assert device.commands[0][:1] == bytes([0x19])            # GetMetadata first
    window = facts["power_window_s"][1] - facts["power_window_s"][0]
    assert window == pytest.approx(device.active_frames / FakePpk2.RATE, abs=2e-5)
    expected = 1.8 * 3e-3 * window / N * 1e6
    assert metrics["energy_uj_per_inference"].value == pytest.approx(expected, rel=0.01)
    assert metrics["power_idle_w"].value == pytest.approx(1.8 * 200e-6, rel=0.01)
    assert metrics["energy_above_idle_uj_per_inference"].value == pytest.approx(
        1.8 * (3e-3 - 200e-6) * window / N * 1e6, rel=0.01)


def test_ppk2_missing_or_not_a_ppk2(tmp_path: Any) -> None:
    with pytest.raises(RunError, match="cannot open the PPK2's port"):
        Ppk2(_ppk2_spec(), str(tmp_path / "ttyACM9")).open()
    device = FakePpk2(metadata=False).start()
    try:
        with pytest.raises(RunError, match="no calibration metadata"):
            Ppk2(_ppk2_spec(), device.port).open()
    finally:
        device.close()


def test_ppk2_that_stops_streaming_is_an_error() -> None:
    device = FakePpk2(stop_after_s=0.05).start()
    try:
        with pytest.raises(RunError, match="stopped streaming"):
            capture_energy(Ppk2(_ppk2_spec(stall_s=0.2), device.port), _run(device))
    finally:
        device.close()


# ---- Joulescope (pyjoulescope_driver mocked at the driver boundary) ------------------------


def _js_spec(**changes: Any) -> MeterSpec:
    return MeterSpec(kind="joulescope", **{"idle_s": 0.2, "inferences": N, **changes})


def test_joulescope_capture() -> None:
    driver = FakeJoulescopeDriver()
    meter = Joulescope(_js_spec(), None, driver_factory=lambda: driver)
    run = _run(driver)
    metrics, facts = capture_energy(meter, run)
    assert ("u/js220/001234/s/i/range/mode", "auto") in driver.published
    assert driver.closed
    assert metrics["energy_uj_per_inference"].value == pytest.approx(
        1.8 * 8e-3 * run.seconds / N * 1e6, rel=0.03)
    assert metrics["power_idle_w"].value == pytest.approx(1.8 * 1e-3, rel=0.01)
    assert facts["power_meter"] == "Joulescope u/js220/001234"


def test_joulescope_missing_or_stalled() -> None:
    empty = FakeJoulescopeDriver(devices=())
    with pytest.raises(RunError, match="no Joulescope found"):
        Joulescope(_js_spec(), None, driver_factory=lambda: empty).open()
    with pytest.raises(RunError, match="matching 'js110'"):
        Joulescope(_js_spec(), "js110", driver_factory=FakeJoulescopeDriver).open()
    stalled = FakeJoulescopeDriver(stop_after_s=0.05)
    with pytest.raises(RunError, match="stopped streaming"):
        capture_energy(Joulescope(_js_spec(stall_s=0.2), None, driver_factory=lambda: stalled),
                       _run(stalled))

