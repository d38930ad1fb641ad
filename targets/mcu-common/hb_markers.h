/* Per-layer markers of the generated model, force-included (-include hb_markers.h) into
 * every firmware source so that model.c's HB_LAYER_BEGIN(i) / HB_LAYER_END(i) call the
 * runtime (markers.c) instead of expanding to nothing.
 *
 * hb_layer_begin / hb_layer_end are real (out-of-line) functions: a simulator can also
 * hook their addresses, read from the ELF's symbol table, with the layer index in the
 * first argument register (r0 on Arm, a0 on RISC-V).
 *
 * Empty for assembly sources (a board's startup.S gets the -include too).
 */
#ifndef HB_MARKERS_H
#define HB_MARKERS_H
#ifndef __ASSEMBLER__

#include <stdint.h>

void hb_layer_begin(uint32_t index);
void hb_layer_end(uint32_t index);

#define HB_LAYER_BEGIN(i) hb_layer_begin((uint32_t)(i))
#define HB_LAYER_END(i) hb_layer_end((uint32_t)(i))

#endif /* __ASSEMBLER__ */
#endif /* HB_MARKERS_H */
