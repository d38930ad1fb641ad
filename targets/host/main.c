/* Host runner of a generated hilbench model (prefix "hb").
 *
 *   model_bin <inputs.bin> <outputs.bin> <n> [repeats]
 *
 * Reads n concatenated input records of HB_INPUT_BYTES, runs hb_model_invoke on each
 * (`repeats` times, default 1; the last result is kept), writes n output records of
 * HB_OUTPUT_BYTES and prints one line per input, then a summary:
 *
 *   HB_NS <i> <ns>      the invoke loop of input i (all its repeats)
 *   HB_DONE n=<n> repeats=<r> invoke_ns=<total> per_inference_ns=<total / (n * r)>
 *
 * Only the invoke loop is timed, with clock_gettime(CLOCK_MONOTONIC); file I/O is not.
 * Exit codes: 0 ok, 2 usage or unreadable file, 3 short input or failed write.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + (int64_t)ts.tv_nsec;
}

static long parse_count(const char *text, const char *what)
{
    char *end = NULL;
    const long value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || value < 0) {
        fprintf(stderr, "error: %s must be a non-negative integer, got '%s'\n", what, text);
        exit(2);
    }
    return value;
}

int main(int argc, char **argv)
{
    static uint8_t input[HB_INPUT_BYTES];
    static uint8_t output[HB_OUTPUT_BYTES];
    FILE *in_file, *out_file;
    long n, repeats = 1, i, r;
    int64_t total_ns = 0;

    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: %s inputs.bin outputs.bin n [repeats]\n", argv[0]);
        return 2;
    }
    n = parse_count(argv[3], "n");
    if (argc == 5) {
        repeats = parse_count(argv[4], "repeats");
        if (repeats < 1) {
            fprintf(stderr, "error: repeats must be at least 1\n");
            return 2;
        }
    }
    in_file = fopen(argv[1], "rb");
    if (in_file == NULL) {
        fprintf(stderr, "error: cannot open %s\n", argv[1]);
        return 2;
    }
    out_file = fopen(argv[2], "wb");
    if (out_file == NULL) {
        fprintf(stderr, "error: cannot create %s\n", argv[2]);
        fclose(in_file);
        return 2;
    }
    for (i = 0; i < n; ++i) {
        int64_t start, spent;
        if (fread(input, 1, sizeof input, in_file) != sizeof input) {
            fprintf(stderr, "error: %s ends at record %ld of %ld (%d bytes each)\n", argv[1], i,
                    n, HB_INPUT_BYTES);
            return 3;
        }
        start = now_ns();
        for (r = 0; r < repeats; ++r) {
            hb_model_invoke(input, output);
        }
        spent = now_ns() - start;
        total_ns += spent;
        printf("HB_NS %ld %lld\n", i, (long long)spent);
        if (fwrite(output, 1, sizeof output, out_file) != sizeof output) {
            fprintf(stderr, "error: cannot write output record %ld to %s\n", i, argv[2]);
            return 3;
        }
    }
    fclose(in_file);
    if (fclose(out_file) != 0) {
        fprintf(stderr, "error: cannot write %s\n", argv[2]);
        return 3;
    }
    printf("HB_DONE n=%ld repeats=%ld invoke_ns=%lld per_inference_ns=%.1f\n", n, repeats,
           (long long)total_ns, n > 0 ? (double)total_ns / ((double)n * (double)repeats) : 0.0);
    return 0;
}
