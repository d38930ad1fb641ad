/* hb_cycles() = the low word of the RISC-V mcycle CSR (0xB00): core clock cycles, counted
 * from reset. hb_instret() = the low word of minstret (0xB02): retired instructions.
 *
 * On hb_soc both are exact in the RTL (Verilator). A functional ISS has no cycles: the
 * iss_rv backend (harness/backends/iss_rv.py) answers both reads with its own exact
 * instruction count, so under the ISS hb_cycles() counts instructions too.
 *
 * The reads are written as .insn (csrrs rd, csr, x0) so that they assemble with plain
 * -march=rv32im (binutils >= 2.38 otherwise wants _zicsr in -march). The I-type immediate
 * is signed: csr - 4096 encodes the counter CSRs (>= 0x800).
 */
#include <stdint.h>

#include "hb_board.h"

void hb_counter_init(void)
{
}

uint32_t hb_cycles(void)
{
    uint32_t value;
    __asm__ volatile(".insn i 0x73, 2, %0, x0, 0xB00 - 4096" : "=r"(value));
    return value;
}

uint32_t hb_instret(void)
{
    uint32_t value;
    __asm__ volatile(".insn i 0x73, 2, %0, x0, 0xB02 - 4096" : "=r"(value));
    return value;
}
