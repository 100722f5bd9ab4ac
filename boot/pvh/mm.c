/* PVH page tables: the first 4 GiB mapped 1:1 with 2 MiB pages (boot/pvh/head.S). There is no
 * P2M: a guest frame number is the frame (gfn = pfn), so the translations are identities.
 *
 * Without guard pages (the probe: Makefile, MEMCHECK_probe) the core's linear memory is used
 * where the identity map has it, and mapping a frame over one of its 4 KiB pages
 * (xen.map_frame) first splits the 2 MiB page into a table of 512 4 KiB entries, from a pool in
 * the image; unmapping puts the page's own frame back.
 *
 * With guard pages (pvboot-pvh.elf: MEMCHECK_pvh) the identity map cannot serve, since it maps
 * RAM past the memory's end. The memory gets a second mapping of its own, the alias, in
 * PML4 slot 1 (512 GiB up): frames are mapped there only as the memory grows to them (2 MiB
 * pages where a whole 2 MiB lies inside, a table from the pool for the partial one at each
 * end), and the 8 GiB above the memory's end that wasm2c's unchecked accesses can reach stay
 * unmapped, so an access out of bounds page-faults (boot/runtime.c, runtime_guard_fault).
 * xen.map_frame maps over the alias's pages; the identity map of the same frames stays as it
 * is (the trampoline runs and copies through it, boot/pvh/imports.c). */

#include <string.h>
#include "../xen.h"
#include "../shim.h"
#include "arch.h"
#include "pvh.h"

#define PTE_P 0x001UL
#define PTE_RW 0x002UL
#define PTE_PS 0x080UL
#define PTE_ADDR 0x000ffffffffff000UL
#define SPLIT_POOL 64 /* tables of 2 MiB regions mapped page by page: 128 MiB's worth */

extern uint64_t pvh_pd[4 * 512];
static uint64_t split_tables[SPLIT_POOL][512] __attribute__((aligned(PAGE_SIZE)));

static void invlpg(void *va)
{
    __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
}

static void flush_tlb(void)
{
    unsigned long cr3;
    __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) :: "memory");
}

#if WASM_RT_MEMCHECK_SIGNAL_HANDLER

#define ALIAS_VA (1UL << 39) /* PML4 slot 1 */
#define CHUNK_FRAMES 512UL   /* a 2 MiB page */

extern uint64_t pvh_pml4[512];
static uint64_t alias_pdpt[512] __attribute__((aligned(PAGE_SIZE)));
/* 4 GiB of alias: the memory lies below 4 GiB, from a frame at most 2 MiB past alias_base_pfn. */
static uint64_t alias_pd[4 * 512] __attribute__((aligned(PAGE_SIZE)));
static unsigned long alias_base_pfn; /* the 2 MiB frame the alias's first page maps */
static unsigned long alias_end_pfn;  /* frames below this are the memory's (or below its start) */
static unsigned char table_used[SPLIT_POOL];

static uint64_t *table_get(void)
{
    unsigned i;
    for (i = 0; i < SPLIT_POOL; i++)
        if (!table_used[i]) {
            table_used[i] = 1;
            memset(split_tables[i], 0, PAGE_SIZE);
            return split_tables[i];
        }
    return NULL;
}

static void table_put(uint64_t *table)
{
    table_used[(table - split_tables[0]) / 512] = 0;
}

static uint64_t own_pte(unsigned long pfn) { return (pfn << PAGE_SHIFT) | PTE_P | PTE_RW; }

/* A chunk inside the memory whose table maps only its own frames becomes a 2 MiB page again,
 * so that the pool serves the chunks at the ends and those with a frame mapped over a page. */
static void chunk_merge(unsigned long chunk)
{
    unsigned long start = alias_base_pfn + chunk * CHUNK_FRAMES;
    uint64_t *table;
    unsigned i;
    if (!(alias_pd[chunk] & PTE_P) || (alias_pd[chunk] & PTE_PS) || start + CHUNK_FRAMES > alias_end_pfn)
        return;
    table = (uint64_t *)(alias_pd[chunk] & PTE_ADDR);
    for (i = 0; i < CHUNK_FRAMES; i++)
        if (table[i] != own_pte(start + i))
            return;
    alias_pd[chunk] = (start << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_PS;
    flush_tlb();
    table_put(table);
}

/* The alias's table for `chunk`, made from its 2 MiB page (or from nothing) first. */
static uint64_t *chunk_table(unsigned long chunk)
{
    unsigned long start = alias_base_pfn + chunk * CHUNK_FRAMES;
    uint64_t *table;
    unsigned i;
    if ((alias_pd[chunk] & PTE_P) && !(alias_pd[chunk] & PTE_PS))
        return (uint64_t *)(alias_pd[chunk] & PTE_ADDR);
    table = table_get();
    if (!table)
        return NULL;
    if (alias_pd[chunk] & PTE_P)
        for (i = 0; i < CHUNK_FRAMES; i++)
            table[i] = own_pte(start + i);
    alias_pd[chunk] = (unsigned long)table | PTE_P | PTE_RW;
    flush_tlb();
    return table;
}

/* The linear memory's address: the alias, at the same offset into its 2 MiB as the frame. */
uint8_t *arch_linear_va(unsigned long base_pfn)
{
    unsigned i;
    alias_base_pfn = base_pfn & ~(CHUNK_FRAMES - 1);
    alias_end_pfn = base_pfn;
    for (i = 0; i < 4; i++)
        alias_pdpt[i] = (unsigned long)&alias_pd[i * 512] | PTE_P | PTE_RW;
    pvh_pml4[1] = (unsigned long)alias_pdpt | PTE_P | PTE_RW;
    flush_tlb();
    return (uint8_t *)(ALIAS_VA + ((base_pfn - alias_base_pfn) << PAGE_SHIFT));
}

/* Nothing past the memory's start is in the alias until the memory grows to it. */
void arch_unmap_ram_tail(unsigned long pfn) { (void)pfn; }

/* The memory grew to frame `end`: the alias maps it up to there. */
void arch_map_ram(unsigned long pfn, unsigned long end)
{
    unsigned long f = alias_end_pfn, chunk, start;
    uint64_t *table;
    if (end > (1UL << (32 - PAGE_SHIFT)) || pfn != alias_end_pfn)
        shim_panic_call("the linear memory grows out of order or past 4 GiB", -EINVAL, "pfn end", pfn, end);
    while (f < end) {
        chunk = (f - alias_base_pfn) / CHUNK_FRAMES;
        start = alias_base_pfn + chunk * CHUNK_FRAMES;
        if (f == start && start + CHUNK_FRAMES <= end && !(alias_pd[chunk] & PTE_P)) {
            alias_pd[chunk] = (start << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_PS;
            f = start + CHUNK_FRAMES;
            continue;
        }
        table = chunk_table(chunk);
        if (!table)
            shim_panic_call("no page table left for the linear memory's alias", -ENOMEM, "pfn end", f, end);
        for (; f < end && f < start + CHUNK_FRAMES; f++)
            table[f - start] = own_pte(f);
    }
    alias_end_pfn = end;
    flush_tlb();
    chunk_merge((pfn - alias_base_pfn) / CHUNK_FRAMES);
}

int arch_map_frame(void *va, unsigned long gfn, int readonly)
{
    unsigned long index = ((unsigned long)va - ALIAS_VA) >> PAGE_SHIFT, chunk;
    uint64_t *table;
    if ((unsigned long)va < ALIAS_VA || ((unsigned long)va & (PAGE_SIZE - 1)) ||
        alias_base_pfn + index >= alias_end_pfn)
        return -EINVAL;
    if (!pvh_frame_known(gfn))
        return -EINVAL;
    chunk = index / CHUNK_FRAMES;
    table = chunk_table(chunk);
    if (!table)
        return -ENOMEM;
    table[index % CHUNK_FRAMES] = (gfn << PAGE_SHIFT) | PTE_P | (readonly ? 0 : PTE_RW);
    invlpg(va);
    chunk_merge(chunk);
    return 0;
}

#else /* the identity map */

static unsigned nr_split;

/* The 4 KiB entry that maps va (< 4 GiB), splitting its 2 MiB page first; NULL when the pool
 * is used up. */
static uint64_t *pte_of(unsigned long va)
{
    uint64_t *pde = &pvh_pd[va >> 21];
    uint64_t *table;
    unsigned i;
    if (!(*pde & PTE_PS))
        return (uint64_t *)(*pde & PTE_ADDR) + ((va >> 12) & 511);
    if (nr_split == SPLIT_POOL)
        return NULL;
    table = split_tables[nr_split++];
    for (i = 0; i < 512; i++)
        table[i] = ((*pde & PTE_ADDR) + ((unsigned long)i << PAGE_SHIFT)) | PTE_P | PTE_RW;
    *pde = (unsigned long)table | PTE_P | PTE_RW;
    flush_tlb();
    return table + ((va >> 12) & 511);
}

uint8_t *arch_linear_va(unsigned long base_pfn)
{
    return (uint8_t *)(base_pfn << PAGE_SHIFT);
}

int arch_map_frame(void *va, unsigned long gfn, int readonly)
{
    uint64_t *pte;
    if ((unsigned long)va >= (1UL << 32) || ((unsigned long)va & (PAGE_SIZE - 1)))
        return -EINVAL;
    if (!pvh_frame_known(gfn))
        return -EINVAL;
    pte = pte_of((unsigned long)va);
    if (!pte)
        return -ENOMEM;
    *pte = (gfn << PAGE_SHIFT) | PTE_P | (readonly ? 0 : PTE_RW);
    invlpg(va);
    return 0;
}

/* The linear memory lies in RAM below 4 GiB (boot/pvh/main.c), mapped from the start. */
void arch_map_ram(unsigned long pfn, unsigned long end)
{
    if (end > (1UL << (32 - PAGE_SHIFT)))
        shim_panic_call("the linear memory reaches past 4 GiB", -EINVAL, "pfn end", pfn, end);
}

#endif

unsigned long arch_pfn_to_mfn(unsigned long pfn) { return pfn; }

unsigned long arch_mfn_to_pfn(unsigned long mfn) { return mfn; }
