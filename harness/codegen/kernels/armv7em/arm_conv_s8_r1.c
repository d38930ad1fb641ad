/* hb_arm_conv2d_s8_r1: the kernel of arm_conv_s8_body.h built for requantisation records of right shifts e >= 1 (scales below 1/2)
 * (hb_armv7em.h, hb_arm_requantize). */
#define HB_ARM_ONE_SHIFT 1
#define HB_ARM_CONV_FN hb_arm_conv2d_s8_r1
#include "arm_conv_s8_body.h"
