/* x86_32: the core's linear memory as the %gs segment. The image's core is built with
 * PVBOOT_SEGMENT_MEMORY (scripts/wasm2c-segment.mjs): each of its loads and stores is one move
 * relative to %gs, unchecked. Here %gs gets a data segment whose base is the memory and whose
 * limit is its size, so that an access past the end is a #GP, which boot/runtime.c
 * (runtime_guard_fault) reports as the wasm trap. Each load of %gs is checked with lsl: the CPU
 * must hold the limit written. (QEMU's TCG reads the descriptor but checks no access against
 * its limit: there the pages past the memory's end, left unmapped, catch what they can.)
 *
 * The descriptor is the one entry of an LDT of ours: a page of the image, written, then mapped
 * read-only (Xen takes a page as an LDT only while it has no writable mapping), and installed
 * with MMUEXT_SET_LDT. Each growth rewrites the entry with update_descriptor and loads %gs again:
 * the CPU keeps the limit it read when the selector was loaded.
 *
 * The memory's first CORE_SEGMENT_HOLE bytes (the Makefile takes it from the core's C), below the
 * core's data, are unmapped: a 32-bit address + offset that passed 4 GiB wraps to there, and
 * its page fault is the wasm trap too. Their frames stay the domain's, for the next kernel as
 * any other.
 *
 * At the jump (arch_start_kernel) %gs is null again, the LDT gone and its page writable: the
 * next kernel starts without any of it, as a new domain does. */

#include "../xen.h"
#include "../shim.h"
#include "hypercall.h"

#if PVBOOT_SEGMENT_MEMORY /* the probe's image keeps wasm2c's checks */

#define __HYPERVISOR_update_descriptor 10
#define MMUEXT_SET_LDT 13

/* LDT entry 0 (bit 2: the LDT), requested privilege 1: a 32-bit PV kernel runs in ring 1. */
#define MEMORY_SELECTOR 0x5

/* Bits of a descriptor's upper word. */
#define DESC_DATA_RW_ACCESSED (0x3U << 8) /* accessed already: the CPU never writes the page */
#define DESC_S (1U << 12)                 /* code or data, not a system segment */
#define DESC_DPL1 (1U << 13)
#define DESC_P (1U << 15)
#define DESC_DB (1U << 22) /* 32-bit */
#define DESC_G (1U << 23)  /* the limit counts 4 KiB pages */

static uint64_t ldt[PAGE_SIZE / sizeof(uint64_t)] __attribute__((aligned(PAGE_SIZE)));
static int installed;

/* A read/write data segment over [base, base + size), size a whole number of pages. */
static uint64_t memory_descriptor(uint32_t base, uint64_t size)
{
    uint32_t limit = (uint32_t)(size >> PAGE_SHIFT) - 1;
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | DESC_DATA_RW_ACCESSED | DESC_S | DESC_DPL1 | DESC_P |
                  (limit & 0xf0000) | DESC_DB | DESC_G | (base & 0xff000000);
    return ((uint64_t)hi << 32) | lo;
}

static void load_gs(uint16_t selector)
{
    __asm__ volatile("movw %0, %%gs" ::"r"(selector) : "memory");
}

/* The limit the CPU holds for %gs (lsl: from the descriptor, as the selector's next load would
 * read it), or 0 when it takes none. */
static uint32_t gs_limit(void)
{
    uint32_t limit = 0;
    __asm__ volatile("lsl %1, %0" : "+r"(limit) : "r"((uint32_t)MEMORY_SELECTOR) : "cc");
    return limit;
}

/* Load %gs and check the limit it took: the whole memory, and not a byte more. */
static void load_memory_segment(uint8_t *base, uint64_t size)
{
    uint32_t limit;
    load_gs(MEMORY_SELECTOR);
    limit = gs_limit();
    if (limit != size - 1) {
        shim_puts("pvboot: %gs took the limit ");
        shim_put_hex(limit);
        shim_puts(" for the linear memory at ");
        shim_put_hex((unsigned long)base);
        shim_puts(", ");
        shim_put_hex(size);
        shim_puts(" bytes\r\n");
        shim_panic("the segment for the linear memory is not the one written");
    }
}

static void set_ldt(void *va, unsigned entries)
{
    struct mmuext_op op = { MMUEXT_SET_LDT, (unsigned long)va, entries };
    long rc = hypercall4(__HYPERVISOR_mmuext_op, &op, 1, NULL, DOMID_SELF);
    if (rc < 0)
        shim_panic_call("mmuext_op SET_LDT", rc, "va entries", (unsigned long)va, entries);
}

static unsigned long ldt_mfn(void) { return arch_pfn_to_mfn((unsigned long)ldt >> PAGE_SHIFT); }

static void map_ldt(int readonly)
{
    unsigned long mfn = ldt_mfn();
    long rc = arch_map_frame(ldt, mfn, readonly);
    if (rc < 0)
        shim_panic_call("update_va_mapping of the LDT", rc, "va mfn readonly", (unsigned long)ldt, mfn, readonly);
}

void arch_segment_init(uint8_t *base, uint64_t size)
{
    unsigned long off;
    if (size < PAGE_SIZE || (size & (PAGE_SIZE - 1)) || (uint64_t)(uintptr_t)base + size > 0x100000000ULL)
        shim_panic("the linear memory does not fit a 32-bit segment");
    for (off = 0; off < CORE_SEGMENT_HOLE; off += PAGE_SIZE) {
        long rc = arch_update_va_mapping(base + off, 0, UVMF_INVLPG);
        if (rc < 0)
            shim_panic_call("update_va_mapping of the segment's hole", rc, "va", (unsigned long)(base + off));
    }
    ldt[0] = memory_descriptor((uint32_t)(uintptr_t)base, size);
    map_ldt(1);
    set_ldt(ldt, 1);
    load_memory_segment(base, size);
    installed = 1;
}

void arch_segment_resize(uint8_t *base, uint64_t size)
{
    uint64_t ma = (uint64_t)ldt_mfn() << PAGE_SHIFT;
    uint64_t desc = memory_descriptor((uint32_t)(uintptr_t)base, size);
    long rc;
    if (!installed)
        return;
    /* the descriptor's machine address and the descriptor, each as two words, low first */
    rc = hypercall4(__HYPERVISOR_update_descriptor, (uint32_t)ma, (uint32_t)(ma >> 32), (uint32_t)desc,
                    (uint32_t)(desc >> 32));
    if (rc < 0)
        shim_panic_call("update_descriptor", rc, "ma desc", ma, desc);
    load_memory_segment(base, size);
}

/* Whether %gs holds the memory's selector: a #GP of a %gs move is the core's access out of
 * bounds only then. */
int arch_segment_loaded(void)
{
    uint16_t selector;
    __asm__ volatile("movw %%gs, %0" : "=r"(selector));
    return installed && selector == MEMORY_SELECTOR;
}

void arch_segment_release(void)
{
    if (!installed)
        return;
    load_gs(0);
    set_ldt(NULL, 0);
    map_ldt(0);
    installed = 0;
}
#endif
