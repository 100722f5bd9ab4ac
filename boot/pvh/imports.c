/* The imports whose answer is PVH's (docs/contract.md, "PVH"): frames are guest frames (no
 * P2M), the grant table's frames are placed with XENMEM_add_to_physmap in the shim's hole, no
 * PV MMU (mmu_update and mmuext_op answer -ENOSYS), the memory map from XENMEM_memory_map, and
 * the jump at the next kernel's PHYS32 entry (boot/pvh/trampoline.S). The imports every kind
 * shares are in boot/imports.c. */

#include <string.h>
#include "wasm-rt.h"
#include "core.h"
#include "../shim.h"
#include "arch.h"
#include "pvh.h"

#define XEN struct Z_xen_instance_t *xen __attribute__((unused))

u64 Z_xenZ_pfn_to_mfn(XEN, u64 pfn)
{
    return pfn == (unsigned long)pfn && pvh_ram_pfn((unsigned long)pfn) ? pfn : (u64)-1;
}

/* Grant table frame i at the hole's frame 1 + i, placed once; the u64 "mfns" are those gfns. */
u32 Z_xenZ_gnttab_setup_table(XEN, u32 nr, u32 frames)
{
    uint64_t *out;
    uint32_t i;
    if (nr == 0 || nr > PVH_MAX_GNTTAB_FRAMES)
        return (u32)-EINVAL;
    out = (uint64_t *)linear_array(frames, nr, 8);
    if (!out)
        return (u32)-EFAULT;
    for (i = pvh_nr_gnttab_placed; i < nr; i++) {
        long rc = pvh_add_to_physmap(XENMAPSPACE_grant_table, i, pvh_hole_pfn + 1 + i);
        if (rc < 0)
            return (u32)rc;
        pvh_nr_gnttab_placed = i + 1;
    }
    for (i = 0; i < nr; i++)
        out[i] = pvh_hole_pfn + 1 + i;
    return 0;
}

u32 Z_xenZ_mmu_update(XEN, u32 reqs, u32 count)
{
    return (u32)-ENOSYS;
}

u32 Z_xenZ_mmuext_op(XEN, u32 ops, u32 count)
{
    return (u32)-ENOSYS;
}

/* Entries of 24 bytes {u64 addr; u64 size; u32 type; u32 0}, as hvm_memmap_table_entry. */
u32 Z_xenZ_memory_map(XEN, u32 buf, u32 len)
{
    uint8_t *p = linear_ptr(buf, len);
    uint32_t n, i, zero = 0;
    if (len < 24)
        return (u32)-EINVAL;
    if (!p)
        return (u32)-EFAULT;
    n = len / 24 < pvh_nr_e820 ? len / 24 : pvh_nr_e820;
    for (i = 0; i < n; i++) {
        memcpy(p + i * 24, &pvh_e820[i].addr, 8);
        memcpy(p + i * 24 + 8, &pvh_e820[i].size, 8);
        memcpy(p + i * 24 + 16, &pvh_e820[i].type, 4);
        memcpy(p + i * 24 + 20, &zero, 4);
    }
    return n;
}

/* The trampoline page (boot/pvh/trampoline.S): code, then the copies as 12-byte records. */
#define TRAMP_COUNT 0x3e8
#define TRAMP_START_INFO 0x3ec
#define TRAMP_COPIES 0x400
#define MAX_COPIES 256
struct tramp_copy { uint32_t dst, src, len; };
_Static_assert(TRAMP_COPIES + MAX_COPIES * sizeof(struct tramp_copy) <= PAGE_SIZE, "trampoline page");

extern const char pvh_trampoline_start[], pvh_trampoline_end[], pvh_trampoline_jump[];

static int in_ram(uint64_t pa, uint64_t len)
{
    uint64_t pfn;
    if (pa >= (1ULL << 32) || len > (1ULL << 32) - pa)
        return 0;
    for (pfn = pa >> PAGE_SHIFT; pfn < (pa + len + PAGE_SIZE - 1) >> PAGE_SHIFT; pfn++)
        if (!pvh_ram_pfn((unsigned long)pfn))
            return 0;
    return 1;
}

/* The handoff record for kind 2 (docs/contract.md): start_info @0, entry @8, copies @16,
 * nr_copies @20, trampoline @32. Everything is checked before anything changes; then the
 * borrowed frames go back, and the trampoline does the copies with paging off and jumps. */
u32 Z_xenZ_start_kernel(XEN, u32 handoff, u32 len)
{
    const uint8_t *r = linear_ptr(handoff, len);
    uint64_t si, entry, reserved = 0, v;
    uint32_t copies, nr, tramp, i, w;
    const uint8_t *c;
    uint8_t *page;
    struct tramp_copy *out;
    unsigned long linear_pa = linear_base_pfn << PAGE_SHIFT;
    void (*run)(void);

    if (!r)
        return (u32)-EFAULT;
    if (len < 64)
        return (u32)-EINVAL;
    memcpy(&si, r, 8);
    memcpy(&entry, r + 8, 8);
    memcpy(&copies, r + 16, 4);
    memcpy(&nr, r + 20, 4);
    memcpy(&tramp, r + 32, 4);
    memcpy(&v, r + 24, 8), reserved |= v;
    memcpy(&w, r + 36, 4), reserved |= w;
    memcpy(&v, r + 56, 8), reserved |= v;
    if (reserved || nr == 0 || nr > MAX_COPIES || entry >= (1ULL << 32) || (tramp & (PAGE_SIZE - 1)))
        return (u32)-EINVAL;
    c = linear_array(copies, nr, 16);
    /* The trampoline leaves long mode: it runs from the page's 1:1 address (the core's own
     * view of its memory is the alias, boot/pvh/mm.c). */
    page = linear_ptr(tramp, PAGE_SIZE) ? (uint8_t *)(linear_pa + tramp) : NULL;
    if (!c || !page || !in_ram(si, sizeof(struct hvm_start_info)) || !in_ram(entry, 1))
        return (u32)-EFAULT;
    for (i = 0; i < nr; i++) {
        uint64_t dst;
        uint32_t src, n;
        memcpy(&dst, c + i * 16, 8);
        memcpy(&src, c + i * 16 + 8, 4);
        memcpy(&n, c + i * 16 + 12, 4);
        if (!in_ram(dst, n) || (src != 0xffffffffU && !linear_ptr(src, n)))
            return (u32)-EFAULT;
    }

    shim_debug_fault_at_jump();
    /* The frames borrowed from the hole go back: the next kernel places its own. */
    for (i = 0; i < pvh_nr_gnttab_placed; i++) {
        long rc = pvh_remove_from_physmap(pvh_hole_pfn + 1 + i);
        if (rc < 0)
            shim_panic_call("memory_op(XENMEM_remove_from_physmap grant frame)", rc, "gpfn", pvh_hole_pfn + 1 + i);
    }
    pvh_nr_gnttab_placed = 0;
    if (pvh_shared_info_placed) {
        long rc = pvh_remove_from_physmap(pvh_hole_pfn);
        if (rc < 0)
            shim_panic_call("memory_op(XENMEM_remove_from_physmap shared_info)", rc, "gpfn", pvh_hole_pfn);
        pvh_shared_info_placed = 0;
    }

    /* The copies move into the trampoline page (a copy may overwrite the core's list). */
    memset(page, 0, PAGE_SIZE);
    memcpy(page, pvh_trampoline_start, pvh_trampoline_end - pvh_trampoline_start);
    out = (struct tramp_copy *)(page + TRAMP_COPIES);
    for (i = 0; i < nr; i++) {
        uint64_t dst;
        uint32_t src;
        memcpy(&dst, c + i * 16, 8);
        memcpy(&src, c + i * 16 + 8, 4);
        out[i].dst = (uint32_t)dst;
        out[i].src = src == 0xffffffffU ? src : (uint32_t)(linear_pa + src);
        memcpy(&out[i].len, c + i * 16 + 12, 4);
    }
    memcpy(page + TRAMP_COUNT, &nr, 4);
    w = (uint32_t)si;
    memcpy(page + TRAMP_START_INFO, &w, 4);
    w = (uint32_t)entry; /* ljmp's offset, after its opcode byte */
    memcpy(page + (pvh_trampoline_jump - pvh_trampoline_start) + 1, &w, 4);
    cpu_mb();
    run = (void (*)(void))(void *)page;
    run();
    for (;;)
        ;
}
