/* Console on the nRF52 legacy UART (UART0 at 0x40002000; no EasyDMA): 8N1, no flow control.
 * Its pins are P0.06 (TXD) and P0.08 (RXD) on the nRF52840-DK, configured by board_init.c.
 *
 * -D HB_UART_BASE   register block address
 * -D HB_UART_BAUD   9600, 115200 or 1000000 (the BAUDRATE register values of the product
 *                   specification; other rates are refused at compile time)
 */
#include <stdint.h>

#include "hb_board.h"

#ifndef HB_UART_BASE
#error "HB_UART_BASE is not defined (target.yaml firmware.uart.base)"
#endif
#ifndef HB_UART_BAUD
#define HB_UART_BAUD 115200u
#endif

#if HB_UART_BAUD == 9600u
#define UART_BAUDRATE_VALUE 0x00275000u
#elif HB_UART_BAUD == 115200u
#define UART_BAUDRATE_VALUE 0x01D7E000u
#elif HB_UART_BAUD == 1000000u
#define UART_BAUDRATE_VALUE 0x10000000u
#else
#error "nRF UART: firmware.uart.baud must be 9600, 115200 or 1000000"
#endif

#define UART_REG(offset) (*(volatile uint32_t *)((uintptr_t)(HB_UART_BASE) + (offset)))
#define TASKS_STARTRX UART_REG(0x000u)
#define TASKS_STARTTX UART_REG(0x008u)
#define EVENTS_RXDRDY UART_REG(0x108u)
#define EVENTS_TXDRDY UART_REG(0x11Cu)
#define EVENTS_ERROR UART_REG(0x124u)
#define ERRORSRC UART_REG(0x480u)
#define ENABLE UART_REG(0x500u)
#define PSEL_RTS UART_REG(0x508u)
#define PSEL_TXD UART_REG(0x50Cu)
#define PSEL_CTS UART_REG(0x510u)
#define PSEL_RXD UART_REG(0x514u)
#define RXD UART_REG(0x518u)
#define TXD UART_REG(0x51Cu)
#define BAUDRATE UART_REG(0x524u)
#define CONFIG UART_REG(0x56Cu)

#define ENABLE_UART 4u
#define PSEL_DISCONNECTED 0xFFFFFFFFu
#define PIN_P0(n) (n)                       /* PORT 0, CONNECT */

static uint32_t tx_started;

void hb_uart_init(void)
{
    ENABLE = 0u;
    PSEL_TXD = PIN_P0(6u);
    PSEL_RXD = PIN_P0(8u);
    PSEL_RTS = PSEL_DISCONNECTED;
    PSEL_CTS = PSEL_DISCONNECTED;
    BAUDRATE = UART_BAUDRATE_VALUE;
    CONFIG = 0u;                            /* no parity, no flow control, one stop bit */
    ENABLE = ENABLE_UART;
    EVENTS_RXDRDY = 0u;
    EVENTS_TXDRDY = 0u;
    TASKS_STARTRX = 1u;
    TASKS_STARTTX = 1u;
    tx_started = 0u;
}

void hb_uart_putc(char c)
{
    if (tx_started != 0u) {
        while (EVENTS_TXDRDY == 0u) {       /* the previous byte has left TXD */
        }
    }
    EVENTS_TXDRDY = 0u;
    TXD = (uint32_t)(uint8_t)c;
    tx_started = 1u;
}

void hb_uart_flush(void)
{
    if (tx_started != 0u) {
        while (EVENTS_TXDRDY == 0u) {
        }
    }
}

char hb_uart_getc(void)
{
    for (;;) {
        if (EVENTS_RXDRDY != 0u) {
            EVENTS_RXDRDY = 0u;
            return (char)(RXD & 0xFFu);
        }
        if (EVENTS_ERROR != 0u) {           /* overrun / framing: clear it and go on */
            EVENTS_ERROR = 0u;
            ERRORSRC = ERRORSRC;
        }
    }
}
