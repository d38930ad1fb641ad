/* nnx.h -- intrinsics for the hb_core "nnx" int8 extension (custom-0, 0x0B).
 *
 * Each intrinsic is one R-type instruction ".insn r CUSTOM_0, funct3, funct7,
 * rd, rs1, rs2".  Semantics (normative model: rtl/model/nnx.py):
 *
 *   nnx_mac4(acc,a,b)  acc + sum_i (int8)a.b[i] * (int8)b.b[i]   f3=0 f7=0
 *   nnx_dot4(a,b)            sum_i (int8)a.b[i] * (int8)b.b[i]   f3=0 f7=1
 *   nnx_srdhm(a,b)     SaturatingRoundingDoublingHighMul(a, b)   f3=1
 *   nnx_rdbpot(x,e)    RoundingDivideByPOT(x, e & 31)            f3=2
 *   nnx_requant(acc,bias)  clamp(MBQM(acc+bias, MULT, SHIFT) + ZP, MIN, MAX)  f3=3
 *   nnx_setq(mult,shift)   MULT = mult, SHIFT = shift (TFLite: >0 = left)    f3=4
 *   nnx_setout(zp,min,max) ZP = zp, MIN = min, MAX = max                     f3=5
 *   nnx_macc(k,a,b)    ACC[k] += dot4(a, b)     (accumulator bank, k literal) f3=6 f7=k
 *   nnx_vmac(j,a,b)    ACC[4j+i] += a.b[i]*b.b[i] (per lane, j literal)      f3=6 f7=8+j
 *   nnx_racc(k)        ACC[k], then ACC[k] = 0                                f3=7 f7=k
 *
 * mac4/dot4/srdhm/rdbpot are pure (the compiler may schedule/CSE them);
 * requant/setq/setout are volatile and keep their order.
 * Only valid on a core built with the extension (target rv32-nnx); on the
 * base core these raise an illegal-instruction trap.
 * Define NNX_EMULATE to get portable C versions (for host or rv32-base builds).
 */
#ifndef HB_NNX_H
#define HB_NNX_H

#include <stdint.h>

#ifndef NNX_EMULATE

static inline int32_t nnx_dot4(uint32_t a, uint32_t b)
{
    int32_t r;
    __asm__ (".insn r CUSTOM_0, 0, 1, %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

#ifdef NNX_NO_RD_OPERAND
/* A port without a third operand (VexRiscv's CFU port, rtl/vexriscv/cfu_nnx.v): rd is not
 * sent to the unit, so mac4 is a dot4 and an add (same result, wraps mod 2^32). */
static inline int32_t nnx_mac4(int32_t acc, uint32_t a, uint32_t b)
{
    return (int32_t)((uint32_t)acc + (uint32_t)nnx_dot4(a, b));
}
#else
static inline int32_t nnx_mac4(int32_t acc, uint32_t a, uint32_t b)
{
    __asm__ (".insn r CUSTOM_0, 0, 0, %0, %1, %2" : "+r"(acc) : "r"(a), "r"(b));
    return acc;
}
#endif

static inline int32_t nnx_srdhm(int32_t a, int32_t b)
{
    int32_t r;
    __asm__ (".insn r CUSTOM_0, 1, 0, %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline int32_t nnx_rdbpot(int32_t x, int32_t e)
{
    int32_t r;
    __asm__ (".insn r CUSTOM_0, 2, 0, %0, %1, %2" : "=r"(r) : "r"(x), "r"(e));
    return r;
}

static inline int32_t nnx_requant(int32_t acc, int32_t bias)
{
    int32_t r;
    __asm__ volatile (".insn r CUSTOM_0, 3, 0, %0, %1, %2" : "=r"(r) : "r"(acc), "r"(bias));
    return r;
}

static inline void nnx_setq(int32_t multiplier, int32_t shift)
{
    __asm__ volatile (".insn r CUSTOM_0, 4, 0, x0, %0, %1" : : "r"(multiplier), "r"(shift));
}

static inline void nnx_setout(int32_t zero_point, int32_t act_min, int32_t act_max)
{
    uint32_t mm = ((uint32_t)act_max << 16) | ((uint32_t)act_min & 0xFFFFu);
    __asm__ volatile (".insn r CUSTOM_0, 5, 0, x0, %0, %1" : : "r"(zero_point), "r"(mm));
}

/* The accumulator bank ACC[0..7] (k, j: literal constants).  Volatile: they change and read
 * the unit's state, so they keep their order with each other and with requant/setq.
 *   nnx_macc(k,a,b)   ACC[k] += sum_i (int8)a.b[i] * (int8)b.b[i]           f3=6 f7=k
 *   nnx_vmac(j,a,b)   ACC[4j+i] += (int8)a.b[i] * (int8)b.b[i], i < 4       f3=6 f7=8+j
 *   nnx_racc(k)       returns ACC[k] and clears it                          f3=7 f7=k */
#define nnx_macc(k, a, b) __extension__({ \
    __asm__ volatile (".insn r CUSTOM_0, 6, " #k ", x0, %0, %1" : : "r"(a), "r"(b)); })
#define nnx_vmac(j, a, b) __extension__({ \
    __asm__ volatile (".insn r CUSTOM_0, 6, 8 + " #j ", x0, %0, %1" : : "r"(a), "r"(b)); })
#define nnx_racc(k) __extension__({ \
    int32_t nnx__r; \
    __asm__ volatile (".insn r CUSTOM_0, 7, " #k ", %0, x0, x0" : "=r"(nnx__r)); \
    nnx__r; })

#else /* NNX_EMULATE: reference C, same semantics */

static int32_t nnx__mult = 0x40000000, nnx__shift = 0, nnx__zp = 0, nnx__min = -128, nnx__max = 127;

static inline int32_t nnx_dot4(uint32_t a, uint32_t b)
{
    int32_t s = 0;
    for (int i = 0; i < 4; i++) s += (int32_t)(int8_t)(a >> (8 * i)) * (int32_t)(int8_t)(b >> (8 * i));
    return s;
}
static inline int32_t nnx_mac4(int32_t acc, uint32_t a, uint32_t b)
{
    return (int32_t)((uint32_t)acc + (uint32_t)nnx_dot4(a, b));
}
static inline int32_t nnx_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * b;
    int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / (1ll << 31));
}
static inline int32_t nnx_rdbpot(int32_t x, int32_t e)
{
    e &= 31;
    int32_t mask = (int32_t)((1ll << e) - 1);
    int32_t rem = x & mask;
    int32_t thr = (mask >> 1) + (x < 0);
    return (x >> e) + (rem > thr);
}
static inline int32_t nnx_requant(int32_t acc, int32_t bias)
{
    int32_t left = nnx__shift > 0 ? (nnx__shift > 31 ? 31 : nnx__shift) : 0;
    int32_t right = nnx__shift < 0 ? (nnx__shift < -31 ? 31 : -nnx__shift) : 0;
    int32_t x = (int32_t)(((uint32_t)acc + (uint32_t)bias) << left);
    int32_t y = (int32_t)((uint32_t)nnx_rdbpot(nnx_srdhm(x, nnx__mult), right) + (uint32_t)nnx__zp);
    if (y < nnx__min) y = nnx__min;
    if (y > nnx__max) y = nnx__max;
    return y;
}
static inline void nnx_setq(int32_t multiplier, int32_t shift) { nnx__mult = multiplier; nnx__shift = shift; }
static inline void nnx_setout(int32_t zero_point, int32_t act_min, int32_t act_max)
{
    nnx__zp = zero_point; nnx__min = (int16_t)act_min; nnx__max = (int16_t)act_max;
}

static uint32_t nnx__acc[8];

static inline void nnx_macc(int k, uint32_t a, uint32_t b)
{
    nnx__acc[k & 7] += (uint32_t)nnx_dot4(a, b);
}

static inline void nnx_vmac(int j, uint32_t a, uint32_t b)
{
    int i;
    for (i = 0; i < 4; i++) {
        nnx__acc[4 * (j & 1) + i] += (uint32_t)((int32_t)(int8_t)(a >> (8 * i)) *
                                                (int32_t)(int8_t)(b >> (8 * i)));
    }
}

static inline int32_t nnx_racc(int k)
{
    int32_t r = (int32_t)nnx__acc[k & 7];
    nnx__acc[k & 7] = 0;
    return r;
}

#endif /* NNX_EMULATE */

/* pack four int8 into a word, element 0 in the least significant byte */
static inline uint32_t nnx_pack4(int8_t b0, int8_t b1, int8_t b2, int8_t b3)
{
    return (uint32_t)(uint8_t)b0 | ((uint32_t)(uint8_t)b1 << 8) |
           ((uint32_t)(uint8_t)b2 << 16) | ((uint32_t)(uint8_t)b3 << 24);
}

#endif /* HB_NNX_H */
