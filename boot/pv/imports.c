/* The imports whose answer is PV's (docs/contract.md): the P2M, the grant table's machine
 * frames, the M2P and page-table updates, the jump through a pinned table, and no memory map.
 * The imports every kind shares are in boot/imports.c. */

#include "wasm-rt.h"
#include "core.h"
#include "../shim.h"
#include "arch.h"

#define XEN struct Z_xen_instance_t *xen __attribute__((unused))

/* The top-level tables pinned through xen.mmuext_op and not unpinned since: start_kernel
 * jumps only to one of them (Xen would take any valid table for NEW_BASEPTR, and the jump
 * cannot come back when it fails). */
#define MAX_PINNED 64
static uint64_t pinned[MAX_PINNED];
static unsigned nr_pinned;

static int is_pinned(uint64_t mfn)
{
    unsigned i;
    for (i = 0; i < nr_pinned; i++)
        if (pinned[i] == mfn)
            return 1;
    return 0;
}

static void note_pin(uint32_t cmd, uint64_t mfn)
{
    unsigned i;
    if (cmd == MMUEXT_UNPIN_TABLE) {
        for (i = 0; i < nr_pinned; i++)
            if (pinned[i] == mfn) {
                pinned[i] = pinned[--nr_pinned];
                return;
            }
    } else if (!is_pinned(mfn) && nr_pinned < MAX_PINNED) {
        pinned[nr_pinned++] = mfn;
    }
}

u64 Z_xenZ_pfn_to_mfn(XEN, u64 pfn)
{
    if (pfn >= start_info->nr_pages)
        return (u64)-1;
    return arch_pfn_to_mfn((unsigned long)pfn);
}

#define MAX_GNTTAB_FRAMES 64

/* Xen writes the frames as xen_pfn_t (4 bytes on x86_32); the core reads u64s. */
u32 Z_xenZ_gnttab_setup_table(XEN, u32 nr, u32 frames)
{
    struct gnttab_setup_table op;
    unsigned long list[MAX_GNTTAB_FRAMES];
    uint64_t *out;
    uint32_t i;
    long rc;
    if (nr == 0 || nr > MAX_GNTTAB_FRAMES)
        return (u32)-EINVAL;
    out = (uint64_t *)linear_array(frames, nr, 8);
    if (!out)
        return (u32)-EFAULT;
    op.frame_list = list;
    op.dom = DOMID_SELF;
    op.nr_frames = nr;
    op.status = 0;
    rc = hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &op, 1);
    if (rc < 0 || op.status != 0)
        return (u32)(rc < 0 ? rc : op.status);
    for (i = 0; i < nr; i++)
        out[i] = list[i];
    return 0;
}

struct mmu_update_req { uint64_t ptr, val; };
struct mmuext_req { uint32_t cmd, pad; uint64_t arg1, arg2; };

u32 Z_xenZ_mmu_update(XEN, u32 reqs, u32 count)
{
    struct mmu_update_req *r = (struct mmu_update_req *)linear_array(reqs, count, 16);
    uint32_t i;
    if (!r)
        return (u32)-EFAULT;
    if (count == 0)
        return 0;
    for (i = 0; i < count; i++)
        if ((r[i].ptr & 7) != MMU_MACHPHYS_UPDATE) /* Xen reads the kind from the low 3 bits */
            return (u32)-EINVAL;
    return (u32)hypercall4(__HYPERVISOR_mmu_update, r, count, NULL, DOMID_SELF);
}

/* The core's 24-byte ops become Xen's in this width (struct mmuext_op: 12 bytes on x86_32). */
u32 Z_xenZ_mmuext_op(XEN, u32 ops, u32 count)
{
    struct mmuext_req *o;
    struct mmuext_op native[64];
    unsigned int done = 0;
    uint32_t i;
    long rc;
    if (count > 64)
        return (u32)-EINVAL;
    o = (struct mmuext_req *)linear_array(ops, count, 24);
    if (!o)
        return (u32)-EFAULT;
    if (count == 0)
        return 0;
    for (i = 0; i < count; i++) {
        if (o[i].cmd != ARCH_PIN_TOP_TABLE && o[i].cmd != MMUEXT_UNPIN_TABLE)
            return (u32)-EINVAL;
        if (o[i].arg1 != (unsigned long)o[i].arg1)
            return (u32)-EINVAL;
        native[i].cmd = o[i].cmd;
        native[i].arg1 = (unsigned long)o[i].arg1;
        native[i].arg2 = 0;
    }
    rc = hypercall4(__HYPERVISOR_mmuext_op, native, count, &done, DOMID_SELF);
    for (i = 0; i < done && i < count; i++) /* Xen stops at the first refused op */
        note_pin(o[i].cmd, o[i].arg1);
    return (u32)rc;
}

/* PV has no memory map to ask for: the core never needs one there (docs/contract.md). */
u32 Z_xenZ_memory_map(XEN, u32 buf, u32 len)
{
    (void)buf;
    (void)len;
    return (u32)-ENOSYS;
}

/* The handoff record (docs/contract.md): l4_mfn @0, entry @8, stack @16, start_info @24,
 * trampoline @32. Everything is checked before anything changes: after the trampoline
 * starts, a refusal by Xen can only crash the domain. */
u32 Z_xenZ_start_kernel(XEN, u32 handoff, u32 len)
{
    const uint8_t *r = linear_ptr(handoff, len);
    uint64_t l4, entry, stack, si;
    uint32_t tramp;
    uint8_t *page;
    if (!r)
        return (u32)-EFAULT;
    if (len < 64)
        return (u32)-EINVAL;
    memcpy(&l4, r, 8);
    memcpy(&entry, r + 8, 8);
    memcpy(&stack, r + 16, 8);
    memcpy(&si, r + 24, 8);
    memcpy(&tramp, r + 32, 4);
    if (!is_pinned(l4))
        return (u32)-EINVAL;
    page = linear_ptr(tramp, PAGE_SIZE);
    if (!page || (tramp & (PAGE_SIZE - 1)))
        return (u32)-EINVAL;
    shim_debug_fault_at_jump();
    arch_start_kernel(page, l4, entry, stack, si);
}
