/* hb_arm_depthwise_conv_s8: the kernel of arm_dwconv_s8_body.h built for right shifts e >= 2 (scales below 1/4)
 * (hb_armv7em.h, hb_arm_requantize). */
#define HB_ARM_ONE_SHIFT 0
#define HB_ARM_DWCONV_FN hb_arm_depthwise_conv_s8
#include "arm_dwconv_s8_body.h"
