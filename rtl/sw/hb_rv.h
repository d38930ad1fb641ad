/* hb_rv.h -- minimal runtime for hb_soc firmware (no libc needed).
 *
 *   hb_putchar(c), hb_puts(s), hb_put_u32(v), hb_put_i32(v), hb_put_hex(v)
 *   hb_exit(code)             -- write the EXIT register (never returns)
 *   hb_read_mcycle()          -- 64-bit cycle counter (CSR mcycle/mcycleh)
 *   hb_read_minstret()        -- 64-bit retired-instruction counter
 *   read_mcycle()/read_minstret() are aliases.
 *
 * CSR reads use .insn so they assemble with plain -march=rv32im (GCC 12 /
 * binutils >= 2.38 otherwise need _zicsr in -march).
 */
#ifndef HB_RV_H
#define HB_RV_H

#include <stdint.h>

#define HB_MMIO_PUTCHAR 0x10000000u
#define HB_MMIO_EXIT    0x10000004u

#define HB_CSR_MCYCLE    0xB00
#define HB_CSR_MCYCLEH   0xB80
#define HB_CSR_MINSTRET  0xB02
#define HB_CSR_MINSTRETH 0xB82

/* csrrs rd, csr, x0 == csrr rd, csr.  The I-type immediate is signed, so
 * this form is for CSR numbers >= 0x800 (all the counters): imm = csr - 4096. */
#define HB_CSR_READ(csr) ({ uint32_t __v; \
    __asm__ volatile (".insn i 0x73, 2, %0, x0, " #csr " - 4096" : "=r"(__v)); __v; })

static inline void hb_putchar(int c)
{
    *(volatile uint32_t *)HB_MMIO_PUTCHAR = (uint32_t)(uint8_t)c;
}

static inline void hb_puts(const char *s)
{
    while (*s) hb_putchar(*s++);
}

static inline void hb_put_hex(uint32_t v)
{
    for (int i = 28; i >= 0; i -= 4) hb_putchar("0123456789abcdef"[(v >> i) & 15]);
}

static inline void hb_put_u32(uint32_t v)
{
    char buf[11];
    int n = 0;
    do { buf[n++] = (char)('0' + v % 10u); v /= 10u; } while (v);
    while (n) hb_putchar(buf[--n]);
}

static inline void hb_put_i32(int32_t v)
{
    if (v < 0) { hb_putchar('-'); hb_put_u32(0u - (uint32_t)v); }
    else hb_put_u32((uint32_t)v);
}

static inline __attribute__((noreturn)) void hb_exit(int code)
{
    *(volatile uint32_t *)HB_MMIO_EXIT = (uint32_t)code;
    for (;;) { }
}

static inline uint64_t hb_read_mcycle(void)
{
    uint32_t hi, lo, hi2;
    do {
        hi  = HB_CSR_READ(0xB80);
        lo  = HB_CSR_READ(0xB00);
        hi2 = HB_CSR_READ(0xB80);
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t hb_read_minstret(void)
{
    uint32_t hi, lo, hi2;
    do {
        hi  = HB_CSR_READ(0xB82);
        lo  = HB_CSR_READ(0xB02);
        hi2 = HB_CSR_READ(0xB82);
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}

/* 32-bit variants: cheap deltas for regions shorter than 2^32 cycles */
static inline uint32_t hb_read_mcycle32(void)   { return HB_CSR_READ(0xB00); }
static inline uint32_t hb_read_minstret32(void) { return HB_CSR_READ(0xB02); }

#define read_mcycle   hb_read_mcycle
#define read_minstret hb_read_minstret

#endif /* HB_RV_H */
