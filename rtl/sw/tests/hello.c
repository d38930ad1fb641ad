/* hello.c -- smallest firmware: prints, reads the counters, exits 0. */
#include "hb_rv.h"

int main(void)
{
    hb_puts("hello from hb_core\n");
    uint64_t c = hb_read_mcycle();
    uint64_t i = hb_read_minstret();
    hb_puts("mcycle>0 ");
    hb_put_u32(c > 0);
    hb_puts(" minstret>0 ");
    hb_put_u32(i > 0);
    hb_putchar('\n');
    return 0;
}
