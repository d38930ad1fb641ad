/* dot.c -- int8 dot products + requantisation, scalar vs nnx.
 *
 * Computes OUT outputs of a fully-connected layer (N int8 inputs, OUT x N
 * int8 weights) twice: with plain RV32IM code and (if built with -DUSE_NNX)
 * with the nnx instructions, checks both against each other and prints the
 * cycle counts of each region:
 *     scalar_cycles=<n>
 *     nnx_cycles=<n>
 * Exit code 0 if the results agree, 1 otherwise.
 */
#include <stdint.h>
#include "hb_rv.h"
#ifdef USE_NNX
#include "nnx.h"
#else
#define NNX_EMULATE
#include "nnx.h"
#endif

#ifndef REPEAT
#define REPEAT 1   /* -DREPEAT=n runs each kernel n times (simulation speed runs) */
#endif

#define N   256
#define OUT 8

static int8_t in[N] __attribute__((aligned(4)));
static int8_t w[OUT][N] __attribute__((aligned(4)));
static int32_t bias[OUT];
static int8_t out_s[OUT], out_n[OUT];

static const int32_t MULT = 1518500250;  /* ~0.7071 in Q31 */
static const int32_t SHIFT = -7;
static const int32_t ZP = -3;

static uint32_t rng = 12345;
static uint32_t rnd(void) { rng = rng * 1664525u + 1013904223u; return rng >> 8; }

/* scalar reference: TFLite-style fixed point in plain C */
static int32_t srdhm_c(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * b;
    int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / (1ll << 31));
}
static int32_t rdbpot_c(int32_t x, int e)
{
    int32_t mask = (int32_t)((1u << e) - 1u);
    int32_t rem = x & mask, thr = (mask >> 1) + (x < 0);
    return (x >> e) + (rem > thr);
}

static void fc_scalar(void)
{
    for (int o = 0; o < OUT; o++) {
        int32_t acc = bias[o];
        for (int i = 0; i < N; i++) acc += (int32_t)in[i] * w[o][i];
        int32_t y = rdbpot_c(srdhm_c(acc, MULT), -SHIFT) + ZP;
        out_s[o] = (int8_t)(y < -128 ? -128 : y > 127 ? 127 : y);
    }
}

static void fc_nnx(void)
{
    nnx_setq(MULT, SHIFT);
    nnx_setout(ZP, -128, 127);
    const uint32_t *x = (const uint32_t *)in;
    for (int o = 0; o < OUT; o += 2) {
        const uint32_t *w0 = (const uint32_t *)w[o];
        const uint32_t *w1 = (const uint32_t *)w[o + 1];
        int32_t a0 = 0, a1 = 0;
        for (int i = 0; i < N / 4; i++) {
            uint32_t xi = x[i];
            a0 = nnx_mac4(a0, xi, w0[i]);
            a1 = nnx_mac4(a1, xi, w1[i]);
        }
        out_n[o] = (int8_t)nnx_requant(a0, bias[o]);
        out_n[o + 1] = (int8_t)nnx_requant(a1, bias[o + 1]);
    }
}

int main(void)
{
    for (int i = 0; i < N; i++) in[i] = (int8_t)rnd();
    for (int o = 0; o < OUT; o++) {
        bias[o] = (int32_t)(rnd() & 0xFFFF) - 0x8000;
        for (int i = 0; i < N; i++) w[o][i] = (int8_t)rnd();
    }
    uint32_t c0 = hb_read_mcycle32();
    for (int r = 0; r < REPEAT; r++) fc_scalar();
    uint32_t c1 = hb_read_mcycle32();
    for (int r = 0; r < REPEAT; r++) fc_nnx();
    uint32_t c2 = hb_read_mcycle32();
    hb_puts("scalar_cycles=");
    hb_put_u32(c1 - c0);
    hb_puts("\nnnx_cycles=");
    hb_put_u32(c2 - c1);
    hb_putchar('\n');
    int bad = 0;
    for (int o = 0; o < OUT; o++) bad |= out_s[o] != out_n[o];
    hb_puts(bad ? "MISMATCH\n" : "OK\n");
    return bad;
}
