/* The imports the core calls (docs/contract.md), natively: those every kind answers alike.
 * Each kind's own (frames, grant table, page-table updates, the jump, the memory map) are in
 * boot/pv/imports.c and boot/pvh/imports.c. Pointers are offsets into the
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
void *linear_array(uint32_t offset, uint32_t count, uint32_t size)
{
    uint64_t len = (uint64_t)count * size;
    if (len > 0xffffffffULL)
        return NULL;
    return linear_ptr(offset, (uint32_t)len);
}

/* A machine frame a PTE of this width can name: below 2^40 (52-bit addresses), and on
 * x86_32 one that fits the guest's unsigned long (the shim's P2M, Xen's compat M2P). */
int valid_mfn(uint64_t mfn)
{
    return mfn < (1ULL << 40) && mfn == (unsigned long)mfn;
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

/* The page's own frame's address: PV maps the memory there; PVH maps it 1:1 there too,
 * besides the alias the core uses (boot/pvh/mm.c). */
u64 Z_xenZ_va_of(XEN, u32 offset)
{
    if (!linear_ptr(offset, 1))
        return (u64)-1;
    return ((u64)linear_base_pfn << PAGE_SHIFT) + offset;
}

u32 Z_xenZ_hypercall_page(XEN, u32 dst)
{
    uint8_t *p = linear_ptr(dst, PAGE_SIZE);
    if (!p)
        return (u32)-EFAULT;
    memcpy(p, hypercall_page, PAGE_SIZE);
    return 0;
}

u32 Z_xenZ_set_timer_op(XEN, u64 timeout)
{
    return (u32)arch_set_timer_op(timeout);
}
