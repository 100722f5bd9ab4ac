/* The freestanding wasm2c runtime: the core's linear memory (the domain's RAM, mapped as it
 * grows), function types for call_indirect, traps, and libgcc's popcount (the C library calls
 * the generated code makes are in string.c).
 *
 * Where the image is built with WASM_RT_MEMCHECK_SIGNAL_HANDLER=1 (x86_64 PV and PVH, the
 * Makefile's MEMCHECK_x86_64 and MEMCHECK_pvh), wasm2c checks no load or store: each is
 * `data + (u32)addr + (u32)offset`, so it lies below data + 8 GiB, and everything from the
 * memory's current end up to there is left unmapped. An access out of bounds page-faults there,
 * and boot/traps.c turns that fault into the wasm trap (runtime_guard_fault). Where the memory
 * is (data) is the arch's (arch_linear_va): PVH maps it a second time, in an alias of its own
 * (boot/pvh/mm.c). x86_64 PV uses it at va = pfn << 12; what lies above it there: the
 * rest of the domain's pfns, of which only the memory's are ever mapped (page-table pages are
 * never mapped, the image, start_info, the P2M and Xen's bootstrap tables lie below the memory),
 * and the tail of Xen's start-of-day mapping past the initial size, which
 * wasm_rt_allocate_memory unmaps. Xen's own area (0xffff800000000000) is 128 TiB away.
 *
 * Where it is built with PVBOOT_SEGMENT_MEMORY (x86_32, the Makefile's MEMCHECK_x86_32), the
 * core reaches its memory through %gs, whose segment is the memory and whose limit its size
 * (boot/x86_32/segment.c, scripts/wasm2c-segment.mjs): an access past the end is a #GP of the
 * core's code at a %gs-prefixed instruction. A 32-bit sum address + offset that passed 4 GiB
 * lands below the offset: the first CORE_SEGMENT_HOLE bytes of the memory, below the core's
 * data, stay unmapped, and a page fault there is the same trap. Past the memory's end nothing
 * is mapped either (as with guard pages, as far as the domain's RAM goes), for emulators that
 * do not check segment limits: QEMU's TCG does not.
 *
 * On every arch the memory grows in place and data never changes after
 * wasm_rt_allocate_memory: the core's hot functions read it once, at instantiation
 * (scripts/wasm2c-fixed-base.mjs). */

#include <stdarg.h>
#include <string.h>
#include "wasm-rt.h"
#include "shim.h"
#include "arch.h"

uint32_t wasm_rt_call_stack_depth;

unsigned long linear_base_pfn;
static unsigned long linear_limit_pages; /* 64 KiB wasm pages the domain can back */

#define WASM_PAGE_SIZE 65536UL
#define FRAMES_PER_WASM_PAGE (WASM_PAGE_SIZE / PAGE_SIZE)
#define MAX_WASM_PAGES 65535 /* wasm-rt 1.0.32 keeps the size in a uint32_t */

void wasm_rt_init(void) {}
bool wasm_rt_is_initialized(void) { return true; }
void wasm_rt_free(void) {}

/* Where the linear memory starts (va = pfn << 12) and how far it may grow, in wasm pages:
 * each kind's start (boot/pv/main.c, boot/pvh/main.c) works it out. */
void runtime_place_memory(unsigned long base_pfn, unsigned long limit_pages)
{
    linear_base_pfn = base_pfn;
    linear_limit_pages = limit_pages > MAX_WASM_PAGES ? MAX_WASM_PAGES : limit_pages;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial_pages, uint32_t max_pages)
{
    if (initial_pages > linear_limit_pages)
        shim_panic("the domain is too small for the core's initial memory");
    if (max_pages > linear_limit_pages)
        max_pages = linear_limit_pages;
    mem->data = arch_linear_va(linear_base_pfn);
    mem->pages = 0;
    mem->max_pages = max_pages;
    mem->size = 0;
    if (initial_pages && wasm_rt_grow_memory(mem, initial_pages) != 0)
        shim_panic("could not map the core's initial memory");
#if WASM_RT_MEMCHECK_SIGNAL_HANDLER || PVBOOT_SEGMENT_MEMORY
    arch_unmap_ram_tail(linear_base_pfn + initial_pages * FRAMES_PER_WASM_PAGE);
#endif
#if PVBOOT_SEGMENT_MEMORY
    arch_segment_init(mem->data, mem->size); /* and unmaps the hole */
#endif
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t delta)
{
    uint32_t old = mem->pages;
    uint32_t pages = old + delta;
    if (pages < old || pages > mem->max_pages)
        return UINT32_MAX;
    arch_map_ram(linear_base_pfn + old * FRAMES_PER_WASM_PAGE, linear_base_pfn + pages * FRAMES_PER_WASM_PAGE);
    memset(mem->data + (uint64_t)old * WASM_PAGE_SIZE, 0, (uint64_t)delta * WASM_PAGE_SIZE);
    mem->pages = pages;
    mem->size = pages * WASM_PAGE_SIZE;
#if PVBOOT_SEGMENT_MEMORY
    arch_segment_resize(mem->data, mem->size);
#endif
    return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t *mem) { (void)mem; }

uint8_t *linear_ptr(uint32_t offset, uint32_t len)
{
    extern wasm_rt_memory_t core_memory;
    if ((uint64_t)offset + len > core_memory.size)
        return NULL;
    return core_memory.data + offset;
}

/* Function types for call_indirect checks: equal signatures get equal ids. */
#define MAX_FUNC_TYPES 128
#define MAX_TYPE_ARITY 16
static struct { uint32_t params, results; wasm_rt_type_t types[MAX_TYPE_ARITY]; } func_types[MAX_FUNC_TYPES];
static uint32_t nr_func_types;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...)
{
    wasm_rt_type_t types[MAX_TYPE_ARITY];
    uint32_t i, n = params + results;
    va_list ap;
    if (n > MAX_TYPE_ARITY)
        shim_panic("function type with too many parameters");
    va_start(ap, results);
    for (i = 0; i < n; i++)
        types[i] = (wasm_rt_type_t)va_arg(ap, int);
    va_end(ap);
    for (i = 0; i < nr_func_types; i++)
        if (func_types[i].params == params && func_types[i].results == results &&
            memcmp(func_types[i].types, types, n * sizeof(types[0])) == 0)
            return i + 1;
    if (nr_func_types == MAX_FUNC_TYPES)
        shim_panic("too many function types");
    func_types[nr_func_types].params = params;
    func_types[nr_func_types].results = results;
    memcpy(func_types[nr_func_types].types, types, n * sizeof(types[0]));
    return ++nr_func_types;
}

/* The core's one table (AssemblyScript's call_indirect targets), fixed in size. */
#define MAX_TABLE_ELEMENTS 256
static wasm_rt_funcref_t table_storage[MAX_TABLE_ELEMENTS];

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *table, uint32_t elements, uint32_t max_elements)
{
    if (elements > MAX_TABLE_ELEMENTS)
        shim_panic("the core's function table is too big");
    memset(table_storage, 0, sizeof(table_storage));
    table->data = table_storage;
    table->size = elements;
    table->max_size = max_elements < MAX_TABLE_ELEMENTS ? max_elements : MAX_TABLE_ELEMENTS;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *table) { (void)table; }

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

/* A trap ends the domain, loudly: the same words the harness prints (docs/contract.md). */
void wasm_rt_trap(wasm_rt_trap_t code)
{
    shim_puts("pvboot: wasm trap: ");
    shim_puts(trap_kind(code));
    shim_puts("\r\n");
    shim_crash();
}

#if PVBOOT_SEGMENT_MEMORY
/* Whether the instruction at `ip` names %gs among its prefixes (gcc writes 0x65 before or after
 * an operand-size 0x66). */
static int has_gs_prefix(const uint8_t *ip)
{
    unsigned i;
    for (i = 0; i < 4; i++) {
        if (ip[i] == 0x65)
            return 1;
        if (ip[i] != 0x66 && ip[i] != 0x67 && ip[i] != 0xf0 && ip[i] != 0xf2 && ip[i] != 0xf3)
            return 0;
    }
    return 0;
}
#endif

/* boot/<arch>/pvboot.lds: the core's compiled code (core.o's .text), where every unchecked
 * load and store is. */
extern const char core_text_start[], core_text_end[];

/* A fault `vector` with the instruction at `ip`. With guard pages, a page fault of the core's code
 * from the memory's current end up to 8 GiB past its base is the core's access out of bounds,
 * reported as the explicit check would have (the wasm trap). With the %gs segment, so is a #GP
 * of the core's code at a %gs-prefixed move while %gs holds the memory's selector (past the
 * limit), and such a move's page fault outside the memory's mapped part: in the hole, or past
 * the end where the CPU did not check the limit (QEMU's TCG does not; the pages there are
 * unmapped as with guard pages). Anything else (a store through a read-only frame inside the
 * memory, a lost %gs, a fault of the shim) returns, to be reported as a shim fault. */
void runtime_guard_fault(unsigned vector, unsigned long ip)
{
#if WASM_RT_MEMCHECK_SIGNAL_HANDLER || PVBOOT_SEGMENT_MEMORY
    extern wasm_rt_memory_t core_memory;
    unsigned long base = (unsigned long)core_memory.data, cr2;
    if (!base || ip < (unsigned long)core_text_start || ip >= (unsigned long)core_text_end)
        return;
#if WASM_RT_MEMCHECK_SIGNAL_HANDLER
    cr2 = shim_fault_cr2();
    if (vector == 14 && cr2 - base >= core_memory.size && cr2 - base < (8UL << 30))
        wasm_rt_trap(WASM_RT_TRAP_OOB);
#else
    if ((vector != 13 && vector != 14) || !has_gs_prefix((const uint8_t *)ip) || !arch_segment_loaded())
        return;
    cr2 = shim_fault_cr2();
    if (vector == 13 || cr2 - base < CORE_SEGMENT_HOLE || cr2 - base >= core_memory.size)
        wasm_rt_trap(WASM_RT_TRAP_OOB);
#endif
#else
    (void)vector;
    (void)ip;
#endif
}

/* libgcc's helper for i64.popcnt without -mpopcnt (we link no libgcc on x86_64; x86_32 links
 * it for the 64-bit divisions, and this definition keeps its popcount out). */
int __popcountdi2(long long x)
{
    unsigned long long v = (unsigned long long)x;
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}
