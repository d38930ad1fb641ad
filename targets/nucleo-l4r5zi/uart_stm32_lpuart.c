/* Console on an STM32L4/L4+ LPUART (NUCLEO-L4R5ZI: LPUART1 at 0x40008000 on the ST-LINK
 * VCP; its clock and pins are set up by board_init.c), 8 data bits, no parity, 1 stop bit,
 * with the 8-byte FIFOs on so that a byte arriving during a long reply is kept.
 *
 * -D HB_UART_BASE      register block address
 * -D HB_UART_CLOCK_HZ  the LPUART kernel clock (PCLK1: 120 MHz on the NUCLEO-L4R5ZI)
 * -D HB_UART_BAUD      line rate; BRR = 256 * clock / baud must lie in [0x300, 0xFFFFF]
 */
#include <stdint.h>

#include "hb_board.h"

#ifndef HB_UART_BASE
#error "HB_UART_BASE is not defined (target.yaml firmware.uart.base)"
#endif
#ifndef HB_UART_CLOCK_HZ
#error "HB_UART_CLOCK_HZ is not defined (target.yaml firmware.uart.clock_hz)"
#endif
#ifndef HB_UART_BAUD
#define HB_UART_BAUD 115200u
#endif

#define LPUART_BRR_VALUE ((256ull * (HB_UART_CLOCK_HZ) + (HB_UART_BAUD) / 2u) / (HB_UART_BAUD))
#if LPUART_BRR_VALUE < 0x300u || LPUART_BRR_VALUE > 0xFFFFFu
#error "LPUART BRR out of range: change firmware.uart.baud or clock_hz"
#endif

#define UART_REG(offset) (*(volatile uint32_t *)((uintptr_t)(HB_UART_BASE) + (offset)))
#define LPUART_CR1 UART_REG(0x00u)
#define LPUART_BRR UART_REG(0x0Cu)
#define LPUART_ISR UART_REG(0x1Cu)
#define LPUART_ICR UART_REG(0x20u)
#define LPUART_RDR UART_REG(0x24u)
#define LPUART_TDR UART_REG(0x28u)

#define CR1_UE (1u << 0)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define CR1_FIFOEN (1u << 29)
#define ISR_ORE (1u << 3)
#define ISR_RXFNE (1u << 5)                 /* RXNE without FIFO */
#define ISR_TC (1u << 6)
#define ISR_TXFNF (1u << 7)                 /* TXE without FIFO */
#define ICR_ORECF (1u << 3)

void hb_uart_init(void)
{
    LPUART_CR1 = 0u;
    LPUART_BRR = (uint32_t)LPUART_BRR_VALUE;
    LPUART_CR1 = CR1_FIFOEN | CR1_TE | CR1_RE;
    LPUART_CR1 |= CR1_UE;
}

void hb_uart_putc(char c)
{
    while ((LPUART_ISR & ISR_TXFNF) == 0u) {
    }
    LPUART_TDR = (uint32_t)(uint8_t)c;
}

void hb_uart_flush(void)
{
    while ((LPUART_ISR & ISR_TC) == 0u) {
    }
}

char hb_uart_getc(void)
{
    for (;;) {
        uint32_t isr = LPUART_ISR;
        if ((isr & ISR_RXFNE) != 0u) {
            return (char)(LPUART_RDR & 0xFFu);
        }
        if ((isr & ISR_ORE) != 0u) {
            LPUART_ICR = ICR_ORECF;         /* a byte was lost: the protocol's reply tells */
        }
    }
}
