/* libFuzzer driver for a pvboot fuzz entry (src/fuzz/<target>.ts) turned into C by wasm2c
 * 1.0.32, with the small hosted wasm2c runtime it needs. scripts/fuzz/build.sh compiles it
 * once per target:
 *
 *   clang -fsanitize=fuzzer,address -DFUZZ_MODULE=partitions -DFUZZ_HEADER='"partitions.h"'
 *         -DFUZZ_MIN_PAGES=<the import's minimum> -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 ...
 *
 * Every input runs in a fresh instance over zeroed linear memory (the stub allocator starts
 * clean): fuzz_alloc(len), copy the input there, fuzz_one(ptr, len). A wasm trap of any kind
 * prints what it was (and, for an AssemblyScript abort, its message and place) and calls
 * abort(), which libFuzzer records as a crash. Linear memory is capped (PVBOOT_FUZZ_MEM_MIB,
 * 256 MiB by default): an allocation beyond it makes the stub allocator trap, a finding too. */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "wasm-rt.h"
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

#define WASM_PAGE 65536u
#define ABORT_MAGIC 0x54524241u /* src/fuzz/abort.ts */

/* ---- the runtime ---------------------------------------------------------------------- */

uint32_t wasm_rt_call_stack_depth;

static int rt_initialized;
void wasm_rt_init(void) { rt_initialized = 1; }
bool wasm_rt_is_initialized(void) { return rt_initialized; }
void wasm_rt_free(void) {}

/* The one linear memory, reserved once at the cap and reused: pages past `size` are never
 * written (every access is range checked), so zeroing what the last input used is enough. */
static wasm_rt_memory_t memory;
static uint8_t *memory_base;
static uint32_t memory_cap_pages;
static uint64_t memory_high; /* bytes in use since the last reset */
static uint32_t refused_grow; /* pages asked for when a grow was refused, for the trap text */

static void memory_reserve(void)
{
    const char *env = getenv("PVBOOT_FUZZ_MEM_MIB");
    unsigned long mib = env ? strtoul(env, NULL, 10) : 256;
    if (mib < 1 || mib > 4095)
        mib = 256;
    memory_cap_pages = (uint32_t)(mib * 1024 * 1024 / WASM_PAGE);
    memory_base = mmap(NULL, (size_t)memory_cap_pages * WASM_PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory_base == MAP_FAILED) {
        perror("pvboot-fuzz: mmap of the linear memory");
        exit(1);
    }
}

static void memory_reset(uint32_t initial_pages)
{
    /* memset the start (static data and the input: always touched), hand the rest back to
     * the kernel, which zero-fills on the next touch: only the pages an input really used
     * cost anything (a 4 MiB sparse image touches a few dozen). */
    const uint64_t keep = 256u << 10;
    if (memory_high > keep) {
        madvise(memory_base + keep, memory_high - keep, MADV_DONTNEED);
        memory_high = keep;
    }
    memset(memory_base, 0, memory_high);
    memory.data = memory_base;
    memory.pages = initial_pages;
    memory.max_pages = memory_cap_pages;
    memory.size = initial_pages * WASM_PAGE;
    memory_high = memory.size;
    refused_grow = 0;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial_pages, uint32_t max_pages)
{
    /* Only for a module with its own memory; the fuzz entries import theirs. */
    if (mem != &memory || initial_pages > memory_cap_pages) {
        fprintf(stderr, "pvboot-fuzz: unexpected memory allocation (%u pages)\n", initial_pages);
        abort();
    }
    memory_reset(initial_pages);
    if (max_pages < memory.max_pages)
        memory.max_pages = max_pages;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t delta)
{
    uint32_t old = mem->pages;
    uint64_t pages = (uint64_t)old + delta;
    if (pages > mem->max_pages || pages > 65535) {
        refused_grow = (uint32_t)(pages > UINT32_MAX ? UINT32_MAX : pages);
        return UINT32_MAX;
    }
    mem->pages = (uint32_t)pages;
    mem->size = (uint32_t)pages * WASM_PAGE;
    if (mem == &memory && mem->size > memory_high)
        memory_high = mem->size;
    return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t *mem) { (void)mem; }

/* Function types for call_indirect: equal signatures get equal ids. */
#define MAX_FUNC_TYPES 256
#define MAX_TYPE_ARITY 32
static struct {
    uint32_t params, results;
    wasm_rt_type_t types[MAX_TYPE_ARITY];
} func_types[MAX_FUNC_TYPES];
static uint32_t nr_func_types;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...)
{
    wasm_rt_type_t types[MAX_TYPE_ARITY];
    uint32_t i, n = params + results;
    va_list ap;
    if (n > MAX_TYPE_ARITY || nr_func_types == MAX_FUNC_TYPES) {
        fprintf(stderr, "pvboot-fuzz: function type table too small\n");
        abort();
    }
    va_start(ap, results);
    for (i = 0; i < n; i++)
        types[i] = (wasm_rt_type_t)va_arg(ap, int);
    va_end(ap);
    for (i = 0; i < nr_func_types; i++)
        if (func_types[i].params == params && func_types[i].results == results &&
            memcmp(func_types[i].types, types, n * sizeof(types[0])) == 0)
            return i + 1;
    func_types[nr_func_types].params = params;
    func_types[nr_func_types].results = results;
    memcpy(func_types[nr_func_types].types, types, n * sizeof(types[0]));
    return ++nr_func_types;
}

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *table, uint32_t elements, uint32_t max_elements)
{
    table->data = calloc(elements ? elements : 1, sizeof(wasm_rt_funcref_t));
    if (!table->data)
        abort();
    table->size = elements;
    table->max_size = max_elements;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *table)
{
    free(table->data);
    table->data = NULL;
}

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *table, uint32_t delta, wasm_rt_funcref_t init)
{
    uint32_t old = table->size;
    uint64_t n = (uint64_t)old + delta;
    wasm_rt_funcref_t *data;
    if (n > table->max_size || n > 1u << 20)
        return UINT32_MAX;
    data = realloc(table->data, (size_t)(n ? n : 1) * sizeof(*data));
    if (!data)
        return UINT32_MAX;
    for (uint32_t i = old; i < n; i++)
        data[i] = init;
    table->data = data;
    table->size = (uint32_t)n;
    return old;
}

/* ---- traps ---------------------------------------------------------------------------- */

static INSTANCE_T instance;
static uint32_t abort_record; /* linear address of src/fuzz/abort.ts's record, 0 before */

static const char *trap_kind(wasm_rt_trap_t code)
{
    switch (code) {
    case WASM_RT_TRAP_OOB: return "out of bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable executed";
    case WASM_RT_TRAP_CALL_INDIRECT: return "indirect call type mismatch";
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
    default: return "unknown trap";
    }
}

static int mem_ok(uint64_t at, uint64_t len) { return at + len <= memory.size; }

static uint32_t mem_u32(uint32_t at) { uint32_t v; memcpy(&v, memory.data + at, 4); return v; }

/* An AssemblyScript string (UTF-16, byte length at ptr - 4), ASCII only, bounded. */
static void print_as_string(uint32_t ptr)
{
    uint32_t len, i;
    if (ptr == 0) {
        fputs("(null)", stderr);
        return;
    }
    if (ptr < 4 || !mem_ok(ptr - 4, 4)) {
        fputs("(bad string)", stderr);
        return;
    }
    len = mem_u32(ptr - 4);
    if (len > 4096 || !mem_ok(ptr, len)) {
        fputs("(bad string)", stderr);
        return;
    }
    for (i = 0; i + 1 < len; i += 2) {
        uint16_t c = (uint16_t)(memory.data[ptr + i] | memory.data[ptr + i + 1] << 8);
        fputc(c >= 0x20 && c < 0x7f ? c : '?', stderr);
    }
}

void wasm_rt_trap(wasm_rt_trap_t code)
{
    fprintf(stderr, "pvboot-fuzz: wasm trap: %s", trap_kind(code));
    if (code == WASM_RT_TRAP_EXHAUSTION)
        fprintf(stderr, " (call depth %u)", wasm_rt_call_stack_depth);
    if (code == WASM_RT_TRAP_UNREACHABLE && abort_record && mem_ok(abort_record, 20) &&
        mem_u32(abort_record) == ABORT_MAGIC) {
        fputs(" (AssemblyScript abort: ", stderr);
        print_as_string(mem_u32(abort_record + 4));
        fputs(" at ", stderr);
        print_as_string(mem_u32(abort_record + 8));
        fprintf(stderr, ":%u:%u)", mem_u32(abort_record + 12), mem_u32(abort_record + 16));
    } else if (code == WASM_RT_TRAP_UNREACHABLE && refused_grow) {
        fprintf(stderr, " (after a refused memory.grow to %u pages = %llu MiB, the cap is %u MiB: "
                "the stub allocator ran out of memory)", refused_grow,
                (unsigned long long)refused_grow * WASM_PAGE >> 20, memory_cap_pages / 16);
    }
    fprintf(stderr, " [target " STR(FUZZ_MODULE) ", linear memory %u KiB]\n", memory.size >> 10);
    fflush(stderr);
    abort();
}

/* ---- the libFuzzer entry points ------------------------------------------------------- */

struct Z_env_instance_t { int unused; };
static struct Z_env_instance_t env;

wasm_rt_memory_t *Z_envZ_memory(struct Z_env_instance_t *e)
{
    (void)e;
    return &memory;
}

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
    memory_reserve();
    wasm_rt_init();
    INIT_MODULE();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t ptr;
    /* The input must fit the capped memory with room to work: larger ones are not run. */
    if (size > (size_t)memory_cap_pages * WASM_PAGE / 4)
        return -1;
    memory_reset(FUZZ_MIN_PAGES);
    wasm_rt_call_stack_depth = 0;
    abort_record = 0;
    memset(&instance, 0, sizeof(instance));
    INSTANTIATE(&instance, &env);
    abort_record = EXPORT(fuzz_abort_record)(&instance);
    ptr = EXPORT(fuzz_alloc)(&instance, (uint32_t)size);
    if (!mem_ok(ptr, size)) {
        fprintf(stderr, "pvboot-fuzz: fuzz_alloc returned %u for %zu bytes\n", ptr, size);
        abort();
    }
    if (size)
        memcpy(memory.data + ptr, data, size);
    if (selftest_kind)
        EXPORT(fuzz_selftest)(&instance, selftest_kind, (uint32_t)size);
    else
        EXPORT(fuzz_one)(&instance, ptr, (uint32_t)size);
    FREE_INSTANCE(&instance);
    return 0;
}
