/* The PV shim's start: Xen enters _start (boot/<arch>/head.S), which calls start_pvboot with
 * the start_info pointer. From here: the hypercall page checked, the trap table, the memory
 * layout, the console for our own messages (found while the M2P is still Xen's), shared_info
 * for the clock, the linear memory, then the core (shim_run_core, boot/main.c). */

#include "wasm-rt.h"
#include "../shim.h"
#include "arch.h"

#define WASM_PAGE_SIZE 65536UL
#define FRAMES_PER_WASM_PAGE (WASM_PAGE_SIZE / PAGE_SIZE)
#define MAX_WASM_PAGES 65535 /* wasm-rt 1.0.32 keeps the size in a uint32_t */

struct start_info *start_info;

static uint8_t shared_info_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* Everything from first_free_pfn up, less the page tables that will map it. */
static void place_memory(unsigned long first_free_pfn)
{
    unsigned long pages = start_info->nr_pages;
    unsigned long reserve = (pages + 511) / 512 + (pages + 512 * 512 - 1) / (512 * 512) + 2;
    unsigned long limit = (pages - reserve - first_free_pfn) / FRAMES_PER_WASM_PAGE;
    if (limit > MAX_WASM_PAGES)
        limit = MAX_WASM_PAGES;
    /* x86_32: mapped at va = pfn << 12, the memory must end below the hypervisor's hole */
    if (first_free_pfn + limit * FRAMES_PER_WASM_PAGE > ARCH_VIRT_LIMIT_PFN)
        limit = (ARCH_VIRT_LIMIT_PFN - first_free_pfn) / FRAMES_PER_WASM_PAGE;
    arch_set_table_floor(first_free_pfn + limit * FRAMES_PER_WASM_PAGE);
    runtime_place_memory(first_free_pfn, limit);
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
    shared_info_va = shared_info_page;
    shim_debug_fault();
    place_memory(first_free_pfn);
    shim_run_core();
}
