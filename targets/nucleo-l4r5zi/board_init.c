/* NUCLEO-L4R5ZI (STM32L4R5ZIT6, Cortex-M4F): the core at 120 MHz and the pins of the
 * ST-LINK virtual COM port, register by register (RM0432; no HAL, no CMSIS headers).
 *
 * Clock: MSI at its reset value (4 MHz) -> PLL (M = 1, N = 60: VCO 240 MHz; R = 2) ->
 * SYSCLK = HCLK = PCLK1 = PCLK2 = 120 MHz. Above 80 MHz the regulator must be in range 1
 * boost mode (PWR_CR5.R1MODE = 0) and the flash needs 5 wait states; the switch to the PLL
 * goes through AHB/2 for at least 1 us (RM0432, "range 1 boost mode" clock switch), then
 * AHB/1. Prefetch and both flash caches on.
 *
 * Console: LPUART1 on PG7 (TX) and PG8 (RX), alternate function 8, wired to the ST-LINK
 * VCP (UM2179). Port G pins PG2..PG15 are supplied by VDDIO2, which must be declared valid
 * (PWR_CR2.IOSV) before they work. LPUART1 is clocked by PCLK1 (RCC_CCIPR.LPUART1SEL = 0).
 *
 * Inference pin: PF13, Arduino D7 on the Zio connector (UM2179), push-pull, high while the
 * timed inferences run (hb_infer_pin): wire it to the power meter's logic input (PPK2 D0)
 * for meter.window: gpio.
 */
#include <stdint.h>

#include "hb_board.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

#define RCC_BASE 0x40021000u
#define RCC_CR REG(RCC_BASE + 0x00u)
#define RCC_CFGR REG(RCC_BASE + 0x08u)
#define RCC_PLLCFGR REG(RCC_BASE + 0x0Cu)
#define RCC_AHB2ENR REG(RCC_BASE + 0x4Cu)
#define RCC_APB1ENR1 REG(RCC_BASE + 0x58u)
#define RCC_APB1ENR2 REG(RCC_BASE + 0x5Cu)
#define RCC_CCIPR REG(RCC_BASE + 0x88u)

#define RCC_CR_MSIRDY (1u << 1)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_CFGR_SW_MASK 0x3u
#define RCC_CFGR_SW_PLL 0x3u
#define RCC_CFGR_SWS_MASK (0x3u << 2)
#define RCC_CFGR_SWS_PLL (0x3u << 2)
#define RCC_CFGR_HPRE_MASK (0xFu << 4)
#define RCC_CFGR_HPRE_DIV2 (0x8u << 4)
#define RCC_CFGR_PPRE_MASK (0x3Fu << 8)     /* PPRE1 [10:8], PPRE2 [13:11]: /1 */
#define RCC_PLLCFGR_SRC_MSI 0x1u
#define RCC_PLLCFGR_M(m) (((m) - 1u) << 4)  /* 4 bits on STM32L4+ */
#define RCC_PLLCFGR_N(n) ((n) << 8)
#define RCC_PLLCFGR_REN (1u << 24)
#define RCC_PLLCFGR_R_DIV2 (0x0u << 25)
#define RCC_AHB2ENR_GPIOGEN (1u << 6)
#define RCC_APB1ENR1_PWREN (1u << 28)
#define RCC_APB1ENR2_LPUART1EN (1u << 0)
#define RCC_CCIPR_LPUART1SEL_MASK (0x3u << 10)

#define PWR_BASE 0x40007000u
#define PWR_CR1 REG(PWR_BASE + 0x00u)
#define PWR_CR2 REG(PWR_BASE + 0x04u)
#define PWR_SR2 REG(PWR_BASE + 0x14u)
#define PWR_CR5 REG(PWR_BASE + 0x80u)
#define PWR_CR1_VOS_MASK (0x3u << 9)
#define PWR_CR1_VOS_RANGE1 (0x1u << 9)
#define PWR_CR2_IOSV (1u << 9)
#define PWR_SR2_VOSF (1u << 10)
#define PWR_CR5_R1MODE (1u << 8)            /* 0: range 1 boost mode (up to 120 MHz) */

#define FLASH_ACR REG(0x40022000u)
#define FLASH_ACR_LATENCY_MASK 0xFu
#define FLASH_ACR_LATENCY_5WS 5u
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)

#define GPIOG_BASE 0x48001800u
#define GPIOG_MODER REG(GPIOG_BASE + 0x00u)
#define GPIOG_OSPEEDR REG(GPIOG_BASE + 0x08u)
#define GPIOG_PUPDR REG(GPIOG_BASE + 0x0Cu)
#define GPIOG_AFRL REG(GPIOG_BASE + 0x20u)
#define GPIOG_AFRH REG(GPIOG_BASE + 0x24u)
#define GPIO_MODE_AF 0x2u
#define AF8_LPUART1 0x8u

#define GPIOF_BASE 0x48001400u
#define GPIOF_MODER REG(GPIOF_BASE + 0x00u)
#define GPIOF_BSRR REG(GPIOF_BASE + 0x18u)
#define RCC_AHB2ENR_GPIOFEN (1u << 5)
#define INFER_PIN 13u                       /* PF13 = Arduino D7 */
#define GPIO_MODE_OUTPUT 0x1u

#define DWT_CYCCNT REG(0xE0001004u)

static void set_pin_af8(uint32_t pin)
{
    GPIOG_MODER = (GPIOG_MODER & ~(0x3u << (2u * pin))) | (GPIO_MODE_AF << (2u * pin));
    GPIOG_OSPEEDR |= 0x2u << (2u * pin);                  /* high speed */
    GPIOG_PUPDR = (GPIOG_PUPDR & ~(0x3u << (2u * pin))) | (0x1u << (2u * pin)); /* pull-up */
    if (pin < 8u) {
        GPIOG_AFRL = (GPIOG_AFRL & ~(0xFu << (4u * pin))) | (AF8_LPUART1 << (4u * pin));
    } else {
        uint32_t shift = 4u * (pin - 8u);
        GPIOG_AFRH = (GPIOG_AFRH & ~(0xFu << shift)) | (AF8_LPUART1 << shift);
    }
}

static void clock_120mhz(void)
{
    /* Regulator: range 1, boost mode, before raising the frequency. */
    RCC_APB1ENR1 |= RCC_APB1ENR1_PWREN;
    (void)RCC_APB1ENR1;
    PWR_CR1 = (PWR_CR1 & ~PWR_CR1_VOS_MASK) | PWR_CR1_VOS_RANGE1;
    PWR_CR5 &= ~PWR_CR5_R1MODE;
    while ((PWR_SR2 & PWR_SR2_VOSF) != 0u) {
    }
    /* Flash: 5 wait states for HCLK up to 120 MHz (range 1), read back before going on. */
    FLASH_ACR = (FLASH_ACR & ~FLASH_ACR_LATENCY_MASK) | FLASH_ACR_LATENCY_5WS
                | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;
    while ((FLASH_ACR & FLASH_ACR_LATENCY_MASK) != FLASH_ACR_LATENCY_5WS) {
    }
    /* PLL from MSI 4 MHz: 4 / 1 * 60 / 2 = 120 MHz on PLLCLK (R output). */
    while ((RCC_CR & RCC_CR_MSIRDY) == 0u) {
    }
    RCC_CR &= ~RCC_CR_PLLON;
    while ((RCC_CR & RCC_CR_PLLRDY) != 0u) {
    }
    RCC_PLLCFGR = RCC_PLLCFGR_SRC_MSI | RCC_PLLCFGR_M(1u) | RCC_PLLCFGR_N(60u)
                  | RCC_PLLCFGR_R_DIV2 | RCC_PLLCFGR_REN;
    RCC_CR |= RCC_CR_PLLON;
    while ((RCC_CR & RCC_CR_PLLRDY) == 0u) {
    }
    /* Switch through AHB/2, wait >= 1 us, then AHB/1; APB1 and APB2 undivided. */
    RCC_CFGR = (RCC_CFGR & ~(RCC_CFGR_HPRE_MASK | RCC_CFGR_PPRE_MASK)) | RCC_CFGR_HPRE_DIV2;
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_PLL;
    while ((RCC_CFGR & RCC_CFGR_SWS_MASK) != RCC_CFGR_SWS_PLL) {
    }
    for (volatile uint32_t i = 0u; i < 120u; i++) {       /* > 1 us at 60 MHz HCLK */
    }
    RCC_CFGR &= ~RCC_CFGR_HPRE_MASK;
}

void hb_board_init(void)
{
    clock_120mhz();
    /* The VCP pins: VDDIO2 valid, GPIOG clocked, PG7/PG8 to LPUART1; LPUART1 on PCLK1. */
    PWR_CR2 |= PWR_CR2_IOSV;
    RCC_AHB2ENR |= RCC_AHB2ENR_GPIOGEN;
    (void)RCC_AHB2ENR;
    set_pin_af8(7u);
    set_pin_af8(8u);
    RCC_CCIPR &= ~RCC_CCIPR_LPUART1SEL_MASK;
    RCC_APB1ENR2 |= RCC_APB1ENR2_LPUART1EN;
    (void)RCC_APB1ENR2;
    /* The inference pin, low. */
    RCC_AHB2ENR |= RCC_AHB2ENR_GPIOFEN;
    (void)RCC_AHB2ENR;
    GPIOF_BSRR = 1u << (INFER_PIN + 16u);
    GPIOF_MODER = (GPIOF_MODER & ~(0x3u << (2u * INFER_PIN)))
                  | (GPIO_MODE_OUTPUT << (2u * INFER_PIN));
    (void)DWT_CYCCNT;
}

void hb_infer_pin(uint32_t high)
{
    GPIOF_BSRR = high != 0u ? 1u << INFER_PIN : 1u << (INFER_PIN + 16u);
}
