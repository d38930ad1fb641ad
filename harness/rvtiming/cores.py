"""One timing table per RTL core: the cycles of each feature (features.py), where each number
comes from, and which ones were fitted to the RTL (calibrate.py, benchmarks/rv_iss_timing.py).

    hb_core    rtl/core/hb_core.v, multi-cycle, MEM_LATENCY = 1: the CPI table of rtl/README.md
               (checked by rtl/tests/cocotb_core.py::test_cpi); nothing fitted
    cv32e40x   CV32E40X user manual, "Pipeline details: cycle counts per instruction type" and
               "Hazards" (OpenHW, docs/user_manual/source/pipeline.rst); the nnx instructions
               through CV-X-IF and the branch/jump costs on cv_soc's OBI RAM are fitted
    vexriscv   VexRiscv FullCfu (GenCoreDefault: 5 stages, bypassing, STATIC prediction of
               backward branches and jal in decode, earlyBranch = branches resolved in execute,
               MulPlugin, iterative DivPlugin, 4 KiB direct-mapped I$ and write-through D$ with
               32-byte lines refilled over vx_soc's Wishbone at 2 cycles a beat); the hazards,
               branch costs, stores, cache misses and nnx costs are fitted
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import TargetConfigError
from .cache import CacheGeometry
from .features import FEATURES

__all__ = ["CoreTiming", "CORES", "core_timing"]


@dataclass(frozen=True)
class CoreTiming:
    name: str
    description: str
    weights: dict[str, float]
    fitted: tuple[str, ...] = ()        # weights fitted to RTL counts (the rest: from docs)
    icache: CacheGeometry | None = None
    dcache: CacheGeometry | None = None
    vector: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        missing = [f for f in FEATURES if f not in self.weights]
        unknown = [f for f in self.weights if f not in FEATURES]
        if missing or unknown:
            raise ValueError(f"timing table {self.name}: missing {missing}, unknown {unknown}")
        object.__setattr__(self, "vector", np.array([self.weights[f] for f in FEATURES],
                                                    dtype=np.float64))

    def cycles(self, counts: np.ndarray) -> float:
        """Modelled cycles of a feature-count vector (or one per row of a matrix)."""
        return float(np.asarray(counts, dtype=np.float64) @ self.vector)


def _table(**weights: float) -> dict[str, float]:
    zero = {f: 0.0 for f in FEATURES}
    return {**zero, **weights}


_NNX_HB = dict(nnx_mac4=4, nnx_dot4=4, nnx_setq=4, nnx_setout=4, nnx_rdbpot=5, nnx_srdhm=6,
               nnx_requant=6, nnx_macc=4, nnx_vmac=4, nnx_racc=4)

# The CFU and CV-X-IF adapters' hb_nnx was narrowed after the fit (MUL_STEPS = 4: a 32 x 9
# multiplier over 4 cycles, rtl/README.md): srdhm and requant answer 3 cycles later, and
# both cores wait for the answer. hb_core's nnx borrows the core's multiplier: unchanged.
_NARROW_MUL = 3

HB_CORE = CoreTiming(
    "hb_core", "hb_core multi-cycle, MEM_LATENCY = 1 (rtl/README.md CPI table)",
    _table(alu=3, shift=3, load=5, store=5, mul=3, mulh=3, div=35, jal=3, jalr=3, csr=3,
           csr_counter=3, other=3, branch_fwd_nt=3, branch_fwd_taken=3, branch_bwd_nt=3,
           branch_bwd_taken=3, **_NNX_HB))

CV32E40X = CoreTiming(
    "cv32e40x", "CV32E40X user-manual cycle counts and hazards; nnx on CV-X-IF fitted",
    # the nnx costs through CV-X-IF started from hb_nnx's latency + 1 (mac4/dot4/setq/setout
    # 2, rdbpot 3, srdhm/requant 4, nnx_use_1 0) and were fitted on KWS per layer, base +
    # nnx firmware (benchmarks/rv_iss_timing.py --calibrate, 2026-12-02); the firmware uses
    # dot4, requant and setq only, the other nnx weights keep their starting values
    _table(alu=1, shift=1, load=1, store=1, mul=1, mulh=5, div=3, div_clz=1, jal=2, jalr=2,
           csr=1, csr_counter=4, other=1, branch_fwd_nt=1, branch_fwd_taken=3, branch_bwd_nt=1,
           branch_bwd_taken=3, load_use_1=1, jalr_dep=1,
           nnx_mac4=2, nnx_dot4=4.82, nnx_setq=2.15, nnx_setout=2, nnx_rdbpot=3,
           nnx_srdhm=4 + _NARROW_MUL, nnx_requant=4.65 + _NARROW_MUL, nnx_use_1=0,
           # the accumulator bank (added after the fit): latency 1 like dot4, same cost
           nnx_macc=4.82, nnx_vmac=4.82, nnx_racc=4.82),
    fitted=("nnx_mac4", "nnx_dot4", "nnx_srdhm", "nnx_rdbpot", "nnx_requant", "nnx_setq",
            "nnx_setout", "nnx_use_1"))

VEXRISCV = CoreTiming(
    "vexriscv", "VexRiscv FullCfu pipeline, static prediction, 4 KiB I$/D$; costs fitted",
    # pipeline-derived starting values (before the fit): load_use_1 2, load_use_2 1,
    # mul_use_1 2, mul_use_2 1, shift_use_1 1, branch_fwd_taken 3, branch_bwd_nt 3,
    # branch_bwd_taken 2, jal 2, jalr 3, store 1, icache_miss 18, dcache_miss 18 (8 beats of
    # 2 cycles + 2), nnx_dot4 1, nnx_use_1 1; fitted on KWS per layer, base + cfu firmware
    # (benchmarks/rv_iss_timing.py --calibrate, 2026-12-02)
    _table(alu=1, shift=1, load=1, store=1.87, mul=1, mulh=1, div=34, jal=1.59, jalr=2.6,
           csr=1, csr_counter=1, other=1, branch_fwd_nt=1, branch_fwd_taken=3.72,
           branch_bwd_nt=2.81, branch_bwd_taken=2.71, load_use_1=1.73, load_use_2=1.29,
           mul_use_1=2.06, mul_use_2=0.34, shift_use_1=0.78, icache_miss=19.39,
           dcache_miss=19.24, nnx_mac4=1, nnx_dot4=1.2, nnx_setq=1, nnx_setout=1, nnx_rdbpot=2,
           nnx_srdhm=3 + _NARROW_MUL, nnx_requant=3 + _NARROW_MUL, nnx_use_1=1.0,
           # the accumulator bank (added after the fit): latency 1 like dot4, same cost
           nnx_macc=1.2, nnx_vmac=1.2, nnx_racc=1.2),
    fitted=("load_use_1", "load_use_2", "mul_use_1", "mul_use_2", "shift_use_1",
            "branch_fwd_taken", "branch_bwd_nt", "branch_bwd_taken", "jal", "jalr", "store",
            "icache_miss", "dcache_miss", "nnx_dot4", "nnx_use_1"),
    icache=CacheGeometry(4096, 32), dcache=CacheGeometry(4096, 32))

CORES = {c.name: c for c in (HB_CORE, VEXRISCV, CV32E40X)}


def core_timing(name: str) -> CoreTiming:
    """The timing table of `name`; TargetConfigError listing the choices otherwise."""
    try:
        return CORES[name]
    except KeyError:
        raise TargetConfigError(f"no RV32 timing model for core {name!r}: choose one of "
                                f"{', '.join(CORES)}") from None
