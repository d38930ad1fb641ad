/* crt0.S -- start-up code for hb_soc firmware.
 *
 * Sets gp and sp, clears .bss, calls main(0, 0) and writes main's return
 * value to the EXIT register (0x1000_0004), which halts the simulation.
 * .data is loaded by the ELF loader in place (no copy from ROM needed).
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
2:  li      a0, 0
    li      a1, 0
    call    main
    .globl  _exit
_exit:
    li      t0, 0x10000004          /* HB_EXIT */
    sw      a0, 0(t0)
3:  j       3b                      /* not reached: the SoC stops the core */
    .size _start, . - _start
