/* hilbench MCU board support: the interface between the shared runtime
 * (targets/mcu-common: runner.c, console.c, markers.c, budget_none.c) and a board
 * (targets/cortex-m4, targets/rv32, ...).
 *
 * Each group below is implemented by one file chosen by harness/firmware.py from the
 * target's YAML (`firmware:` section), looked up in the board folder (firmware.runtime)
 * first, then in targets/mcu-common; addresses and clocks arrive as -D defines.
 *
 *   console   uart_<kind>.c        hb_uart_init / hb_uart_putc / hb_uart_flush
 *                                  (/ hb_uart_getc, for firmware.inputs: stream)
 *   counter   counter_<kind>.c     hb_counter_init / hb_cycles (/ hb_instret)
 *   budget    budget_<kind>.c      hb_budget_arm / hb_budget_disarm / hb_budget_on_irq
 *   exit      exit_<kind>.c        hb_exit
 *
 * console.c formats numbers on top of hb_uart_putc; markers.c keeps the per-layer counters;
 * runner.c is the main loop. The board folder's startup file (startup.c on Cortex-M, with
 * the vector table and the fault report; startup.S on RV32) gets to main().
 */
#ifndef HB_BOARD_H
#define HB_BOARD_H

#include <stdint.h>

/* Exit codes of the firmware (the simulator's exit status: QEMU semihosting, hb_soc EXIT). */
#define HB_EXIT_OK 0
#define HB_EXIT_FAULT 2
#define HB_EXIT_BUDGET 3

/* ---- board set-up before main(): clocks, supplies, pins (a board folder's board_init.c;
 *      the start-up's weak default does nothing) ---- */
void hb_board_init(void);
/* the inference pin (runner_mlperf.c: high around the timed inferences, for a power meter's
 * logic input); weak and empty by default */
void hb_infer_pin(uint32_t high);

/* ---- UART (console) ---- */
void hb_uart_init(void);
void hb_uart_putc(char c);
void hb_uart_flush(void);              /* returns once the last character has left */
char hb_uart_getc(void);               /* waits for a received character (runner_mlperf.c:
                                          boards fed over the serial line only) */

/* ---- console formatting (console.c) ---- */
void hb_put_str(const char *s);
void hb_put_u32(uint32_t value);       /* decimal */
void hb_put_hex32(uint32_t value);     /* "0x" and 8 lowercase hex digits */
void hb_put_hex_bytes(const uint8_t *bytes, uint32_t count);  /* 2 lowercase digits each */

/* ---- free-running up counter ---- */
void hb_counter_init(void);
uint32_t hb_cycles(void);              /* wraps modulo 2^32; differences are exact */
#ifdef HB_HAS_INSTRET
uint32_t hb_instret(void);             /* retired instructions, modulo 2^32 (optional) */
#endif

/* ---- per-inference budget (a timer interrupt that ends a run that takes too long) ---- */
void hb_budget_arm(void);
void hb_budget_disarm(void);
void hb_budget_on_irq(uint32_t irq);   /* called for every external IRQ; returns if not its own */

/* ---- end of the program ---- */
void hb_exit(int code) __attribute__((noreturn));

/* Index of the input being run (for the budget and fault reports); 0xFFFFFFFF outside. */
extern volatile uint32_t hb_current_input;

#endif /* HB_BOARD_H */
