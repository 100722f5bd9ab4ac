/* x86_32 PAE page tables: map the domain's RAM at va = pfn << 12 beyond Xen's start-of-day
 * mapping, as the linear memory grows (below the hypervisor's hole), and map single frames
 * over linear pages. PAE: an L3 of 4 entries (Xen's compat guests keep slot 3's L2 for
 * themselves above the hole), L2s of 512 8-byte entries per GiB, L1s per 2 MiB.
 *
 * Xen's bootstrap tables (L3, L2s, L1s) lie inside the start-of-day mapping, where they can be
 * read (they are mapped read-only). New tables come from the top of RAM downwards; they are
 * never mapped, only zeroed through a scratch page and then written with mmu_update. Xen's
 * M2P (u32 entries) is where XENMEM_machphys_mapping says. */

#include <stddef.h>
#include <string.h>
#include "../xen.h"
#include "../shim.h"
#include "hypercall.h"

#define PTE_P 0x001ULL
#define PTE_RW 0x002ULL
#define PTE_US 0x004ULL
#define PTE_A 0x020ULL
#define PTE_D 0x040ULL
#define PTE_MFN_MASK 0x000ffffffffff000ULL
#define PTE_DATA (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)
#define PTE_TABLE (PTE_P | PTE_RW | PTE_US | PTE_A)

static const uint32_t *m2p;
static unsigned long m2p_entries;
static unsigned long *p2m;
static unsigned long l3_mfn;
static unsigned long mapped_end_pfn; /* end of Xen's start-of-day mapping */
static unsigned long pt_pfn, nr_pt_frames; /* Xen's bootstrap page tables */
static unsigned long table_pool_pfn; /* next page-table page, taken downwards */
static unsigned long table_pool_floor;

static unsigned long cur_chunk = ~0UL, cur_l1_mfn;

static char scratch_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static struct mmu_update queue[64];
static unsigned queued;

static unsigned long pte_mfn(uint64_t pte) { return (unsigned long)((pte & PTE_MFN_MASK) >> PAGE_SHIFT); }

static unsigned long mfn_to_pfn(unsigned long mfn)
{
    return mfn < m2p_entries ? m2p[mfn] : ~0UL;
}

/* A bootstrap table is readable at va = pfn << 12; a table of ours is not mapped at all. Its
 * pfn is found through the P2M, not the M2P: the core rewrites the M2P for the next kernel,
 * and the linear memory may still grow after that. */
static const uint64_t *readable_table(unsigned long mfn)
{
    unsigned long i;
    for (i = 0; i < nr_pt_frames; i++)
        if (p2m[pt_pfn + i] == mfn)
            return (const uint64_t *)((pt_pfn + i) << PAGE_SHIFT);
    return NULL;
}

static void flush_queue(void)
{
    unsigned done = 0;
    long rc;
    if (queued == 0)
        return;
    rc = hypercall4(__HYPERVISOR_mmu_update, queue, queued, &done, DOMID_SELF);
    if (rc < 0 || done != queued)
        shim_panic_call("mmu_update while mapping RAM", rc, "reqs count done first_ptr first_val",
                        (unsigned long)queue, queued, done, queue[done < queued ? done : 0].ptr,
                        queue[done < queued ? done : 0].val);
    queued = 0;
}

static void queue_pte(unsigned long table_mfn, unsigned idx, uint64_t val)
{
    queue[queued].ptr = ((uint64_t)table_mfn << PAGE_SHIFT) + idx * 8 + MMU_NORMAL_PT_UPDATE;
    queue[queued].val = val;
    if (++queued == sizeof(queue) / sizeof(queue[0]))
        flush_queue();
}

static void map_at(void *va, uint64_t pte)
{
    long rc = arch_update_va_mapping(va, pte, UVMF_INVLPG);
    if (rc < 0)
        shim_panic_call("update_va_mapping", rc, "va pte flags", (unsigned long)va, pte, UVMF_INVLPG);
}

/* A zeroed page for a new table, with no mapping left anywhere (Xen requires that). */
static unsigned long new_table(void)
{
    unsigned long mfn;
    if (table_pool_pfn <= table_pool_floor)
        shim_panic("out of page-table pages");
    mfn = p2m[--table_pool_pfn];
    map_at(scratch_page, ((uint64_t)mfn << PAGE_SHIFT) | PTE_DATA);
    memset(scratch_page, 0, PAGE_SIZE);
    map_at(scratch_page, ((uint64_t)p2m[(unsigned long)scratch_page >> PAGE_SHIFT] << PAGE_SHIFT) | PTE_DATA);
    return mfn;
}

/* The table under `parent` slot `idx`, made and hooked in with `flags` when absent. */
static unsigned long child_table(unsigned long parent_mfn, unsigned idx, uint64_t flags)
{
    const uint64_t *parent = readable_table(parent_mfn);
    unsigned long mfn;
    if (parent && (parent[idx] & PTE_P))
        return pte_mfn(parent[idx]);
    flush_queue();
    mfn = new_table();
    queue_pte(parent_mfn, idx, ((uint64_t)mfn << PAGE_SHIFT) | flags);
    flush_queue();
    return mfn;
}

static unsigned long l1_for(unsigned long va)
{
    if ((va >> 21) != cur_chunk) {
        /* an L3 entry (a PDPTE) is present-only */
        unsigned long l2_mfn = child_table(l3_mfn, va >> 30, PTE_P);
        cur_chunk = va >> 21;
        cur_l1_mfn = child_table(l2_mfn, (va >> 21) & 511, PTE_TABLE);
    }
    return cur_l1_mfn;
}

void arch_mm_init(struct start_info *si, unsigned long first_free_pfn)
{
    struct xen_machphys_mapping mapping;
    unsigned long pfn;

    long rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_machphys_mapping, &mapping);
    if (rc < 0)
        shim_panic_call("memory_op", rc, "cmd arg", XENMEM_machphys_mapping, (unsigned long)&mapping);
    m2p = (const uint32_t *)mapping.v_start;
    m2p_entries = (mapping.v_end - mapping.v_start) / 4;
    p2m = (unsigned long *)si->mfn_list;
    l3_mfn = p2m[si->pt_base >> PAGE_SHIFT];
    pt_pfn = si->pt_base >> PAGE_SHIFT;
    nr_pt_frames = si->nr_pt_frames;

    /* Find where Xen's mapping ends: the first unmapped page after the bootstrap area. */
    for (pfn = first_free_pfn; pfn < si->nr_pages && pfn < (0xF5800000UL >> PAGE_SHIFT); pfn++) {
        unsigned long va = pfn << PAGE_SHIFT;
        const uint64_t *l3 = readable_table(l3_mfn), *l2, *l1;
        if (!(l3[va >> 30] & PTE_P)) break;
        l2 = readable_table(pte_mfn(l3[va >> 30]));
        if (!l2 || !(l2[(va >> 21) & 511] & PTE_P)) break;
        l1 = readable_table(pte_mfn(l2[(va >> 21) & 511]));
        if (!l1 || !(l1[(va >> 12) & 511] & PTE_P)) break;
    }
    mapped_end_pfn = pfn;
    table_pool_pfn = si->nr_pages;
}

unsigned long arch_mapped_end_pfn(void) { return mapped_end_pfn; }

/* Unmap pfns [pfn, mapped_end_pfn) of Xen's start-of-day mapping: free RAM past the linear
 * memory's initial size. With the %gs segment (runtime.c) the limit stops the core's accesses
 * past the memory's end; with nothing mapped there either, an emulator that does not check
 * segment limits (QEMU's TCG) page-faults on them instead. The memory's growth maps them again
 * (arch_map_ram, which now starts at `pfn`). */
void arch_unmap_ram_tail(unsigned long pfn)
{
    unsigned long end = mapped_end_pfn;
    if (pfn >= end)
        return;
    mapped_end_pfn = pfn;
    for (; pfn < end; pfn++)
        map_at((void *)(pfn << PAGE_SHIFT), 0);
}

void arch_set_table_floor(unsigned long pfn) { table_pool_floor = pfn; }

/* The linear memory is where its pfns are: va = pfn << 12. */
uint8_t *arch_linear_va(unsigned long base_pfn) { return (uint8_t *)(base_pfn << PAGE_SHIFT); }

/* Map pfns [pfn, end) at va = pfn << 12; those Xen mapped already are left alone. */
void arch_map_ram(unsigned long pfn, unsigned long end)
{
    if (pfn < mapped_end_pfn)
        pfn = mapped_end_pfn;
    for (; pfn < end; pfn++) {
        unsigned long va = pfn << PAGE_SHIFT;
        unsigned long l1 = l1_for(va);
        queue_pte(l1, (va >> 12) & 511, ((uint64_t)p2m[pfn] << PAGE_SHIFT) | PTE_DATA);
    }
    flush_queue();
}

int arch_map_frame(void *va, unsigned long mfn, int readonly)
{
    uint64_t pte = ((uint64_t)mfn << PAGE_SHIFT) | (readonly ? PTE_DATA & ~PTE_RW : PTE_DATA);
    return (int)arch_update_va_mapping(va, pte, UVMF_INVLPG);
}

unsigned long arch_pfn_to_mfn(unsigned long pfn) { return p2m[pfn]; }

unsigned long arch_mfn_to_pfn(unsigned long mfn) { return mfn_to_pfn(mfn); }

unsigned long arch_l4_mfn(void) { return l3_mfn; }
