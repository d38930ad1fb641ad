/* The firmware's main loop, shared by every MCU-class target (targets/mcu-common): every
 * input compiled into the image (inputs.c, written by harness/firmware.py) through
 * hb_model_invoke, one console line per input.
 *
 *   HB_BOOT n=<n> input_bytes=<B> output_bytes=<B> layers=<L>
 *   HB_RESULT <i> <count> <output bytes in hex>      for each input i
 *   HB_INSTRET <i> <count>                           for each input i, with HB_HAS_INSTRET
 *   HB_LAYER <l> <count>                             for each layer l, after input 0 only
 *   HB_END
 *
 * <count> is hb_cycles() after minus before hb_model_invoke (the per-layer markers run
 * inside it and are included); its unit depends on the counter (see counter_*.c).
 * HB_INSTRET (boards whose counter file also has hb_instret(), -D HB_HAS_INSTRET=1) is the
 * retired-instruction difference around the same call; its two reads enclose the two
 * hb_cycles() reads, so it also counts those two calls (a handful of instructions).
 * The protocol is parsed by harness.firmware.parse_console.
 */
#include <stdint.h>

#include "hb_board.h"
#include "model.h"

/* inputs.c: `const uint8_t hb_inputs[N][HB_INPUT_BYTES]` (N >= 1) and the number to run. */
extern const uint8_t hb_inputs[][HB_INPUT_BYTES];
extern const uint32_t hb_num_inputs;

/* markers.c */
extern uint32_t hb_layer_counts[HB_NUM_LAYERS];
void hb_layers_reset(void);

volatile uint32_t hb_current_input = 0xFFFFFFFFu;

static uint8_t hb_output[HB_OUTPUT_BYTES] __attribute__((aligned(16)));

static void hb_print_layers(void)
{
    for (uint32_t l = 0; l < HB_NUM_LAYERS; l++) {
        hb_put_str("HB_LAYER ");
        hb_put_u32(l);
        hb_put_str(" ");
        hb_put_u32(hb_layer_counts[l]);
        hb_put_str("\n");
    }
}

int main(void)
{
    hb_uart_init();
    hb_counter_init();

    hb_put_str("HB_BOOT n=");
    hb_put_u32(hb_num_inputs);
    hb_put_str(" input_bytes=");
    hb_put_u32(HB_INPUT_BYTES);
    hb_put_str(" output_bytes=");
    hb_put_u32(HB_OUTPUT_BYTES);
    hb_put_str(" layers=");
    hb_put_u32(HB_NUM_LAYERS);
    hb_put_str("\n");

    for (uint32_t i = 0; i < hb_num_inputs; i++) {
        hb_layers_reset();
        hb_current_input = i;
        hb_budget_arm();
#ifdef HB_HAS_INSTRET
        uint32_t instret_start = hb_instret();
#endif
        uint32_t start = hb_cycles();
        hb_model_invoke(hb_inputs[i], hb_output);
        uint32_t end = hb_cycles();
#ifdef HB_HAS_INSTRET
        uint32_t instret_end = hb_instret();
#endif
        hb_budget_disarm();
        hb_current_input = 0xFFFFFFFFu;

        hb_put_str("HB_RESULT ");
        hb_put_u32(i);
        hb_put_str(" ");
        hb_put_u32(end - start);
        hb_put_str(" ");
        hb_put_hex_bytes(hb_output, HB_OUTPUT_BYTES);
        hb_put_str("\n");
#ifdef HB_HAS_INSTRET
        hb_put_str("HB_INSTRET ");
        hb_put_u32(i);
        hb_put_str(" ");
        hb_put_u32(instret_end - instret_start);
        hb_put_str("\n");
#endif
        if (i == 0u) {
            hb_print_layers();
        }
    }
    hb_put_str("HB_END\n");
    return HB_EXIT_OK;
}
