/* hb_arm_depthwise_conv_s8_r1: the kernel of arm_dwconv_s8_body.h built for requantisation records of right shifts e >= 1 (scales below 1/2)
 * (hb_armv7em.h, hb_arm_requantize). */
#define HB_ARM_ONE_SHIFT 1
#define HB_ARM_DWCONV_FN hb_arm_depthwise_conv_s8_r1
#include "arm_dwconv_s8_body.h"
