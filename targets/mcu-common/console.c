/* Console formatting on top of hb_uart_putc: no printf, no heap, no floating point. */
#include <stdint.h>

#include "hb_board.h"

static const char hb_hex_digits[16] = {
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f',
};

void hb_put_str(const char *s)
{
    while (*s != '\0') {
        hb_uart_putc(*s);
        s++;
    }
}

void hb_put_u32(uint32_t value)
{
    char digits[10];
    uint32_t n = 0;
    do {
        digits[n++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0u);
    while (n > 0u) {
        hb_uart_putc(digits[--n]);
    }
}

void hb_put_hex32(uint32_t value)
{
    hb_put_str("0x");
    for (int shift = 28; shift >= 0; shift -= 4) {
        hb_uart_putc(hb_hex_digits[(value >> (uint32_t)shift) & 0xFu]);
    }
}

void hb_put_hex_bytes(const uint8_t *bytes, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        hb_uart_putc(hb_hex_digits[bytes[i] >> 4]);
        hb_uart_putc(hb_hex_digits[bytes[i] & 0xFu]);
    }
}
