/* hb_cycles() from an Arm CMSDK APB timer left free-running from 0xFFFFFFFF downwards.
 *
 * The count is in ticks of the timer's clock (mps2: 25 MHz). Under QEMU with
 * `-icount shift=S` that clock is derived from virtual time, which advances 2^S ns per
 * executed instruction, so one tick is (1e9 / clock_hz) / 2^S instructions (40 for S = 0
 * at 25 MHz): the count is deterministic, with a resolution of one tick.
 *
 * -D HB_COUNTER_BASE   register block address (mps2-an386 TIMER0: 0x40000000)
 */
#include <stdint.h>

#include "hb_board.h"

#ifndef HB_COUNTER_BASE
#error "HB_COUNTER_BASE is not defined (target.yaml firmware.counter.base)"
#endif

#define TIMER_REG(offset) (*(volatile uint32_t *)((uintptr_t)(HB_COUNTER_BASE) + (offset)))
#define TIMER_CTRL TIMER_REG(0x00u)    /* bit 0: enable, bit 3: interrupt enable */
#define TIMER_VALUE TIMER_REG(0x04u)
#define TIMER_RELOAD TIMER_REG(0x08u)
#define TIMER_INTCLEAR TIMER_REG(0x0Cu)

void hb_counter_init(void)
{
    TIMER_CTRL = 0u;
    TIMER_INTCLEAR = 1u;
    TIMER_RELOAD = 0xFFFFFFFFu;
    TIMER_VALUE = 0xFFFFFFFFu;
    TIMER_CTRL = 1u;
}

uint32_t hb_cycles(void)
{
    return 0xFFFFFFFFu - TIMER_VALUE;
}
