// The contract's imports answered inside the fuzz wasm (src/fuzz/fakeback.ts says how): a
// fuzz entry whose code reaches `xen.*` imports does `export * from "./fakexen"`, and the
// drivers wire import `xen.NAME` to export `fake_NAME` (scripts/fuzz/build.sh checks that
// every import has one).

import * as b from "./fakeback";

export function fake_guest_kind(): i32 {
  return b.fake_guest_kind();
}

export function fake_start_info_mfn(): u64 {
  return b.fake_start_info_mfn();
}

export function fake_mfn_of(offset: usize): u64 {
  return b.fake_mfn_of(offset);
}

export function fake_pfn_to_mfn(pfn: u64): u64 {
  return b.fake_pfn_to_mfn(pfn);
}

export function fake_pfn_of(offset: usize): u64 {
  return b.fake_pfn_of(offset);
}

export function fake_va_of(offset: usize): u64 {
  return b.fake_va_of(offset);
}

export function fake_map_frame(offset: usize, mfn: u64, flags: u32): i32 {
  return b.fake_map_frame(offset, mfn, flags);
}

export function fake_unmap_frame(offset: usize): i32 {
  return b.fake_unmap_frame(offset);
}

export function fake_event_channel_op(cmd: i32, arg: usize, len: u32): i32 {
  return b.fake_event_channel_op(cmd, arg, len);
}

export function fake_sched_op(cmd: i32, arg: usize, len: u32): i32 {
  return b.fake_sched_op(cmd, arg, len);
}

export function fake_sched_poll(ports: usize, nr: u32, timeout: u64): i32 {
  return b.fake_sched_poll(ports, nr, timeout);
}

export function fake_xen_version(cmd: i32, arg: usize, len: u32): i32 {
  return b.fake_xen_version(cmd, arg, len);
}

export function fake_console_io_write(buf: usize, len: u32): i32 {
  return b.fake_console_io_write(buf, len);
}

export function fake_clock_ns(): u64 {
  return b.fake_clock_ns();
}

export function fake_mb(): void {
  b.fake_mb();
}

export function fake_atomic_clear_bit(offset: usize, bit: u32): i32 {
  return b.fake_atomic_clear_bit(offset, bit);
}

export function fake_atomic_cmpxchg16(offset: usize, expected: u32, replacement: u32): u32 {
  return b.fake_atomic_cmpxchg16(offset, expected, replacement);
}

export function fake_gnttab_setup_table(nr: u32, frames: usize): i32 {
  return b.fake_gnttab_setup_table(nr, frames);
}

export function fake_grant_table_op(cmd: i32, arg: usize, len: u32, count: u32): i32 {
  return b.fake_grant_table_op(cmd, arg, len, count);
}

export function fake_hypercall_page(dst: usize): i32 {
  return b.fake_hypercall_page(dst);
}

export function fake_mmu_update(reqs: usize, count: u32): i32 {
  return b.fake_mmu_update(reqs, count);
}

export function fake_mmuext_op(ops: usize, count: u32): i32 {
  return b.fake_mmuext_op(ops, count);
}

export function fake_set_timer_op(timeout: u64): i32 {
  return b.fake_set_timer_op(timeout);
}

export function fake_start_kernel(handoff: usize, len: u32): i32 {
  return b.fake_start_kernel(handoff, len);
}
