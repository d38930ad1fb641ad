/* End of the program through Arm semihosting (QEMU: -semihosting-config enable=on):
 * SYS_EXIT_EXTENDED (0x20) with the block {ADP_Stopped_ApplicationExit, code}, so the
 * simulator exits with `code` as its status. Without a debugger or simulator attached,
 * the BKPT instruction faults: use exit_halt.c on boards. */
#include <stdint.h>

#include "hb_board.h"

#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

void hb_exit(int code)
{
    hb_uart_flush();
    volatile uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    register uint32_t r0 __asm__("r0") = SYS_EXIT_EXTENDED;
    register uint32_t r1 __asm__("r1") = (uint32_t)(uintptr_t)block;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    for (;;) {
    }
}
