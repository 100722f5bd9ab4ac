// What the next kernel must not inherit (docs/loader.md, "Teardown before the jump"): first a
// flush of every disk a saved default was written to (src/boot/saved.ts), then the disks'
// connections, our event channels and their pending bits, grants, xenstore watches and
// traffic, the timer. The console is drained by the handoff after its last line.

import * as abi from "../xen/abi";
import { events } from "../xen/events";
import { xenstore } from "../xen/xenstore";
import { gnttab } from "../xen/gnttab";
import { set_timer_op } from "../xen/hypercall";
import { deadlineAfterMs } from "../xen/time";
import { disks } from "../drivers/blkfront";
import { pv32 } from "../xen/arch";

const SETTLE_MS: u64 = 2000; // for xenstored to answer what is in flight

export class TeardownReport {
  problems: Array<string> = new Array<string>(); // said on the console (and the flush of a written disk)
  liveGrants: i32 = 0; // grant entries still in use: the jump is refused
}

export function teardown(): TeardownReport {
  const r = new TeardownReport();
  const f = disks.flushWritten(); // "hd0: saved defaults flushed (FLUSH_DISKCACHE)", or why not
  for (let i = 0; i < f.length; i++) r.problems.push(f[i]);
  const d = disks.shutdown();
  for (let i = 0; i < d.length; i++) r.problems.push(d[i]);

  if (xenstore.ring != 0) {
    const w = xenstore.unwatchAll();
    for (let i = 0; i < w.length; i++) r.problems.push("xenstore: unwatch " + w[i]);
    if (!xenstore.settle(deadlineAfterMs(SETTLE_MS))) r.problems.push("xenstore: the ring did not go idle");
  }

  // Our ports only: the xenstore and console channels are the next kernel's.
  const ports = events.bound.slice(0);
  for (let i = 0; i < ports.length; i++) {
    const rc = events.close(ports[i]);
    if (rc < 0) r.problems.push("event channel " + ports[i].toString() + ": close failed (" + rc.toString() + ")");
  }
  clearSelectors();

  set_timer_op(0);

  if (gnttab.table != 0) {
    for (let ref: u32 = abi.GNTTAB_NR_RESERVED; ref < gnttab.nrEntries; ref++) {
      const flags = <u32>load<u16>(gnttab.table + ref * abi.GRANT_ENTRY_SIZE);
      if (flags != 0) {
        if (r.liveGrants < 4) r.problems.push("grant " + ref.toString() + " is still in use (flags 0x" + flags.toString(16) + ")");
        r.liveGrants++;
      } else {
        // An ended grant keeps its domid and frame: wipe them, as a fresh table has none.
        const e = gnttab.table + ref * abi.GRANT_ENTRY_SIZE;
        store<u16>(e + 2, 0);
        store<u32>(e + 4, 0);
      }
    }
  }
  return r;
}

// evtchn_pending_sel bits for words with nothing pending left, and evtchn_upcall_pending when
// no selector bit remains; a port still pending (the console's, xenstore's) keeps its own.
// The handoff calls it again after the console's drain, whose events it consumed: the probe
// saw a selector bit and upcall_pending set with no port pending on real Xen. On x86_32 the
// selector is a u32 at 4 whose bits stand for 32-port words (bit 32 + w of the u64 at 0).
export function clearSelectors(): void {
  const si = events.shinfo;
  if (pv32()) {
    const sel = load<u32>(si + abi.VCPU32_PENDING_SEL);
    for (let w: u32 = 0; w < 32; w++) {
      if (((sel >> w) & 1) == 0) continue;
      if (load<u32>(si + abi.SHINFO_EVTCHN_PENDING + w * 4) == 0) events.clearBitAt(si, 32 + w);
    }
    if (load<u32>(si + abi.VCPU32_PENDING_SEL) == 0) store<u8>(si + abi.VCPU_UPCALL_PENDING, 0);
    return;
  }
  const sel = load<u64>(si + abi.VCPU_PENDING_SEL);
  for (let w: u32 = 0; w < 64; w++) {
    if (((sel >> <u64>w) & 1) == 0) continue;
    if (load<u64>(si + abi.SHINFO_EVTCHN_PENDING + w * 8) == 0) {
      events.clearBitAt(si + abi.VCPU_PENDING_SEL, w);
    }
  }
  if (load<u64>(si + abi.VCPU_PENDING_SEL) == 0) store<u8>(si + abi.VCPU_UPCALL_PENDING, 0);
}
