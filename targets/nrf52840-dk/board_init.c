/* nRF52840-DK (PCA10056; nRF52840, Cortex-M4F at 64 MHz): the crystal oscillator and the pins
 * of the J-Link virtual COM port, register by register (no nrfx, no CMSIS headers).
 *
 * Clock: the CPU always runs at 64 MHz; HFXO is started (CLOCK TASKS_HFCLKSTART) so that
 * the UART's baud rate comes from the 32 MHz crystal instead of the internal RC oscillator.
 * Console: the legacy UART0 (uart_nrf_uart.c) on P0.06 (TXD) and P0.08 (RXD), wired to the
 * J-Link OB's virtual COM port. TXD is an output driven high while idle; RXD an input with
 * a pull-up.
 * Inference pin: P1.08 (Arduino D7), high while the timed inferences run (hb_infer_pin):
 * wire it to the power meter's logic input (PPK2 D0) for meter.window: gpio.
 */
#include <stdint.h>

#include "hb_board.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

#define CLOCK_TASKS_HFCLKSTART REG(0x40000000u)
#define CLOCK_EVENTS_HFCLKSTARTED REG(0x40000100u)

#define P0_BASE 0x50000000u
#define P1_BASE 0x50000300u
#define GPIO_OUTSET(port) REG((port) + 0x508u)
#define GPIO_OUTCLR(port) REG((port) + 0x50Cu)
#define GPIO_DIRSET(port) REG((port) + 0x518u)
#define GPIO_PIN_CNF(port, pin) REG((port) + 0x700u + 4u * (pin))

#define PIN_CNF_OUTPUT_NO_INPUT 0x3u        /* DIR output, INPUT disconnected */
#define PIN_CNF_INPUT_PULLUP (0x3u << 2)    /* DIR input, INPUT connected, PULL up */

#define UART_TXD_PIN 6u
#define UART_RXD_PIN 8u
#define INFER_PIN 8u                        /* P1.08 = Arduino D7 */

void hb_board_init(void)
{
    CLOCK_EVENTS_HFCLKSTARTED = 0u;
    CLOCK_TASKS_HFCLKSTART = 1u;
    while (CLOCK_EVENTS_HFCLKSTARTED == 0u) {
    }
    GPIO_OUTSET(P0_BASE) = 1u << UART_TXD_PIN;
    GPIO_PIN_CNF(P0_BASE, UART_TXD_PIN) = PIN_CNF_OUTPUT_NO_INPUT;
    GPIO_PIN_CNF(P0_BASE, UART_RXD_PIN) = PIN_CNF_INPUT_PULLUP;
    GPIO_OUTCLR(P1_BASE) = 1u << INFER_PIN;
    GPIO_DIRSET(P1_BASE) = 1u << INFER_PIN;
}

void hb_infer_pin(uint32_t high)
{
    if (high != 0u) {
        GPIO_OUTSET(P1_BASE) = 1u << INFER_PIN;
    } else {
        GPIO_OUTCLR(P1_BASE) = 1u << INFER_PIN;
    }
}
