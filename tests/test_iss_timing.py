"""The Cortex-M4 timing model against hand-written Thumb-2 sequences whose cycle counts follow
from the Cortex-M4 TRM (ARM DDI 0439): instruction table, load/store timing notes, FPU table.

Static costs are checked on the model alone (assembled bytes -> Capstone -> timing.py);
dynamic ones (taken branches, divides) and the DWT read position by running a tiny program in
the simulator and differencing two CYCCNT reads around the sequence. P = 2 throughout.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("unicorn")
pytest.importorskip("capstone")

from harness.iss import simulate  # noqa: E402
from harness.iss.blocks import BlockDecoder  # noqa: E402
from harness.iss.timing import DEFAULT_REFILL, divide_cycles  # noqa: E402

P = DEFAULT_REFILL
AS = "arm-none-eabi-as"
needs_toolchain = pytest.mark.skipif(
    shutil.which(AS) is None or shutil.which("arm-none-eabi-ld") is None,
    reason="arm-none-eabi binutils not found: apt-get install gcc-arm-none-eabi")
pytestmark = [pytest.mark.sim, needs_toolchain]

_HEADER = ".syntax unified\n.thumb\n.cpu cortex-m4\n.fpu fpv4-sp-d16\n"


def _assemble(tmp: Path, body: str) -> bytes:
    """The .text bytes of `body` assembled for the Cortex-M4."""
    src, obj, raw = tmp / "seq.s", tmp / "seq.o", tmp / "seq.bin"
    src.write_text(_HEADER + body + "\n")
    subprocess.run([AS, "-mcpu=cortex-m4", "-mthumb", str(src), "-o", str(obj)], check=True)
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", "-j", ".text", str(obj), str(raw)],
                   check=True)
    return raw.read_bytes()


def static_cycles(tmp: Path, body: str) -> int:
    """Cycles the model gives a straight-line sequence (one basic block)."""
    info = BlockDecoder().decode(0x1000, _assemble(tmp, body))
    assert info.undecoded == 0
    return info.total_cycles


# --- static costs (one block) ---------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 8, 32])
def test_independent_adds_cost_one_cycle_each(tmp_path: Path, n: int) -> None:
    # ADD: 1 cycle each; no dependency stalls between ALU instructions.
    body = "\n".join(f"adds r{k % 8}, r{k % 8}, #1" for k in range(n))
    assert static_cycles(tmp_path, body) == n


def test_alu_multiply_and_dsp_are_single_cycle(tmp_path: Path) -> None:
    # M4 table: MUL, MLA, MLS, SMULL, UMULL, SMLAL, UMLAL, SMLAD, SMLABB, SXTB16, SSAT, USAT,
    # QADD, SADD16, UXTB, BFI, CLZ, REV: 1 cycle each -> 18.
    body = """
        mul r0, r1, r2
        mla r0, r1, r2, r3
        mls r0, r1, r2, r3
        smull r4, r5, r1, r2
        umull r4, r5, r1, r2
        smlal r4, r5, r1, r2
        umlal r4, r5, r1, r2
        smlad r0, r1, r2, r0
        smlabb r0, r1, r2, r0
        sxtb16 r3, r1
        ssat r3, #8, r1
        usat r3, #8, r1
        qadd r3, r1, r2
        sadd16 r3, r1, r2
        uxtb r3, r1
        bfi r3, r1, #4, #8
        clz r3, r1
        rev r3, r1
    """
    assert static_cycles(tmp_path, body) == 18


def test_smlad_chain(tmp_path: Path) -> None:
    # The int8 dot-product inner step: two SXTB16 + four SMLAD accumulating into one register;
    # the M4 MAC is single cycle with accumulator forwarding: 6 cycles.
    body = """
        sxtb16 r3, r1
        sxtb16 r4, r1, ror #8
        smlad r0, r3, r5, r0
        smlad r0, r4, r6, r0
        smlad r0, r3, r7, r0
        smlad r0, r4, r8, r0
    """
    assert static_cycles(tmp_path, body) == 6


def test_single_load_is_two_cycles(tmp_path: Path) -> None:
    # LDR: 2 cycles (table), not pipelined after an ALU op that does not form its address.
    assert static_cycles(tmp_path, "ldr r0, [r1]") == 2
    assert static_cycles(tmp_path, "adds r2, #1\nldrb r0, [r1, #3]") == 1 + 2


def test_back_to_back_independent_loads_pipeline(tmp_path: Path) -> None:
    # "LDR R0,[R1,R5]; LDR R1,[R2]; LDR R2,[R3,#4] - normally four cycles total" (TRM):
    # N pipelined loads cost N + 1.
    assert static_cycles(tmp_path, "ldr r0, [r1, r5]\nldr r1, [r2]\nldr r2, [r3, #4]") == 4
    body = "\n".join(f"ldrsb r{k}, [r{k + 8}, #{k}]" for k in range(4))
    assert static_cycles(tmp_path, body) == 4 + 1


def test_load_after_load_of_its_address_does_not_pipeline(tmp_path: Path) -> None:
    # The second load's base is the first load's result: no pipelining -> 2 + 2.
    assert static_cycles(tmp_path, "ldr r0, [r1]\nldr r2, [r0]") == 4


def test_address_dependency_on_data_processing_costs_one_more(tmp_path: Path) -> None:
    # "Any load or store that generates an address dependent on the result of a preceding
    # data processing operation stalls the pipeline for an additional cycle": 1 + (2 + 1).
    assert static_cycles(tmp_path, "adds r1, r1, #4\nldr r0, [r1]") == 4
    # index register too, and stores: 1 + (1 + 1).
    assert static_cycles(tmp_path, "lsls r2, r2, #2\nstr r0, [r1, #8]") == 1 + 1
    assert static_cycles(tmp_path, "lsls r2, r2, #2\nstr r0, [r1, r2]") == 1 + 2 + 1
    # a data-processing result used as the stored *value* is not an address dependency.
    assert static_cycles(tmp_path, "adds r0, r0, #4\nstr r0, [r1]") == 1 + 1


def test_stores(tmp_path: Path) -> None:
    # "STR Rx,[Ry,#imm] is always one cycle"; a register-offset STR takes 2.
    assert static_cycles(tmp_path, "str r0, [r1, #4]\nstrb r0, [r1]\nstrh r0, [r1, #2]") == 3
    assert static_cycles(tmp_path, "str r0, [r1, r2]") == 2
    # TRM: "LDR R0,[R1,R2]; STR R1,[R3,R2] - normally three cycles total" (STR pipelined)
    assert static_cycles(tmp_path, "ldr r0, [r1, r2]\nstr r1, [r3, r2]") == 3
    # TRM: "LDR R0,[R1,R2]; STR R0,[R3,#20] - normally three cycles total"
    assert static_cycles(tmp_path, "ldr r0, [r1, r2]\nstr r0, [r3, #20]") == 3


def test_load_store_multiple_cost_one_plus_n(tmp_path: Path) -> None:
    # LDM/STM/PUSH/POP: 1 + N; LDM of 4 registers = 5.
    assert static_cycles(tmp_path, "ldm r0, {r1, r2, r3, r4}") == 5
    assert static_cycles(tmp_path, "stmia r0!, {r1, r2}") == 3
    assert static_cycles(tmp_path, "push {r4, r5, r6, r7, lr}") == 6
    assert static_cycles(tmp_path, "pop {r4, r5, r6, r7}") == 5
    # not pipelined with a preceding load: 2 + 5.
    assert static_cycles(tmp_path, "ldr r5, [r6]\nldm r0, {r1, r2, r3, r4}") == 7


def test_load_store_double(tmp_path: Path) -> None:
    # "LDRD and STRD ... the two words are pipelined together ... three cycles"
    assert static_cycles(tmp_path, "ldrd r0, r1, [r2]") == 3
    assert static_cycles(tmp_path, "strd r0, r1, [r2, #8]") == 3
    # not pipelined after a load: 2 + 3.
    assert static_cycles(tmp_path, "ldr r5, [r6]\nldrd r0, r1, [r2]") == 5


def test_it_block(tmp_path: Path) -> None:
    # IT: 1 cycle (no folding modelled); conditional instructions costed as executed.
    assert static_cycles(tmp_path, "cmp r0, #0\nit eq\naddeq r1, r1, #1") == 3
    assert static_cycles(tmp_path, "cmp r0, r1\nite lt\nmovlt r2, r0\nmovge r2, r1") == 4


def test_branch_static_part_and_isb(tmp_path: Path) -> None:
    # A branch's static cost is 1; P is added only when it is taken (see the run tests).
    # ISB always refills the pipeline: 1 + P.
    assert static_cycles(tmp_path, "b.w .+8") == 1
    assert static_cycles(tmp_path, "isb") == 1 + P
    assert static_cycles(tmp_path, "dmb") == 1


def test_fpu(tmp_path: Path) -> None:
    # FPU table: VADD/VSUB/VMUL/VABS/VNEG/VCMP/VCVT 1, VMLA/VFMA 3, VDIV/VSQRT 14,
    # VLDR/VSTR (single) 2, VMOV core<->S 2, VMOV S<-S or immediate 1, VMRS 1.
    assert static_cycles(tmp_path, "vadd.f32 s0, s1, s2") == 1
    assert static_cycles(tmp_path, "vmul.f32 s0, s1, s2\nvsub.f32 s3, s0, s1") == 2
    assert static_cycles(tmp_path, "vabs.f32 s0, s1\nvneg.f32 s0, s1\nvcmp.f32 s0, s1") == 3
    assert static_cycles(tmp_path, "vcvt.s32.f32 s0, s1") == 1
    assert static_cycles(tmp_path, "vmla.f32 s0, s1, s2") == 3
    assert static_cycles(tmp_path, "vfma.f32 s0, s1, s2") == 3
    assert static_cycles(tmp_path, "vdiv.f32 s0, s1, s2") == 14
    assert static_cycles(tmp_path, "vsqrt.f32 s0, s1") == 14
    assert static_cycles(tmp_path, "vldr s0, [r0, #4]") == 2
    assert static_cycles(tmp_path, "vstr s0, [r0]") == 2
    assert static_cycles(tmp_path, "vmov s0, r0") == 2
    assert static_cycles(tmp_path, "vmov r0, s0") == 2
    assert static_cycles(tmp_path, "vmov.f32 s0, s1\nvmov.f32 s2, #1.0") == 2
    assert static_cycles(tmp_path, "vmrs APSR_nzcv, fpscr") == 1


def test_fpu_multiple(tmp_path: Path) -> None:
    # VLDM/VSTM/VPUSH/VPOP: 1 + N words (a double register is two).
    assert static_cycles(tmp_path, "vldmia r0, {s0-s3}") == 5
    assert static_cycles(tmp_path, "vpush {d8-d9}") == 1 + 4
    assert static_cycles(tmp_path, "vpop {s16-s18}") == 1 + 3


def test_divide_model_spans_the_trm_range() -> None:
    # SDIV/UDIV "2 to 12": quotient 0 (or /0) is 2, a full 32-bit quotient 12.
    assert divide_cycles(5, 7, signed=False) == 2
    assert divide_cycles(5, 0, signed=False) == 2
    assert divide_cycles(0xFFFFFFFF, 1, signed=False) == 12
    # 100/7: quotient bits 7 - 3 + 1 = 5 -> 2 + ceil(50/32) = 4
    assert divide_cycles(100, 7, signed=False) == 4
    # signed: |-100| / |7| as above
    assert divide_cycles((-100) & 0xFFFFFFFF, 7, signed=True) == 4
    assert all(2 <= divide_cycles(n, d, False) <= 12
               for n in (0, 1, 255, 1 << 20, 0xFFFFFFFF) for d in (1, 3, 1 << 16, 0xFFFFFFFF))


# --- dynamic costs (run in the simulator) ---------------------------------------------------

_PROGRAM = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .text
    .thumb_func
    .global reset
reset:
    movw r12, #0x1004
    movt r12, #0xE000
    mov r0, #{r0}
    mov r1, #{r1}
    mov r2, #{r2}
    nop
    ldr r10, [r12]
    nop
{body}
    nop
    ldr r11, [r12]
    movs r0, #0x18
    ldr r1, =0x20026
    bkpt 0xab
    .ltorg
"""


def measured(tmp: Path, body: str, r0: int = 0, r1: int = 0, r2: int = 0) -> tuple[int, int]:
    """(cycles, instructions) of `body` as run by the simulator, from two CYCCNT reads.

    Between the reads: ldr r10 (2) + nop (1) + body + nop (1) -> subtract 4 cycles and
    3 instructions."""
    src, obj, elf = tmp / "prog.s", tmp / "prog.o", tmp / "prog.elf"
    src.write_text(_HEADER + _PROGRAM.format(body=body, r0=r0, r1=r1, r2=r2))
    subprocess.run([AS, "-mcpu=cortex-m4", "-mthumb", str(src), "-o", str(obj)], check=True)
    subprocess.run(["arm-none-eabi-ld", "-Ttext=0x100", "--section-start=.vectors=0",
                    "-e", "reset", str(obj), "-o", str(elf)], check=True)
    result = simulate(elf, budget=10_000_000)
    assert result.exit_code == 0, result.console
    first, second = result.counter_reads
    assert result.imprecise_reads == 0
    return second.value - first.value - 4, second.instructions - first.instructions - 3


def test_run_straight_line_matches_static_model(tmp_path: Path) -> None:
    # 10 ADDs = 10 cycles; the CYCCNT reads are tied to the exact reading instruction.
    body = "\n".join("adds r3, r3, #1" for _ in range(10))
    assert measured(tmp_path, body) == (10, 10)


def test_blocks_cut_by_the_translator_are_not_branches(tmp_path: Path) -> None:
    # 3000 ADDs (6000 bytes) cross a 4 KiB page and exceed Unicorn's 512-instruction block
    # limit: the pieces follow each other, so no refill is charged and the count is exact.
    body = "\n".join("adds r3, r3, #1" for _ in range(3000))
    assert measured(tmp_path, body) == (3000, 3000)


def test_taken_branch_costs_one_plus_p(tmp_path: Path) -> None:
    # b.w to the next-but-one instruction: 1 + P, and the skipped add is not executed.
    assert measured(tmp_path, "b.w 1f\nadds r3, #1\n1:") == (1 + P, 1)


def test_not_taken_branch_costs_one(tmp_path: Path) -> None:
    # r0 = 0, so bne falls through: 1 cycle, then the add: 1.
    assert measured(tmp_path, "cmp r0, #0\nbne 1f\nadds r3, #1\n1:") == (3, 3)


def test_counted_loop(tmp_path: Path) -> None:
    # 10 iterations of subs (1) + bne (1), bne taken 9 times: 20 + 9P cycles, 20 instructions.
    assert measured(tmp_path, "1:\nsubs r0, r0, #1\nbne 1b", r0=10) == (20 + 9 * P, 20)


def test_call_and_return(tmp_path: Path) -> None:
    # bl (1 + P) to a function doing adds (1) and bx lr (1 + P), then back: 3 + 2P.
    body = "bl 2f\nb 3f\n2:\nadds r3, #1\nbx lr\n3:"
    # after returning, "b 3f" is taken too: + (1 + P); 4 instructions in all.
    assert measured(tmp_path, body) == (3 + 2 * P + 1 + P, 4)


def test_udiv_is_data_dependent(tmp_path: Path) -> None:
    # 100 / 7: 4 cycles (quotient of 5 significant bits); 5 / 7: 2; 255 / 1: 2 + ceil(80/32) = 5.
    assert measured(tmp_path, "udiv r3, r0, r1", r0=100, r1=7) == (4, 1)
    assert measured(tmp_path, "udiv r3, r0, r1", r0=5, r1=7) == (2, 1)
    assert measured(tmp_path, "sdiv r3, r0, r1", r0=255, r1=1) == (5, 1)


def test_divide_missed_by_the_load_sweep_is_hooked_on_first_sight(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 0xFFFFFFFF / 1 three times in a loop: 12 cycles each when hooked from the start. A
    # divide the load-time sweep did not find is hooked when its block is first decoded:
    # that first execution is charged the 2-cycle minimum, the later ones are exact.
    body = "mov r4, #3\n1:\nudiv r3, r0, r1\nsubs r4, #1\nbne 1b"
    cycles, instructions = measured(tmp_path, body, r0=0xFFFFFFFF, r1=1)
    assert (cycles, instructions) == (1 + 3 * (12 + 1 + 1) + 2 * P, 10)
    from harness.iss.blocks import BlockDecoder as Decoder

    monkeypatch.setattr(Decoder, "divide_addresses", lambda self, address, code: [])
    assert measured(tmp_path, body, r0=0xFFFFFFFF, r1=1) == (cycles - 10, instructions)


def test_load_pipelining_in_a_run(tmp_path: Path) -> None:
    # Two independent loads from RAM: 2 + 1; both read the same address r2.
    assert measured(tmp_path, "ldr r3, [r2]\nldr r4, [r2, #4]", r2=0x20000000) == (3, 2)


@pytest.mark.parametrize("page", [1024, 4096])
def test_loads_pipeline_across_a_translator_cut(tmp_path: Path, page: int) -> None:
    # The two loads of test_load_pipelining_in_a_run, placed so that a page boundary (where
    # the translator cuts blocks) falls between them: still 2 + 1 (the core has no pages),
    # after the b.w over the padding (1 + P).
    body = (f"b.w 2f\n.p2align {page.bit_length() - 1}\n.space {page - 2}\n2:\n"
            "ldr r3, [r2]\nldr r4, [r2, #4]")
    assert measured(tmp_path, body, r2=0x20000000) == (1 + P + 3, 3)
