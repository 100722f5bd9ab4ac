/* The imports the core calls (docs/contract.md), natively. Pointers are offsets into the
 * linear memory, checked and translated here. Each import carries only the commands the
 * contract names, with each struct's length checked before Xen writes it: what Xen would
 * do without harm (an unknown frame, a closed port) is left to Xen and comes back as its
 * errno; what it would do and the domain could not survive (SCHEDOP_block with events
 * masked, EVTCHNOP_reset, a suspend, a jump to a table nobody pinned) is refused here.
 * The emulator (test/harness/imports.ts) answers the same; test/xen/contract.test.ts
 * compares the two on the table of src/debug/contract.ts. */

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

/* `count` elements of `size` bytes at `offset`, or NULL (no u32 overflow). */
static void *linear_array(uint32_t offset, uint32_t count, uint32_t size)
{
    uint64_t len = (uint64_t)count * size;
    if (len > 0xffffffffULL)
        return NULL;
    return linear_ptr(offset, (uint32_t)len);
}

/* A machine frame a PTE of this width can name: below 2^40 (52-bit addresses), and on
 * x86_32 one that fits the guest's unsigned long (the shim's P2M, Xen's compat M2P). */
static int valid_mfn(uint64_t mfn)
{
    return mfn < (1ULL << 40) && mfn == (unsigned long)mfn;
}

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
    if (!va || !valid_mfn(mfn))
        return (u32)-EINVAL;
    return (u32)arch_map_frame(va, (unsigned long)mfn, flags & 1);
}

u32 Z_xenZ_unmap_frame(XEN, u32 offset)
{
    void *va = page_va(offset);
    if (!va)
        return (u32)-EINVAL;
    return (u32)arch_map_frame(va, arch_pfn_to_mfn(linear_base_pfn + (offset >> PAGE_SHIFT)), 0);
}

/* The event channel ops the contract carries and their structs' sizes: alloc_unbound
 * {dom, remote_dom, port} 8, send and close {port} 4, status 24. */
u32 Z_xenZ_event_channel_op(XEN, u32 cmd, u32 arg, u32 len)
{
    void *p = linear_ptr(arg, len);
    uint32_t need;
    switch (cmd) {
    case EVTCHNOP_alloc_unbound: need = 8; break;
    case EVTCHNOP_send: case EVTCHNOP_close: need = 4; break;
    case EVTCHNOP_status: need = 24; break;
    default: return (u32)-ENOSYS;
    }
    if (!p || len < need)
        return (u32)-EFAULT;
    return (u32)hypercall2(__HYPERVISOR_event_channel_op, cmd, p);
}

/* yield, and shutdown for poweroff, reboot, crash and watchdog. SCHEDOP_block would unmask
 * events with no callback registered; suspend and soft_reset need a guest that comes back. */
u32 Z_xenZ_sched_op(XEN, u32 cmd, u32 arg, u32 len)
{
    uint32_t *p = (uint32_t *)linear_ptr(arg, len);
    if (!p)
        return (u32)-EFAULT;
    if (cmd == SCHEDOP_yield)
        return (u32)hypercall2(__HYPERVISOR_sched_op, cmd, NULL);
    if (cmd != SCHEDOP_shutdown)
        return (u32)-EINVAL;
    if (len < 4)
        return (u32)-EFAULT;
    if (*p != SHUTDOWN_poweroff && *p != SHUTDOWN_reboot && *p != SHUTDOWN_crash && *p != SHUTDOWN_watchdog)
        return (u32)-EINVAL;
    return (u32)hypercall2(__HYPERVISOR_sched_op, cmd, p);
}

u32 Z_xenZ_sched_poll(XEN, u32 ports, u32 nr, u64 timeout)
{
    struct sched_poll poll;
    if (nr == 0 || nr > 128)
        return (u32)-EINVAL;
    poll.ports = (uint32_t *)linear_array(ports, nr, 4);
    if (!poll.ports)
        return (u32)-EFAULT;
    poll.nr_ports = nr;
    poll.timeout = timeout;
    return (u32)hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, &poll);
}

/* XENVER_version (no struct) and XENVER_extraversion (16 bytes). */
u32 Z_xenZ_xen_version(XEN, u32 cmd, u32 arg, u32 len)
{
    void *p = linear_ptr(arg, len);
    if (cmd == XENVER_version)
        return (u32)hypercall2(__HYPERVISOR_xen_version, cmd, NULL);
    if (cmd != XENVER_extraversion)
        return (u32)-ENOSYS;
    if (!p || len < 16)
        return (u32)-EFAULT;
    return (u32)hypercall2(__HYPERVISOR_xen_version, cmd, p);
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

/* query_size {dom, nr_frames, max_nr_frames, status} 16 bytes, set_version {version} 4,
 * get_version {dom, pad, version} 8; one at a time, as Xen takes them. */
u32 Z_xenZ_grant_table_op(XEN, u32 cmd, u32 arg, u32 len, u32 count)
{
    void *p = linear_ptr(arg, len);
    uint32_t need;
    switch (cmd) {
    case GNTTABOP_query_size: need = 16; break;
    case GNTTABOP_set_version: need = 4; break;
    case GNTTABOP_get_version: need = 8; break;
    default: return (u32)-EINVAL;
    }
    if (count != 1)
        return (u32)-EINVAL;
    if (!p || len < need)
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

u32 Z_xenZ_set_timer_op(XEN, u64 timeout)
{
    return (u32)arch_set_timer_op(timeout);
}

/* XENMEM_memory_map: only a PVH domain needs it (boot/pvh); a PV domain's core never asks,
 * and the answer is -ENOSYS without a hypercall (docs/contract.md). */
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
