/* The hosted wasm2c runtime shared by the fuzz driver and the benchmarks: see
 * wasm-rt-hosted.h. */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>

#include "wasm-rt-hosted.h"

uint32_t wasm_rt_call_stack_depth;

static int rt_initialized;
void wasm_rt_init(void) { rt_initialized = 1; }
bool wasm_rt_is_initialized(void) { return rt_initialized; }
void wasm_rt_free(void) {}

const char *hosted_trap_prefix = "pvboot-hosted";
const char *hosted_trap_label = "module";
uint32_t hosted_abort_record;

/* ---- the linear memory ------------------------------------------------------------------ */

/* The one linear memory, reserved once at the cap and reused: pages past `size` are never
 * written (every access is range checked, or faults in the guard below), so zeroing what the
 * last instance used is enough. */
wasm_rt_memory_t hosted_memory;
uint32_t hosted_memory_cap_pages;
static uint8_t *memory_base;
static uint64_t memory_high; /* bytes in use since the last reset */
static uint32_t refused_grow; /* pages asked for when a grow was refused, for the trap text */

#if WASM_RT_MEMCHECK_SIGNAL_HANDLER
/* Guard pages, as the x86_64 PV image has them (boot/runtime.c): a build with
 * WASM_RT_MEMCHECK_SIGNAL_HANDLER=1 (the decompressor benchmark on x86_64) checks no load or
 * store; each is `base + (u32)addr + (u32)offset`, below base + 8 GiB. The reservation spans
 * those 8 GiB, readable and writable only up to the memory's size (or, with
 * hosted_memory_keep_accessible, up to what earlier instances reached of hosted_memory_keep);
 * an access past that faults, and the SIGSEGV handler reports it as the wasm trap. */
#define GUARD_RESERVE (8ull << 30)
static uint64_t accessible; /* bytes from memory_base that are readable and writable */

static void set_accessible(uint64_t bytes)
{
    int rc = 0;
    if (bytes > accessible)
        rc = mprotect(memory_base + accessible, bytes - accessible, PROT_READ | PROT_WRITE);
    else if (bytes < accessible)
        rc = mprotect(memory_base + bytes, accessible - bytes, PROT_NONE);
    if (rc != 0) {
        fprintf(stderr, "%s: ", hosted_trap_prefix);
        perror("mprotect of the linear memory");
        exit(1);
    }
    accessible = bytes;
}

static void guard_fault(int sig, siginfo_t *si, void *ctx)
{
    uint8_t *a = si->si_addr;
    (void)ctx;
    if (a >= memory_base + hosted_memory.size && a < memory_base + GUARD_RESERVE)
        wasm_rt_trap(WASM_RT_TRAP_OOB);
    signal(sig, SIG_DFL); /* not the core's: fault again, unhandled */
}
#endif

void hosted_memory_reserve(unsigned long mib)
{
    size_t bytes;
    int prot = PROT_READ | PROT_WRITE;
    if (mib < 1 || mib > 4095)
        mib = 256;
    hosted_memory_cap_pages = (uint32_t)(mib * 1024 * 1024 / WASM_PAGE);
    bytes = (size_t)hosted_memory_cap_pages * WASM_PAGE;
#if WASM_RT_MEMCHECK_SIGNAL_HANDLER
    {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = guard_fault;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        bytes = GUARD_RESERVE;
        prot = PROT_NONE;
    }
#endif
    /* Reserved once, and never moved: the benchmarks' hot functions read the base once, at
     * instantiation (scripts/wasm2c-fixed-base.mjs). */
    memory_base = mmap(NULL, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory_base == MAP_FAILED) {
        fprintf(stderr, "%s: ", hosted_trap_prefix);
        perror("mmap of the linear memory");
        exit(1);
    }
}

uint64_t hosted_memory_keep = 16u << 20;
int hosted_memory_keep_accessible;

void hosted_memory_reset(uint32_t initial_pages)
{
    /* memset the first hosted_memory_keep bytes (16 MiB; the fuzz driver's 64 MiB) the instances
     * reached, hand the rest back to the kernel, which
     * zero-fills on the next touch. Clearing is the cheaper way for what most inputs reach: a
     * madvise costs a TLB shootdown (an IPI to every CPU of a VM) on every input, 5-10 ms here,
     * where clearing a few MiB that stay resident costs tens of microseconds. */
    const uint64_t keep = hosted_memory_keep;
    if (memory_high > keep) {
        madvise(memory_base + keep, memory_high - keep, MADV_DONTNEED);
        memory_high = keep;
    }
    memset(memory_base, 0, memory_high);
#if WASM_RT_MEMCHECK_SIGNAL_HANDLER
    {
        uint64_t bytes = (uint64_t)initial_pages * WASM_PAGE;
        uint64_t kept = accessible < keep ? accessible : keep;
        if (hosted_memory_keep_accessible && bytes < kept)
            bytes = kept;
        set_accessible(bytes);
    }
#endif
    hosted_memory.data = memory_base;
    hosted_memory.pages = initial_pages;
    hosted_memory.max_pages = hosted_memory_cap_pages;
    hosted_memory.size = initial_pages * WASM_PAGE;
    memory_high = hosted_memory.size;
    refused_grow = 0;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial_pages, uint32_t max_pages)
{
    /* Only for a module with its own memory; pvboot's modules import theirs. */
    if (mem != &hosted_memory || initial_pages > hosted_memory_cap_pages) {
        fprintf(stderr, "%s: unexpected memory allocation (%u pages)\n", hosted_trap_prefix, initial_pages);
        abort();
    }
    hosted_memory_reset(initial_pages);
    if (max_pages < hosted_memory.max_pages)
        hosted_memory.max_pages = max_pages;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t delta)
{
    uint32_t old = mem->pages;
    uint64_t pages = (uint64_t)old + delta;
    if (pages > mem->max_pages || pages > 65535) {
        refused_grow = (uint32_t)(pages > UINT32_MAX ? UINT32_MAX : pages);
        return UINT32_MAX;
    }
#if WASM_RT_MEMCHECK_SIGNAL_HANDLER
    if (mem == &hosted_memory && pages * WASM_PAGE > accessible)
        set_accessible(pages * WASM_PAGE);
#endif
    mem->pages = (uint32_t)pages;
    mem->size = (uint32_t)pages * WASM_PAGE;
    if (mem == &hosted_memory && mem->size > memory_high)
        memory_high = mem->size;
    return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t *mem) { (void)mem; }

struct Z_env_instance_t hosted_env;

wasm_rt_memory_t *Z_envZ_memory(struct Z_env_instance_t *e)
{
    (void)e;
    return &hosted_memory;
}

int hosted_mem_ok(uint64_t at, uint64_t len) { return at + len <= hosted_memory.size; }

uint32_t hosted_mem_u32(uint32_t at)
{
    uint32_t v;
    memcpy(&v, hosted_memory.data + at, 4);
    return v;
}

/* ---- function types and the table ------------------------------------------------------- */

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
        fprintf(stderr, "%s: function type table too small\n", hosted_trap_prefix);
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

/* ---- traps ------------------------------------------------------------------------------ */

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

void hosted_print_string(uint32_t ptr)
{
    uint32_t len, i;
    if (ptr == 0) {
        fputs("(null)", stderr);
        return;
    }
    if (ptr < 4 || !hosted_mem_ok(ptr - 4, 4)) {
        fputs("(bad string)", stderr);
        return;
    }
    len = hosted_mem_u32(ptr - 4);
    if (len > 4096 || !hosted_mem_ok(ptr, len)) {
        fputs("(bad string)", stderr);
        return;
    }
    for (i = 0; i + 1 < len; i += 2) {
        uint16_t c = (uint16_t)(hosted_memory.data[ptr + i] | hosted_memory.data[ptr + i + 1] << 8);
        fputc(c >= 0x20 && c < 0x7f ? c : '?', stderr);
    }
}

void wasm_rt_trap(wasm_rt_trap_t code)
{
    uint32_t rec = hosted_abort_record;
    fprintf(stderr, "%s: wasm trap: %s", hosted_trap_prefix, trap_kind(code));
    if (code == WASM_RT_TRAP_EXHAUSTION)
        fprintf(stderr, " (call depth %u)", wasm_rt_call_stack_depth);
    if (code == WASM_RT_TRAP_UNREACHABLE && rec && hosted_mem_ok(rec, 20) && hosted_mem_u32(rec) == ABORT_MAGIC) {
        fputs(" (AssemblyScript abort: ", stderr);
        hosted_print_string(hosted_mem_u32(rec + 4));
        fputs(" at ", stderr);
        hosted_print_string(hosted_mem_u32(rec + 8));
        fprintf(stderr, ":%u:%u)", hosted_mem_u32(rec + 12), hosted_mem_u32(rec + 16));
    } else if (code == WASM_RT_TRAP_UNREACHABLE && refused_grow) {
        fprintf(stderr, " (after a refused memory.grow to %u pages = %llu MiB, the cap is %u MiB: "
                "the stub allocator ran out of memory)", refused_grow,
                (unsigned long long)refused_grow * WASM_PAGE >> 20, hosted_memory_cap_pages / 16);
    }
    fprintf(stderr, " [%s, linear memory %u KiB]\n", hosted_trap_label, hosted_memory.size >> 10);
    fflush(stderr);
    abort();
}
