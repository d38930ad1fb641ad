/* Console on hb_soc's PUTCHAR register (rtl/soc/hb_soc.v): a 32-bit store sends its low
 * byte to the simulator's stdout in the same cycle; there is no status to poll.
 *
 * -D HB_UART_BASE   the PUTCHAR register (hb_soc: 0x10000000)
 */
#include <stdint.h>

#include "hb_board.h"

#ifndef HB_UART_BASE
#error "HB_UART_BASE is not defined (target.yaml firmware.uart.base)"
#endif

#define PUTCHAR (*(volatile uint32_t *)(uintptr_t)(HB_UART_BASE))

void hb_uart_init(void)
{
}

void hb_uart_putc(char c)
{
    PUTCHAR = (uint32_t)(uint8_t)c;
}

void hb_uart_flush(void)
{
}
