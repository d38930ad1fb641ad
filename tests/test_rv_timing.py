"""The RV32 ISS timing models (harness/rvtiming): decoding, block features, exact cycles of
hand-built programs run in the ISS, and the models against the RTL on AD (rv32-base: the
hb_core table is exact; vexriscv-base: calibrated on KWS, AD is validation)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from harness.backends.verilator import VerilatorBackend
from harness.bench import bench_model
from harness.errors import TargetConfigError
from harness.rvtiming import CORES, TimingCounter, block_features, core_timing, decode
from harness.rvtiming.cache import CacheGeometry, DirectMappedCache
from harness.rvtiming.features import INDEX
from harness.targets import load_target

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hb_testutil import model_path  # noqa: E402

# -- a tiny RV32 assembler (the encodings of the RISC-V unprivileged spec) -----------------

def r_type(funct7: int, rs2: int, rs1: int, funct3: int, rd: int, opcode: int = 0x33) -> int:
    return (funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode


def i_type(imm: int, rs1: int, funct3: int, rd: int, opcode: int = 0x13) -> int:
    return ((imm & 0xFFF) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode


def s_type(imm: int, rs2: int, rs1: int, funct3: int = 2) -> int:
    imm &= 0xFFF
    return ((imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | \
        ((imm & 31) << 7) | 0x23


def b_type(offset: int, rs2: int, rs1: int, funct3: int = 1) -> int:   # bne by default
    o = offset & 0x1FFF
    return (((o >> 12) & 1) << 31) | (((o >> 5) & 63) << 25) | (rs2 << 20) | (rs1 << 15) | \
        (funct3 << 12) | (((o >> 1) & 15) << 8) | (((o >> 11) & 1) << 7) | 0x63


def lui(rd: int, upper: int) -> int:
    return (upper << 12) | (rd << 7) | 0x37


T0, A0, A1, A2, A3 = 5, 10, 11, 12, 13
EXIT = [lui(A3, 0x10000), s_type(4, 0, A3)]          # sw x0, 4(a3): EXIT = 0


def run(words: list[int], core: str) -> TimingCounter:
    from rtl.model.iss import Iss

    iss = Iss(nnx=True, ram_bytes=1 << 16)
    iss.load(0, b"".join(w.to_bytes(4, "little") for w in words))
    counter = TimingCounter(iss, core_timing(core))
    result = iss.run(max_instructions=100_000)
    assert result.status == "exit" and result.exit_code == 0, result
    return counter


def named(counts: np.ndarray) -> dict[str, int]:
    return {name: int(counts[i]) for name, i in INDEX.items() if counts[i]}


# -- decoding and blocks ------------------------------------------------------------------

def test_decode_sorts_instructions_into_timing_classes() -> None:
    assert decode(i_type(0, A1, 2, A0, 0x03)).cls == "load"          # lw a0, 0(a1)
    assert decode(r_type(1, A2, A1, 0, A0)).cls == "mul"
    assert decode(r_type(1, A2, A1, 3, A0)).cls == "mulh"
    assert decode(r_type(1, A2, A1, 6, A0)).cls == "div"             # rem
    assert decode(i_type(3, A1, 1, A0)).cls == "shift"               # slli
    assert decode(r_type(0x20, A2, A1, 5, A0)).cls == "shift"        # sra
    assert decode(b_type(-8, 0, T0)).backward and not decode(b_type(8, 0, T0)).backward
    assert decode(i_type(0xB00 - 4096, 0, 2, A0, 0x73)).cls == "csr_counter"   # csrr mcycle
    assert decode(i_type(0x300, 0, 2, A0, 0x73)).cls == "csr"        # csrr mstatus
    dot4 = r_type(1, A2, A1, 0, A0, 0x0B)
    assert decode(dot4).cls == "nnx_dot4" and decode(dot4).rd == A0
    assert decode(r_type(0, A2, A1, 0, A0, 0x0B)).sources == (A1, A2, A0)   # mac4 reads rd
    assert decode(0x0000000F).cls == "other"                         # fence


def test_block_features_count_classes_and_hazards() -> None:
    block = [decode(w) for w in (
        i_type(0, A1, 2, A0, 0x03),     # lw   a0, 0(a1)
        r_type(0, A0, A0, 0, A2),       # add  a2, a0, a0      load-use at distance 1
        r_type(1, A2, A2, 0, A3),       # mul  a3, a2, a2
        i_type(1, T0, 0, T0),           # addi t0, t0, 1
        r_type(0, A3, A3, 0, A3),       # add  a3, a3, a3      mul result at distance 2
        b_type(-20, 0, T0))]            # bne  t0, x0, start
    f = block_features(block)
    assert named(f.static) == {"load": 1, "alu": 3, "mul": 1, "load_use_1": 1, "mul_use_2": 1}
    assert named(f.taken) == {"branch_bwd_taken": 1}
    assert named(f.fallthrough) == {"branch_bwd_nt": 1}
    assert named(f.prefix[2]) == {"load": 1, "alu": 1, "load_use_1": 1}


def test_every_core_prices_every_feature_and_unknown_cores_are_named() -> None:
    for core in CORES.values():
        assert len(core.vector) == len(INDEX) and (core.vector >= 0).all()
    with pytest.raises(TargetConfigError, match="choose one of hb_core, vexriscv, cv32e40x"):
        core_timing("ibex")


# -- exact cycles of hand-built programs in the ISS -----------------------------------------

LOOP = [
    i_type(5, 0, 0, T0),                # addi t0, x0, 5
    i_type(0x100, 0, 0, A1),            # addi a1, x0, 0x100
    i_type(0, A1, 2, A0, 0x03),         # loop: lw a0, 0(a1)
    r_type(0, A0, A0, 0, A2),           # add  a2, a0, a0    (load-use)
    i_type(-1, T0, 0, T0),              # addi t0, t0, -1
    b_type(-12, 0, T0),                 # bne  t0, x0, loop  (taken 4 times, then not)
    *EXIT,
]


def test_loop_features_follow_the_branch_outcomes() -> None:
    counts = named(run(LOOP, "hb_core").features())
    assert counts == {"alu": 2 + 5 * 2 + 1, "load": 5, "load_use_1": 5, "store": 1,
                      "branch_bwd_taken": 4, "branch_bwd_nt": 1}


@pytest.mark.parametrize("core,cycles", [
    # hb_core (rtl/README.md, L = 1): 13 ALU x 3 + 5 loads x 5 + 5 branches x 3 + store 5
    ("hb_core", 13 * 3 + 5 * 5 + 5 * 3 + 5),
    # CV32E40X manual: ALU 1, load 1 + 1 load-use stall, taken branch 3, not taken 1, store 1
    ("cv32e40x", 13 + 5 * 2 + 4 * 3 + 1 + 1),
])
def test_loop_cycles_are_the_table_sums(core: str, cycles: int) -> None:
    counter = run(LOOP, core)
    assert counter.core.cycles(counter.features()) == cycles


def test_cycles_before_a_pc_leave_out_the_rest_of_its_block() -> None:
    counter = run(LOOP, "hb_core")
    # the last block (lui, sw) ran; before its sw only the lui of that block counts
    assert counter.cycles_before(len(LOOP) * 4 - 4) == counter.core.cycles(
        counter.features()) - 5


def test_data_cache_misses_of_a_thrashing_pair_of_lines() -> None:
    words = [
        i_type(4, 0, 0, T0),            # addi t0, x0, 4
        lui(A1, 1),                     # a1 = 0x1000
        i_type(0, A1, 2, A0, 0x03),     # loop: lw a0, 0(a1)
        i_type(0, 0, 2, A2, 0x03),      # lw a2, 0(x0): 4 KiB away, the same line index
        i_type(-1, T0, 0, T0),
        b_type(-12, 0, T0),
        *EXIT,
    ]
    counter = run(words, "vexriscv")
    counts = named(counter.features())
    assert counts["dcache_miss"] == 8                  # every load misses
    assert counts["icache_miss"] == 1                  # 32 bytes of code: one line
    cache = DirectMappedCache(CacheGeometry(4096, 32))
    assert [cache.access(a) for a in (0, 4, 31, 32, 4096, 0)] == [True, False, False, True,
                                                                  True, True]


# -- against the RTL ------------------------------------------------------------------------

def _missing(target: str) -> str | None:
    return VerilatorBackend(load_target(target)).available()


def _compare(stem: str, target: str) -> tuple[float, float, list[float]]:
    rtl = bench_model(model_path(stem), target, n_inputs=1).measurement
    iss = bench_model(model_path(stem), f"{target}-iss", n_inputs=1).measurement
    assert rtl.bit_exact and iss.bit_exact
    modelled = iss.metrics["cycles_per_inference"]
    assert modelled.provenance == "iss-cycle-model"
    assert iss.metrics["instructions_per_inference"].provenance == "instructions"
    assert iss.metrics["instructions_per_inference"].value == \
        rtl.metrics["instructions_per_inference"].value         # the same instructions
    assert [layer.provenance for layer in iss.layers] == ["iss-cycle-model"] * len(rtl.layers)
    layer_errors = [(i.cycles - r.cycles) / r.cycles for i, r in zip(iss.layers, rtl.layers)]
    return modelled.value, rtl.metrics["cycles_per_inference"].value, layer_errors


@pytest.mark.sim
@pytest.mark.skipif(_missing("rv32-base") is not None, reason=_missing("rv32-base") or "")
def test_hb_core_model_equals_the_rtl_on_ad() -> None:
    """hb_core is multi-cycle with fixed costs per class: the table is exact."""
    modelled, rtl, layer_errors = _compare("ad01_int8", "rv32-base")
    assert modelled == rtl
    assert max(abs(e) for e in layer_errors) == 0


@pytest.mark.sim
@pytest.mark.skipif(_missing("vexriscv-base") is not None,
                    reason=_missing("vexriscv-base") or "")
def test_vexriscv_model_is_within_two_percent_on_ad() -> None:
    """Calibrated on KWS only; AD measured +0.2 % (whole) and 0.2 % mean per layer. Both runs
    are deterministic, so 2 % only leaves room for small firmware changes."""
    modelled, rtl, layer_errors = _compare("ad01_int8", "vexriscv-base")
    assert abs(modelled - rtl) / rtl < 0.02
    assert float(np.mean(np.abs(layer_errors))) < 0.02


def test_a_target_naming_an_unknown_core_is_refused(tmp_path: Path) -> None:
    text = (Path(load_target("vexriscv-base-iss").folder) / "target.yaml").read_text()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "target.yaml").write_text(text.replace("timing: vexriscv", "timing: ibex"))
    with pytest.raises(TargetConfigError,
                       match="iss_rv.timing: expected one of hb_core, vexriscv, cv32e40x"):
        load_target(tmp_path / "bad")
