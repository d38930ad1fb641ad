/* No per-inference budget: the host's wall-clock timeout is the only limit. */
#include <stdint.h>

#include "hb_board.h"

void hb_budget_arm(void)
{
}

void hb_budget_disarm(void)
{
}

void hb_budget_on_irq(uint32_t irq)
{
    (void)irq;
}
