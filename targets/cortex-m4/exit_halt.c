/* End of the program on a board: flush the console, mask interrupts and sleep forever.
 * The host stops reading at HB_END (or at a HB_FAULT / HB_TIMEOUT line). */
#include <stdint.h>

#include "hb_board.h"

void hb_exit(int code)
{
    (void)code;
    hb_uart_flush();
    __asm__ volatile("cpsid i" ::: "memory");
    for (;;) {
        __asm__ volatile("wfi");
    }
}
