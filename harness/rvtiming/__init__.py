"""Per-core cycle models for the RV32 ISS (`iss_rv` with `iss_rv.timing: <core>`), calibrated
on the cores' RTL cycle counts: see README.md."""
from __future__ import annotations

from .cores import CORES, CoreTiming, core_timing
from .counter import TimingCounter, first_input_features, scan_code
from .decode import Insn, decode
from .features import FEATURES, block_features

__all__ = ["CORES", "CoreTiming", "core_timing", "TimingCounter", "scan_code",
           "first_input_features", "Insn", "decode", "FEATURES", "block_features"]
