/* Per-layer counts: HB_LAYER_BEGIN(i) / HB_LAYER_END(i) of the generated model land here
 * (hb_markers.h). Counts are in hb_cycles() units and accumulate until hb_layers_reset(),
 * so a layer that runs twice in one inference is summed. */
#include <stdint.h>

#include "hb_board.h"
#include "hb_markers.h"
#include "model.h"

uint32_t hb_layer_counts[HB_NUM_LAYERS];
static uint32_t hb_layer_start;

void hb_layers_reset(void)
{
    for (uint32_t i = 0; i < HB_NUM_LAYERS; i++) {
        hb_layer_counts[i] = 0;
    }
}

__attribute__((noinline)) void hb_layer_begin(uint32_t index)
{
    (void)index;
    hb_layer_start = hb_cycles();
}

__attribute__((noinline)) void hb_layer_end(uint32_t index)
{
    uint32_t now = hb_cycles();
    if (index < HB_NUM_LAYERS) {
        hb_layer_counts[index] += now - hb_layer_start;
    }
}
