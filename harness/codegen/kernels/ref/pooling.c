/* AVERAGE_POOL_2D and MAX_POOL_2D, int8 and int16 (reference_integer_ops) and float32
 * (reference_ops). Only the cells inside the input count (padding is neither averaged nor
 * maximised). */
#include "hb_fixedpoint.h"
#include "hb_kernels.h"

/* The filter window of one output cell, clipped to the input. */
typedef struct {
    int32_t y0, x0;             /* input origin of the window (may be negative) */
    int32_t fy_start, fy_end;   /* filter rows inside the input: [start, end) */
    int32_t fx_start, fx_end;
} window;

static window clip_window(const hb_pool_geometry *g, int32_t oy, int32_t ox)
{
    window w;
    w.y0 = oy * g->stride_h - g->pad_h;
    w.x0 = ox * g->stride_w - g->pad_w;
    w.fy_start = w.y0 < 0 ? -w.y0 : 0;
    w.fx_start = w.x0 < 0 ? -w.x0 : 0;
    w.fy_end = g->in_h - w.y0 < g->filter_h ? g->in_h - w.y0 : g->filter_h;
    w.fx_end = g->in_w - w.x0 < g->filter_w ? g->in_w - w.x0 : g->filter_w;
    return w;
}

static int32_t input_index(const hb_pool_geometry *g, int32_t b, int32_t y, int32_t x,
                           int32_t c)
{
    return ((b * g->in_h + y) * g->in_w + x) * g->channels + c;
}

static int32_t output_index(const hb_pool_geometry *g, int32_t b, int32_t y, int32_t x,
                            int32_t c)
{
    return ((b * g->out_h + y) * g->out_w + x) * g->channels + c;
}

#ifndef HB_POOL_SUM_CHANNELS
#define HB_POOL_SUM_CHANNELS 512       /* channels summed window-major (below) */
#endif
static int32_t hb_pool_sums[HB_POOL_SUM_CHANNELS];

/* The integer pools, int8 and int16 (16x8 models): the same reference formulas on T. The
 * average sums a window pixel by pixel, all channels at once into hb_pool_sums, so the input
 * is read in memory order (a channel-by-channel walk over a large window misses the cache
 * on every pixel); more channels than the buffer holds take the channel-outer loop. */
#define HB_INTEGER_POOLS(T, SUFFIX, LOWEST)                                                   \
    static void average_cell_##SUFFIX(const hb_pool_s8_params *p, const T *input, T *output, \
                                      int32_t b, int32_t oy, int32_t ox)                     \
    {                                                                                        \
        const hb_pool_geometry *g = &p->g;                                                   \
        const window w = clip_window(g, oy, ox);                                             \
        const int32_t count = (w.fy_end - w.fy_start) * (w.fx_end - w.fx_start);             \
        int32_t c, fy, fx;                                                                   \
        if (count <= 0) {                                                                    \
            return; /* TFLite rejects such a pool; the cells stay */                         \
        }                                                                                    \
        for (c = 0; c < g->channels; ++c) {                                                  \
            hb_pool_sums[c] = 0;                                                             \
        }                                                                                    \
        for (fy = w.fy_start; fy < w.fy_end; ++fy) {                                         \
            for (fx = w.fx_start; fx < w.fx_end; ++fx) {                                     \
                const T *px = input + input_index(g, b, w.y0 + fy, w.x0 + fx, 0);            \
                for (c = 0; c < g->channels; ++c) {                                          \
                    hb_pool_sums[c] += px[c];                                                \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
        for (c = 0; c < g->channels; ++c) {                                                  \
            const int32_t acc = hb_pool_sums[c];                                             \
            /* Rounded to nearest, ties away from zero. */                                   \
            const int32_t avg = acc > 0 ? (acc + count / 2) / count                          \
                                        : (acc - count / 2) / count;                         \
            output[output_index(g, b, oy, ox, c)] = (T)hb_clamp_i32(avg, p->act_min,         \
                                                                    p->act_max);             \
        }                                                                                    \
    }                                                                                        \
                                                                                             \
    void hb_average_pool_##SUFFIX(const hb_pool_s8_params *p, const T *input, T *output)     \
    {                                                                                        \
        const hb_pool_geometry *g = &p->g;                                                   \
        int32_t b, oy, ox, c, fy, fx;                                                        \
        for (b = 0; b < g->batches; ++b) {                                                   \
            for (oy = 0; oy < g->out_h; ++oy) {                                              \
                for (ox = 0; ox < g->out_w; ++ox) {                                          \
                    const window w = clip_window(g, oy, ox);                                 \
                    if (g->channels <= HB_POOL_SUM_CHANNELS) {                               \
                        average_cell_##SUFFIX(p, input, output, b, oy, ox);                  \
                        continue;                                                            \
                    }                                                                        \
                    for (c = 0; c < g->channels; ++c) {                                      \
                        int32_t acc = 0, count = 0;                                          \
                        for (fy = w.fy_start; fy < w.fy_end; ++fy) {                         \
                            for (fx = w.fx_start; fx < w.fx_end; ++fx) {                     \
                                acc += input[input_index(g, b, w.y0 + fy, w.x0 + fx, c)];    \
                                ++count;                                                     \
                            }                                                                \
                        }                                                                    \
                        if (count == 0) {                                                    \
                            continue; /* TFLite rejects such a pool; the cell stays */       \
                        }                                                                    \
                        /* Rounded to nearest, ties away from zero. */                       \
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count; \
                        output[output_index(g, b, oy, ox, c)] =                              \
                            (T)hb_clamp_i32(acc, p->act_min, p->act_max);                    \
                    }                                                                        \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }                                                                                        \
                                                                                             \
    void hb_max_pool_##SUFFIX(const hb_pool_s8_params *p, const T *input, T *output)         \
    {                                                                                        \
        const hb_pool_geometry *g = &p->g;                                                   \
        int32_t b, oy, ox, c, fy, fx;                                                        \
        for (b = 0; b < g->batches; ++b) {                                                   \
            for (oy = 0; oy < g->out_h; ++oy) {                                              \
                for (ox = 0; ox < g->out_w; ++ox) {                                          \
                    const window w = clip_window(g, oy, ox);                                 \
                    for (c = 0; c < g->channels; ++c) {                                      \
                        int32_t max = (LOWEST);                                              \
                        for (fy = w.fy_start; fy < w.fy_end; ++fy) {                         \
                            for (fx = w.fx_start; fx < w.fx_end; ++fx) {                     \
                                const int32_t v =                                            \
                                    input[input_index(g, b, w.y0 + fy, w.x0 + fx, c)];       \
                                max = v > max ? v : max;                                     \
                            }                                                                \
                        }                                                                    \
                        output[output_index(g, b, oy, ox, c)] =                              \
                            (T)hb_clamp_i32(max, p->act_min, p->act_max);                    \
                    }                                                                        \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }

HB_INTEGER_POOLS(int8_t, s8, -128)
HB_INTEGER_POOLS(int16_t, s16, -32768)

void hb_average_pool_f32(const hb_pool_f32_params *p, const float *input, float *output)
{
    const hb_pool_geometry *g = &p->g;
    int32_t b, oy, ox, c, fy, fx;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            for (ox = 0; ox < g->out_w; ++ox) {
                const window w = clip_window(g, oy, ox);
                for (c = 0; c < g->channels; ++c) {
                    float total = 0.0f, count = 0.0f;
                    for (fy = w.fy_start; fy < w.fy_end; ++fy) {
                        for (fx = w.fx_start; fx < w.fx_end; ++fx) {
                            total += input[input_index(g, b, w.y0 + fy, w.x0 + fx, c)];
                            count += 1.0f;
                        }
                    }
                    if (count == 0.0f) {
                        continue;
                    }
                    output[output_index(g, b, oy, ox, c)] =
                        hb_clamp_f32(total / count, p->act_min, p->act_max);
                }
            }
        }
    }
}

void hb_max_pool_f32(const hb_pool_f32_params *p, const float *input, float *output)
{
    const hb_pool_geometry *g = &p->g;
    int32_t b, oy, ox, c, fy, fx;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            for (ox = 0; ox < g->out_w; ++ox) {
                const window w = clip_window(g, oy, ox);
                for (c = 0; c < g->channels; ++c) {
                    float max = -3.40282347e+38f;  /* std::numeric_limits<float>::lowest() */
                    for (fy = w.fy_start; fy < w.fy_end; ++fy) {
                        for (fx = w.fx_start; fx < w.fx_end; ++fx) {
                            const float v = input[input_index(g, b, w.y0 + fy, w.x0 + fx, c)];
                            max = v > max ? v : max;
                        }
                    }
                    output[output_index(g, b, oy, ox, c)] =
                        hb_clamp_f32(max, p->act_min, p->act_max);
                }
            }
        }
    }
}
