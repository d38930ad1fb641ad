/* Start-up of an RV32 firmware on hb_soc (rtl/soc/hb_soc.v): the core resets to pc = 0,
 * where the generated linker script places .text.init (this code).
 *
 * Sets gp (for linker relaxation of small-data accesses) and sp (__stack_top, the end of
 * the reserved .stack region), zeroes .bss, runs main() and ends the program with its
 * return value (hb_exit). .data needs no copy: the simulator loads it in place.
 *
 * mtvec is left at 0 on purpose: on hb_soc an unhandled trap (illegal instruction,
 * misaligned access, ecall, ebreak) then halts the core and the simulator reports mcause,
 * mepc and mtval itself (hb_bench: status=trap, exit status 4; the ISS: status "trap"), so
 * no trap handler is needed in the firmware.
 *
 * Linker symbols (harness/firmware.py writes the script): __global_pointer$, __stack_top,
 * __bss_start, __bss_end.
 */
    .section .text.init, "ax"
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top
#ifdef HB_COUNTERS_ENABLE
    /* CV32E40X (rtl/cv32e40x) resets mcountinhibit to "all inhibited": count from here
     * (csrw mcountinhibit, zero; .insn keeps plain -march=rv32im) */
    .insn i SYSTEM, 1, x0, x0, 0x320
#endif
#ifdef HB_CFU_ENABLE
    /* VexRiscv (rtl/vexriscv): custom-0 instructions reach the CFU port only while bit 31
     * of CSR 0xBC0 is set (csrs 0xBC0, t0; .insn keeps plain -march=rv32im) */
    li      t0, 0x80000000
    .insn i SYSTEM, 2, x0, t0, -1088
#endif
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:  call    main
    call    hb_exit
3:  j       3b
    .size _start, . - _start
