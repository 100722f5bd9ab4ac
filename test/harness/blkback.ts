// A block backend in domain 0 as a guest sees Linux's xen-blkback: the xenbus handshake in
// xenstore, the shared ring (x86_64 layout) mapped through the guest's grants, reads served
// from a raw image file, and faults to inject. Written from the public blkif/ring ABI and
// blkback's observable behaviour; no code of it is copied.
//
// The handshake, as Linux does it:
//   construction   writes feature-max-indirect-segments, max-ring-page-order and
//                  multi-queue-max-queues, then InitWait (2); watches the frontend's state.
//   fe Initialised (3) or Connected (4), unless already Connected:
//                  reads protocol, event-channel, ring-ref / ring-page-order + ring-refN,
//                  maps the ring pages writable, binds the event channel, writes the disk's
//                  details (sectors, info, sector-size, ...) and goes Connected (4).
//                  A bad frontend is fatal: an error node, and Closing (5).
//   fe Closing (5) goes Closing (5); the ring stays mapped and served, as in Linux.
//   fe Closed (6)  unmaps the ring, unbinds the event channel (the guest's port reverts to
//                  unbound, as Xen does when the remote end closes), drops unanswered work, Closed (6).
//   fe Initialising (1) while Closed: writes its features again and goes InitWait (2),
//                  ready for the next frontend.
// Note the disk's details appear only at Connected: a frontend must not read `sectors` before.
//
// Requests: READ and WRITE, direct (1..11 segments) and INDIRECT (1..feature-max-indirect-segments),
// checked as Linux checks them (segment ranges, the end of the disk, alignment to sector-size)
// and answered ERROR when they fail. A read's segments are mapped writable through the grant
// table when the request is taken and unmapped when it is answered, so its grant shows
// GTF_reading|GTF_writing while the request is in flight; a write's are mapped read-only (the
// backend only reads them: a frontend may grant them GTF_readonly) and its data taken at once.
// A write on a read-only vbd is answered ERROR, as Linux does ("attempted write on read-only
// device"). Writes land in an overlay the later reads see, or, with `persist`, in the image
// file itself (tests that check the image with e2fsck and debugfs): images shared by tests are
// never changed by default. WRITE_BARRIER and FLUSH_DISKCACHE without segments are flushes,
// answered OKAY when offered (`flush`: feature-flush-cache, the default, or feature-barrier);
// a WRITE_BARRIER with segments is a write then a flush; FLUSH_DISKCACHE with segments is
// answered ERROR. Every write and flush is logged in order (stats.log). Anything else is
// answered EOPNOTSUPP. Responses honour rsp_event as RING_PUSH_RESPONSES_AND_CHECK_NOTIFY does, and
// the backend sets req_event after draining the ring as RING_FINAL_CHECK_FOR_REQUESTS does.
// A grant the backend may not map throws GrantError, and a frontend overrunning the ring
// throws BlkbackError, out of whatever call got here (the guest's hypercall): tests fail loudly.

import * as fs from "node:fs";
import { EINVAL, ENOSYS, PAGE } from "./abi";
import type { MachineMemory } from "./frames";
import type { Clock } from "./clock";
import type { EventChannels } from "./evtchn";
import type { GrantTable } from "./gnttab";

export interface XenstoreBackendApi {
  read(path: string): string | null;
  write(path: string, value: string): void;
  rm(path: string): void;
  directory(path: string): string[] | null;
  watch(path: string, cb: (firedPath: string) => void): () => void; // fires once at registration, then on changes at/below path
}

export interface BlkbackFaults {
  errorSectors?: [number, number][]; // [first, last] 512-byte sectors: a request touching them gets BLKIF_RSP_ERROR
  eopnotsupp?: boolean; // every request answered BLKIF_RSP_EOPNOTSUPP
  delayMs?: number; // responses only after this much virtual time (clock.after)
  outOfOrder?: boolean; // answer the requests of one kick in reverse order
  dropAfter?: number; // after this many requests, consume but never answer (the frontend must time out)
  closeAfter?: number; // after this many requests, go to Closing (5) mid-read without answering the rest
  badResponseId?: boolean; // answer one request with an id the frontend never used
  resetDelayMs?: number; // after Closed, a frontend back in Initialising sees Closed this long before InitWait (real blkback's hotplug work)
}

export interface BlkbackOptions {
  xs: XenstoreBackendApi;
  mem: MachineMemory;
  clock: Clock;
  evtchn: EventChannels;
  gnttab: GrantTable;
  guestDomid: number;
  devid: number;
  image: string; // path of a raw disk image
  readonly?: boolean; // default: true for a cdrom, false otherwise
  cdrom?: boolean;
  sectorSize?: 512 | 4096;
  maxIndirectSegments?: number; // offered as feature-max-indirect-segments when > 0 (default 256)
  maxRingPageOrder?: number; // offered as max-ring-page-order when > 0 (default 4)
  faults?: BlkbackFaults;
  persist?: boolean; // writes go into the image file (default: an overlay in memory)
  flush?: "flush-cache" | "barrier" | "none"; // the flush the backend offers (default flush-cache)
}

export interface BlkbackStats {
  requests: number; // every request taken off the ring
  indirectRequests: number;
  segments: number; // data segments of the reads served
  bytes: number; // bytes copied into the guest's pages
  maxInFlight: number; // most requests taken and not yet answered at once
  ringEntries: number; // entries of the ring at the last connect
  protocol: string; // the ABI the ring spoke at the last connect ("" before any)
  writes: number; // write requests seen (WRITE, a WRITE_BARRIER with data, a flush with data)
  bytesWritten: number; // bytes of the writes answered OKAY
  flushes: number; // flushes answered OKAY (FLUSH_DISKCACHE, or WRITE_BARRIER, without data)
  log: { op: "write" | "flush"; sector: number; sectors: number }[]; // writes and flushes answered OKAY, in order
}

export const XenbusState = {
  Unknown: 0, Initialising: 1, InitWait: 2, Initialised: 3, Connected: 4, Closing: 5, Closed: 6,
} as const;

export const BLKIF_OP = { read: 0, write: 1, write_barrier: 2, flush_diskcache: 3, discard: 5, indirect: 6 } as const;
export const BLKIF_RSP = { okay: 0, error: -1, eopnotsupp: -2 } as const;
export const VDISK = { cdrom: 1, removable: 2, readonly: 4 } as const;

export const BLKIF_MAX_SEGMENTS_PER_REQUEST = 11;
export const BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST = 8;
export const SEGMENTS_PER_INDIRECT_FRAME = PAGE / 8;
export const SECTOR = 512;
const SECTORS_PER_PAGE = PAGE / SECTOR;

// The shared ring (io/ring.h) and the x86_64 blkif layout (io/blkif.h).
export const RING = { req_prod: 0, req_event: 4, rsp_prod: 8, rsp_event: 12, entries: 64, slot: 112 } as const;
export const REQ = { op: 0, nr_segments: 1, handle: 2, id: 8, sector: 16, seg: 24, seg_size: 8 } as const;
export const INDIRECT = { op: 0, indirect_op: 1, nr_segments: 2, id: 8, sector: 16, handle: 24, grefs: 28 } as const;
export const RSP = { id: 0, op: 8, status: 10, size: 16 } as const;

// The two ABIs a frontend may name in its `protocol` node, as Linux's blkback takes them: on
// x86_32 a u64 is 4-byte aligned, so a request's id, sector and segments sit 4 bytes lower,
// a request is 108 bytes and a response 12 (id @0, operation @8, status @10 in both).
export interface BlkifAbi {
  protocol: "x86_64-abi" | "x86_32-abi";
  slot: number; // a ring entry: the union of request and response
  req: { id: number; sector: number; seg: number };
  indirect: { id: number; sector: number; handle: number; grefs: number };
  rspSize: number;
}
export const BLKIF_X86_64: BlkifAbi = { protocol: "x86_64-abi", slot: 112, req: { id: 8, sector: 16, seg: 24 }, indirect: { id: 8, sector: 16, handle: 24, grefs: 28 }, rspSize: 16 };
export const BLKIF_X86_32: BlkifAbi = { protocol: "x86_32-abi", slot: 108, req: { id: 4, sector: 12, seg: 20 }, indirect: { id: 4, sector: 12, handle: 20, grefs: 24 }, rspSize: 12 };

// Entries in a ring of `pages` pages: the largest power of two that fits after the header.
export function ringEntries(pages: number, abi: BlkifAbi = BLKIF_X86_64): number {
  let n = 1;
  while (RING.entries + 2 * n * abi.slot <= pages * PAGE) n *= 2;
  return n;
}

// A frontend broke the ring protocol in a way Linux answers by halting the ring.
export class BlkbackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BlkbackError";
  }
}

interface Segment { gref: number; first: number; last: number }

interface Request {
  op: number; // for INDIRECT, the indirect_op
  indirect: boolean;
  nrSegments: number;
  id: bigint;
  sector: bigint; // 512-byte units, always
  segments: Segment[]; // direct requests only
  indirectGrefs: number[]; // indirect requests only
}

interface MappedSegment { handle: number; mfn: number; first: number; last: number }

// A request taken off the ring, waiting for its response.
interface Completion { id: bigint; op: number; status: number; sector: bigint; segments: MappedSegment[]; data?: Uint8Array; flush?: boolean }

// One connection of a frontend: its ring, its port, and the work in flight on it.
interface Connection {
  ring: SharedRing;
  ringHandles: number[];
  entries: number;
  abi: BlkifAbi; // the layout the frontend's protocol node named
  guestPort: number;
  portOpen: boolean;
  notify: () => void; // what we bound to the guest's port (to recognise our binding)
  reqCons: number;
  rspProdPvt: number;
  inFlight: number;
  delayed: Set<Completion[]>; // batches whose responses wait for a timer
}

export class Blkback {
  state: number = XenbusState.Unknown;
  stats: BlkbackStats = { requests: 0, indirectRequests: 0, segments: 0, bytes: 0, maxInFlight: 0, ringEntries: 0, writes: 0, protocol: "", bytesWritten: 0, flushes: 0, log: [] };
  // Written sectors not in the image file (without `persist`): 512-byte sector -> its bytes.
  readonly overlay = new Map<number, Uint8Array>();
  faults: BlkbackFaults;
  errors: string[] = []; // what went to the error node, for tests
  readonly backendPath: string;
  readonly frontendPath: string;
  readonly sectors: bigint; // disk size in 512-byte units
  readonly sectorSize: 512 | 4096;
  readonly readOnly: boolean;
  readonly cdrom: boolean;
  readonly maxIndirectSegments: number;
  readonly maxRingPageOrder: number;

  private conn: Connection | null = null;
  private stalled = false; // closeAfter fired: the ring is left alone until the frontend closes
  private badIdSent = false;
  private unwatch: (() => void) | null = null;

  constructor(private opts: BlkbackOptions) {
    this.faults = opts.faults ?? {};
    this.cdrom = opts.cdrom ?? false;
    this.readOnly = opts.readonly ?? this.cdrom;
    this.sectorSize = opts.sectorSize ?? 512;
    this.maxIndirectSegments = opts.maxIndirectSegments ?? 256;
    this.maxRingPageOrder = opts.maxRingPageOrder ?? 4;
    // Whole logical sectors of the image, counted in 512-byte units.
    const logical = Math.floor(fs.statSync(opts.image).size / this.sectorSize);
    this.sectors = BigInt(logical) * BigInt(this.sectorSize / SECTOR);

    this.backendPath = `/local/domain/0/backend/vbd/${opts.guestDomid}/${opts.devid}`;
    const fe = opts.xs.read(`${this.backendPath}/frontend`);
    if (!fe) throw new Error(`blkback: ${this.backendPath}/frontend is missing: the toolstack did not set the device up`);
    this.frontendPath = fe;
    this.state = Number(opts.xs.read(`${this.backendPath}/state`) ?? XenbusState.Unknown);

    this.writeFeatures();
    this.switchState(XenbusState.InitWait);
    this.unwatch = opts.xs.watch(`${this.frontendPath}/state`, () => this.frontendChanged());
  }

  // Requests taken and not answered on the current connection (dropped ones stay here).
  get inFlight(): number {
    return this.conn?.inFlight ?? 0;
  }

  get connected(): boolean {
    return this.conn !== null;
  }

  // Stop watching and let go of the frontend's ring (the device is being destroyed).
  destroy(): void {
    this.unwatch?.();
    this.unwatch = null;
    this.disconnect();
  }

  // ---- xenbus ----

  private frontendChanged(): void {
    const raw = this.opts.xs.read(`${this.frontendPath}/state`);
    const fe = raw === null ? XenbusState.Unknown : Number(raw);
    switch (fe) {
      case XenbusState.Initialising:
        if (this.state === XenbusState.Closed) {
          const reopen = () => {
            if (this.state !== XenbusState.Closed) return;
            this.writeFeatures();
            this.switchState(XenbusState.InitWait);
          };
          const delayMs = this.faults.resetDelayMs ?? 0;
          if (delayMs > 0) this.opts.clock.after(BigInt(Math.round(delayMs * 1e6)), reopen);
          else reopen();
        }
        break;
      case XenbusState.Initialised:
      case XenbusState.Connected:
        if (this.state !== XenbusState.Connected) this.connect();
        break;
      case XenbusState.Closing:
        this.switchState(XenbusState.Closing);
        break;
      case XenbusState.Closed:
      case XenbusState.Unknown: // the frontend's state is gone: Linux would also drop the device
        this.disconnect();
        this.switchState(XenbusState.Closed);
        break;
      default:
        this.fatal(EINVAL, `saw state ${raw} at frontend`);
    }
  }

  private switchState(s: number): void {
    if (this.state === s) return;
    this.state = s;
    this.opts.xs.write(`${this.backendPath}/state`, String(s));
  }

  // What Linux's probe writes before InitWait.
  private writeFeatures(): void {
    const { xs } = this.opts;
    if (this.maxIndirectSegments > 0) {
      xs.write(`${this.backendPath}/feature-max-indirect-segments`, String(this.maxIndirectSegments));
    }
    xs.write(`${this.backendPath}/multi-queue-max-queues`, "1");
    if (this.maxRingPageOrder > 0) xs.write(`${this.backendPath}/max-ring-page-order`, String(this.maxRingPageOrder));
  }

  // What Linux's connect() writes just before Connected.
  private writeDiskDetails(): void {
    const { xs } = this.opts;
    const info = (this.cdrom ? VDISK.cdrom | VDISK.removable : 0) | (this.readOnly ? VDISK.readonly : 0);
    const be = this.backendPath;
    const flush = this.opts.flush ?? "flush-cache";
    if (flush === "flush-cache") xs.write(`${be}/feature-flush-cache`, "1");
    if (flush === "barrier") xs.write(`${be}/feature-barrier`, "1");
    xs.write(`${be}/feature-discard`, "0");
    xs.write(`${be}/feature-persistent`, "0"); // every grant is unmapped after its request
    xs.write(`${be}/sectors`, this.sectors.toString());
    xs.write(`${be}/info`, String(info));
    xs.write(`${be}/sector-size`, String(this.sectorSize));
    xs.write(`${be}/physical-sector-size`, String(this.sectorSize));
  }

  // xenbus_dev_fatal: the error node (in dom0's error/ tree, positive errno first), then Closing.
  private fatal(errno: number, message: string): void {
    this.errors.push(message);
    this.opts.xs.write(`/local/domain/0/error/backend/vbd/${this.opts.guestDomid}/${this.opts.devid}/error`,
      `${errno} ${message}`);
    this.switchState(XenbusState.Closing);
  }

  // A non-negative decimal, or null when the node is missing or is not one.
  private readUnsigned(path: string): number | null {
    const v = this.opts.xs.read(path);
    return v !== null && /^[0-9]+$/.test(v) ? Number(v) : null;
  }

  private connect(): void {
    this.disconnect(); // idempotent; as Linux, never two rings at once
    const { xs } = this.opts;
    const fe = this.frontendPath;

    // No node: the backend's own ABI (x86_64, as dom0 runs here).
    const protocol = xs.read(`${fe}/protocol`);
    const abi = protocol === null || protocol === "x86_64-abi" ? BLKIF_X86_64 : protocol === "x86_32-abi" ? BLKIF_X86_32 : null;
    if (!abi) {
      return this.fatal(ENOSYS, `unknown fe protocol ${protocol} (this backend speaks x86_64-abi and x86_32-abi)`);
    }
    const queues = xs.read(`${fe}/multi-queue-num-queues`);
    if (queues !== null && queues !== "1") {
      return this.fatal(ENOSYS, `guest requested ${queues} queues, exceeding the maximum of 1.`);
    }
    const port = this.readUnsigned(`${fe}/event-channel`);
    if (port === null) return this.fatal(EINVAL, `reading ${fe}/event-channel (${xs.read(`${fe}/event-channel`)})`);
    const refs = this.readRingRefs();
    if (typeof refs === "string") return this.fatal(EINVAL, refs);

    const { handles, mfns } = this.mapRing(refs);
    const conn: Connection = {
      ring: new SharedRing(this.opts.mem, mfns), ringHandles: handles, entries: ringEntries(refs.length, abi), abi,
      guestPort: port, portOpen: true, notify: () => {}, reqCons: 0, rspProdPvt: 0, inFlight: 0, delayed: new Set(),
    };
    conn.notify = () => this.kicked(conn);
    const bound = this.opts.evtchn.bindFromBackend(port, 0, "vbd", conn.notify, () => { conn.portOpen = false; });
    if (bound < 0) {
      this.unmapAll(handles);
      return this.fatal(-bound, `mapping ring-ref port ${port}`);
    }
    this.conn = conn;
    this.stats.ringEntries = conn.entries;
    this.stats.protocol = abi.protocol;
    this.writeDiskDetails();
    this.switchState(XenbusState.Connected);
  }

  // The ring pages, writable; a refusal throws after letting go of the pages already mapped.
  private mapRing(refs: number[]): { handles: number[]; mfns: number[] } {
    const handles: number[] = [];
    const mfns: number[] = [];
    try {
      for (const ref of refs) {
        const m = this.opts.gnttab.map(ref, 0, false);
        handles.push(m.handle);
        mfns.push(m.mfn);
      }
    } catch (e) {
      this.unmapAll(handles);
      throw e;
    }
    return { handles, mfns };
  }

  private unmapAll(handles: number[]): void {
    for (const h of handles) this.opts.gnttab.unmap(h);
  }

  // ring-ref, or with ring-page-order N ring-ref0..ring-ref(2^N-1); a string says what is wrong.
  private readRingRefs(): number[] | string {
    const fe = this.frontendPath;
    const orderNode = this.opts.xs.read(`${fe}/ring-page-order`);
    if (orderNode === null) {
      const ref = this.readUnsigned(`${fe}/ring-ref`);
      return ref === null ? `reading ${fe}/ring-ref (${this.opts.xs.read(`${fe}/ring-ref`)})` : [ref];
    }
    const order = this.readUnsigned(`${fe}/ring-page-order`);
    if (order === null || order > this.maxRingPageOrder) {
      return `${fe}/request ${orderNode} ring page order exceed max:${this.maxRingPageOrder}`;
    }
    const refs: number[] = [];
    for (let i = 0; i < 1 << order; i++) {
      const ref = this.readUnsigned(`${fe}/ring-ref${i}`);
      if (ref === null) return `reading ${fe}/ring-ref${i} (${this.opts.xs.read(`${fe}/ring-ref${i}`)})`;
      refs.push(ref);
    }
    return refs;
  }

  // Let go of the ring, the port and everything in flight. Idempotent.
  private disconnect(): void {
    const c = this.conn;
    if (!c) return;
    this.conn = null;
    this.stalled = false;
    for (const batch of c.delayed) for (const done of batch) this.unmapSegments(done);
    c.delayed.clear();
    this.unmapAll(c.ringHandles);
    this.unbindPort(c);
  }

  private unbindPort(c: Connection): void {
    c.portOpen = false;
    this.opts.evtchn.unbindFromBackend(c.guestPort, c.notify);
  }

  // ---- the ring ----

  // The guest notified: take every request, then answer them (now, or after the delay). As in
  // Linux, the ring is served until the frontend is Closed, also while Closing.
  private kicked(c: Connection): void {
    if (c !== this.conn || this.stalled) return;
    const batch: Completion[] = [];
    try {
      this.takeAll(c, batch);
    } finally {
      this.answerLater(c, batch); // also what was taken before a GrantError, so nothing stays mapped
    }
  }

  private takeAll(c: Connection, batch: Completion[]): void {
    ring: for (;;) {
      const prod = c.ring.u32(RING.req_prod);
      if (((prod - c.rspProdPvt) >>> 0) > c.entries) {
        throw new BlkbackError(`blkback: frontend provided bogus ring requests (req_prod ${prod}, ` +
          `rsp_prod ${c.rspProdPvt}, ring of ${c.entries})`);
      }
      while (c.reqCons !== prod) {
        if (this.faults.closeAfter !== undefined && this.stats.requests >= this.faults.closeAfter) {
          this.stalled = true; // mid-read: what is left on the ring stays unanswered
          this.switchState(XenbusState.Closing);
          break ring;
        }
        const req = this.readRequest(c, c.reqCons);
        c.reqCons = (c.reqCons + 1) >>> 0;
        const done = this.take(c, req);
        if (done) batch.push(done);
      }
      // RING_FINAL_CHECK_FOR_REQUESTS: ask for a notification on the next request, then look again.
      c.ring.setU32(RING.req_event, (c.reqCons + 1) >>> 0);
      if (c.ring.u32(RING.req_prod) === c.reqCons) break;
    }
  }

  private readRequest(c: Connection, index: number): Request {
    const A = c.abi;
    const base = RING.entries + (index & (c.entries - 1)) * A.slot;
    const raw = c.ring.read(base, A.slot);
    const v = new DataView(raw.buffer);
    const op = v.getUint8(REQ.op);
    if (op === BLKIF_OP.indirect) {
      const grefs: number[] = [];
      for (let i = 0; i < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; i++) grefs.push(v.getUint32(A.indirect.grefs + 4 * i, true));
      return {
        op: v.getUint8(INDIRECT.indirect_op), indirect: true, nrSegments: v.getUint16(INDIRECT.nr_segments, true),
        id: v.getBigUint64(A.indirect.id, true), sector: v.getBigUint64(A.indirect.sector, true),
        segments: [], indirectGrefs: grefs,
      };
    }
    const nr = v.getUint8(REQ.nr_segments);
    const segments: Segment[] = [];
    for (let i = 0; i < Math.min(nr, BLKIF_MAX_SEGMENTS_PER_REQUEST); i++) {
      segments.push(segmentAt(v, A.req.seg + i * REQ.seg_size));
    }
    return {
      op, indirect: false, nrSegments: nr, id: v.getBigUint64(A.req.id, true), sector: v.getBigUint64(A.req.sector, true),
      segments, indirectGrefs: [],
    };
  }

  // One request taken off the ring: its completion, or null when the fault drops it.
  private take(c: Connection, req: Request): Completion | null {
    this.stats.requests++;
    if (req.indirect) this.stats.indirectRequests++;
    c.inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, c.inFlight);
    if (this.faults.dropAfter !== undefined && this.stats.requests > this.faults.dropAfter) return null;

    const answer = (status: number): Completion => ({ id: req.id, op: req.op, status, sector: req.sector, segments: [] });
    if (this.faults.eopnotsupp) return answer(BLKIF_RSP.eopnotsupp);
    // Linux: an indirect request must carry a READ or a WRITE.
    if (req.indirect && req.op !== BLKIF_OP.read && req.op !== BLKIF_OP.write) return answer(BLKIF_RSP.error);
    const offered = this.opts.flush ?? "flush-cache";
    switch (req.op) {
      case BLKIF_OP.read:
        return this.takeRead(req) ?? answer(BLKIF_RSP.error);
      case BLKIF_OP.write:
        this.stats.writes++;
        return this.takeWrite(req) ?? answer(BLKIF_RSP.error);
      case BLKIF_OP.write_barrier:
        if (offered !== "barrier") return answer(BLKIF_RSP.eopnotsupp);
        if (req.nrSegments === 0) return { ...answer(BLKIF_RSP.okay), flush: true };
        this.stats.writes++;
        {
          const w = this.takeWrite(req);
          return w ? { ...w, flush: true } : answer(BLKIF_RSP.error);
        }
      case BLKIF_OP.flush_diskcache:
        if (offered !== "flush-cache") return answer(BLKIF_RSP.eopnotsupp);
        if (req.nrSegments === 0) return { ...answer(BLKIF_RSP.okay), flush: true };
        this.stats.writes++; // a flush carrying data is a write
        return answer(BLKIF_RSP.error);
      default: // discard (not offered) and operations nobody defined
        return answer(BLKIF_RSP.eopnotsupp);
    }
  }

  // A write, checked as a read is (and refused on a read-only vbd); null when it is to be
  // answered ERROR. Its segments are mapped read-only, their data taken now, and unmapped.
  private takeWrite(req: Request): Completion | null {
    if (this.readOnly) return null;
    const segments = this.checkedSegments(req);
    if (!segments) return null;
    const count = segments.reduce((n, s) => n + s.last - s.first + 1, 0);
    const data = new Uint8Array(count * SECTOR);
    let at = 0;
    for (const s of segments) {
      const { mfn, handle } = this.opts.gnttab.map(s.gref, 0, true);
      try {
        const len = (s.last - s.first + 1) * SECTOR;
        data.set(this.opts.mem.bytes(mfn).subarray(s.first * SECTOR, s.first * SECTOR + len), at);
        at += len;
      } finally {
        this.opts.gnttab.unmap(handle);
      }
    }
    this.stats.segments += segments.length;
    const failed = (this.faults.errorSectors ?? []).some(([a, b]) => BigInt(a) < req.sector + BigInt(count) && BigInt(b) >= req.sector);
    return { id: req.id, op: req.op, status: failed ? BLKIF_RSP.error : BLKIF_RSP.okay, sector: req.sector, segments: [], data };
  }

  // A request's data segments, checked as Linux checks them; null when they fail.
  private checkedSegments(req: Request): Segment[] | null {
    const max = req.indirect ? this.maxIndirectSegments : BLKIF_MAX_SEGMENTS_PER_REQUEST;
    if (req.nrSegments === 0 || req.nrSegments > max) return null;
    const segments = req.indirect ? this.indirectSegments(req) : req.segments;
    if (segments.some((s) => s.last >= SECTORS_PER_PAGE || s.last < s.first)) return null;
    const count = BigInt(segments.reduce((n, s) => n + s.last - s.first + 1, 0));
    if (req.sector + count > this.sectors) return null;
    const perLogical = this.sectorSize / SECTOR;
    if (req.sector % BigInt(perLogical) !== 0n) return null;
    if (segments.some((s) => (s.last - s.first + 1) % perLogical !== 0)) return null;
    return segments;
  }

  // A read, checked as Linux checks it; null when it is to be answered ERROR. Its segments
  // are mapped writable now and stay mapped until the response.
  private takeRead(req: Request): Completion | null {
    const segments = this.checkedSegments(req);
    if (!segments) return null;
    const end = req.sector + BigInt(segments.reduce((n, s) => n + s.last - s.first + 1, 0));

    const mapped = this.mapSegments(segments);
    this.stats.segments += segments.length;
    const failed = (this.faults.errorSectors ?? []).some(([a, b]) => BigInt(a) < end && BigInt(b) >= req.sector);
    return { id: req.id, op: req.op, status: failed ? BLKIF_RSP.error : BLKIF_RSP.okay, sector: req.sector, segments: mapped };
  }

  // The segments an indirect request lists in its indirect pages (mapped read-only, as Linux does,
  // and unmapped once read).
  private indirectSegments(req: Request): Segment[] {
    const pages = Math.ceil(req.nrSegments / SEGMENTS_PER_INDIRECT_FRAME);
    const segments: Segment[] = [];
    for (let p = 0; p < pages; p++) {
      const { mfn, handle } = this.opts.gnttab.map(req.indirectGrefs[p], 0, true);
      try {
        const v = this.opts.mem.view(mfn);
        const here = Math.min(SEGMENTS_PER_INDIRECT_FRAME, req.nrSegments - p * SEGMENTS_PER_INDIRECT_FRAME);
        for (let i = 0; i < here; i++) segments.push(segmentAt(v, i * REQ.seg_size));
      } finally {
        this.opts.gnttab.unmap(handle);
      }
    }
    return segments;
  }

  private mapSegments(segments: Segment[]): MappedSegment[] {
    const mapped: MappedSegment[] = [];
    try {
      for (const s of segments) {
        const { mfn, handle } = this.opts.gnttab.map(s.gref, 0, false);
        mapped.push({ handle, mfn, first: s.first, last: s.last });
      }
    } catch (e) {
      this.unmapAll(mapped.map((m) => m.handle));
      throw e;
    }
    return mapped;
  }

  private unmapSegments(done: Completion): void {
    this.unmapAll(done.segments.map((m) => m.handle));
    done.segments = [];
  }

  private answerLater(c: Connection, batch: Completion[]): void {
    if (batch.length === 0) return;
    const delayMs = this.faults.delayMs ?? 0;
    if (delayMs <= 0) return this.answer(c, batch);
    c.delayed.add(batch);
    this.opts.clock.after(BigInt(Math.round(delayMs * 1e6)), () => {
      if (c.delayed.delete(batch)) this.answer(c, batch); // else the connection went away first
    });
  }

  // The data into the guest's pages, the grants released, the responses on the ring.
  private answer(c: Connection, batch: Completion[]): void {
    const order = this.faults.outOfOrder ? [...batch].reverse() : batch;
    for (const done of order) {
      if (done.status === BLKIF_RSP.okay && done.data) this.writeImage(done.sector, done.data);
      if (done.status === BLKIF_RSP.okay && done.flush) {
        this.stats.flushes++;
        this.stats.log.push({ op: "flush", sector: 0, sectors: 0 });
      }
      if (done.status === BLKIF_RSP.okay && done.segments.length) this.copyFromImage(done);
      this.unmapSegments(done);
      this.putResponse(c, done);
      c.inFlight--;
    }
    this.pushResponses(c);
  }

  // A write's data: into the image file (persist) or the overlay.
  private writeImage(sector: bigint, data: Uint8Array): void {
    const first = Number(sector);
    if (this.opts.persist) {
      const fd = fs.openSync(this.opts.image, "r+");
      try {
        fs.writeSync(fd, data, 0, data.length, first * SECTOR);
      } finally {
        fs.closeSync(fd);
      }
    } else {
      for (let i = 0; i < data.length / SECTOR; i++) this.overlay.set(first + i, data.slice(i * SECTOR, (i + 1) * SECTOR));
    }
    this.stats.bytesWritten += data.length;
    this.stats.log.push({ op: "write", sector: first, sectors: data.length / SECTOR });
  }

  private copyFromImage(done: Completion): void {
    const total = done.segments.reduce((n, s) => n + (s.last - s.first + 1) * SECTOR, 0);
    const data = readImage(this.opts.image, Number(done.sector) * SECTOR, total);
    if (this.overlay.size > 0) {
      for (let i = 0; i < total / SECTOR; i++) {
        const o = this.overlay.get(Number(done.sector) + i);
        if (o) data.set(o, i * SECTOR);
      }
    }
    let at = 0;
    for (const s of done.segments) {
      const len = (s.last - s.first + 1) * SECTOR;
      this.opts.mem.bytes(s.mfn).set(data.subarray(at, at + len), s.first * SECTOR);
      at += len;
    }
    this.stats.bytes += total;
  }

  private putResponse(c: Connection, done: Completion): void {
    let id = done.id;
    if (this.faults.badResponseId && !this.badIdSent) {
      this.badIdSent = true;
      id = ~id & 0xffff_ffff_ffff_ffffn; // the complement: not an id the frontend has outstanding
    }
    const rsp = new Uint8Array(c.abi.rspSize);
    const v = new DataView(rsp.buffer);
    v.setBigUint64(RSP.id, id, true);
    v.setUint8(RSP.op, done.op);
    v.setInt16(RSP.status, done.status, true);
    c.ring.write(RING.entries + (c.rspProdPvt & (c.entries - 1)) * c.abi.slot, rsp);
    c.rspProdPvt = (c.rspProdPvt + 1) >>> 0;
  }

  // RING_PUSH_RESPONSES_AND_CHECK_NOTIFY: publish, and notify only if the frontend asked
  // (rsp_event) for a response in the range just published.
  private pushResponses(c: Connection): void {
    const old = c.ring.u32(RING.rsp_prod);
    const now = c.rspProdPvt;
    c.ring.setU32(RING.rsp_prod, now);
    const event = c.ring.u32(RING.rsp_event);
    const notify = ((now - event) >>> 0) < ((now - old) >>> 0);
    if (notify && c.portOpen && c === this.conn) this.opts.evtchn.raise(c.guestPort);
  }
}

function segmentAt(v: DataView, off: number): Segment {
  return { gref: v.getUint32(off, true), first: v.getUint8(off + 4), last: v.getUint8(off + 5) };
}

// The buffer reads land in, kept from one request to the next: a fresh one per request costs a
// page fault per 4 KiB on first touch, which on a VM with shadow page tables was most of the
// time `pvboot cat` spent reading a large file (scripts/bench/ext4-read-all.ts: 1.13 -> 0.53 s
// for 133 MB).
let scratch = Buffer.alloc(0);

// `len` bytes of the image from `pos`, through a descriptor opened read-only for the purpose.
// The bytes are valid until the next call (the caller copies them into the guest's frames).
function readImage(path: string, pos: number, len: number): Uint8Array {
  if (scratch.length < len) scratch = Buffer.alloc(Math.max(len, 1 << 20));
  const buf = scratch.subarray(0, len);
  const fd = fs.openSync(path, "r");
  try {
    let got = 0;
    while (got < len) {
      const n = fs.readSync(fd, buf, got, len - got, pos + got);
      if (n === 0) throw new Error(`blkback: ${path} ends at ${pos + got}, inside a read it advertised`);
      got += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return buf;
}

// The frontend's ring pages, contiguous as the backend maps them; every access goes through
// mem.bytes so it sees the frames wherever they live now.
export class SharedRing {
  constructor(private mem: MachineMemory, readonly mfns: number[]) {}

  read(off: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.walk(off, len, (bytes, within, at, n) => out.set(bytes.subarray(within, within + n), at));
    return out;
  }

  write(off: number, data: Uint8Array): void {
    this.walk(off, data.length, (bytes, within, at, n) => bytes.set(data.subarray(at, at + n), within));
  }

  u32(off: number): number {
    return new DataView(this.read(off, 4).buffer).getUint32(0, true);
  }

  setU32(off: number, value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    this.write(off, b);
  }

  private walk(off: number, len: number, step: (bytes: Uint8Array, within: number, at: number, n: number) => void): void {
    if (off < 0 || off + len > this.mfns.length * PAGE) throw new Error(`ring access ${off}+${len} outside the ring`);
    for (let at = 0; at < len;) {
      const pos = off + at;
      const within = pos % PAGE;
      const n = Math.min(len - at, PAGE - within);
      step(this.mem.bytes(this.mfns[Math.floor(pos / PAGE)]), within, at, n);
      at += n;
    }
  }
}
