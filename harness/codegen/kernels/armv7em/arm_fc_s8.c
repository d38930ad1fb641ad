/* FULLY_CONNECTED int8 for ARMv7E-M, the shared part: LiteRT's double requantisation for the
 * cases the integer one cannot decide. The kernel itself (arm_fc_s8_body.h) is specialised
 * per layer shape in model.c. */
#include <math.h>

#include "hb_armv7em.h"

int32_t hb_arm_fc_round_double(int32_t acc, double scale)
{
    double s = round((double)acc * scale);
    s = s > 1073741824.0 ? 1073741824.0 : s;
    s = s < -1073741824.0 ? -1073741824.0 : s;
    return (int32_t)s;
}
