// The imports the shim provides: the core side of the contract in docs/contract.md.
// Pointer arguments are offsets into the linear memory; the shim bounds-checks and
// translates them. Every call returns 0 or a negative errno unless stated otherwise.

// Which kind of guest this is: 0 x86_64 PV, 1 x86_32 PAE PV, 2 PVH (src/xen/arch.ts).
@external("xen", "guest_kind")
export declare function guest_kind(): i32;

// Machine frame holding start_info.
@external("xen", "start_info_mfn")
export declare function start_info_mfn(): u64;

// RAM frame behind the linear-memory page that holds `offset`; u64(-1) when outside.
@external("xen", "mfn_of")
export declare function mfn_of(offset: usize): u64;

// The domain's P2M: machine frame of pseudo-physical page `pfn`; u64(-1) outside the domain.
@external("xen", "pfn_to_mfn")
export declare function pfn_to_mfn(pfn: u64): u64;

// Map machine frame `mfn` at the page-aligned linear offset (flags: MAP_READONLY).
@external("xen", "map_frame")
export declare function map_frame(offset: usize, mfn: u64, flags: u32): i32;

// Put the linear page's own RAM frame back.
@external("xen", "unmap_frame")
export declare function unmap_frame(offset: usize): i32;

// HYPERVISOR_event_channel_op(cmd, arg); arg is `len` bytes.
@external("xen", "event_channel_op")
export declare function event_channel_op(cmd: i32, arg: usize, len: u32): i32;

// HYPERVISOR_sched_op(cmd, arg) for the sub-ops without a handle inside (not poll).
@external("xen", "sched_op")
export declare function sched_op(cmd: i32, arg: usize, len: u32): i32;

// SCHEDOP_poll on `nr` u32 ports at `ports`; timeout is absolute system time in ns, 0 = none.
@external("xen", "sched_poll")
export declare function sched_poll(ports: usize, nr: u32, timeout: u64): i32;

// HYPERVISOR_xen_version(cmd, arg); returns the hypercall's value (version number) or -errno.
@external("xen", "xen_version")
export declare function xen_version(cmd: i32, arg: usize, len: u32): i32;

// HYPERVISOR_console_io(CONSOLEIO_write): output seen only for dom0 or on a debug Xen.
@external("xen", "console_io_write")
export declare function console_io_write(buf: usize, len: u32): i32;

// Xen system time in ns (monotonic, the clock SCHEDOP_poll deadlines use).
@external("xen", "clock_ns")
export declare function clock_ns(): u64;

// Full memory barrier, and a compiler barrier for the shim's C compiler.
@external("xen", "mb")
export declare function mb(): void;

export const MAP_READONLY: u32 = 1;

// Atomically clear bit `bit` of the u64 at `offset` (Xen sets event bits from other CPUs);
// returns the bit's old value (0 or 1), or -errno.
@external("xen", "atomic_clear_bit")
export declare function atomic_clear_bit(offset: usize, bit: u32): i32;

// Atomically: if the u16 at 2-byte-aligned `offset` equals `expected`, store `replacement`.
// Returns the value found (the grant flags protocol: end access only when not in use).
@external("xen", "atomic_cmpxchg16")
export declare function atomic_cmpxchg16(offset: usize, expected: u32, replacement: u32): u32;

// GNTTABOP_setup_table for this domain: `nr` frames; their mfns (u64 each) are written at `frames`.
@external("xen", "gnttab_setup_table")
export declare function gnttab_setup_table(nr: u32, frames: usize): i32;

// HYPERVISOR_grant_table_op(cmd, arg, count) for the ops whose struct holds no handle
// (set_version, get_version, query_size); `arg` is `len` bytes.
@external("xen", "grant_table_op")
export declare function grant_table_op(cmd: i32, arg: usize, len: u32, count: u32): i32;

// The pseudo-physical page of the RAM behind the linear page holding `offset`; u64(-1) outside.
@external("xen", "pfn_of")
export declare function pfn_of(offset: usize): u64;

// The virtual address at which the platform maps linear `offset`; u64(-1) outside.
@external("xen", "va_of")
export declare function va_of(offset: usize): u64;

// Copy the platform's own hypercall page (4096 bytes, filled by Xen) to `dst`.
@external("xen", "hypercall_page")
export declare function hypercall_page(dst: usize): i32;

// HYPERVISOR_mmu_update for `count` MMU_MACHPHYS_UPDATE requests ({u64 ptr; u64 val}) at `reqs`.
@external("xen", "mmu_update")
export declare function mmu_update(reqs: usize, count: u32): i32;

// HYPERVISOR_mmuext_op for `count` pin/unpin ops ({u32 cmd; u64 arg1 @8; u64 arg2 @16}) at `ops`:
// MMUEXT_PIN_L4_TABLE on x86_64, MMUEXT_PIN_L3_TABLE on x86_32 PAE, MMUEXT_UNPIN_TABLE.
@external("xen", "mmuext_op")
export declare function mmuext_op(ops: usize, count: u32): i32;

// XENMEM_memory_map for this domain: up to len/24 entries {u64 addr; u64 size; u32 type;
// u32 0} (E820 types) at `buf`; returns how many, -EINVAL when len < 24, -EFAULT for a bad
// range, and -ENOSYS in PV domains (kinds 0 and 1), where the core never needs it.
@external("xen", "memory_map")
export declare function memory_map(buf: usize, len: u32): i32;

// HYPERVISOR_set_timer_op(timeout): 0 cancels the single-shot timer.
@external("xen", "set_timer_op")
export declare function set_timer_op(timeout: u64): i32;

// The jump into the next kernel with the handoff record at `handoff` (docs/contract.md).
// Returns only when the record is refused.
@external("xen", "start_kernel")
export declare function start_kernel(handoff: usize, len: u32): i32;
