/* The shim's start: Xen enters _start (boot/<arch>/head.S), which calls start_pvboot with the
 * start_info pointer. From here: the hypercall page checked, the trap table, the memory
 * layout, the console for our own messages (found while the M2P is still Xen's), the clock,
 * then the core, which runs the whole boot flow (src/main.ts) and never comes back. */

#include "wasm-rt.h"
#include "core.h"
#include "shim.h"
#include "arch.h"

struct start_info *start_info;

extern wasm_rt_memory_t core_memory;
void runtime_init_memory(unsigned long first_free_pfn);

uint8_t shared_info_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static Z_core_instance_t core;
static struct Z_xen_instance_t *xen_imports;
static struct Z_env_instance_t *env_imports;

/* Xen system time from vcpu 0's time info, retried while Xen updates it (odd version). */
uint64_t shim_clock_ns(void)
{
    volatile struct vcpu_time_info *t = (void *)(shared_info_page + SHARED_INFO_VCPU0_TIME);
    uint32_t version;
    uint64_t ns;
    do {
        version = t->version;
        cpu_mb();
        ns = t->system_time + scale_delta(rdtsc() - t->tsc_timestamp, t->tsc_to_system_mul, t->tsc_shift);
        cpu_mb();
    } while ((version & 1) || version != t->version);
    return ns;
}

void start_pvboot(struct start_info *si)
{
    /* The first page after Xen's bootstrap page tables and stack page is ours. */
    unsigned long first_free_pfn = (si->pt_base >> PAGE_SHIFT) + si->nr_pt_frames + 1;
    long rc;

    start_info = si;
    shim_debug_hypercall_page();
    hypercall_page_check();
    traps_init();
    arch_mm_init(si, first_free_pfn);
    shim_console_init();
    hypercall_page_report();
    rc = arch_map_frame(shared_info_page, si->shared_info >> PAGE_SHIFT, 0);
    if (rc < 0)
        shim_panic_call("update_va_mapping of shared_info", rc, "va mfn", (unsigned long)shared_info_page,
                        si->shared_info >> PAGE_SHIFT);
    shim_debug_fault();
    runtime_init_memory(first_free_pfn);
    wasm_rt_allocate_memory(&core_memory, CORE_MIN_PAGES, 65536);

    Z_core_init_module();
    Z_core_instantiate(&core, env_imports, xen_imports);
    Z_coreZ_pvboot_main(&core);
    shim_panic("the core returned");
}
