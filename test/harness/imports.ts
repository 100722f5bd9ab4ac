// The contract of docs/contract.md, implemented over the emulated Xen: what boot/ does
// natively, done here against a Domain. Names and arities are checked by test/contract.test.ts.

import * as abi from "./abi";
import { PAGE } from "./abi";
import type { Domain } from "./domain";

// Thrown through the wasm stack to end the guest, as SCHEDOP_shutdown never returns.
export class DomainShutdown extends Error {
  constructor(readonly reason: abi.ShutdownReason) {
    super(`domain shut down: ${reason}`);
  }
}

// The harness itself found the guest doing something Xen would never let it do, or waiting
// for something that can never come: a test failure, not a guest error.
export class HarnessError extends Error {}

export interface ImportStats { calls: Record<string, number> }

export function makeImports(dom: Domain, memory: WebAssembly.Memory, stats: ImportStats) {
  dom.mem.memory = memory;
  const L = dom.layout;
  const mapped = new Map<number, number>(); // linear page -> mapped mfn

  const bytes = () => new Uint8Array(memory.buffer);
  const dv = () => new DataView(memory.buffer);
  const inside = (ptr: number, len: number) =>
    ptr >>> 0 === ptr && len >= 0 && ptr + len <= memory.buffer.byteLength;
  const count = (name: string) => (stats.calls[name] = (stats.calls[name] ?? 0) + 1);

  // Frames the guest may map: its own, shared_info, its grant-table frames.
  const mappable = (mfn: number) =>
    dom.mem.owner(mfn) === dom.domid || mfn === dom.sharedInfoMfn || dom.gnttab.frames.includes(mfn);

  const xen = {
    start_info_mfn(): bigint {
      count("start_info_mfn");
      return BigInt(dom.pfnToMfn(L.startInfoPfn));
    },

    mfn_of(offset: number): bigint {
      count("mfn_of");
      if (!inside(offset >>> 0, 1)) return -1n;
      return BigInt(dom.pfnToMfn(L.firstFreePfn + ((offset >>> 0) >> abi.PAGE_SHIFT)));
    },

    pfn_to_mfn(pfn: bigint): bigint {
      count("pfn_to_mfn");
      if (pfn < 0n || pfn >= BigInt(dom.nrPages)) return -1n;
      return BigInt(dom.pfnToMfn(Number(pfn)));
    },

    map_frame(offset: number, mfnBig: bigint, flags: number): number {
      count("map_frame");
      offset >>>= 0;
      if (offset % PAGE !== 0 || !inside(offset, PAGE)) return -abi.EINVAL;
      const mfn = Number(mfnBig);
      if (!dom.mem.has(mfn) || !mappable(mfn)) return -abi.EPERM;
      const page = offset / PAGE;
      if (mapped.has(page)) xen.unmap_frame(offset);
      dom.mem.moveIntoLinear(mfn, page);
      mapped.set(page, mfn);
      void flags; // read-only mappings are not enforced by the harness
      return 0;
    },

    unmap_frame(offset: number): number {
      count("unmap_frame");
      offset >>>= 0;
      if (offset % PAGE !== 0 || !inside(offset, PAGE)) return -abi.EINVAL;
      const page = offset / PAGE;
      const mfn = mapped.get(page);
      if (mfn === undefined) return 0;
      dom.mem.moveOut(mfn);
      dom.mem.moveIntoLinear(dom.pfnToMfn(L.firstFreePfn + page), page);
      mapped.delete(page);
      return 0;
    },

    event_channel_op(cmd: number, arg: number, len: number): number {
      count("event_channel_op");
      arg >>>= 0;
      if (!inside(arg, len)) return -abi.EFAULT;
      const v = dv();
      const need = (n: number) => len >= n;
      switch (cmd) {
        case abi.EVTCHNOP_send:
          return need(4) ? dom.evtchn.send(v.getUint32(arg, true)) : -abi.EFAULT;
        case abi.EVTCHNOP_close:
          return need(4) ? dom.evtchn.close(v.getUint32(arg, true)) : -abi.EFAULT;
        case abi.EVTCHNOP_alloc_unbound: {
          if (!need(8)) return -abi.EFAULT;
          const d = v.getUint16(arg, true);
          if (d !== abi.DOMID_SELF && d !== dom.domid) return -abi.EPERM;
          const port = dom.evtchn.allocUnbound(v.getUint16(arg + 2, true));
          if (port < 0) return port;
          v.setUint32(arg + 4, port, true);
          return 0;
        }
        default:
          return -abi.ENOSYS;
      }
    },

    sched_op(cmd: number, arg: number, len: number): number {
      count("sched_op");
      arg >>>= 0;
      switch (cmd) {
        case abi.SCHEDOP_yield:
          return 0;
        case abi.SCHEDOP_shutdown: {
          if (!inside(arg, len) || len < 4) return -abi.EFAULT;
          const reason = abi.SHUTDOWN_REASONS[dv().getUint32(arg, true)];
          if (!reason) return -abi.EINVAL;
          dom.shutdownReason = reason;
          throw new DomainShutdown(reason);
        }
        case abi.SCHEDOP_block:
          throw new HarnessError("SCHEDOP_block: the loader polls, it must never block with events masked");
        default:
          return -abi.EINVAL;
      }
    },

    sched_poll(ports: number, nr: number, timeout: bigint): number {
      count("sched_poll");
      ports >>>= 0;
      if (nr < 1 || nr > 128 || !inside(ports, nr * 4)) return -abi.EFAULT;
      const list = Array.from({ length: nr }, (_, i) => dv().getUint32(ports + i * 4, true));
      for (const p of list) if (!dom.evtchn.ports.has(p)) return -abi.EINVAL;
      const anyPending = () => list.some((p) => dom.evtchn.pending(p));
      const deadline = BigInt.asUintN(64, timeout);
      if (!dom.clock.runUntil(deadline, anyPending)) {
        throw new HarnessError(`SCHEDOP_poll on ports ${list.join(",")} without a timeout, ` +
          `and nothing left that could raise them: the loader would hang here`);
      }
      return 0;
    },

    xen_version(cmd: number, arg: number, len: number): number {
      count("xen_version");
      arg >>>= 0;
      const ver = dom.config.xenVersion;
      switch (cmd) {
        case abi.XENVER_version:
          return (ver.major << 16) | ver.minor;
        case abi.XENVER_extraversion: {
          if (!inside(arg, 16) || len < 16) return -abi.EFAULT;
          const text = new TextEncoder().encode(ver.extra).subarray(0, 15);
          bytes().fill(0, arg, arg + 16);
          bytes().set(text, arg);
          return 0;
        }
        default:
          return -abi.ENOSYS;
      }
    },

    console_io_write(buf: number, len: number): number {
      count("console_io_write");
      buf >>>= 0;
      if (!inside(buf, len)) return -abi.EFAULT;
      const text = Buffer.from(bytes().subarray(buf, buf + len)).toString("latin1");
      dom.xenConsole += text;
      dom.console.onOutput?.(bytes().slice(buf, buf + len));
      return 0;
    },

    clock_ns(): bigint {
      count("clock_ns");
      return dom.clock.read();
    },

    mb(): void {
      count("mb");
    },

    atomic_clear_bit(offset: number, bit: number): number {
      count("atomic_clear_bit");
      offset >>>= 0;
      if (offset % 8 !== 0 || bit < 0 || bit > 63 || !inside(offset, 8)) return -abi.EINVAL;
      const v = dv();
      const word = v.getBigUint64(offset, true);
      const mask = 1n << BigInt(bit);
      v.setBigUint64(offset, word & ~mask, true);
      return (word & mask) !== 0n ? 1 : 0;
    },

    atomic_cmpxchg16(offset: number, expected: number, replacement: number): number {
      count("atomic_cmpxchg16");
      offset >>>= 0;
      if (offset % 2 !== 0 || !inside(offset, 2)) return -1;
      const v = dv();
      const found = v.getUint16(offset, true);
      if (found === (expected & 0xffff)) v.setUint16(offset, replacement & 0xffff, true);
      return found;
    },

    gnttab_setup_table(nr: number, frames: number): number {
      count("gnttab_setup_table");
      frames >>>= 0;
      if (nr < 1 || !inside(frames, nr * 8)) return -abi.EFAULT;
      const got = dom.gnttab.setupTable(nr);
      if (typeof got === "number") return got < 0 ? got : -abi.EINVAL;
      got.forEach((mfn, i) => dv().setBigUint64(frames + i * 8, BigInt(mfn), true));
      return 0;
    },

    grant_table_op(cmd: number, arg: number, len: number, count_: number): number {
      count("grant_table_op");
      arg >>>= 0;
      if (!inside(arg, len)) return -abi.EFAULT;
      if (count_ !== 1) return -abi.EINVAL;
      const v = dv();
      switch (cmd) {
        case abi.GNTTABOP_set_version:
          return len >= 4 ? dom.gnttab.setVersion(v.getUint32(arg, true)) : -abi.EFAULT;
        case abi.GNTTABOP_get_version:
          if (len < 8) return -abi.EFAULT;
          v.setUint32(arg + 4, dom.gnttab.queryVersion(), true);
          return 0;
        case abi.GNTTABOP_query_size: {
          if (len < 14) return -abi.EFAULT;
          const q = dom.gnttab.querySize();
          v.setUint32(arg + 4, q.nr_frames, true);
          v.setUint32(arg + 8, q.max_nr_frames, true);
          v.setInt16(arg + 12, q.status, true);
          return 0;
        }
        default:
          return -abi.EINVAL;
      }
    },
  };

  return { env: { memory }, xen };
}
