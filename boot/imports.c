/* The imports the core calls (docs/contract.md), natively. Pointers are offsets into the
 * linear memory, checked and translated here; everything else passes straight to Xen. */

#include "wasm-rt.h"
#include "core.h"
#include "shim.h"
#include "arch.h"

struct Z_xen_instance_t { int unused; };
struct Z_env_instance_t { int unused; };

wasm_rt_memory_t core_memory;

wasm_rt_memory_t *Z_envZ_memory(struct Z_env_instance_t *env)
{
    (void)env;
    return &core_memory;
}

#define XEN struct Z_xen_instance_t *xen __attribute__((unused))

static void *page_va(uint32_t offset)
{
    if (offset & (PAGE_SIZE - 1))
        return NULL;
    return linear_ptr(offset, PAGE_SIZE);
}

u32 Z_xenZ_guest_kind(XEN)
{
    return ARCH_GUEST_KIND;
}

u64 Z_xenZ_start_info_mfn(XEN)
{
    return arch_pfn_to_mfn((unsigned long)start_info >> PAGE_SHIFT);
}

u64 Z_xenZ_mfn_of(XEN, u32 offset)
{
    if (!linear_ptr(offset, 1))
        return (u64)-1;
    return arch_pfn_to_mfn(linear_base_pfn + (offset >> PAGE_SHIFT));
}

u64 Z_xenZ_pfn_to_mfn(XEN, u64 pfn)
{
    if (pfn >= start_info->nr_pages)
        return (u64)-1;
    return arch_pfn_to_mfn((unsigned long)pfn);
}

u32 Z_xenZ_map_frame(XEN, u32 offset, u64 mfn, u32 flags)
{
    void *va = page_va(offset);
    if (!va)
        return (u32)-EINVAL;
    return (u32)arch_map_frame(va, mfn, flags & 1);
}

u32 Z_xenZ_unmap_frame(XEN, u32 offset)
{
    void *va = page_va(offset);
    if (!va)
        return (u32)-EINVAL;
    return (u32)arch_map_frame(va, arch_pfn_to_mfn(linear_base_pfn + (offset >> PAGE_SHIFT)), 0);
}

u32 Z_xenZ_event_channel_op(XEN, u32 cmd, u32 arg, u32 len)
{
    void *p = linear_ptr(arg, len);
    if (!p)
        return (u32)-EFAULT;
    return (u32)hypercall2(__HYPERVISOR_event_channel_op, cmd, p);
}

u32 Z_xenZ_sched_op(XEN, u32 cmd, u32 arg, u32 len)
{
    void *p = linear_ptr(arg, len);
    if (cmd == SCHEDOP_poll)
        return (u32)-EINVAL;
    if (!p)
        return (u32)-EFAULT;
    return (u32)hypercall2(__HYPERVISOR_sched_op, cmd, p);
}

u32 Z_xenZ_sched_poll(XEN, u32 ports, u32 nr, u64 timeout)
{
    struct sched_poll poll;
    poll.ports = (uint32_t *)linear_ptr(ports, nr * 4);
    if (!poll.ports || nr == 0 || nr > 128)
        return (u32)-EFAULT;
    poll.nr_ports = nr;
    poll.timeout = timeout;
    return (u32)hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, &poll);
}

u32 Z_xenZ_xen_version(XEN, u32 cmd, u32 arg, u32 len)
{
    void *p = linear_ptr(arg, len);
    if (!p)
        return (u32)-EFAULT;
    return (u32)hypercall2(__HYPERVISOR_xen_version, cmd, len ? p : NULL);
}

u32 Z_xenZ_console_io_write(XEN, u32 buf, u32 len)
{
    void *p = linear_ptr(buf, len);
    if (!p)
        return (u32)-EFAULT;
    return (u32)hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, len, p);
}

u64 Z_xenZ_clock_ns(XEN)
{
    return shim_clock_ns();
}

void Z_xenZ_mb(XEN)
{
    cpu_mb();
}

u32 Z_xenZ_atomic_clear_bit(XEN, u32 offset, u32 bit)
{
    void *p = linear_ptr(offset, 8);
    if (!p || (offset & 7) || bit > 63)
        return (u32)-EINVAL;
    return (u32)atomic_test_and_clear_bit64(p, bit);
}

u32 Z_xenZ_atomic_cmpxchg16(XEN, u32 offset, u32 expected, u32 replacement)
{
    uint16_t *p = (uint16_t *)linear_ptr(offset, 2);
    if (!p || (offset & 1))
        return (u32)-1;
    return atomic_cmpxchg16(p, (uint16_t)expected, (uint16_t)replacement);
}

#define MAX_GNTTAB_FRAMES 64

/* Xen writes the frames as xen_pfn_t (4 bytes on x86_32); the core reads u64s. */
u32 Z_xenZ_gnttab_setup_table(XEN, u32 nr, u32 frames)
{
    struct gnttab_setup_table op;
    unsigned long list[MAX_GNTTAB_FRAMES];
    uint64_t *out = (uint64_t *)linear_ptr(frames, nr * 8);
    uint32_t i;
    long rc;
    if (!out || nr == 0)
        return (u32)-EFAULT;
    if (nr > MAX_GNTTAB_FRAMES)
        return (u32)-EINVAL;
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

u32 Z_xenZ_grant_table_op(XEN, u32 cmd, u32 arg, u32 len, u32 count)
{
    void *p = linear_ptr(arg, len);
    if (cmd != GNTTABOP_query_size && cmd != GNTTABOP_set_version && cmd != GNTTABOP_get_version)
        return (u32)-EINVAL;
    if (!p)
        return (u32)-EFAULT;
    return (u32)hypercall3(__HYPERVISOR_grant_table_op, cmd, p, count);
}

u64 Z_xenZ_pfn_of(XEN, u32 offset)
{
    if (!linear_ptr(offset, 1))
        return (u64)-1;
    return linear_base_pfn + (offset >> PAGE_SHIFT);
}

u64 Z_xenZ_va_of(XEN, u32 offset)
{
    uint8_t *p = linear_ptr(offset, 1);
    return p ? (u64)(unsigned long)p : (u64)-1;
}

u32 Z_xenZ_hypercall_page(XEN, u32 dst)
{
    uint8_t *p = linear_ptr(dst, PAGE_SIZE);
    if (!p)
        return (u32)-EFAULT;
    memcpy(p, hypercall_page, PAGE_SIZE);
    return 0;
}

struct mmu_update_req { uint64_t ptr, val; };
struct mmuext_req { uint32_t cmd, pad; uint64_t arg1, arg2; };

u32 Z_xenZ_mmu_update(XEN, u32 reqs, u32 count)
{
    struct mmu_update_req *r;
    uint32_t i;
    if (count == 0 || count > (1u << 24))
        return (u32)-EINVAL;
    r = (struct mmu_update_req *)linear_ptr(reqs, count * 16);
    if (!r)
        return (u32)-EFAULT;
    for (i = 0; i < count; i++)
        if ((r[i].ptr & 3) != MMU_MACHPHYS_UPDATE)
            return (u32)-EINVAL;
    return (u32)hypercall4(__HYPERVISOR_mmu_update, r, count, NULL, DOMID_SELF);
}

/* The core's 24-byte ops become Xen's in this width (struct mmuext_op: 12 bytes on x86_32). */
u32 Z_xenZ_mmuext_op(XEN, u32 ops, u32 count)
{
    struct mmuext_req *o;
    struct mmuext_op native[64];
    uint32_t i;
    if (count == 0 || count > 64)
        return (u32)-EINVAL;
    o = (struct mmuext_req *)linear_ptr(ops, count * 24);
    if (!o)
        return (u32)-EFAULT;
    for (i = 0; i < count; i++) {
        if (o[i].cmd != ARCH_PIN_TOP_TABLE && o[i].cmd != MMUEXT_UNPIN_TABLE)
            return (u32)-EINVAL;
        if (o[i].arg1 != (unsigned long)o[i].arg1)
            return (u32)-EINVAL;
        native[i].cmd = o[i].cmd;
        native[i].arg1 = (unsigned long)o[i].arg1;
        native[i].arg2 = 0;
    }
    return (u32)hypercall4(__HYPERVISOR_mmuext_op, native, count, NULL, DOMID_SELF);
}

u32 Z_xenZ_set_timer_op(XEN, u64 timeout)
{
    return (u32)arch_set_timer_op(timeout);
}

/* The handoff record (docs/contract.md): l4_mfn @0, entry @8, stack @16, start_info @24,
 * trampoline @32. */
u32 Z_xenZ_start_kernel(XEN, u32 handoff, u32 len)
{
    const uint8_t *r = linear_ptr(handoff, len);
    uint64_t l4, entry, stack, si;
    uint32_t tramp;
    uint8_t *page;
    if (!r || len < 64)
        return (u32)-EFAULT;
    memcpy(&l4, r, 8);
    memcpy(&entry, r + 8, 8);
    memcpy(&stack, r + 16, 8);
    memcpy(&si, r + 24, 8);
    memcpy(&tramp, r + 32, 4);
    page = linear_ptr(tramp, PAGE_SIZE);
    if (!page || (tramp & (PAGE_SIZE - 1)))
        return (u32)-EINVAL;
    shim_debug_fault_at_jump();
    arch_start_kernel(page, l4, entry, stack, si);
}
