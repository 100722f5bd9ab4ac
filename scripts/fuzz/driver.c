/* libFuzzer driver for a pvboot fuzz entry (src/fuzz/<target>.ts) turned into C by wasm2c
 * 1.0.32, over the hosted wasm2c runtime scripts/hosted/wasm-rt-hosted.c (shared with the
 * benchmarks). scripts/fuzz/build.sh compiles it once per target:
 *
 *   clang -fsanitize=fuzzer,address -DFUZZ_MODULE=partitions -DFUZZ_HEADER='"partitions.h"'
 *         -DFUZZ_MIN_PAGES=<the import's minimum> -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 ...
 *
 * Every input runs in a fresh instance over zeroed linear memory (the stub allocator starts
 * clean): fuzz_alloc(len), copy the input there, fuzz_one(ptr, len). A wasm trap of any kind
 * prints what it was (and, for an AssemblyScript abort, its message and place) and calls
 * abort(), which libFuzzer records as a crash. Linear memory is capped (PVBOOT_FUZZ_MEM_MIB,
 * 256 MiB by default): an allocation beyond it makes the stub allocator trap, a finding too. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-rt-hosted.h"
#include FUZZ_HEADER

#define CAT3_(a, b, c) a##b##c
#define CAT3(a, b, c) CAT3_(a, b, c)
#define INSTANCE_T CAT3(Z_, FUZZ_MODULE, _instance_t)
#define INIT_MODULE CAT3(Z_, FUZZ_MODULE, _init_module)
#define INSTANTIATE CAT3(Z_, FUZZ_MODULE, _instantiate)
#define FREE_INSTANCE CAT3(Z_, FUZZ_MODULE, _free)
#define EXPORT(name) CAT3(Z_, FUZZ_MODULE, Z_##name)

#define STR_(x) #x
#define STR(x) STR_(x)

static INSTANCE_T instance;

/* ---- the libFuzzer entry points ------------------------------------------------------- */

/* PVBOOT_FUZZ_SELFTEST=<kind> (src/fuzz/selftest.ts) runs a deliberate trap instead of
 * fuzz_one: the tests use it to prove each kind of trap is recorded as a crash. */
static uint32_t selftest_kind;
static const char *const selftest_names[] = { "oob", "unreachable", "abort", "recursion", "alloc", "div0", "loop" };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *st = getenv("PVBOOT_FUZZ_SELFTEST");
    (void)argc;
    (void)argv;
    if (st && *st) {
        for (uint32_t i = 0; i < sizeof(selftest_names) / sizeof(selftest_names[0]); i++)
            if (strcmp(st, selftest_names[i]) == 0)
                selftest_kind = i + 1;
        if (!selftest_kind) {
            fprintf(stderr, "pvboot-fuzz: unknown PVBOOT_FUZZ_SELFTEST=%s\n", st);
            exit(2);
        }
        fprintf(stderr, "pvboot-fuzz: self-test %s: every input traps on purpose\n", st);
    }
    const char *mib = getenv("PVBOOT_FUZZ_MEM_MIB");
    hosted_trap_prefix = "pvboot-fuzz";
    hosted_trap_label = "target " STR(FUZZ_MODULE);
    hosted_memory_reserve(mib ? strtoul(mib, NULL, 10) : 256);
    wasm_rt_init();
    INIT_MODULE();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t ptr;
    /* The input must fit the capped memory with room to work: larger ones are not run. */
    if (size > (size_t)hosted_memory_cap_pages * WASM_PAGE / 4)
        return -1;
    hosted_memory_reset(FUZZ_MIN_PAGES);
    wasm_rt_call_stack_depth = 0;
    hosted_abort_record = 0;
    memset(&instance, 0, sizeof(instance));
    INSTANTIATE(&instance, &hosted_env);
    hosted_abort_record = EXPORT(fuzz_abort_record)(&instance);
    ptr = EXPORT(fuzz_alloc)(&instance, (uint32_t)size);
    if (!hosted_mem_ok(ptr, size)) {
        fprintf(stderr, "pvboot-fuzz: fuzz_alloc returned %u for %zu bytes\n", ptr, size);
        abort();
    }
    if (size)
        memcpy(hosted_memory.data + ptr, data, size);
    if (selftest_kind)
        EXPORT(fuzz_selftest)(&instance, selftest_kind, (uint32_t)size);
    else
        EXPORT(fuzz_one)(&instance, ptr, (uint32_t)size);
    FREE_INSTANCE(&instance);
    return 0;
}
