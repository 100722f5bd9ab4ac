/* build/bench/decompress: pvboot's decompressors (src/bench/decompress.ts -> wasm2c, compiled
 * with the PV image's flags and its string functions, boot/string.c) as a host program, over
 * the hosted runtime scripts/hosted/wasm-rt-hosted.c, against the reference C library for the
 * format (scripts/bench/decompress-lib.c: zlib, liblzma, libzstd, liblz4, libbz2, liblzo2) in
 * the same process. The Makefile builds it; the benchmark scripts/bench/decompress.ts runs it.
 *
 *   build/bench/decompress FORMAT FILE [RUNS [OUT]]
 *
 * Decompresses FILE as FORMAT (gzip xz lzma zstd lz4 bzip2 lzo) RUNS times (default 5) with
 * each, interleaved (pvboot, library, pvboot, ...), and prints
 *
 *   format xz in 8123456 out 61234567 crc32 1a2b3c4d best 0.812345 lib liblzma lib_out 61234567 lib_crc32 1a2b3c4d lib_best 0.790000 runs 5
 *
 * best, lib_best: the fastest run of each, in seconds, of the decompression call alone (not
 * reading the file or copying it into linear memory). pvboot runs in a fresh instance each
 * time over linear memory that stays resident and accessible between runs (hosted_memory_keep,
 * hosted_memory_keep_accessible: the guard starts past what the last run reached), and the
 * library into one buffer reused by every run: after the first run neither pays for page
 * faults. OUT: pvboot's output of the last run is written there too. A decompression error
 * (either side) prints it and exits 1; a trap aborts. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasm-rt-hosted.h"
#include "bench.h"
#include "bench-memory.h" /* BENCH_MIN_PAGES: the memory import's minimum */
#include "decompress-lib.h"

#define LIMIT (1024u << 20) /* output limit: 1 GiB */
#define MEMORY_MIB 3072     /* linear memory cap: input, output as it grows, the decoders' tables */

static Z_bench_instance_t instance;

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, got;
    if (!f) {
        perror(path);
        exit(2);
    }
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 20;
            buf = realloc(buf, cap);
            if (!buf) {
                perror("realloc");
                exit(2);
            }
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    if (ferror(f)) {
        perror(path);
        exit(2);
    }
    fclose(f);
    *len = n;
    return buf;
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    uint32_t c = 0xffffffffu;
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t x = i;
            for (int k = 0; k < 8; k++)
                x = x & 1 ? 0xedb88320u ^ (x >> 1) : x >> 1;
            table[i] = x;
        }
    while (n--)
        c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A fresh instance holding the input; returns the input's linear address. */
static uint32_t instantiate(const uint8_t *in, size_t len)
{
    uint32_t p;
    hosted_memory_reset(BENCH_MIN_PAGES);
    wasm_rt_call_stack_depth = 0;
    hosted_abort_record = 0;
    memset(&instance, 0, sizeof(instance));
    Z_bench_instantiate(&instance, &hosted_env);
    hosted_abort_record = Z_benchZ_bench_abort_record(&instance);
    p = Z_benchZ_bench_alloc(&instance, (uint32_t)len);
    if (!hosted_mem_ok(p, len)) {
        fprintf(stderr, "decompress: bench_alloc returned %u for %zu bytes\n", p, len);
        exit(2);
    }
    memcpy(hosted_memory.data + p, in, len);
    return p;
}

int main(int argc, char **argv)
{
    const char *format, *out_path = NULL;
    size_t in_len;
    uint8_t *in;
    int runs = 5, fmt;
    double best = 0, lib_best = 0;
    uint32_t out_ptr = 0, out_len = 0;
    uint8_t *lib_out;
    size_t lib_len = 0;
    const char *lib;
    char err[256];

    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: %s FORMAT FILE [RUNS [OUT]]\n", argv[0]);
        return 2;
    }
    format = argv[1];
    in = read_file(argv[2], &in_len);
    if (argc >= 4)
        runs = atoi(argv[3]);
    if (argc == 5)
        out_path = argv[4];
    if (runs < 1 || in_len > (1u << 30)) {
        fprintf(stderr, "decompress: bad run count or input too large\n");
        return 2;
    }

    hosted_trap_prefix = "pvboot-bench";
    hosted_trap_label = "decompress";
    lib = lib_name(format);
    lib_out = malloc(LIMIT);
    if (!lib || !lib_out) {
        fprintf(stderr, "decompress: no library for %s, or no memory for its output\n", format);
        return 2;
    }
    hosted_memory_reserve(MEMORY_MIB);
    hosted_memory_keep = (uint64_t)MEMORY_MIB << 20; /* resident between runs, as lib_out is */
    hosted_memory_keep_accessible = 1;
    wasm_rt_init();
    Z_bench_init_module();

    /* The format's index in the module's FORMATS (no second list here). */
    fmt = Z_benchZ_bench_format(&instance, instantiate((const uint8_t *)format, strlen(format)), (uint32_t)strlen(format));
    Z_bench_free(&instance);
    if (fmt < 0) {
        fprintf(stderr, "decompress: unknown format %s\n", format);
        return 2;
    }

    for (int r = 0; r < runs; r++) {
        uint32_t p = instantiate(in, in_len), rec;
        double t0, t;
        t0 = now();
        rec = Z_benchZ_bench_run(&instance, fmt, p, (uint32_t)in_len, LIMIT);
        t = now() - t0;
        if (hosted_mem_u32(rec + 8)) {
            fprintf(stderr, "decompress: %s: ", argv[2]);
            hosted_print_string(hosted_mem_u32(rec + 8));
            fputc('\n', stderr);
            return 1;
        }
        out_ptr = hosted_mem_u32(rec);
        out_len = hosted_mem_u32(rec + 4);
        if (!hosted_mem_ok(out_ptr, out_len)) {
            fprintf(stderr, "decompress: the output (%u bytes at %u) is outside linear memory\n", out_len, out_ptr);
            return 1;
        }
        if (r == 0 || t < best)
            best = t;
        if (r + 1 < runs)
            Z_bench_free(&instance);

        t0 = now();
        if (lib_decompress(format, in, in_len, lib_out, LIMIT, &lib_len, err, sizeof(err)) != 0) {
            fprintf(stderr, "decompress: %s: %s: %s\n", argv[2], lib, err);
            return 1;
        }
        t = now() - t0;
        if (r == 0 || t < lib_best)
            lib_best = t;
    }
    if (out_path) {
        FILE *f = fopen(out_path, "wb");
        if (!f || fwrite(hosted_memory.data + out_ptr, 1, out_len, f) != out_len || fclose(f) != 0) {
            perror(out_path);
            return 2;
        }
    }
    printf("format %s in %zu out %u crc32 %08x best %.6f lib %s lib_out %zu lib_crc32 %08x lib_best %.6f runs %d\n",
           format, in_len, out_len, crc32(hosted_memory.data + out_ptr, out_len), best,
           lib, lib_len, crc32(lib_out, lib_len), lib_best, runs);
    Z_bench_free(&instance);
    free(lib_out);
    free(in);
    return 0;
}
