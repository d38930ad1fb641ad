/* End of the program on hb_soc: a store to the EXIT register halts the core (and freezes
 * mcycle/minstret); the simulator exits with the stored word as the program's exit code.
 *
 * -D HB_EXIT_BASE   the EXIT register (hb_soc: 0x10000004)
 */
#include <stdint.h>

#include "hb_board.h"

#ifndef HB_EXIT_BASE
#error "HB_EXIT_BASE is not defined (target.yaml firmware.exit.base)"
#endif

#define EXIT_REG (*(volatile uint32_t *)(uintptr_t)(HB_EXIT_BASE))

void hb_exit(int code)
{
    EXIT_REG = (uint32_t)code;
    for (;;) {
    }
}
