/* Console on an Arm CMSDK APB UART (MPS2 boards, QEMU's mps2-* machines): transmit, and
 * receive for the firmware that reads its inputs from the serial line (runner_mlperf.c).
 *
 * -D HB_UART_BASE      register block address (mps2-an386 UART0: 0x40004000)
 * -D HB_UART_CLOCK_HZ  the UART's APB clock (mps2: 25 MHz)
 * -D HB_UART_BAUD      line rate; BAUDDIV = clock / baud must be at least 16
 */
#include <stdint.h>

#include "hb_board.h"

#ifndef HB_UART_BASE
#error "HB_UART_BASE is not defined (target.yaml firmware.uart.base)"
#endif
#ifndef HB_UART_CLOCK_HZ
#define HB_UART_CLOCK_HZ 25000000u
#endif
#ifndef HB_UART_BAUD
#define HB_UART_BAUD 115200u
#endif

#define UART_REG(offset) (*(volatile uint32_t *)((uintptr_t)(HB_UART_BASE) + (offset)))
#define UART_DATA UART_REG(0x00u)
#define UART_STATE UART_REG(0x04u)   /* bit 0: transmit buffer full, bit 1: receive full */
#define UART_CTRL UART_REG(0x08u)    /* bit 0: transmit enable, bit 1: receive enable */
#define UART_BAUDDIV UART_REG(0x10u)

#define UART_STATE_TX_FULL 0x1u
#define UART_STATE_RX_FULL 0x2u
#define UART_CTRL_TX_ENABLE 0x1u
#define UART_CTRL_RX_ENABLE 0x2u

void hb_uart_init(void)
{
    uint32_t div = (uint32_t)(HB_UART_CLOCK_HZ) / (uint32_t)(HB_UART_BAUD);
    UART_BAUDDIV = div < 16u ? 16u : div;
    UART_CTRL = UART_CTRL_TX_ENABLE | UART_CTRL_RX_ENABLE;
}

void hb_uart_putc(char c)
{
    while ((UART_STATE & UART_STATE_TX_FULL) != 0u) {
    }
    UART_DATA = (uint32_t)(uint8_t)c;
}

void hb_uart_flush(void)
{
    while ((UART_STATE & UART_STATE_TX_FULL) != 0u) {
    }
}

char hb_uart_getc(void)
{
    while ((UART_STATE & UART_STATE_RX_FULL) == 0u) {
    }
    return (char)(UART_DATA & 0xFFu);
}
