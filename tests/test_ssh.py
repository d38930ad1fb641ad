"""The ssh backend: Jetson / Raspberry Pi over SSH, with on-board power.

Pure parts (power formats, options, figures) run everywhere; the rest runs a real OpenSSH
server on 127.0.0.1 (tests/ssh_fixtures.py) with this machine as the "board" (the venv's
python and LiteRT), marked `sim`. Nothing here connects anywhere but loopback.
"""
from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hb_testutil import model_path
from ssh_fixtures import (  # noqa: F401
    PMIC_READ_ADC,
    TEGRASTATS_LINE,
    SshServer,
    leftover_runners,
    needs_sshd,
    ssh_env,
    sshd,
    start_sshd,
    wait_until,
)

from harness.backends import backend_for
from harness.backends.base import RunResult
from harness.backends.ssh import SshBackend
from harness.compare import compare
from harness.errors import RunError, RunTimeoutError, TargetConfigError, TargetUnavailableError
from harness.importers import load_model
from harness.inputs import random_inputs
from harness.litert_ref import run_litert
from harness.measure import Measurement
from harness.remote import power
from harness.remote.config import expand_vars, is_loopback, ssh_config
from harness.remote.figures import latency_metrics, power_figures
from harness.targets import Target, load_target

QUICK_MODELS = ["ad01_int8", "kws_ref_model"]
SLOW_MODELS = ["vww_96_int8", "pretrainedResnet_quant"]


def localhost(timeout_s: float | None = None, **options: Any) -> Target:
    t = load_target("ssh-localhost")
    t = dataclasses.replace(t, options={**t.options, **options})
    return t if timeout_s is None else dataclasses.replace(t, timeout_s=timeout_s)


def inputs_for(stem: str, n: int, seed: int = 0) -> list[np.ndarray]:
    return random_inputs(load_model(model_path(stem)), n, seed)


def run_on(target: Target, model: Path, inputs: list[np.ndarray], repeats: int = 1) -> RunResult:
    backend = SshBackend(target)
    assert backend.available() is None
    artifact = backend.build(SimpleNamespace(source=model))  # stand-in for GeneratedModel
    result = backend.run(artifact, inputs, repeats)
    assert isinstance(result, RunResult)
    result.extra["tool_versions"] = artifact.tool_versions
    return result


# ---------------------------------------------------------------------------------------------
# power formats (pure)

# tegrastats lines, formats of NVIDIA's tegrastats documentation (Jetson Linux Developer Guide):
# JetPack 6 on Orin ("VDD_IN 5036mW/5036mW"), JetPack 4 on Nano (no unit, mW), JetPack 4 on
# Xavier (short rail names). Values are made up.
TEGRA_JP4_NANO = ("RAM 1766/3964MB (lfb 197x4MB) SWAP 0/1982MB (cached 0MB) IRAM 0/252kB(lfb 252kB) "
                  "CPU [24%@1224,15%@1224,13%@1224,10%@1224] EMC_FREQ 0%@1600 GR3D_FREQ 0%@76 "
                  "APE 25 PLL@21C CPU@25C PMIC@100C GPU@23.5C AO@33.5C thermal@24.5C "
                  "POM_5V_IN 2545/2547 POM_5V_GPU 0/0 POM_5V_CPU 549/529")
TEGRA_JP4_XAVIER = ("RAM 5059/30623MB (lfb 5843x4MB) SWAP 0/15311MB (cached 0MB) "
                    "CPU [1%@1190,0%@1190,0%@1190,0%@1190,off,off,off,off] EMC_FREQ 0%@2133 "
                    "GR3D_FREQ 0%@318 APE 150 MTS fg 0% bg 0% AO@35C GPU@35C Tdiode@37.25C "
                    "PMIC@100C AUX@34.5C CPU@36C thermal@35.1C Tboard@35C "
                    "GPU 0/0 CPU 311/311 SOC 1243/1243 CV 0/0 VDDRQ 155/155 SYS5V 1817/1817")


def test_tegrastats_lines_of_three_jetpacks() -> None:
    orin = power.parse_tegrastats("11-24-2023 10:24:42 " + TEGRASTATS_LINE)
    assert orin == {"VDD_IN": 6.12, "VDD_CPU_GPU_CV": 1.45, "VDD_SOC": 1.52}
    nano = power.parse_tegrastats(TEGRA_JP4_NANO)
    assert nano == {"POM_5V_IN": 2.545, "POM_5V_GPU": 0.0, "POM_5V_CPU": 0.549}
    xavier = power.parse_tegrastats(TEGRA_JP4_XAVIER)
    assert xavier == {"GPU": 0.0, "CPU": 0.311, "SOC": 1.243, "CV": 0.0, "VDDRQ": 0.155,
                      "SYS5V": 1.817}
    assert power.parse_tegrastats("RAM 2130/7620MB (lfb 2x4MB) SWAP 0/3810MB") == {}


def test_pmic_read_adc_pairs_currents_and_volts_by_rail() -> None:
    rails = power.parse_pmic_read_adc(PMIC_READ_ADC)
    assert len(rails) == 12  # 12 rails with both; EXT5V_V and BATT_V have a voltage only
    assert "EXT5V" not in rails and "BATT" not in rails
    assert rails["VDD_CORE"] == pytest.approx(0.8 * 1.25)
    assert rails["3V3_SYS"] == pytest.approx(3.303486 * 0.0732084)
    # by hand: 1.000 (VDD_CORE) + 0.307 (0V8_SW) + 0.295 (1V8_SYS) + 0.242 (3V3_SYS)
    #          + 0.207 (1V1_SYS) + 0.088 (HDMI) + 0.026 (DDR_VDD2) + 0.015 (3V7_WL_SW) + ...
    assert sum(rails.values()) == pytest.approx(2.1241, abs=1e-4)
    assert power.parse_pmic_read_adc('error=1 error_msg="Command not registered"') == {}


def fake_jetson_hwmon(root: Path, vdd_in_ma: int = 1192) -> Path:
    """The hwmon layout of a Jetson Orin Nano on JetPack 6 (mainline ina3221 driver, kernel
    Documentation/hwmon/ina3221.rst; channel labels from the Orin Nano device tree)."""
    d = root / "bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon3"
    d.mkdir(parents=True)
    files = {"name": "ina3221", "in1_label": "VDD_IN", "in1_input": "5064",
             "curr1_input": str(vdd_in_ma), "in2_label": "VDD_CPU_GPU_CV", "in2_input": "5064",
             "curr2_input": "198", "in3_label": "VDD_SOC", "in3_input": "5064",
             "curr3_input": "290", "in4_input": "2384", "in7_label": "sum of shunt voltages",
             "in7_input": "3840", "update_interval": "1100", "samples": "4"}
    for name, text in files.items():
        (d / name).write_text(text + "\n")
    return root


def fake_jetson_iio(root: Path) -> Path:
    """The iio layout of a Jetson Nano on JetPack 4 (L4T ina3221x driver at 6-0040)."""
    d = root / "bus/i2c/drivers/ina3221x/6-0040/iio:device0"
    d.mkdir(parents=True)
    rails = [("POM_5V_IN", 5000, 509, 2545), ("POM_5V_GPU", 5000, 0, 0),
             ("POM_5V_CPU", 5000, 110, 549)]
    for k, (name, mv, ma, mw) in enumerate(rails):
        (d / f"rail_name_{k}").write_text(name + "\n")
        (d / f"in_voltage{k}_input").write_text(f"{mv}\n")
        (d / f"in_current{k}_input").write_text(f"{ma}\n")
        (d / f"in_power{k}_input").write_text(f"{mw}\n")
    return root


def test_ina3221_hwmon_layout(tmp_path: Path) -> None:
    channels = power.discover_ina3221(str(fake_jetson_hwmon(tmp_path)))
    assert [c.rail for c in channels] == ["VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"]
    watts = power.read_channels(channels)
    assert watts["VDD_IN"] == pytest.approx(5.064 * 1.192)
    assert power.choose_rails(sorted(watts), None) == ("VDD_IN", ["VDD_IN"])


def test_ina3221_iio_layout(tmp_path: Path) -> None:
    channels = power.discover_ina3221(str(fake_jetson_iio(tmp_path)))
    assert {c.layout for c in channels} == {"iio-power"}
    watts = power.read_channels(channels)
    assert watts == {"POM_5V_IN": 2.545, "POM_5V_GPU": 0.0, "POM_5V_CPU": 0.549}
    assert power.choose_rails(sorted(watts), None) == ("POM_5V_IN", ["POM_5V_IN"])
    assert power.discover_ina3221(str(tmp_path / "nothing")) == []


def test_rail_choice() -> None:
    assert power.choose_rails(["VDD_CORE", "HDMI"], None) == ("sum of VDD_CORE+HDMI",
                                                             ["VDD_CORE", "HDMI"])
    assert power.choose_rails(["VDD_IN", "VDD_SOC"], "VDD_SOC") == ("VDD_SOC", ["VDD_SOC"])
    with pytest.raises(ValueError, match="'VDD_GPU' not found; the sensor has: VDD_IN"):
        power.choose_rails(["VDD_IN"], "VDD_GPU")


# ---------------------------------------------------------------------------------------------
# figures and agreement (pure)

def test_power_figures_total_and_above_idle() -> None:
    t = [0.0, 0.1, 0.2, 0.3, 1.0, 1.1, 1.2, 1.3, 1.4, 2.5]
    watts = [2.0, 2.0, 2.0, 2.0, 5.0, 5.0, 5.0, 5.0, 5.0, 9.0]
    report = {"source": "fake", "error": None, "samples": {"t": t, "rails": {"VDD_IN": watts}},
              "idle": [0.0, 0.35], "active": [1.0, 2.0], "inferences": 1000}
    metrics, summary = power_figures(report, None)
    assert metrics["power_active_w"].value == pytest.approx(5.0)
    assert metrics["power_idle_w"].value == pytest.approx(2.0)
    # 5 W over 1 s for 1000 invokes: 5 mJ each; above the 2 W idle: 3 mJ
    assert metrics["energy_uj_per_inference"].value == pytest.approx(5000.0)
    assert metrics["energy_above_idle_uj_per_inference"].value == pytest.approx(3000.0)
    assert {m.provenance for m in metrics.values()} == {"power-sensor"}
    assert summary["power_rail"] == "VDD_IN" and summary["power_samples_active"] == 5
    none, why = power_figures({"source": "no power sensor configured"}, None)
    assert none == {} and why["power_sensor"] == "none"
    late = dict(report, active=[3.0, 3.1])
    assert power_figures(late, None)[0] == {}
    assert "no power sample" in power_figures(late, None)[1]["power_note"]


def test_latency_metrics() -> None:
    ns = np.arange(1, 101, dtype=np.int64) * 1_000_000
    m = latency_metrics(ns, 10, 10, 1, "reference", 1)
    assert m["latency_ms"].value == pytest.approx(50.5)
    assert m["latency_median_ms"].value == pytest.approx(50.5)
    assert m["latency_p90_ms"].value == pytest.approx(90.1)
    assert m["latency_p99_ms"].value == pytest.approx(99.01)
    assert {x.provenance for x in m.values()} == {"wall-clock"}


def test_agreement_in_quantization_steps() -> None:
    want = np.array([[1, 5, -3], [7, 0, 2]], dtype=np.int8)
    got = want.copy()
    got[0, 2] = -1   # 2 steps off, top-1 unchanged
    got[1, 1] = 9    # 9 steps off, top-1 changes
    a = compare([got], [want])
    assert (a.bit_exact, a.top1_agreement, a.max_diff_quant_steps) == (False, 0.5, 9)
    assert compare([want], [want]).bit_exact is True
    f = np.ones((2, 3), np.float32)
    assert compare([f], [f]).max_diff_quant_steps is None


# ---------------------------------------------------------------------------------------------
# options and targets (never connect)

def test_var_expansion() -> None:
    missing: set[str] = set()
    env = {"A": "1", "EMPTY": ""}
    assert expand_vars({"x": "${A}", "y": ["p${A}q"], "z": 3}, env, missing) == \
        {"x": "1", "y": ["p1q"], "z": 3}
    assert expand_vars("${EMPTY:-d}", env, missing) == "d" and not missing
    assert expand_vars("${NOPE}", env, missing) is None and missing == {"NOPE"}


@pytest.mark.parametrize("name, variables", [
    ("jetson-orin-nano", "HILBENCH_JETSON_HOST, HILBENCH_JETSON_KEY"),
    ("raspberry-pi-5", "HILBENCH_RPI5_HOST, HILBENCH_RPI5_KEY"),
])
def test_board_targets_say_what_to_set(name: str, variables: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for var in variables.split(", "):
        monkeypatch.delenv(var, raising=False)
    reason = backend_for(load_target(name)).available()
    assert reason == (f"target {name}: set host/key_file in targets/{name}/target.yaml "
                      f"(or the environment variables {variables})")


def test_board_targets_parse_with_power(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = {"HILBENCH_JETSON_HOST": "192.0.2.10", "HILBENCH_JETSON_KEY": str(tmp_path / "k")}
    cfg = ssh_config(load_target("jetson-orin-nano"), env)
    assert (cfg.host, cfg.port, cfg.user, cfg.num_threads) == ("192.0.2.10", 22, "jetson", 4)
    assert cfg.power.kind == "jetson-ina3221" and cfg.power.rail == "VDD_IN"
    assert not cfg.accept_unknown_host_key
    pi = ssh_config(load_target("raspberry-pi-5"), {"HILBENCH_RPI5_HOST": "192.0.2.11",
                                                    "HILBENCH_RPI5_KEY": "/k"})
    assert pi.power.kind == "rpi5-pmic" and pi.python == ("python3",)
    # under the tests' loopback-only switch a board address is refused before any connection
    with pytest.raises(TargetUnavailableError, match="not a loopback address"):
        ssh_config(load_target("jetson-orin-nano"), {**env, "HILBENCH_SSH_LOOPBACK_ONLY": "1"})


def test_loopback_literals() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("127.3.4.5") and is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("192.168.1.20") and not is_loopback("jetson.local")


def test_invalid_options_are_config_errors() -> None:
    def target(**options: Any) -> Target:
        return dataclasses.replace(localhost(), options={"host": "127.0.0.1", "key_file": "/k",
                                                         **options})
    with pytest.raises(TargetConfigError, match="power.kind 'wattmeter' is not one of"):
        ssh_config(target(power={"kind": "wattmeter"}), {})
    with pytest.raises(TargetConfigError, match="unknown option.s. key_fiel for the ssh backend"):
        ssh_config(target(key_fiel="/k"), {})
    with pytest.raises(TargetConfigError, match="port must be a number, got 'ssh'"):
        ssh_config(target(port="ssh"), {})
    with pytest.raises(TargetConfigError, match="accept_unknown_host_key must be true or false"):
        ssh_config(target(accept_unknown_host_key="maybe"), {})
    reason = SshBackend(target(port=22)).available()
    assert reason is not None and "key_file /k does not exist" in reason


# ---------------------------------------------------------------------------------------------
# through a real sshd on 127.0.0.1

@needs_sshd
@pytest.mark.sim
@pytest.mark.parametrize("stem", QUICK_MODELS)
def test_reference_kernels_bit_exact(stem: str, ssh_env: Path) -> None:
    x = inputs_for(stem, 8)
    result = run_on(localhost(reference_kernels=True), model_path(stem), x, repeats=2)
    want = run_litert(model_path(stem), x, reference_kernels=True)
    assert len(result.outputs) == len(want)
    for got, ref in zip(result.outputs, want):
        assert got.dtype == ref.dtype and got.shape == ref.shape
        np.testing.assert_array_equal(got, ref)
    for name in ("latency_ms", "latency_median_ms", "latency_p90_ms", "latency_p99_ms"):
        assert result.metrics[name].provenance == "wall-clock" and result.metrics[name].value > 0
    assert "BUILTIN_REF" in result.extra["kernels"]
    versions = result.extra["tool_versions"]
    assert versions["board_runtime"].startswith("ai-edge-litert ")
    assert versions["board_python"].split()[0] and "Linux" in versions["board_uname"]
    assert not any(power_name in result.metrics for power_name in ("power_active_w",
                                                                   "energy_uj_per_inference"))
    assert result.extra["power_sensor"] == "none"
    assert list(ssh_env.iterdir()) == []  # the run directory is gone


@needs_sshd
@pytest.mark.sim
def test_optimized_kernels_report_agreement(ssh_env: Path) -> None:
    x = inputs_for("kws_ref_model", 16)
    result = run_on(localhost(reference_kernels=False), model_path("kws_ref_model"), x)
    assert "XNNPACK" in result.extra["kernels"]
    # the board's default kernels are those of a local LiteRT with the same settings ...
    same = run_litert(model_path("kws_ref_model"), x, reference_kernels=False, num_threads=1)
    np.testing.assert_array_equal(result.outputs[0], same[0])
    # ... and against the reference kernels they are reported, exact or not
    figures = compare(result.outputs, run_litert(model_path("kws_ref_model"), x))
    # (XNNPACK's int8 kernels round differently: on kws the softmax output differs by up to
    # ~15 steps from the reference kernels on random inputs, with the same top-1)
    assert isinstance(figures.max_diff_quant_steps, int) and figures.max_diff_quant_steps >= 0
    assert figures.top1_agreement >= 0.9


@needs_sshd
@pytest.mark.sim
@pytest.mark.parametrize("layout", ["hwmon", "iio"])
def test_jetson_power_from_simulated_sysfs(layout: str, ssh_env: Path, tmp_path: Path) -> None:
    root = tmp_path / "sys"
    (fake_jetson_hwmon if layout == "hwmon" else fake_jetson_iio)(root)
    target = localhost(power={"kind": "jetson-ina3221", "sysfs_root": str(root),
                              "interval_s": 0.01, "idle_s": 0.2, "min_window_s": 0.3})
    result = run_on(target, model_path("ad01_int8"), inputs_for("ad01_int8", 4))
    watts = 5.064 * 1.192 if layout == "hwmon" else 2.545
    m = result.metrics
    assert m["power_active_w"].value == pytest.approx(watts)
    assert m["power_idle_w"].value == pytest.approx(watts)
    assert m["energy_uj_per_inference"].value > 0
    assert m["energy_above_idle_uj_per_inference"].value == pytest.approx(0.0, abs=1e-9)
    assert {m[k].provenance for k in m if "power" in k or "energy" in k} == {"power-sensor"}
    assert result.extra["power_rail"] == ("VDD_IN" if layout == "hwmon" else "POM_5V_IN")
    assert result.extra["power_samples_active"] >= 10
    assert result.extra["power_sensor"].startswith("jetson-ina3221")


@needs_sshd
@pytest.mark.sim
def test_raspberry_pi_power_from_simulated_vcgencmd(ssh_env: Path) -> None:
    # `vcgencmd` is the simulated one on the sessions' PATH (sshd SetEnv), as on a Pi
    target = localhost(power={"kind": "rpi5-pmic", "interval_s": 0.02, "idle_s": 0.2,
                              "min_window_s": 0.3})
    result = run_on(target, model_path("ad01_int8"), inputs_for("ad01_int8", 4))
    total = sum(power.parse_pmic_read_adc(PMIC_READ_ADC).values())
    assert result.metrics["power_active_w"].value == pytest.approx(total)
    assert result.extra["power_rail"].startswith("sum of ")
    assert "energy_above_idle_uj_per_inference" in result.metrics


@needs_sshd
@pytest.mark.sim
def test_jetson_power_from_simulated_tegrastats(ssh_env: Path) -> None:
    target = localhost(power={"kind": "tegrastats", "interval_s": 0.02, "idle_s": 0.3,
                              "min_window_s": 0.4})
    result = run_on(target, model_path("ad01_int8"), inputs_for("ad01_int8", 4))
    assert result.metrics["power_active_w"].value == pytest.approx(6.12)
    assert result.extra["power_rail"] == "VDD_IN"
    assert leftover_runners(str(ssh_env)) == []


@needs_sshd
@pytest.mark.sim
def test_auto_power_without_sensor_omits_power(ssh_env: Path, tmp_path: Path) -> None:
    target = localhost(power={"kind": "jetson-ina3221", "sysfs_root": str(tmp_path / "empty")})
    result = run_on(target, model_path("ad01_int8"), inputs_for("ad01_int8", 2))
    assert "power_active_w" not in result.metrics and "energy_uj_per_inference" not in result.metrics
    assert result.extra["power_sensor"] == "none"
    assert "no INA3221 channel found" in result.extra["power_note"]


@needs_sshd
@pytest.mark.sim
def test_wrong_key_is_a_clear_authentication_error(sshd: SshServer, ssh_env: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HILBENCH_SSH_KEY", str(sshd.other_key))
    backend = SshBackend(localhost())
    assert backend.available() is None
    with pytest.raises(TargetConfigError) as info:
        backend.build(SimpleNamespace(source=model_path("ad01_int8")))
    message = str(info.value)
    assert f"authentication as {sshd.user}@127.0.0.1:{sshd.port} failed with key file " \
           f"{sshd.other_key}" in message
    secret = sshd.other_key.read_text()
    assert "PRIVATE KEY" not in message and secret.splitlines()[1][:20] not in message


@needs_sshd
@pytest.mark.sim
def test_unknown_host_key_is_rejected_unless_the_target_opts_in(
        sshd: SshServer, ssh_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")
    monkeypatch.setenv("HILBENCH_SSH_KNOWN_HOSTS", str(known))
    stand_in = SimpleNamespace(source=model_path("ad01_int8"))
    with pytest.raises(TargetConfigError, match=rf"host key of \[127\.0\.0\.1\]:{sshd.port} "
                       r"\(ssh-ed25519 SHA256:.*\) is not in .*; unknown host keys are rejected"):
        SshBackend(localhost()).build(stand_in)
    assert known.read_text() == ""
    # opting in accepts it once and records it; afterwards the strict default connects
    SshBackend(localhost(accept_unknown_host_key=True)).build(stand_in)
    assert known.read_text().startswith(f"[127.0.0.1]:{sshd.port} ssh-ed25519 ")
    SshBackend(localhost()).build(stand_in)


@needs_sshd
@pytest.mark.sim
def test_changed_host_key_is_refused(sshd: SshServer, ssh_env: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{sshd.port} {sshd.other_host_pub}\n")
    monkeypatch.setenv("HILBENCH_SSH_KNOWN_HOSTS", str(known))
    with pytest.raises(TargetConfigError, match="differs from the one in .*refusing to connect"):
        SshBackend(localhost(accept_unknown_host_key=True)).build(
            SimpleNamespace(source=model_path("ad01_int8")))


@needs_sshd
@pytest.mark.sim
def test_nothing_listening_is_unavailable(ssh_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HILBENCH_SSH_PORT", str(port))
    with pytest.raises(TargetUnavailableError, match=rf"cannot connect to .*@127\.0\.0\.1:{port}"):
        SshBackend(localhost()).build(SimpleNamespace(source=model_path("ad01_int8")))


@needs_sshd
@pytest.mark.sim
def test_model_name_with_shell_metacharacters(ssh_env: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # the run directory's parent is weird too, and it does reach the remote command line
    remote_tmp = tmp_path / "board $(touch PWNED_dir) `touch PWNED_tick`; x"
    remote_tmp.mkdir()
    monkeypatch.setenv("HILBENCH_SSH_REMOTE_TMP", str(remote_tmp))
    weird = tmp_path / "models dir" / "a b;touch PWNED$(id).tflite"
    weird.parent.mkdir()
    weird.write_bytes(model_path("ad01_int8").read_bytes())
    x = inputs_for("ad01_int8", 4)
    result = run_on(localhost(reference_kernels=True), weird, x)
    np.testing.assert_array_equal(result.outputs[0],
                                  run_litert(model_path("ad01_int8"), x)[0])
    places = [tmp_path, remote_tmp, Path.home(), Path.cwd(), Path("/"), Path("/tmp")]
    created = [p for place in places for p in place.glob("PWNED*")]
    created += [p for p in tmp_path.rglob("PWNED*")]
    assert created == []
    assert list(remote_tmp.iterdir()) == []


@needs_sshd
@pytest.mark.sim
def test_runner_stops_at_the_timeout(ssh_env: Path) -> None:
    x = inputs_for("kws_ref_model", 50)
    with pytest.raises(RunTimeoutError, match=r"did not finish within timeout_s=1\.5 s"):
        run_on(localhost(timeout_s=1.5), model_path("kws_ref_model"), x, repeats=10_000)
    assert wait_until(lambda: leftover_runners(str(ssh_env)) == [])
    assert list(ssh_env.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# end to end through harness.bench and the results store


@needs_sshd
@pytest.mark.sim
def test_bench_on_ssh_localhost_records_a_row(ssh_env: Path, tmp_path: Path) -> None:
    from harness.bench import bench_model
    from harness.measure import RunContext
    from harness.results import ResultStore

    result = bench_model(model_path("ad01_int8"), "ssh-localhost", n_inputs=10, repeats=2)
    m: Measurement = result.measurement
    assert (m.target, m.backend, m.n_inputs) == ("ssh-localhost", "ssh", 10)
    assert m.metrics["latency_ms"].provenance == "wall-clock"
    assert m.tool_versions["board_runtime"].startswith("ai-edge-litert")
    assert any(argv[0] == "ssh" for argv in m.commands)
    assert result.comparison.top1_agreement >= 0.9
    store = ResultStore(tmp_path / "results.sqlite")
    store.record(m, RunContext.collect())
    row = store.dataframe().iloc[0]
    assert row["target"] == "ssh-localhost" and row["latency_ms"] > 0
    # the key file is named, its content is nowhere in what is stored
    stored = json.dumps([m.commands, m.tool_versions, m.extra])
    key_lines = Path(os.environ["HILBENCH_SSH_KEY"]).read_text().splitlines()[1:-1]
    assert os.environ["HILBENCH_SSH_KEY"] in stored
    assert not any(line in stored for line in key_lines)


@needs_sshd
@pytest.mark.sim
def test_server_killed_mid_run_is_a_clear_error_and_stores_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.bench import bench_model
    from harness.measure import RunContext
    from harness.results import ResultStore

    server = start_sshd(tmp_path / "sshd")  # its own: this one gets killed
    board_tmp = tmp_path / "board"
    board_tmp.mkdir()
    for key, value in server.env(board_tmp).items():
        monkeypatch.setenv(key, value)
    store = ResultStore(tmp_path / "results.sqlite")

    def kill_when_running() -> None:
        if wait_until(lambda: any(board_tmp.glob("*/job.json")), timeout_s=60):
            wait_until(lambda: bool(leftover_runners(str(board_tmp))), timeout_s=5)
            time.sleep(0.3)
            server.kill()

    killer = threading.Thread(target=kill_when_running, daemon=True)
    killer.start()
    try:
        with pytest.raises(RunError, match=rf"connection to {server.user}@127\.0\.0\.1:"
                                           rf"{server.port} lost during the run"):
            result = bench_model(model_path("kws_ref_model"), "ssh-localhost", n_inputs=20,
                                 repeats=100_000)  # minutes, unless killed
            store.record(result.measurement, RunContext.collect())
        killer.join(timeout=30)
        assert store.count() == 0
        # the runner noticed its session was gone: it stopped and removed its directory
        assert wait_until(lambda: leftover_runners(str(board_tmp)) == [])
        assert wait_until(lambda: list(board_tmp.iterdir()) == [])
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------
# the larger MLPerf Tiny models

@needs_sshd
@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize("stem", SLOW_MODELS)
def test_reference_kernels_bit_exact_large_models(stem: str, ssh_env: Path) -> None:
    x = inputs_for(stem, 4)
    result = run_on(localhost(reference_kernels=True), model_path(stem), x)
    for got, ref in zip(result.outputs, run_litert(model_path(stem), x, reference_kernels=True)):
        np.testing.assert_array_equal(got, ref)
    assert result.metrics["latency_p99_ms"].value >= result.metrics["latency_median_ms"].value


@needs_sshd
@pytest.mark.sim
def test_cli_run_on_ssh_localhost_json(ssh_env: Path, tmp_path: Path) -> None:
    """`hilbench run ... --target ssh-localhost --json` works like every other target."""
    import subprocess
    import sys

    from harness.results import ResultStore

    db = tmp_path / "r.sqlite"
    done = subprocess.run([sys.executable, "-m", "harness.cli", "run",
                           str(model_path("ad01_int8")), "--target", "ssh-localhost", "--json",
                           "-n", "5", "--results", str(db)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["target"] == "ssh-localhost" and record["bit_exact"] is True
    assert record["latency_ms"] > 0 and record["latency_ms_provenance"] == "wall-clock"
    assert record["cycles_per_inference"] is None and record["flash_bytes"] is None
    assert ResultStore(db).count() == 1
