// The emulated Xen itself: frames that move between their own buffers and the linear memory
// when mapped, the contract's bounds checks, event bits in shared_info, and the console
// backend's input side. The loader's own tests rely on these being right.

import { describe, expect, it } from "vitest";
import { Domain, CONSOLE_EVTCHN, STORE_EVTCHN } from "./harness/domain";
import { GuestIdle } from "./harness/clock";
import { makeImports } from "./harness/imports";
import { CONS, EFAULT, EINVAL, EPERM, SHINFO, SI } from "./harness/abi";

function setup(memoryMB = 32) {
  const dom = new Domain({ memoryMB, cmdline: "hello" });
  const memory = new WebAssembly.Memory({ initial: 4, maximum: dom.layout.maxLinearPages });
  const { xen } = makeImports(dom, memory, { calls: {} });
  return { dom, memory, xen, lin: () => new Uint8Array(memory.buffer) };
}

describe("emulated Xen", () => {
  it("lays out start_info per the x86_64 ABI, with machine frames that are not the pfns", () => {
    const { dom } = setup();
    const v = dom.mem.view(dom.p2m[dom.layout.startInfoPfn]);
    expect(new TextDecoder().decode(dom.mem.bytes(dom.p2m[dom.layout.startInfoPfn]).subarray(0, 14))).toBe("xen-3.0-x86_64");
    expect(Number(v.getBigUint64(SI.nr_pages, true))).toBe(32 * 256);
    expect(Number(v.getBigUint64(SI.console_mfn, true))).toBe(dom.p2m[dom.layout.consolePfn]);
    expect(Number(v.getBigUint64(SI.shared_info, true))).toBe(dom.sharedInfoMfn * 4096);
    expect(dom.p2m.every((mfn, pfn) => mfn !== pfn)).toBe(true);
    expect(new Set(dom.p2m).size).toBe(dom.p2m.length);
    // the P2M list in guest memory says the same
    const p2m = dom.mem.view(dom.p2m[dom.layout.p2mPfn]);
    expect(Number(p2m.getBigUint64(8 * 5, true))).toBe(dom.p2m[5]);
  });

  it("moves a mapped frame into the linear page and back, keeping both contents", () => {
    const { dom, xen, lin } = setup();
    const ram = dom.p2m[dom.layout.firstFreePfn + 2];
    expect(xen.mfn_of(2 * 4096 + 100)).toBe(BigInt(ram));
    lin()[2 * 4096] = 0x42; // the RAM page's own byte
    const consoleMfn = dom.p2m[dom.layout.consolePfn];
    expect(xen.map_frame(2 * 4096, BigInt(consoleMfn), 0)).toBe(0);
    expect(lin()[2 * 4096]).toBe(0); // now the console page
    lin()[2 * 4096 + CONS.out] = 0x55;
    expect(dom.mem.bytes(consoleMfn)[CONS.out]).toBe(0x55); // Xen's view of the frame
    expect(xen.unmap_frame(2 * 4096)).toBe(0);
    expect(lin()[2 * 4096]).toBe(0x42);
    expect(dom.mem.bytes(consoleMfn)[CONS.out]).toBe(0x55);
    expect(dom.mem.bytes(ram)[0]).toBe(0x42);
  });

  it("checks every pointer and frame the core hands over", () => {
    const { dom, xen, memory } = setup();
    const end = memory.buffer.byteLength;
    expect(xen.map_frame(100, BigInt(dom.sharedInfoMfn), 0)).toBe(-EINVAL); // unaligned
    expect(xen.map_frame(end, BigInt(dom.sharedInfoMfn), 0)).toBe(-EINVAL); // outside
    expect(xen.map_frame(0, 0x12345n, 0)).toBe(-EPERM); // not a frame of ours
    expect(xen.mfn_of(end)).toBe(-1n);
    expect(xen.event_channel_op(4, end - 2, 4)).toBe(-EFAULT);
    expect(xen.console_io_write(end - 1, 2)).toBe(-EFAULT);
    expect(xen.sched_poll(end - 4, 2, 0n)).toBe(-EFAULT);
    expect(xen.sched_op(3, 0, 0)).toBe(-EINVAL); // SCHEDOP_poll goes through sched_poll
    expect(xen.atomic_clear_bit(4, 1)).toBe(-EINVAL);
  });

  it("keeps event bits in shared_info, and clears them atomically for the core", () => {
    const { dom, xen, lin } = setup();
    expect(xen.map_frame(0, BigInt(dom.sharedInfoMfn), 0)).toBe(0);
    dom.evtchn.raise(CONSOLE_EVTCHN);
    const word = new DataView(lin().buffer).getBigUint64(SHINFO.evtchn_pending, true);
    expect(word).toBe(1n << BigInt(CONSOLE_EVTCHN));
    // as Xen does: upcall_pending is set; the mask (set at entry) only stops the callback
    expect(lin()[SHINFO.upcall_pending]).toBe(1);
    expect(lin()[SHINFO.upcall_mask]).toBe(1);
    expect(xen.atomic_clear_bit(SHINFO.evtchn_pending, CONSOLE_EVTCHN)).toBe(1);
    expect(xen.atomic_clear_bit(SHINFO.evtchn_pending, CONSOLE_EVTCHN)).toBe(0);
    expect(dom.evtchn.pending(CONSOLE_EVTCHN)).toBe(false);
  });

  it("wakes a poll with a timer, times out at the deadline, and refuses to wait forever", () => {
    const { dom, xen, lin } = setup();
    new DataView(lin().buffer).setUint32(64, CONSOLE_EVTCHN, true);
    const t0 = dom.clock.now;
    dom.clock.after(5_000_000n, () => dom.evtchn.raise(CONSOLE_EVTCHN));
    expect(xen.sched_poll(64, 1, 0n)).toBe(0);
    expect(dom.clock.now - t0).toBe(5_000_000n);
    dom.evtchn.close(CONSOLE_EVTCHN);
    dom.evtchn.connect(CONSOLE_EVTCHN, "console", 0, 10, () => {});
    const deadline = dom.clock.now + 2_000_000n;
    expect(xen.sched_poll(64, 1, deadline)).toBe(0);
    expect(dom.clock.now).toBe(deadline);
    // Nothing left to raise it: on the console a person may still type (idle); elsewhere, a hang.
    expect(() => xen.sched_poll(64, 1, 0n)).toThrow(GuestIdle);
    new DataView(lin().buffer).setUint32(64, STORE_EVTCHN, true);
    expect(() => xen.sched_poll(64, 1, 0n)).toThrow(/would hang/);
    // Xen's timeout is a signed s_time_t: all ones is a time long past, and the poll a busy loop.
    expect(() => xen.sched_poll(64, 1, 0xffffffffffffffffn)).toThrow(/would spin/);
  });

  it("feeds keys into the console's in ring as it has room, and notifies the guest", () => {
    const { dom } = setup();
    const mfn = dom.p2m[dom.layout.consolePfn];
    dom.console.type("x".repeat(1500));
    const v = dom.mem.view(mfn);
    expect(v.getUint32(CONS.in_prod, true)).toBe(CONS.in_size); // full; the rest waits
    expect(dom.evtchn.pending(CONSOLE_EVTCHN)).toBe(true);
    v.setUint32(CONS.in_cons, 1000, true); // the guest read 1000 bytes
    dom.console.drain();
    expect(v.getUint32(CONS.in_prod, true)).toBe(1500);
    expect(dom.mem.bytes(mfn)[CONS.in + (1499 % CONS.in_size)]).toBe(0x78);
  });
});
