/* Start-up of a Cortex-M4 (ARMv7E-M) firmware: vector table, reset and exception reports.
 *
 * Reset_Handler enables the FPU (CPACR) before any other code, copies .data from its load
 * address in flash, zeroes .bss, runs hb_board_init() (a board's clocks and pins: weak and
 * empty here, defined by a board folder's board_init.c), then main(), and ends the program
 * with main's return value.
 * Every fault and unexpected exception prints one line
 *     HB_FAULT <name> pc=0x........ cfsr=0x........ hfsr=0x........ input=<i>
 * and ends the program with HB_EXIT_FAULT. External interrupts go to hb_budget_on_irq
 * first (the per-inference budget timer), and are reported as faults otherwise.
 *
 * Linker symbols (harness/firmware.py writes the script): __stack_top, __data_start,
 * __data_end, __data_load, __bss_start, __bss_end.
 * -D HB_NUM_IRQS: external interrupts in the vector table, 32 (default) or 64.
 */
#include <stdint.h>

#include "hb_board.h"

#ifndef HB_NUM_IRQS
#define HB_NUM_IRQS 32
#endif
#if HB_NUM_IRQS != 32 && HB_NUM_IRQS != 64
#error "HB_NUM_IRQS must be 32 or 64"
#endif

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define CPACR_CP10_CP11_FULL (0xFu << 20)

extern uint32_t __stack_top;
extern uint32_t __data_start;
extern uint32_t __data_end;
extern const uint32_t __data_load;
extern uint32_t __bss_start;
extern uint32_t __bss_end;

int main(void);
void Reset_Handler(void);
void hb_exception_entry(void);
void hb_exception_report(const uint32_t *frame, uint32_t ipsr) __attribute__((noreturn, used));

typedef void (*hb_vector)(void);

#define HB_X4 hb_exception_entry, hb_exception_entry, hb_exception_entry, hb_exception_entry
#define HB_X32 HB_X4, HB_X4, HB_X4, HB_X4, HB_X4, HB_X4, HB_X4, HB_X4

/* Initial stack pointer, reset, the 14 other system exceptions, the external interrupts. */
__attribute__((section(".isr_vector"), used))
const hb_vector hb_vector_table[16 + HB_NUM_IRQS] = {
    (hb_vector)(uintptr_t)&__stack_top,
    Reset_Handler,
    HB_X4, HB_X4, HB_X4, hb_exception_entry, hb_exception_entry,
    HB_X32,
#if HB_NUM_IRQS == 64
    HB_X32,
#endif
};

__attribute__((noreturn)) void Reset_Handler(void)
{
    SCB_CPACR |= CPACR_CP10_CP11_FULL;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    const uint32_t *src = &__data_load;
    for (uint32_t *dst = &__data_start; dst < &__data_end; dst++, src++) {
        *dst = *src;
    }
    for (uint32_t *dst = &__bss_start; dst < &__bss_end; dst++) {
        *dst = 0u;
    }
    hb_board_init();
    hb_exit(main());
}

__attribute__((weak)) void hb_board_init(void)
{
}

/* Finds the stacked exception frame (MSP or PSP, from EXC_RETURN bit 2) and the exception
 * number (IPSR), and hands both to hb_exception_report. */
__attribute__((naked)) void hb_exception_entry(void)
{
    __asm__ volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "mrs r1, ipsr\n\t"
        "b hb_exception_report\n\t");
}

static const char *hb_exception_name(uint32_t number)
{
    switch (number) {
    case 2u: return "NMI";
    case 3u: return "HardFault";
    case 4u: return "MemManage";
    case 5u: return "BusFault";
    case 6u: return "UsageFault";
    case 11u: return "SVCall";
    case 12u: return "DebugMonitor";
    case 14u: return "PendSV";
    case 15u: return "SysTick";
    default: return number >= 16u ? "IRQ" : "Reserved";
    }
}

void hb_exception_report(const uint32_t *frame, uint32_t ipsr)
{
    uint32_t number = ipsr & 0x1FFu;
    if (number >= 16u) {
        hb_budget_on_irq(number - 16u);  /* returns only when it is not the budget timer */
    }
    hb_put_str("\nHB_FAULT ");
    hb_put_str(hb_exception_name(number));
    if (number >= 16u) {
        hb_put_u32(number - 16u);
    }
    hb_put_str(" pc=");
    hb_put_hex32(frame[6]);
    hb_put_str(" cfsr=");
    hb_put_hex32(SCB_CFSR);
    hb_put_str(" hfsr=");
    hb_put_hex32(SCB_HFSR);
    hb_put_str(" input=");
    hb_put_u32(hb_current_input);
    hb_put_str("\n");
    hb_exit(HB_EXIT_FAULT);
}
