/* hb_cycles() from the DWT cycle counter (DWT_CYCCNT) of Cortex-M3/M4/M7 silicon: core
 * clock cycles. Cycle-level simulators of these cores model the same registers. */
#include <stdint.h>

#include "hb_board.h"

#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)

#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL_CYCCNTENA 1u

void hb_counter_init(void)
{
    DEMCR |= DEMCR_TRCENA;
    DWT_CYCCNT = 0u;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;
}

uint32_t hb_cycles(void)
{
    return DWT_CYCCNT;
}
