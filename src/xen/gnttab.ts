// Grant table v1: entries {u16 flags; u16 domid; u32 frame} in frames Xen gives us, mapped
// into the linear memory. Refs 0..7 are reserved (console, xenstore, ...).

import * as abi from "./abi";
import { atomic_cmpxchg16, gnttab_setup_table, grant_table_op, map_frame, mb } from "./hypercall";
import { allocPages } from "../lib/pages";

// Enough for a disk's ring, indirect pages and bounce buffers, with room for several disks.
const NR_FRAMES: u32 = 16;

export class GrantTable {
  table: usize = 0;
  nrEntries: u32 = 0;
  live: u32 = 0;
  private free: u32[] = [];
  private arg: usize = 0;

  // 0, or a negative errno from Xen.
  init(): i32 {
    if (this.table != 0) return 0;
    this.arg = heap.alloc(32);
    store<u32>(this.arg, 1);
    const v = grant_table_op(abi.GNTTABOP_set_version, this.arg, 4, 1);
    if (v < 0 && v != -abi.ENOSYS) return v; // ENOSYS: a Xen without v2 is on v1 anyway
    const frames = heap.alloc(NR_FRAMES * 8);
    const rc = gnttab_setup_table(NR_FRAMES, frames);
    if (rc < 0) return rc;
    const table = allocPages(NR_FRAMES);
    for (let i: u32 = 0; i < NR_FRAMES; i++) {
      const m = map_frame(table + i * abi.PAGE_SIZE, load<u64>(frames + i * 8), 0);
      if (m < 0) return m;
    }
    this.table = table;
    this.nrEntries = NR_FRAMES * (abi.PAGE_SIZE / abi.GRANT_ENTRY_SIZE);
    for (let r = this.nrEntries - 1; r >= abi.GNTTAB_NR_RESERVED; r--) this.free.push(r);
    return 0;
  }

  // Let domain `domid` map frame `mfn`; the ref, or -ENOSPC when the table is full.
  grant(domid: u16, mfn: u64, readonly: bool): i32 {
    if (this.free.length == 0) return -abi.ENOSPC;
    const ref = this.free.pop();
    const e = this.table + ref * abi.GRANT_ENTRY_SIZE;
    store<u16>(e + 2, domid);
    store<u32>(e + 4, <u32>mfn);
    mb(); // frame and domid before the flags that make them valid
    store<u16>(e, <u16>(abi.GTF_permit_access | (readonly ? abi.GTF_readonly : 0)));
    this.live++;
    return <i32>ref;
  }

  // Take the grant back. Fails (false) while the other side still has it mapped.
  end(ref: u32): bool {
    const e = this.table + ref * abi.GRANT_ENTRY_SIZE;
    let flags = <u32>load<u16>(e);
    for (let tries = 0; tries < 16; tries++) {
      if ((flags & (abi.GTF_reading | abi.GTF_writing)) != 0) return false;
      if ((flags & abi.GTF_permit_access) == 0) return false; // not ours to end
      const seen = atomic_cmpxchg16(e, flags, 0);
      if (seen == flags) {
        this.free.push(ref);
        this.live--;
        return true;
      }
      flags = seen;
    }
    return false;
  }

  inUse(ref: u32): bool {
    return (<u32>load<u16>(this.table + ref * abi.GRANT_ENTRY_SIZE) & (abi.GTF_reading | abi.GTF_writing)) != 0;
  }
}

export const gnttab = new GrantTable();
