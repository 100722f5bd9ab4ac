// Event channels, 2-level ABI, polled: no upcalls, events stay masked in vcpu_info. The pending
// bits are read as u64 words at both widths: x86_32's u32 words hold the same bits at the same
// bytes (little-endian) for its 1024 ports.

import * as abi from "./abi";
import { atomic_clear_bit, event_channel_op, map_frame, sched_poll } from "./hypercall";
import { allocPages } from "../lib/pages";
import { startInfo } from "./start_info";
import { expired, pollTimeout } from "./time";

export class Events {
  shinfo: usize = 0;
  private arg: usize = 0; // scratch for hypercall arguments
  bound: u32[] = []; // every port the loader itself allocated: the handoff closes exactly these

  init(): void {
    this.shinfo = allocPages(1);
    this.arg = heap.alloc(64);
    const mfn = startInfo.sharedInfo >> abi.PAGE_SHIFT;
    if (map_frame(this.shinfo, mfn, 0) < 0) unreachable();
  }

  // A port for domain `remote` to bind to (a backend); negative errno on failure.
  allocUnbound(remote: u16): i32 {
    store<u16>(this.arg, abi.DOMID_SELF);
    store<u16>(this.arg + 2, remote);
    store<u32>(this.arg + 4, 0);
    const rc = event_channel_op(abi.EVTCHNOP_alloc_unbound, this.arg, 8);
    if (rc < 0) return rc;
    const port = load<u32>(this.arg + 4);
    this.bound.push(port);
    return <i32>port;
  }

  close(port: u32): i32 {
    store<u32>(this.arg, port);
    const rc = event_channel_op(abi.EVTCHNOP_close, this.arg, 4);
    const i = this.bound.indexOf(port);
    if (i >= 0) this.bound.splice(i, 1);
    this.clear(port);
    return rc;
  }

  send(port: u32): i32 {
    store<u32>(this.arg, port);
    return event_channel_op(abi.EVTCHNOP_send, this.arg, 4);
  }

  isPending(port: u32): bool {
    const word = load<u64>(this.shinfo + abi.SHINFO_EVTCHN_PENDING + (port >> 6) * 8);
    return ((word >> <u64>(port & 63)) & 1) != 0;
  }

  // Take the port's pending bit; true when it was set.
  clear(port: u32): bool {
    const off = this.shinfo + abi.SHINFO_EVTCHN_PENDING + (port >> 6) * 8;
    return atomic_clear_bit(off, port & 63) == 1;
  }

  // Atomically clear bit `bit` of the u64 at `at` (a selector word of vcpu_info).
  clearBitAt(at: usize, bit: u32): void {
    atomic_clear_bit(at, bit);
  }

  // Wait until one of two ports is pending or the deadline passes; returns the port that
  // fired (its bit consumed), or -1 at the deadline.
  waitEither(a: u32, b: u32, deadline: u64): i32 {
    for (;;) {
      if (this.clear(a)) return <i32>a;
      if (this.clear(b)) return <i32>b;
      if (deadline != 0 && expired(deadline)) return -1;
      store<u32>(this.arg, a);
      store<u32>(this.arg + 4, b);
      if (sched_poll(this.arg, 2, pollTimeout(deadline)) < 0) return -1;
    }
    return -1;
  }

  // Wait until `port` is pending or the deadline (Xen system time, ns) passes.
  // Returns true when the event arrived; the pending bit is consumed.
  wait(port: u32, deadline: u64): bool {
    store<u32>(this.arg, port);
    while (!this.clear(port)) {
      const rc = sched_poll(this.arg, 1, pollTimeout(deadline));
      if (this.clear(port)) return true;
      if (rc < 0 || (deadline != 0 && expired(deadline))) return false;
    }
    return true;
  }
}

export const events = new Events();
