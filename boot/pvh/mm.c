/* PVH page tables: the first 4 GiB mapped 1:1 with 2 MiB pages (boot/pvh/head.S). Mapping a
 * frame over one 4 KiB page (xen.map_frame) first splits its 2 MiB page into a table of 512
 * 4 KiB entries, from a pool in the image; unmapping puts the page's own frame back. There is
 * no P2M: a guest frame number is the frame (gfn = pfn), so the translations are identities. */

#include <string.h>
#include "../xen.h"
#include "../shim.h"
#include "arch.h"
#include "pvh.h"

#define PTE_P 0x001UL
#define PTE_RW 0x002UL
#define PTE_PS 0x080UL
#define PTE_ADDR 0x000ffffffffff000UL
#define SPLIT_POOL 64 /* 2 MiB regions with a frame mapped over a page: 128 MiB's worth */

extern uint64_t pvh_pd[4 * 512];
static uint64_t split_tables[SPLIT_POOL][512] __attribute__((aligned(PAGE_SIZE)));
static unsigned nr_split;

static void invlpg(void *va)
{
    __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
}

static void flush_tlb(void)
{
    unsigned long cr3;
    __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) :: "memory");
}

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

unsigned long arch_pfn_to_mfn(unsigned long pfn) { return pfn; }

unsigned long arch_mfn_to_pfn(unsigned long mfn) { return mfn; }

/* The linear memory lies in RAM below 4 GiB (boot/pvh/main.c), mapped from the start. */
void arch_map_ram(unsigned long pfn, unsigned long end)
{
    if (end > (1UL << (32 - PAGE_SHIFT)))
        shim_panic_call("the linear memory reaches past 4 GiB", -EINVAL, "pfn end", pfn, end);
}
