/* The PVH shim's start. Xen enters pvh_start32 (boot/pvh/head.S) in 32-bit protected mode,
 * which goes to long mode on the shim's page tables and calls start_pvh with hvm_start_info's
 * physical address. From here: the IDT, the hypercall page (asked for through the MSR that
 * CPUID leaf base+2 names), the memory map (XENMEM_memory_map), the console's and xenstore's
 * frames and ports (HVMOP_get_param), shared_info placed with XENMEM_add_to_physmap in a hole
 * of the memory map, a start_info page in x86_64 PV's layout for the core (docs/contract.md,
 * "PVH"), the linear memory at the top of the largest RAM range below 4 GiB, then the core
 * (shim_run_core, boot/main.c). */

#include <string.h>
#include "wasm-rt.h"
#include "../shim.h"
#include "arch.h"
#include "pvh.h"

#define WASM_PAGE_FRAMES 16UL /* 64 KiB */
#define MAX_WASM_PAGES 65535UL
#define FOUR_GIB_PFN (1UL << (32 - PAGE_SHIFT))
/* The hole ends below this (0xf0000000): the local APIC, the IO-APIC and the ACPI tables
 * libxl places live above it. */
#define HOLE_LIMIT_PFN 0xf0000UL

struct start_info *start_info;
static uint8_t start_info_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* Where in that page the first 56 bytes of Xen's hvm_start_info are copied (docs/contract.md). */
#define PVH_SI_HVM_START_INFO 0xf00
#define PVH_HVM_START_INFO_SIZE 56

struct e820_entry pvh_e820[PVH_MAX_E820];
unsigned pvh_nr_e820;
unsigned long pvh_hole_pfn;
unsigned pvh_nr_gnttab_placed;
int pvh_shared_info_placed;

extern char _end[];

/* Before the hypercall page exists, a word is all the shim can say: Xen's debug port 0xe9. */
static void early_say(const char *s)
{
    while (*s)
        __asm__ volatile("outb %0, $0xe9" :: "a"(*s++));
}

static void early_halt(const char *why)
{
    early_say("pvboot: shim panic: ");
    early_say(why);
    early_say("\n");
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* Xen's CPUID leaves start at the first 0x100 step from 0x40000000 with its signature. */
static void hypercall_page_init(void)
{
    uint32_t base, a, b, c, d;
    for (base = 0x40000000; base < 0x40010000; base += 0x100) {
        cpuid(base, &a, &b, &c, &d);
        if (b == 0x566e6558 && c == 0x65584d4d && d == 0x4d4d566e && a - base >= 2) {
            cpuid(base + 2, &a, &b, &c, &d);
            wrmsr(b, (unsigned long)hypercall_page); /* page 0 of the MSR's pages */
            return;
        }
    }
    early_halt("no Xen CPUID leaves: not a Xen HVM/PVH domain");
}

static uint64_t get_param(uint32_t index, const char *name)
{
    struct xen_hvm_param p = { DOMID_SELF, 0, index, 0 };
    long rc = hypercall2(__HYPERVISOR_hvm_op, HVMOP_get_param, &p);
    if (rc < 0) {
        shim_puts("pvboot: shim: HVM param ");
        shim_puts(name);
        shim_puts("\r\n");
        shim_panic_call("hvm_op(HVMOP_get_param)", rc, "index", index);
    }
    return p.value;
}

long pvh_add_to_physmap(uint32_t space, uint64_t idx, uint64_t gpfn)
{
    struct xen_add_to_physmap a = { DOMID_SELF, 0, space, idx, gpfn };
    return hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, &a);
}

long pvh_remove_from_physmap(uint64_t gpfn)
{
    struct xen_remove_from_physmap r = { DOMID_SELF, gpfn };
    return hypercall2(__HYPERVISOR_memory_op, XENMEM_remove_from_physmap, &r);
}

static void read_memory_map(void)
{
    struct xen_memory_map m = { PVH_MAX_E820, pvh_e820 };
    long rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_memory_map, &m);
    if (rc < 0)
        shim_panic_call("memory_op(XENMEM_memory_map)", rc, "entries", PVH_MAX_E820);
    pvh_nr_e820 = m.nr_entries;
}

static int overlaps_map(unsigned long pfn, unsigned long end)
{
    unsigned i;
    for (i = 0; i < pvh_nr_e820; i++) {
        unsigned long s = pvh_e820[i].addr >> PAGE_SHIFT;
        unsigned long e = (pvh_e820[i].addr + pvh_e820[i].size + PAGE_SIZE - 1) >> PAGE_SHIFT;
        if (pfn < e && s < end)
            return 1;
    }
    return 0;
}

int pvh_ram_pfn(unsigned long pfn)
{
    unsigned i;
    for (i = 0; i < pvh_nr_e820; i++)
        if (pvh_e820[i].type == E820_RAM && pfn >= (pvh_e820[i].addr + PAGE_SIZE - 1) >> PAGE_SHIFT &&
            pfn < (pvh_e820[i].addr + pvh_e820[i].size) >> PAGE_SHIFT)
            return 1;
    return 0;
}

int pvh_frame_known(unsigned long gfn)
{
    if (overlaps_map(gfn, gfn + 1))
        return 1;
    if (pvh_shared_info_placed && gfn == pvh_hole_pfn)
        return 1;
    return gfn > pvh_hole_pfn && gfn <= pvh_hole_pfn + pvh_nr_gnttab_placed;
}

/* The lowest PVH_HOLE_PAGES frames from 1 MiB up, below HOLE_LIMIT_PFN, that no entry of the
 * memory map covers: candidates are 1 MiB and the end of each entry. */
static void find_hole(void)
{
    unsigned long best = ~0UL, c;
    unsigned i;
    for (i = 0; i <= pvh_nr_e820; i++) {
        c = i == pvh_nr_e820 ? 0x100 : (pvh_e820[i].addr + pvh_e820[i].size + PAGE_SIZE - 1) >> PAGE_SHIFT;
        if (c < 0x100 || c + PVH_HOLE_PAGES > HOLE_LIMIT_PFN || overlaps_map(c, c + PVH_HOLE_PAGES))
            continue;
        if (c < best)
            best = c;
    }
    if (best == ~0UL)
        shim_panic("no hole in the memory map for shared_info and the grant table");
    pvh_hole_pfn = best;
}

static void place_shared_info(void)
{
    long rc = pvh_add_to_physmap(XENMAPSPACE_shared_info, 0, pvh_hole_pfn);
    if (rc < 0)
        shim_panic_call("memory_op(XENMEM_add_to_physmap shared_info)", rc, "gpfn", pvh_hole_pfn);
    pvh_shared_info_placed = 1;
    shared_info_va = (uint8_t *)(pvh_hole_pfn << PAGE_SHIFT);
}

/* The start_info the core reads, in x86_64 PV's layout (docs/contract.md). */
static void fill_start_info(const struct hvm_start_info *h)
{
    struct start_info *si = (struct start_info *)start_info_page;
    unsigned long pages = 0;
    unsigned i;
    memcpy(si->magic, "xen-3.0-x86_64", 15);
    for (i = 0; i < pvh_nr_e820; i++)
        if (pvh_e820[i].type == E820_RAM)
            pages += (pvh_e820[i].addr + pvh_e820[i].size) / PAGE_SIZE - (pvh_e820[i].addr + PAGE_SIZE - 1) / PAGE_SIZE;
    si->nr_pages = pages;
    si->shared_info = pvh_hole_pfn << PAGE_SHIFT;
    si->store_mfn = get_param(HVM_PARAM_STORE_PFN, "STORE_PFN");
    si->store_evtchn = (uint32_t)get_param(HVM_PARAM_STORE_EVTCHN, "STORE_EVTCHN");
    si->console.domU.mfn = get_param(HVM_PARAM_CONSOLE_PFN, "CONSOLE_PFN");
    si->console.domU.evtchn = (uint32_t)get_param(HVM_PARAM_CONSOLE_EVTCHN, "CONSOLE_EVTCHN");
    if (h->nr_modules > 0 && h->modlist_paddr) {
        const struct hvm_modlist_entry *m = (const void *)(unsigned long)h->modlist_paddr;
        si->mod_start = m[0].paddr;
        si->mod_len = m[0].size;
    }
    /* Xen's hvm_start_info itself, for what the PV layout has no field for: the ACPI RSDP the
     * next kernel needs (docs/contract.md, PVH_SI_HVM_START_INFO). */
    memcpy(start_info_page + PVH_SI_HVM_START_INFO, h, PVH_HVM_START_INFO_SIZE);
}

static void copy_cmdline(const struct hvm_start_info *h)
{
    struct start_info *si = (struct start_info *)start_info_page;
    const char *s = (const char *)(unsigned long)h->cmdline_paddr;
    size_t i;
    if (!h->cmdline_paddr || h->cmdline_paddr >= (1ULL << 32))
        return;
    for (i = 0; i < sizeof(si->cmd_line) - 1 && s[i]; i++)
        si->cmd_line[i] = s[i];
    si->cmd_line[i] = 0;
}

static unsigned long max_ul(unsigned long a, unsigned long b) { return a > b ? a : b; }

/* The first frame above what Xen placed for us (image, hvm_start_info, command line, module
 * list, modules) inside [start, end). */
static unsigned long first_free_in(unsigned long start, unsigned long end, const struct hvm_start_info *h)
{
    unsigned long lo = start, e, i;
#define ABOVE(pa, len)                                                               \
    do {                                                                             \
        unsigned long s_ = (pa) >> PAGE_SHIFT;                                       \
        e = ((pa) + (len) + PAGE_SIZE - 1) >> PAGE_SHIFT;                            \
        if (s_ < end && e > start)                                                   \
            lo = max_ul(lo, e);                                                      \
    } while (0)
    ABOVE(0x100000UL, (unsigned long)_end - 0x100000UL);
    ABOVE((unsigned long)h, PAGE_SIZE);
    if (h->cmdline_paddr)
        ABOVE(h->cmdline_paddr, sizeof(start_info->cmd_line));
    if (h->nr_modules && h->modlist_paddr) {
        const struct hvm_modlist_entry *m = (const void *)(unsigned long)h->modlist_paddr;
        ABOVE(h->modlist_paddr, h->nr_modules * sizeof(*m));
        for (i = 0; i < h->nr_modules && i < 64; i++)
            ABOVE(m[i].paddr, m[i].size);
    }
#undef ABOVE
    return lo;
}

/* The linear memory: as high as it can be in the largest RAM range below 4 GiB, ending at
 * the range's end (docs/contract.md). */
static void place_memory(const struct hvm_start_info *h)
{
    unsigned long best_s = 0, best_e = 0, s, e, lo, limit;
    unsigned i;
    for (i = 0; i < pvh_nr_e820; i++) {
        if (pvh_e820[i].type != E820_RAM)
            continue;
        s = (pvh_e820[i].addr + PAGE_SIZE - 1) >> PAGE_SHIFT;
        e = (pvh_e820[i].addr + pvh_e820[i].size) >> PAGE_SHIFT;
        if (e > FOUR_GIB_PFN)
            e = FOUR_GIB_PFN;
        if (s < e && e - s > best_e - best_s) {
            best_s = s;
            best_e = e;
        }
    }
    lo = first_free_in(best_s, best_e, h);
    limit = lo < best_e ? (best_e - lo) / WASM_PAGE_FRAMES : 0;
    if (limit > MAX_WASM_PAGES)
        limit = MAX_WASM_PAGES;
    runtime_place_memory(best_e - limit * WASM_PAGE_FRAMES, limit);
}

void start_pvh(uint32_t hvm_start_info_pa)
{
    const struct hvm_start_info *h = (const void *)(unsigned long)hvm_start_info_pa;

    traps_init();
    start_info = (struct start_info *)start_info_page;
    if (h->magic != HVM_START_MAGIC)
        early_halt("%ebx is not an hvm_start_info (bad magic)");
    copy_cmdline(h); /* first: the shim's debug options are read from it */
    hypercall_page_init();
    shim_debug_hypercall_page();
    hypercall_page_check();
    read_memory_map();
    find_hole();
    place_shared_info();
    fill_start_info(h);
    shim_console_init();
    hypercall_page_report();
    shim_debug_fault();
    place_memory(h);
    shim_run_core();
}
