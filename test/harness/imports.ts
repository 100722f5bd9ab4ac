// The contract of docs/contract.md, implemented over the emulated Xen: what boot/ does
// natively, done here against a Domain. Names and arities are checked by test/contract.test.ts;
// behaviour by test/xen/contract.test.ts, which runs one table of calls (src/debug/contract.ts)
// here and through boot/imports.c on real Xen and compares the answers line for line. The
// checks the shim makes before Xen sees a call (commands, counts, struct lengths) are made
// here in the same order; the rest answers as Xen does. A PVH domain (dom.pvh) answers as the
// PVH shim does: frames are gfns, no PV MMU, its own start_kernel (pvh.ts).

import * as abi from "./abi";
import { PAGE } from "./abi";
import type { Domain } from "./domain";
import { GuestIdle } from "./clock";
import { MMU_MACHPHYS_UPDATE, MMUEXT_PIN_L3_TABLE, MMUEXT_PIN_L4_TABLE, MMUEXT_UNPIN_TABLE, translate } from "./mmu";
import { pvhStartKernel, type PvhRecord } from "./pvh";

// Thrown through the wasm stack to end the guest, as SCHEDOP_shutdown never returns.
export class DomainShutdown extends Error {
  constructor(readonly reason: abi.ShutdownReason) {
    super(`domain shut down: ${reason}`);
  }
}

// The jump into the next kernel happened (xen.start_kernel accepted the record): the run ends
// here, and the harness checks the new domain (handoff.ts).
export class DomainJumped extends Error {
  constructor(readonly record: HandoffRecord) {
    super(`jumped to the next kernel at 0x${record.entry.toString(16)}`);
  }
}

// The platform crashed the domain after saying `line` (what the shim would print, when it
// still can): e.g. a jump whose trampoline the new page tables do not map.
export class PlatformCrash extends Error {
  constructor(readonly line: string) {
    super(line);
  }
}

// The handoff record of docs/contract.md, as start_kernel read it, with copies of the ELF and
// the summary it points at (taken at the jump).
export interface HandoffRecord {
  l4Mfn: bigint;
  entry: bigint;
  stack: bigint;
  startInfo: bigint;
  trampoline: number;
  elf: number;
  elfLen: number;
  summary: number;
  summaryLen: number;
  elfBytes: Uint8Array; // [elf, elf+elfLen) of the linear memory (empty when out of range)
  summaryText: string | null; // [summary, summary+summaryLen) as UTF-8, null when absent
  pvh?: PvhRecord; // kind 2's fields (l4Mfn and stack are then 0)
}

export const HANDOFF_SIZE = 64;

// The harness itself found the guest doing something Xen would never let it do, or waiting
// for something that can never come: a test failure, not a guest error.
export class HarnessError extends Error {}

export interface ImportStats { calls: Record<string, number> }

export function makeImports(dom: Domain, memory: WebAssembly.Memory, stats: ImportStats) {
  dom.mem.memory = memory;
  const L = dom.layout;
  const mapped = dom.linear.mapped; // linear page -> mapped mfn
  const readOnly = dom.linear.readOnly; // linear pages mapped read-only

  const bytes = () => new Uint8Array(memory.buffer);
  const dv = () => new DataView(memory.buffer);
  const inside = (ptr: number, len: number) =>
    ptr >>> 0 === ptr && len >= 0 && ptr + len <= memory.buffer.byteLength;
  // Xen faults a store through a read-only mapping (a #PF, which the shim reports before it
  // crashes the domain). Wasm stores cannot be trapped, so each read-only linear page keeps
  // its bytes as they were when it became read-only (or when Xen itself last changed them, at
  // a pin) and is compared whenever the core calls into the platform: a difference is the
  // store that would have faulted. The frequent calls that change no mapping and end nothing
  // skip the comparison.
  const roBytes = new Map<number, Uint8Array>(); // linear page -> its bytes as mapped read-only
  const keepReadOnly = (page: number) => roBytes.set(page, bytes().slice(page * PAGE, (page + 1) * PAGE));
  const checkReadOnly = () => {
    for (const [page, kept] of roBytes) {
      const now = new Uint8Array(memory.buffer, page * PAGE, PAGE);
      const mfn = mapped.get(page) ?? dom.pfnToMfn(L.firstFreePfn + page);
      // a validated page table: as Xen left it after its adjustments at the pin
      const validated = dom.mmu.validatedBytes(mfn);
      const was = validated ?? kept;
      if (Buffer.compare(now, was) === 0) {
        if (validated && Buffer.compare(kept, validated) !== 0) roBytes.set(page, validated.slice());
        continue;
      }
      let i = 0;
      while (now[i] === was[i]) i++;
      const offset = page * PAGE + i;
      const va = (BigInt(L.firstFreePfn) << 12n) + BigInt(offset);
      dom.jumpError = `a write to linear offset 0x${offset.toString(16)} through a read-only mapping of mfn 0x${mfn.toString(16)}` +
        (dom.mmu.level(mfn) ? ` (an L${dom.mmu.level(mfn)} page table)` : "") +
        ` (0x${was[i].toString(16)} became 0x${now[i].toString(16)})`;
      throw new PlatformCrash(`pvboot: shim fault: vector 14 #PF page fault, error 0x3, cr2 0x${va.toString(16)}: ${dom.jumpError}`);
    }
  };
  const NO_MAPPING_CALLS = new Set(["clock_ns", "mb", "atomic_clear_bit", "atomic_cmpxchg16", "mfn_of", "pfn_of",
    "va_of", "pfn_to_mfn", "guest_kind", "start_info_mfn", "memory_map"]);
  const count = (name: string) => {
    stats.calls[name] = (stats.calls[name] ?? 0) + 1;
    if (roBytes.size && !NO_MAPPING_CALLS.has(name)) checkReadOnly();
  };

  // Frames the guest may map: its own, shared_info, its grant-table frames.
  const mappable = (mfn: number) =>
    dom.mem.owner(mfn) === dom.domid || mfn === dom.sharedInfoMfn || dom.gnttab.frames.includes(mfn);

  const xen = {
    guest_kind(): number {
      count("guest_kind");
      return dom.pvh ? 2 : dom.pv32 ? 1 : 0;
    },

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
      // the shim's check: a frame a PTE of this width names (below 2^40; x86_32: below 2^32)
      const mfnU = BigInt.asUintN(64, mfnBig);
      if (mfnU >= 1n << 40n || (dom.pv32 && mfnU >= 1n << 32n)) return -abi.EINVAL;
      // Xen: the all-ones frame (its INVALID_MFN) is -EINVAL; any other frame without RAM is
      // MMIO space a domU may not map, -EPERM; so is another domain's frame
      if (mfnU === (1n << 40n) - 1n) return -abi.EINVAL;
      // PVH: the number is a gfn; the shim's PTE names whatever the physmap has there
      const frame = dom.pvh ? dom.gfnFrame(Number(mfnU)) : Number(mfnU);
      if (frame === undefined) return -abi.EPERM;
      const mfn = frame;
      if (!dom.mem.has(mfn) || !mappable(mfn)) return -abi.EPERM;
      const page = offset / PAGE;
      const ro = (flags & 1) !== 0;
      // Xen refuses a writable mapping of a frame that is a page table now (its type is
      // taken): -EBUSY
      if (!ro && dom.mmu.level(mfn)) return -abi.EBUSY;
      const previous = mapped.get(page);
      if (previous !== undefined) {
        // replace the mapping: the page's own frame does not come back in between
        dom.mem.moveOut(previous);
        mapped.delete(page);
      }
      // the page's own frame over itself stays where it is (moveIntoLinear keeps it)
      dom.mem.moveIntoLinear(mfn, page);
      mapped.set(page, mfn);
      // Read-only is tracked (Xen's type counts see it), with the page's bytes, so that a store
      // through it shows up at the next call (checkReadOnly).
      if (ro) {
        readOnly.add(page);
        keepReadOnly(page);
      } else {
        readOnly.delete(page);
        roBytes.delete(page);
      }
      return 0;
    },

    unmap_frame(offset: number): number {
      count("unmap_frame");
      offset >>>= 0;
      if (offset % PAGE !== 0 || !inside(offset, PAGE)) return -abi.EINVAL;
      const page = offset / PAGE;
      const mfn = mapped.get(page);
      if (mfn === undefined) return 0;
      // putting the page's own frame back is a writable mapping of it: refused while it is a
      // page table (pinned, or part of a pinned hierarchy), -EBUSY as in map_frame
      const own = dom.pfnToMfn(L.firstFreePfn + page);
      if (dom.mmu.level(own)) return -abi.EBUSY;
      readOnly.delete(page);
      roBytes.delete(page);
      dom.mem.moveOut(mfn);
      dom.mem.moveIntoLinear(dom.pfnToMfn(L.firstFreePfn + page), page);
      mapped.delete(page);
      return 0;
    },

    // alloc_unbound (8 bytes), send and close (4), status (24); any other command is -ENOSYS,
    // as the shim refuses it.
    event_channel_op(cmd: number, arg: number, len: number): number {
      count("event_channel_op");
      arg >>>= 0;
      const need = { [abi.EVTCHNOP_alloc_unbound]: 8, [abi.EVTCHNOP_send]: 4, [abi.EVTCHNOP_close]: 4, [abi.EVTCHNOP_status]: 24 }[cmd];
      if (need === undefined) return -abi.ENOSYS;
      if (!inside(arg, len) || len < need) return -abi.EFAULT;
      const v = dv();
      switch (cmd) {
        case abi.EVTCHNOP_send:
          return dom.evtchn.send(v.getUint32(arg, true));
        case abi.EVTCHNOP_close:
          return dom.evtchn.close(v.getUint32(arg, true));
        case abi.EVTCHNOP_status: {
          const d = v.getUint16(arg, true);
          if (d !== abi.DOMID_SELF && d !== dom.domid) return -abi.EPERM;
          const st = dom.evtchn.status(v.getUint32(arg + 4, true));
          if (typeof st === "number") return st;
          v.setUint32(arg + 8, st.status, true);
          v.setUint32(arg + 12, 0, true); // vcpu
          v.setUint32(arg + 16, st.a, true);
          v.setUint32(arg + 20, st.b, true);
          return 0;
        }
        case abi.EVTCHNOP_alloc_unbound: {
          const d = v.getUint16(arg, true);
          if (d !== abi.DOMID_SELF && d !== dom.domid) return -abi.EPERM;
          const port = dom.evtchn.allocUnbound(v.getUint16(arg + 2, true));
          if (port < 0) return port;
          v.setUint32(arg + 4, port, true);
          return 0;
        }
      }
      return -abi.ENOSYS;
    },

    // yield, and shutdown for poweroff, reboot, crash and watchdog; everything else (block,
    // which would unmask events, poll, suspend, soft_reset) is -EINVAL, as the shim has it.
    sched_op(cmd: number, arg: number, len: number): number {
      count("sched_op");
      arg >>>= 0;
      if (!inside(arg, len)) return -abi.EFAULT;
      switch (cmd) {
        case abi.SCHEDOP_yield:
          return 0;
        case abi.SCHEDOP_shutdown: {
          if (len < 4) return -abi.EFAULT;
          const reason = abi.SHUTDOWN_REASONS[dv().getUint32(arg, true)];
          if (reason !== "poweroff" && reason !== "reboot" && reason !== "crash" && reason !== "watchdog") return -abi.EINVAL;
          dom.shutdownReason = reason;
          throw new DomainShutdown(reason);
        }
        default:
          return -abi.EINVAL;
      }
    },

    sched_poll(ports: number, nr: number, timeout: bigint): number {
      count("sched_poll");
      ports >>>= 0;
      nr >>>= 0;
      if (nr < 1 || nr > 128) return -abi.EINVAL;
      if (!inside(ports, nr * 4)) return -abi.EFAULT;
      const list = Array.from({ length: nr }, (_, i) => dv().getUint32(ports + i * 4, true));
      for (const p of list) if (!dom.evtchn.ports.has(p)) return -abi.EINVAL;
      const anyPending = () => list.some((p) => dom.evtchn.pending(p));
      // Xen takes the timeout as a signed s_time_t: one with the top bit set is a time long
      // past, its timer fires at once and the poll returns at once, for ever (a busy loop).
      const deadline = BigInt.asIntN(64, timeout);
      if (deadline < 0n) {
        throw new HarnessError(`SCHEDOP_poll on ports ${list.join(",")} with timeout 0x${BigInt.asUintN(64, timeout).toString(16)}: ` +
          `Xen reads it as a negative s_time_t and returns at once: the loader would spin instead of waiting`);
      }
      if (!dom.clock.runUntil(deadline, anyPending)) {
        // Waiting for keys without a timeout is a loader at its prompt: a person may type.
        if (list.includes(dom.console.port)) throw new GuestIdle(`the guest waits for input with nothing else to do`);
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
          if (!inside(arg, len) || len < 16) return -abi.EFAULT;
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
      // Xen (a release build, as Debian's) lets only dom0 write its console: -EPERM for a domU
      if (!dom.config.dom0) return -abi.EPERM;
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
      nr >>>= 0;
      if (nr < 1 || nr > 64) return -abi.EINVAL; // the shim's frame list holds 64
      if (!inside(frames, nr * 8)) return -abi.EFAULT;
      const got = dom.gnttab.setupTable(nr);
      if (typeof got === "number") return got < 0 ? got : -abi.EINVAL;
      if (dom.pvh) {
        // the shim: XENMEM_add_to_physmap(XENMAPSPACE_grant_table, i) at hole + 1 + i
        got.forEach((frame, i) => {
          dom.physmap.set(dom.holeGfn + 1 + i, frame);
          dv().setBigUint64(frames + i * 8, BigInt(dom.holeGfn + 1 + i), true);
        });
        return 0;
      }
      got.forEach((mfn, i) => dv().setBigUint64(frames + i * 8, BigInt(mfn), true));
      return 0;
    },

    // XENMEM_memory_map: PV kinds never ask (-ENOSYS, as the shim answers without a hypercall).
    memory_map(buf: number, len: number): number {
      count("memory_map");
      buf >>>= 0;
      len >>>= 0;
      if (!dom.pvh) return -abi.ENOSYS;
      if (len < 24) return -abi.EINVAL;
      if (!inside(buf, len)) return -abi.EFAULT;
      const n = Math.min(dom.memmap.length, Math.floor(len / 24));
      const v = dv();
      for (let i = 0; i < n; i++) {
        const m = dom.memmap[i];
        v.setBigUint64(buf + i * 24, m.addr, true);
        v.setBigUint64(buf + i * 24 + 8, m.size, true);
        v.setUint32(buf + i * 24 + 16, m.type, true);
        v.setUint32(buf + i * 24 + 20, 0, true);
      }
      return n;
    },

    // set_version (4 bytes), get_version (8), query_size (16: Xen writes the whole struct);
    // the command, then the count (Xen takes one), then the length, as the shim checks them.
    grant_table_op(cmd: number, arg: number, len: number, count_: number): number {
      count("grant_table_op");
      arg >>>= 0;
      const need = { [abi.GNTTABOP_set_version]: 4, [abi.GNTTABOP_get_version]: 8, [abi.GNTTABOP_query_size]: 16 }[cmd];
      if (need === undefined) return -abi.EINVAL;
      if (count_ !== 1) return -abi.EINVAL;
      if (!inside(arg, len) || len < need) return -abi.EFAULT;
      const v = dv();
      switch (cmd) {
        case abi.GNTTABOP_set_version:
          return dom.gnttab.setVersion(v.getUint32(arg, true));
        case abi.GNTTABOP_get_version: {
          const d = v.getUint16(arg, true); // another domain's: Xen's XSM says -EPERM to a domU
          if (d !== abi.DOMID_SELF && d !== dom.domid) return -abi.EPERM;
          v.setUint32(arg + 4, dom.gnttab.queryVersion(), true);
          return 0;
        }
        case abi.GNTTABOP_query_size: {
          const d = v.getUint16(arg, true);
          if (d !== abi.DOMID_SELF && d !== dom.domid) { // Xen: rc 0, GNTST_permission_denied
            v.setInt16(arg + 12, -8, true);
            return 0;
          }
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

    pfn_of(offset: number): bigint {
      count("pfn_of");
      offset >>>= 0;
      if (!inside(offset, 1)) return -1n;
      return BigInt(L.firstFreePfn + Math.floor(offset / PAGE));
    },

    va_of(offset: number): bigint {
      count("va_of");
      offset >>>= 0;
      if (!inside(offset, 1)) return -1n;
      return (BigInt(L.firstFreePfn) << 12n) + BigInt(offset); // pfn p at va p << 12 (VIRT_BASE 0)
    },

    hypercall_page(dst: number): number {
      count("hypercall_page");
      dst >>>= 0;
      if (!inside(dst, PAGE)) return -abi.EFAULT;
      bytes().set(dom.hypercallPage, dst);
      return 0;
    },

    // Requests are done in order; the first refused one stops the batch (those before it
    // took effect), as Xen does. The reason is kept in dom.mmu.lastError.
    mmu_update(reqs: number, n: number): number {
      count("mmu_update");
      if (dom.pvh) return -abi.ENOSYS; // no PV MMU
      reqs >>>= 0;
      if (n < 0 || !inside(reqs, n * 16)) return -abi.EFAULT;
      const v = dv();
      for (let i = 0; i < n; i++) {
        const ptr = v.getBigUint64(reqs + i * 16, true);
        const val = v.getBigUint64(reqs + i * 16 + 8, true);
        const kind = Number(ptr & 7n);
        if (kind !== MMU_MACHPHYS_UPDATE) {
          dom.mmu.lastError = `mmu_update request ${i}: kind ${kind} (ptr 0x${ptr.toString(16)}); only MMU_MACHPHYS_UPDATE (1) is the core's`;
          return -abi.EINVAL;
        }
        const mfn = Number(ptr >> 12n);
        if (dom.mem.owner(mfn) !== dom.domid) {
          dom.mmu.lastError = `mmu_update request ${i}: MMU_MACHPHYS_UPDATE of mfn 0x${mfn.toString(16)}, not a frame of the domain`;
          return -abi.EINVAL;
        }
        dom.m2p.set(mfn, val < 1n << 32n ? Number(val) : -1);
      }
      return 0;
    },

    // MMUEXT_PIN_L4_TABLE and MMUEXT_UNPIN_TABLE with Xen's rules (mmu.ts); done in order,
    // the first refused op stops the batch with its errno, the reason in dom.mmu.lastError.
    mmuext_op(ops: number, n: number): number {
      count("mmuext_op");
      if (dom.pvh) return -abi.ENOSYS;
      ops >>>= 0;
      n >>>= 0;
      if (n > 64) return -abi.EINVAL; // the shim converts at most 64 ops
      if (!inside(ops, n * 24)) return -abi.EFAULT;
      const v = dv();
      for (let i = 0; i < n; i++) {
        const cmd = v.getUint32(ops + i * 24, true);
        const arg1 = v.getBigUint64(ops + i * 24 + 8, true);
        let r: number;
        if (arg1 >= 1n << 40n) {
          dom.mmu.lastError = `mmuext_op ${i}: mfn 0x${arg1.toString(16)} is no machine frame`;
          r = -abi.EINVAL;
        } else if (cmd === MMUEXT_PIN_L4_TABLE && !dom.pv32) r = dom.mmu.pinL4(Number(arg1));
        else if (cmd === MMUEXT_PIN_L3_TABLE && dom.pv32) r = dom.mmu.pinL3(Number(arg1));
        else if (cmd === MMUEXT_UNPIN_TABLE) {
          r = Number(arg1) === dom.cr3 ? -abi.EINVAL : dom.mmu.unpin(Number(arg1));
        } else {
          dom.mmu.lastError = `mmuext_op ${i}: command ${cmd}; only ${dom.pv32 ? "PIN_L3_TABLE (2)" : "PIN_L4_TABLE (3)"} and UNPIN_TABLE (4) are the core's in this ${dom.config.arch} domain`;
          r = -abi.EINVAL;
        }
        if (r < 0) return r;
      }
      return 0;
    },

    set_timer_op(timeout: bigint): number {
      count("set_timer_op");
      dom.timer = BigInt.asUintN(64, timeout); // recorded, never fired: the core polls
      return 0;
    },

    start_kernel(handoff: number, len: number): number {
      count("start_kernel");
      handoff >>>= 0;
      if (dom.pvh) {
        return pvhStartKernel(dom, memory, handoff, len, () => {
          for (const [page, frame] of mapped) {
            dom.mem.moveOut(frame);
            dom.mem.moveIntoLinear(L.firstFreePfn + page, page);
          }
          mapped.clear();
          readOnly.clear();
          roBytes.clear();
        });
      }
      if (len < 0 || !inside(handoff, len)) return -abi.EFAULT;
      const refuse = (why: string) => {
        dom.jumpError = why;
        return -abi.EINVAL;
      };
      if (len < HANDOFF_SIZE) return refuse(`the handoff record is ${len} bytes, at least ${HANDOFF_SIZE} expected`);
      const v = dv();
      const u64 = (o: number) => v.getBigUint64(handoff + o, true);
      const u32 = (o: number) => v.getUint32(handoff + o, true);
      const rec = {
        l4Mfn: u64(0), entry: u64(8), stack: u64(16), startInfo: u64(24), trampoline: u32(32),
        elf: u32(40), elfLen: u32(44), summary: u32(48), summaryLen: u32(52),
      };
      const l4 = Number(rec.l4Mfn);
      if (rec.l4Mfn >= 1n << 40n || !dom.mmu.pinned.has(l4)) return refuse(`l4_mfn 0x${rec.l4Mfn.toString(16)} is not a pinned ${dom.pv32 ? "L3" : "L4"} table`);
      if (rec.trampoline % PAGE !== 0 || !inside(rec.trampoline, PAGE)) {
        return refuse(`the trampoline offset 0x${rec.trampoline.toString(16)} is not a page-aligned page of the memory`);
      }
      const changed = dom.mmu.modified();
      if (changed.length) {
        const c = changed[0];
        throw new HarnessError(`the loader wrote to pinned page table mfn 0x${c.mfn.toString(16)} ` +
          `(L${c.level} slot ${c.slot}: 0x${c.was.toString(16)} became 0x${c.now.toString(16)}); Xen would have faulted the write`);
      }
      const record: HandoffRecord = {
        ...rec,
        elfBytes: inside(rec.elf, rec.elfLen) ? bytes().slice(rec.elf, rec.elf + rec.elfLen) : new Uint8Array(0),
        summaryText: rec.summaryLen > 0 && inside(rec.summary, rec.summaryLen)
          ? new TextDecoder().decode(bytes().subarray(rec.summary, rec.summary + rec.summaryLen)) : null,
      };
      // The platform runs from the trampoline page at va_of(trampoline) across NEW_BASEPTR: the
      // new tables must map that va to the frame the platform runs it from now.
      const page = rec.trampoline / PAGE;
      const frame = mapped.get(page) ?? dom.pfnToMfn(L.firstFreePfn + page);
      const va = (BigInt(L.firstFreePfn) << 12n) + BigInt(rec.trampoline);
      const t = translate((m) => (dom.mem.has(m) ? dom.mem.bytes(m) : null), l4, va, dom.pv32);
      dom.cr3 = l4; // NEW_BASEPTR (and UNPIN of the platform's table, which the harness has not)
      if (!t || t.mfn !== frame) {
        dom.jumpError = `the new page tables map va 0x${va.toString(16)} ` +
          (t ? `to mfn 0x${t.mfn.toString(16)}, not to the trampoline's mfn 0x${frame.toString(16)}` : "to nothing");
        throw new PlatformCrash("pvboot: the trampoline is not mapped in the new page tables");
      }
      throw new DomainJumped(record);
    },
  };

  return { env: { memory }, xen };
}
