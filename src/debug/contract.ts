// pvboot.debug=contract: one table of calls into the platform (docs/contract.md), edge cases
// included, each printed as one line "pvboot: contract: IMPORT CASE = RESULT". The same table
// runs in the emulator (test/harness/imports.ts) and natively on real Xen (boot/imports.c);
// test/xen/contract.test.ts compares the two transcripts line for line.
//
// Results are the import's rc, or for a frame or address a word that holds on every platform
// ("frame", "-1", "consistent"): machine frames differ from one domain to the next. The
// table leaves the domain as it found it (channels closed, frames unmapped, tables unpinned),
// and never hands start_kernel a record it could accept.

import * as abi from "../xen/abi";
import { pv32 } from "../xen/arch";
import { console } from "../xen/console";
import { startInfo } from "../xen/start_info";
import { Text } from "../lib/text";
import { allocPages } from "../lib/pages";
import {
  guest_kind, start_info_mfn, mfn_of, pfn_to_mfn, map_frame, unmap_frame, event_channel_op, sched_op,
  sched_poll, xen_version, console_io_write, clock_ns, mb, atomic_clear_bit, atomic_cmpxchg16,
  gnttab_setup_table, grant_table_op, pfn_of, va_of, hypercall_page, mmu_update, mmuext_op, set_timer_op, memory_map,
  start_kernel, MAP_READONLY,
} from "../xen/hypercall";

const MMU_NORMAL_PT_UPDATE: u64 = 0;
const MMU_MACHPHYS_UPDATE: u64 = 1;
const MMUEXT_PIN_L3_TABLE: u32 = 2;
const MMUEXT_PIN_L4_TABLE: u32 = 3;
const MMUEXT_UNPIN_TABLE: u32 = 4;
const MMUEXT_NEW_BASEPTR: u32 = 5;
const EVTCHNOP_reset: i32 = 10;
const XENVER_compile_info: i32 = 2;
const SHUTDOWN_soft_reset: u32 = 5;
const NO_FRAME: u64 = 0xfffffff; // 1 TiB up: no RAM there, on the test host or the emulator
const FAR: usize = 0xfffff000; // a page-aligned offset far outside any linear memory

function row(call: string, what: string, rc: i64): void {
  console.line(new Text().str("pvboot: contract: ").str(call).str(" ").str(what).str(" = ").i(rc));
}

function rowText(call: string, what: string, result: string): void {
  console.line(new Text().str("pvboot: contract: ").str(call).str(" ").str(what).str(" = ").str(result));
}

// A frame or address result: -1, or whether it is one (a frame below 2^40).
function frame(v: u64): string {
  return v == <u64>-1 ? "-1" : v < (<u64>1 << 40) ? "frame" : "0x" + v.toString(16);
}

// An mmu_update request {u64 ptr; u64 val}, the i-th at `s`.
function req(s: usize, i: u32, ptr: u64, val: u64): void {
  store<u64>(s + i * 16, ptr);
  store<u64>(s + i * 16 + 8, val);
}

// An mmuext_op {u32 cmd; pad; u64 arg1; u64 arg2}, the i-th at `s`.
function op(s: usize, i: u32, cmd: u32, arg1: u64): void {
  store<u32>(s + i * 24, cmd);
  store<u32>(s + i * 24 + 4, 0);
  store<u64>(s + i * 24 + 8, arg1);
  store<u64>(s + i * 24 + 16, 0);
}

// A handoff record at `s` (docs/contract.md) naming `l4` and the trampoline offset `tramp`.
function rec(s: usize, l4: u64, tramp: u32): void {
  memory.fill(s, 0, 64);
  store<u64>(s, l4);
  store<u64>(s + 8, 0x1000);
  store<u64>(s + 16, 0x2000);
  store<u64>(s + 24, 0x3000);
  store<u32>(s + 32, tramp);
}

export function runContractTable(): void {
  const end = <usize>memory.size() << 16; // linear memory's end now (the table grows none)
  const s = allocPages(1); // structs
  const m = allocPages(1); // frames mapped over it
  const t = allocPages(1); // an empty top-level table
  const pin = pv32() ? MMUEXT_PIN_L3_TABLE : MMUEXT_PIN_L4_TABLE;
  const otherPin = pv32() ? MMUEXT_PIN_L4_TABLE : MMUEXT_PIN_L3_TABLE;
  console.line(new Text().str("pvboot: contract: table of ").str(pv32() ? "x86_32" : "x86_64").str(" begins"));

  // --- the domain's frames and addresses
  row("guest_kind", "()", guest_kind());
  rowText("start_info_mfn", "()", frame(start_info_mfn()));
  rowText("mfn_of", "0", frame(mfn_of(0)));
  rowText("mfn_of", "last byte", frame(mfn_of(end - 1)));
  rowText("mfn_of", "end", frame(mfn_of(end)));
  rowText("mfn_of", "0xffffffff", frame(mfn_of(0xffffffff)));
  rowText("mfn_of", "= pfn_to_mfn(pfn_of)", mfn_of(s) == pfn_to_mfn(pfn_of(s)) ? "consistent" : "DIFFERENT");
  const nr = startInfo.nrPages;
  rowText("pfn_to_mfn", "0", frame(pfn_to_mfn(0)));
  rowText("pfn_to_mfn", "nr_pages-1", frame(pfn_to_mfn(nr - 1)));
  rowText("pfn_to_mfn", "nr_pages", frame(pfn_to_mfn(nr)));
  rowText("pfn_to_mfn", "2^63", frame(pfn_to_mfn(<u64>1 << 63)));
  rowText("pfn_to_mfn", "2^64-1", frame(pfn_to_mfn(<u64>-1)));
  rowText("pfn_of", "0 < nr_pages", pfn_of(0) < nr ? "yes" : "NO");
  rowText("pfn_of", "last byte < nr_pages", pfn_of(end - 1) < nr ? "yes" : "NO");
  rowText("pfn_of", "end", frame(pfn_of(end)));
  rowText("va_of", "= pfn_of << 12", va_of(s + 0x123) == (pfn_of(s) << 12) + 0x123 ? "consistent" : "DIFFERENT");
  rowText("va_of", "end", frame(va_of(end)));
  rowText("va_of", "0xffffffff", frame(va_of(0xffffffff)));

  // --- map_frame / unmap_frame (a frame lives at one linear page at a time in the emulator:
  // only the page's own frame is mapped over `m`, and frames without RAM are refused)
  const own = mfn_of(s);
  const mown = mfn_of(m);
  row("map_frame", "page's own frame rw", map_frame(m, mown, 0));
  rowText("map_frame", "then mfn_of", mfn_of(m) == pfn_to_mfn(pfn_of(m)) ? "the page's own" : "THE MAPPED ONE");
  row("unmap_frame", "mapped page", unmap_frame(m));
  row("unmap_frame", "unmapped page", unmap_frame(m));
  row("map_frame", "page's own frame ro", map_frame(m, mown, MAP_READONLY));
  row("map_frame", "replacing a mapping", map_frame(m, mown, 0xfffffffe)); // flags: bit 0 only
  row("map_frame", "replacing it ro", map_frame(m, mown, 0xffffffff));
  row("unmap_frame", "read-only page", unmap_frame(m));
  row("map_frame", "unaligned offset", map_frame(m + 8, mown, 0));
  row("map_frame", "offset at end", map_frame(end, mown, 0));
  row("map_frame", "offset 0xfffff000", map_frame(FAR, mown, 0));
  row("map_frame", "no RAM (mfn 0xfffffff)", map_frame(m, NO_FRAME, MAP_READONLY));
  row("map_frame", "mfn 2^40-1", map_frame(m, (<u64>1 << 40) - 1, MAP_READONLY));
  row("map_frame", "mfn 2^40", map_frame(m, <u64>1 << 40, MAP_READONLY));
  row("map_frame", "mfn 2^32+own", map_frame(m, (<u64>1 << 32) + mown, MAP_READONLY));
  row("map_frame", "mfn 2^64-1", map_frame(m, <u64>-1, MAP_READONLY));
  row("unmap_frame", "after refusals", unmap_frame(m));
  row("unmap_frame", "unaligned offset", unmap_frame(m + 1));
  row("unmap_frame", "offset at end", unmap_frame(end));

  // --- mmu_update: MMU_MACHPHYS_UPDATE of the page's own frame to its own pfn (a no-op)
  req(s, 0, (own << 12) | MMU_MACHPHYS_UPDATE, pfn_of(s));
  row("mmu_update", "machphys own frame", mmu_update(s, 1));
  row("mmu_update", "count 0", mmu_update(s, 0));
  req(s, 1, (own << 12) | MMU_MACHPHYS_UPDATE, pfn_of(s));
  row("mmu_update", "count 2", mmu_update(s, 2));
  row("mmu_update", "count 2^24", mmu_update(s, 1 << 24));
  row("mmu_update", "count 2^32-1", mmu_update(s, 0xffffffff));
  row("mmu_update", "reqs at end", mmu_update(end - 8, 1));
  req(s, 0, (own << 12) | MMU_NORMAL_PT_UPDATE, 0);
  row("mmu_update", "kind 0 (normal pt)", mmu_update(s, 1));
  req(s, 0, (own << 12) | 5, pfn_of(s));
  row("mmu_update", "kind 5", mmu_update(s, 1));
  req(s, 0, (own << 12) | 3, pfn_of(s));
  row("mmu_update", "kind 3", mmu_update(s, 1));
  req(s, 0, (NO_FRAME << 12) | MMU_MACHPHYS_UPDATE, pfn_of(s));
  row("mmu_update", "machphys no RAM", mmu_update(s, 1));

  // --- mmuext_op: pin an empty top-level table (the page, read-only over itself), unpin it
  const tmfn = mfn_of(t);
  op(s, 0, MMUEXT_UNPIN_TABLE, tmfn);
  row("mmuext_op", "unpin unpinned", mmuext_op(s, 1));
  row("mmuext_op", "count 0", mmuext_op(s, 0));
  row("mmuext_op", "count 65", mmuext_op(s, 65));
  row("mmuext_op", "count 2^32-1", mmuext_op(s, 0xffffffff));
  row("mmuext_op", "ops at end", mmuext_op(end - 8, 1));
  op(s, 0, pin, tmfn);
  row("mmuext_op", "pin writable page", mmuext_op(s, 1));
  row("map_frame", "table page ro over itself", map_frame(t, tmfn, MAP_READONLY));
  op(s, 0, otherPin, tmfn);
  row("mmuext_op", "the other width's pin", mmuext_op(s, 1));
  op(s, 0, MMUEXT_NEW_BASEPTR, tmfn);
  row("mmuext_op", "new_baseptr", mmuext_op(s, 1));
  op(s, 0, 99, tmfn);
  row("mmuext_op", "command 99", mmuext_op(s, 1));
  op(s, 0, pin, NO_FRAME);
  row("mmuext_op", "pin no RAM", mmuext_op(s, 1));
  op(s, 0, pin, <u64>1 << 40);
  row("mmuext_op", "pin mfn 2^40", mmuext_op(s, 1));
  op(s, 0, pin, (<u64>1 << 32) + tmfn);
  row("mmuext_op", "pin mfn 2^32+table", mmuext_op(s, 1));
  op(s, 0, pin, tmfn);
  const pinned = mmuext_op(s, 1);
  row("mmuext_op", "pin empty table", pinned);
  row("map_frame", "pinned table rw", map_frame(t, tmfn, 0));
  row("unmap_frame", "pinned table", unmap_frame(t));

  // --- start_kernel: only records it must refuse
  rec(s, tmfn, <u32>(t + 8));
  row("start_kernel", "unaligned trampoline", start_kernel(s, 64));
  rec(s, tmfn, <u32>end);
  row("start_kernel", "trampoline at end", start_kernel(s, 64));
  rec(s, tmfn, <u32>FAR);
  row("start_kernel", "trampoline 0xfffff000", start_kernel(s, 64));
  rec(s, own, <u32>t);
  row("start_kernel", "unpinned l4", start_kernel(s, 64));
  rec(s, <u64>1 << 40, <u32>t);
  row("start_kernel", "l4 2^40", start_kernel(s, 64));
  rec(s, tmfn, <u32>(t + 8));
  row("start_kernel", "63 bytes", start_kernel(s, 63));
  row("start_kernel", "0 bytes", start_kernel(s, 0));
  row("start_kernel", "record at end", start_kernel(end - 32, 64));
  row("start_kernel", "length 2^32-1", start_kernel(s, 0xffffffff));

  op(s, 0, pin, tmfn);
  row("mmuext_op", "pin again", mmuext_op(s, 1));
  op(s, 0, MMUEXT_UNPIN_TABLE, tmfn);
  op(s, 1, MMUEXT_UNPIN_TABLE, tmfn);
  row("mmuext_op", "unpin twice in one batch", mmuext_op(s, 2));
  op(s, 0, MMUEXT_UNPIN_TABLE, tmfn);
  row("mmuext_op", "unpin again", mmuext_op(s, 1));
  row("unmap_frame", "table page", unmap_frame(t));

  // --- event channels
  memory.fill(s, 0, 32);
  store<u16>(s, abi.DOMID_SELF);
  store<u16>(s + 2, 0);
  row("event_channel_op", "alloc_unbound", event_channel_op(abi.EVTCHNOP_alloc_unbound, s, 8));
  const port = load<u32>(s + 4);
  store<u32>(s + 4, 0);
  row("event_channel_op", "alloc_unbound 4 bytes", event_channel_op(abi.EVTCHNOP_alloc_unbound, s, 4));
  store<u16>(s, 0);
  row("event_channel_op", "alloc_unbound dom 0", event_channel_op(abi.EVTCHNOP_alloc_unbound, s, 8));
  store<u32>(s, port);
  row("event_channel_op", "send unbound port", event_channel_op(abi.EVTCHNOP_send, s, 4));
  row("event_channel_op", "send 0 bytes", event_channel_op(abi.EVTCHNOP_send, s, 0));
  row("event_channel_op", "close", event_channel_op(abi.EVTCHNOP_close, s, 4));
  row("event_channel_op", "close closed port", event_channel_op(abi.EVTCHNOP_close, s, 4));
  row("event_channel_op", "send closed port", event_channel_op(abi.EVTCHNOP_send, s, 4));
  store<u32>(s, 0);
  row("event_channel_op", "send port 0", event_channel_op(abi.EVTCHNOP_send, s, 4));
  store<u32>(s, 0xffffffff);
  row("event_channel_op", "close port 2^32-1", event_channel_op(abi.EVTCHNOP_close, s, 4));
  memory.fill(s, 0, 24);
  store<u16>(s, abi.DOMID_SELF);
  store<u32>(s + 4, startInfo.consoleEvtchn);
  row("event_channel_op", "status console port", event_channel_op(abi.EVTCHNOP_status, s, 24));
  row("event_channel_op", "status console port is", load<u32>(s + 8));
  store<u32>(s + 4, 0);
  row("event_channel_op", "status port 0", event_channel_op(abi.EVTCHNOP_status, s, 24));
  row("event_channel_op", "status port 0 is", load<u32>(s + 8));
  store<u16>(s, 0);
  row("event_channel_op", "status dom 0", event_channel_op(abi.EVTCHNOP_status, s, 24));
  store<u16>(s, abi.DOMID_SELF);
  store<u32>(s + 4, 5000);
  row("event_channel_op", "status port 5000", event_channel_op(abi.EVTCHNOP_status, s, 24));
  row("event_channel_op", "status 16 bytes", event_channel_op(abi.EVTCHNOP_status, s, 16));
  row("event_channel_op", "arg at end", event_channel_op(abi.EVTCHNOP_send, end - 2, 4));
  row("event_channel_op", "reset", event_channel_op(EVTCHNOP_reset, s, 4));
  row("event_channel_op", "command 99", event_channel_op(99, s, 4));
  row("event_channel_op", "bind_virq", event_channel_op(abi.EVTCHNOP_bind_virq, s, 12));

  // --- sched_op and sched_poll
  row("sched_op", "yield", sched_op(abi.SCHEDOP_yield, 0, 0));
  row("sched_op", "yield arg at end", sched_op(abi.SCHEDOP_yield, end - 2, 4));
  row("sched_op", "block", sched_op(abi.SCHEDOP_block, 0, 0));
  row("sched_op", "poll", sched_op(abi.SCHEDOP_poll, s, 24));
  store<u32>(s, 99);
  row("sched_op", "shutdown reason 99", sched_op(abi.SCHEDOP_shutdown, s, 4));
  store<u32>(s, abi.SHUTDOWN_suspend);
  row("sched_op", "shutdown suspend", sched_op(abi.SCHEDOP_shutdown, s, 4));
  store<u32>(s, SHUTDOWN_soft_reset);
  row("sched_op", "shutdown soft_reset", sched_op(abi.SCHEDOP_shutdown, s, 4));
  store<u32>(s, abi.SHUTDOWN_poweroff);
  row("sched_op", "shutdown 0 bytes", sched_op(abi.SCHEDOP_shutdown, s, 0));
  row("sched_op", "command 99", sched_op(99, s, 4));
  store<u32>(s, startInfo.consoleEvtchn);
  const soon = clock_ns() + 1000000; // 1 ms
  row("sched_poll", "0 ports", sched_poll(s, 0, soon));
  row("sched_poll", "129 ports", sched_poll(s, 129, soon));
  row("sched_poll", "ports at end", sched_poll(end - 2, 1, soon));
  row("sched_poll", "console port, 1 ms", sched_poll(s, 1, clock_ns() + 1000000));
  store<u32>(s, 5000);
  row("sched_poll", "port 5000", sched_poll(s, 1, soon));

  // --- versions, Xen's console, time, barriers
  rowText("xen_version", "version", "0x" + (<u32>xen_version(abi.XENVER_version, 0, 0)).toString(16));
  rowText("xen_version", "version arg at end", "0x" + (<u32>xen_version(abi.XENVER_version, end, 0)).toString(16));
  row("xen_version", "extraversion", xen_version(abi.XENVER_extraversion, s, 16));
  row("xen_version", "extraversion 15 bytes", xen_version(abi.XENVER_extraversion, s, 15));
  row("xen_version", "extraversion at end", xen_version(abi.XENVER_extraversion, end - 8, 16));
  row("xen_version", "compile_info", xen_version(XENVER_compile_info, s, 4096));
  row("xen_version", "command 99", xen_version(99, s, 16));
  store<u8>(s, 0x0a);
  row("console_io_write", "0 bytes", console_io_write(s, 0));
  row("console_io_write", "1 byte", console_io_write(s, 1));
  row("console_io_write", "buf at end", console_io_write(end - 1, 2));
  const t0 = clock_ns();
  const t1 = clock_ns();
  rowText("clock_ns", "twice", t0 > 0 && t1 >= t0 ? "monotonic" : "NOT MONOTONIC");
  mb();
  rowText("mb", "()", "done");
  row("set_timer_op", "now + 10 s", set_timer_op(clock_ns() + 10000000000));
  row("set_timer_op", "2^64-1", set_timer_op(<u64>-1));
  row("set_timer_op", "0 (cancel)", set_timer_op(0));

  // --- memory_map: -ENOSYS in PV domains whatever the arguments; in PVH the entry count,
  // -EINVAL below one entry, -EFAULT for a range past the end
  row("memory_map", "one entry", memory_map(s, 24));
  row("memory_map", "whole page", memory_map(s, 4096) > 0 ? 1 : memory_map(s, 4096));
  row("memory_map", "23 bytes", memory_map(s, 23));
  row("memory_map", "buf 0xfffff000", memory_map(<u32>FAR, 24));

  // --- atomics
  store<u64>(s, 0x800000000000000a);
  row("atomic_clear_bit", "bit 1 set", atomic_clear_bit(s, 1));
  row("atomic_clear_bit", "bit 1 clear", atomic_clear_bit(s, 1));
  row("atomic_clear_bit", "bit 63", atomic_clear_bit(s, 63));
  rowText("atomic_clear_bit", "word after", "0x" + load<u64>(s).toString(16));
  row("atomic_clear_bit", "bit 64", atomic_clear_bit(s, 64));
  row("atomic_clear_bit", "unaligned", atomic_clear_bit(s + 4, 0));
  row("atomic_clear_bit", "at end", atomic_clear_bit(end - 4, 0));
  store<u16>(s, 0x1234);
  row("atomic_cmpxchg16", "match", <i32>atomic_cmpxchg16(s, 0x1234, 0xabcd));
  row("atomic_cmpxchg16", "mismatch", <i32>atomic_cmpxchg16(s, 0x1234, 0x5555));
  rowText("atomic_cmpxchg16", "value after", "0x" + load<u16>(s).toString(16));
  row("atomic_cmpxchg16", "high bits ignored", <i32>atomic_cmpxchg16(s, 0xf0abcd, 0xff0001));
  rowText("atomic_cmpxchg16", "value after", "0x" + load<u16>(s).toString(16));
  row("atomic_cmpxchg16", "unaligned", <i32>atomic_cmpxchg16(s + 1, 0, 0));
  row("atomic_cmpxchg16", "at end", <i32>atomic_cmpxchg16(end - 1, 0, 0));

  // --- the grant table
  store<u32>(s, 1);
  row("grant_table_op", "set_version 1", grant_table_op(abi.GNTTABOP_set_version, s, 4, 1));
  store<u32>(s, 3);
  row("grant_table_op", "set_version 3", grant_table_op(abi.GNTTABOP_set_version, s, 4, 1));
  store<u32>(s, 1);
  row("grant_table_op", "set_version 2 bytes", grant_table_op(abi.GNTTABOP_set_version, s, 2, 1));
  row("grant_table_op", "set_version count 0", grant_table_op(abi.GNTTABOP_set_version, s, 4, 0));
  row("grant_table_op", "set_version count 2", grant_table_op(abi.GNTTABOP_set_version, s, 8, 2));
  memory.fill(s, 0, 16);
  store<u16>(s, abi.DOMID_SELF);
  row("grant_table_op", "get_version", grant_table_op(abi.GNTTABOP_get_version, s, 8, 1));
  row("grant_table_op", "get_version gives", load<u32>(s + 4));
  row("grant_table_op", "get_version 4 bytes", grant_table_op(abi.GNTTABOP_get_version, s, 4, 1));
  store<u16>(s, 0);
  row("grant_table_op", "get_version dom 0", grant_table_op(abi.GNTTABOP_get_version, s, 8, 1));
  memory.fill(s, 0, 16);
  store<u16>(s, abi.DOMID_SELF);
  row("grant_table_op", "query_size", grant_table_op(abi.GNTTABOP_query_size, s, 16, 1));
  row("grant_table_op", "query_size status", load<i16>(s + 12));
  store<u16>(s, 0);
  row("grant_table_op", "query_size dom 0", grant_table_op(abi.GNTTABOP_query_size, s, 16, 1));
  row("grant_table_op", "query_size dom 0 status", load<i16>(s + 12));
  store<u16>(s, abi.DOMID_SELF);
  row("grant_table_op", "query_size 14 bytes", grant_table_op(abi.GNTTABOP_query_size, s, 14, 1));
  row("grant_table_op", "query_size count 2", grant_table_op(abi.GNTTABOP_query_size, s, 32, 2));
  row("grant_table_op", "query_size at end", grant_table_op(abi.GNTTABOP_query_size, end - 8, 16, 1));
  row("grant_table_op", "setup_table", grant_table_op(abi.GNTTABOP_setup_table, s, 24, 1));
  row("grant_table_op", "command 99", grant_table_op(99, s, 16, 1));
  row("gnttab_setup_table", "1 frame", gnttab_setup_table(1, s));
  row("gnttab_setup_table", "0 frames", gnttab_setup_table(0, s));
  row("gnttab_setup_table", "32 frames", gnttab_setup_table(32, s));
  row("gnttab_setup_table", "64 frames", gnttab_setup_table(64, s));
  row("gnttab_setup_table", "65 frames", gnttab_setup_table(65, s));
  row("gnttab_setup_table", "frames at end", gnttab_setup_table(1, end - 4));
  row("gnttab_setup_table", "2^32-1 frames", gnttab_setup_table(0xffffffff, s));

  // --- the hypercall page
  row("hypercall_page", "copy", hypercall_page(m));
  let filled = false;
  for (let i: usize = 0; i < 4096; i++) if (load<u8>(m + i) != 0) filled = true;
  rowText("hypercall_page", "filled", filled ? "yes" : "NO");
  row("hypercall_page", "dst at end", hypercall_page(end - 4095));
  row("hypercall_page", "dst 0xffffffff", hypercall_page(0xffffffff));

  console.say("pvboot: contract: table ends");
}
