/* hb_arm_conv2d_s8: the kernel of arm_conv_s8_body.h built for right shifts e >= 2 (scales below 1/4)
 * (hb_armv7em.h, hb_arm_requantize). */
#define HB_ARM_ONE_SHIFT 0
#define HB_ARM_CONV_FN hb_arm_conv2d_s8
#include "arm_conv_s8_body.h"
