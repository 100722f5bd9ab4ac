/* build/bench/{ext,xfs,btrfs}-read-all: a filesystem reader of pvboot (src/bench/ext.ts, xfs.ts
 * or btrfs.ts -> wasm2c, compiled with the PV image's flags and its string functions,
 * boot/string.c) as a host program, over the hosted runtime scripts/hosted/wasm-rt-hosted.c.
 * The Makefile builds it; the benchmarks scripts/bench/ext4-read-all.ts, xfs-read-all.ts and
 * btrfs-read-all.ts run it.
 *
 *   build/bench/xfs-read-all IMAGE [RUNS]
 *
 * Copies IMAGE into linear memory, then reads every file of the filesystem on it (mount, list
 * every directory, read every regular file in 1 MiB pieces) RUNS times (default 3), each in a
 * fresh instance, and prints
 *
 *   files 2345 bytes 123456789 sum 1a2b3c4d best 0.812345 runs 3
 *
 * sum: of each file's first 4 bytes (little-endian), a check that data arrived.
 *
 * best: the fastest run, in seconds, of the reading alone (not loading the image). An error of
 * the reader prints it and exits 1; a trap aborts. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasm-rt-hosted.h"
#include "bench.h"
#include "bench-memory.h" /* BENCH_MIN_PAGES: the memory import's minimum */

#define MEMORY_MIB 3072

static Z_bench_instance_t instance;

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        perror(path);
        exit(2);
    }
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        perror(path);
        exit(2);
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    size_t len;
    uint8_t *img;
    int runs = 3;
    double best = 0;
    uint32_t files = 0, crc = 0;
    uint64_t bytes = 0;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s IMAGE [RUNS]\n", argv[0]);
        return 2;
    }
    img = read_file(argv[1], &len);
    if (argc == 3)
        runs = atoi(argv[2]);
    if (runs < 1 || len > (1u << 30)) {
        fprintf(stderr, "fs-read-all: bad run count or image too large\n");
        return 2;
    }
    hosted_trap_prefix = "pvboot-bench";
    hosted_trap_label = "fs-read-all";
    hosted_memory_reserve(MEMORY_MIB);
    wasm_rt_init();
    Z_bench_init_module();
    for (int r = 0; r < runs; r++) {
        uint32_t p, rec;
        double t0, t;
        hosted_memory_reset(BENCH_MIN_PAGES);
        wasm_rt_call_stack_depth = 0;
        hosted_abort_record = 0;
        memset(&instance, 0, sizeof(instance));
        Z_bench_instantiate(&instance, &hosted_env);
        hosted_abort_record = Z_benchZ_bench_abort_record(&instance);
        p = Z_benchZ_bench_alloc(&instance, (uint32_t)len);
        if (!hosted_mem_ok(p, len)) {
            fprintf(stderr, "fs-read-all: bench_alloc returned %u for %zu bytes\n", p, len);
            return 2;
        }
        memcpy(hosted_memory.data + p, img, len);
        t0 = now();
        rec = Z_benchZ_bench_read_all(&instance, p, (uint32_t)len);
        t = now() - t0;
        if (hosted_mem_u32(rec + 16)) {
            fprintf(stderr, "fs-read-all: %s: ", argv[1]);
            hosted_print_string(hosted_mem_u32(rec + 16));
            fputc('\n', stderr);
            return 1;
        }
        files = hosted_mem_u32(rec);
        bytes = (uint64_t)hosted_mem_u32(rec + 4) | (uint64_t)hosted_mem_u32(rec + 8) << 32;
        crc = hosted_mem_u32(rec + 12);
        if (r == 0 || t < best)
            best = t;
        Z_bench_free(&instance);
    }
    printf("files %u bytes %llu sum %08x best %.6f runs %d\n", files, (unsigned long long)bytes, crc, best, runs);
    free(img);
    return 0;
}
