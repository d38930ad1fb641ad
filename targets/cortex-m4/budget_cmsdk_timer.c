/* Per-inference budget on an Arm CMSDK APB timer: armed before each hb_model_invoke with
 * HB_BUDGET_TICKS ticks; if it reaches zero first, its interrupt prints
 * "HB_TIMEOUT <input> <ticks>" and ends the program with HB_EXIT_BUDGET. Under QEMU with
 * -icount the ticks are a number of executed instructions, so the budget is deterministic.
 *
 * -D HB_BUDGET_TIMER_BASE  register block address (mps2-an386 TIMER1: 0x40001000)
 * -D HB_BUDGET_TIMER_IRQ   its external interrupt number (mps2-an386 TIMER1: 9)
 * -D HB_BUDGET_TICKS       ticks of the timer clock per inference (1 .. 2^32-1)
 */
#include <stdint.h>

#include "hb_board.h"

#if !defined(HB_BUDGET_TIMER_BASE) || !defined(HB_BUDGET_TIMER_IRQ) || !defined(HB_BUDGET_TICKS)
#error "budget_cmsdk_timer.c needs HB_BUDGET_TIMER_BASE, HB_BUDGET_TIMER_IRQ and HB_BUDGET_TICKS"
#endif

#define TIMER_REG(offset) (*(volatile uint32_t *)((uintptr_t)(HB_BUDGET_TIMER_BASE) + (offset)))
#define TIMER_CTRL TIMER_REG(0x00u)
#define TIMER_VALUE TIMER_REG(0x04u)
#define TIMER_RELOAD TIMER_REG(0x08u)
#define TIMER_INTCLEAR TIMER_REG(0x0Cu)
#define TIMER_CTRL_ENABLE 0x1u
#define TIMER_CTRL_IRQ_ENABLE 0x8u

#define NVIC_ISER(n) (*(volatile uint32_t *)(0xE000E100u + 4u * (n)))
#define NVIC_ICER(n) (*(volatile uint32_t *)(0xE000E180u + 4u * (n)))
#define NVIC_ICPR(n) (*(volatile uint32_t *)(0xE000E280u + 4u * (n)))
#define IRQ_WORD ((uint32_t)(HB_BUDGET_TIMER_IRQ) / 32u)
#define IRQ_BIT (1u << ((uint32_t)(HB_BUDGET_TIMER_IRQ) % 32u))

void hb_budget_arm(void)
{
    TIMER_CTRL = 0u;
    TIMER_INTCLEAR = 1u;
    NVIC_ICPR(IRQ_WORD) = IRQ_BIT;
    TIMER_RELOAD = (uint32_t)(HB_BUDGET_TICKS);
    TIMER_VALUE = (uint32_t)(HB_BUDGET_TICKS);
    NVIC_ISER(IRQ_WORD) = IRQ_BIT;
    TIMER_CTRL = TIMER_CTRL_ENABLE | TIMER_CTRL_IRQ_ENABLE;
}

void hb_budget_disarm(void)
{
    TIMER_CTRL = 0u;
    TIMER_INTCLEAR = 1u;
    NVIC_ICER(IRQ_WORD) = IRQ_BIT;
    NVIC_ICPR(IRQ_WORD) = IRQ_BIT;
}

void hb_budget_on_irq(uint32_t irq)
{
    if (irq != (uint32_t)(HB_BUDGET_TIMER_IRQ)) {
        return;
    }
    hb_budget_disarm();
    hb_put_str("\nHB_TIMEOUT ");
    hb_put_u32(hb_current_input);
    hb_put_str(" ");
    hb_put_u32((uint32_t)(HB_BUDGET_TICKS));
    hb_put_str("\n");
    hb_exit(HB_EXIT_BUDGET);
}
