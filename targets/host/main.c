/* Host runner for a generated hilbench model.
 *
 *   model <inputs.bin> <outputs.bin> <n> <repeats>
 *
 * Reads n input records of HB_INPUT_BYTES, runs hb_model_invoke `repeats` times on each
 * (the output of the last repeat is kept), writes n output records of HB_OUTPUT_BYTES and
 * prints one line: "HB_DONE n=<n> repeats=<r> invoke_ns=<total ns inside the invoke loop>".
 * Only the invoke loop is timed (CLOCK_MONOTONIC), not file I/O.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s inputs.bin outputs.bin n repeats\n", argv[0]);
        return 2;
    }
    long n = strtol(argv[3], NULL, 10), repeats = strtol(argv[4], NULL, 10);
    if (n < 0 || repeats < 1) {
        fprintf(stderr, "error: n must be >= 0 and repeats >= 1\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    FILE *out = fopen(argv[2], "wb");
    if (!in || !out) {
        fprintf(stderr, "error: cannot open %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    static uint8_t input[HB_INPUT_BYTES > 0 ? HB_INPUT_BYTES : 1];
    static uint8_t output[HB_OUTPUT_BYTES > 0 ? HB_OUTPUT_BYTES : 1];
    int64_t total = 0;
    for (long i = 0; i < n; i++) {
        if (fread(input, 1, HB_INPUT_BYTES, in) != HB_INPUT_BYTES) {
            fprintf(stderr, "error: input file ends at record %ld of %ld\n", i, n);
            return 3;
        }
        int64_t t0 = now_ns();
        for (long r = 0; r < repeats; r++) hb_model_invoke(input, output);
        total += now_ns() - t0;
        if (fwrite(output, 1, HB_OUTPUT_BYTES, out) != HB_OUTPUT_BYTES) {
            fprintf(stderr, "error: cannot write output record %ld\n", i);
            return 3;
        }
    }
    fclose(in);
    if (fclose(out) != 0) return 3;
    printf("HB_DONE n=%ld repeats=%ld invoke_ns=%lld\n", n, repeats, (long long)total);
    return 0;
}
