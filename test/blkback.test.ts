// The emulated grant table and block backend, driven by a small frontend written here in TS:
// it grants pages by writing entries into the grant frames, sets up the ring and the event
// channel, writes its xenstore nodes and states, puts requests on the ring and reads the
// responses and the data, which must be the image's bytes. xenstore is a Map-based stand-in.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PAGE, SHINFO, ENOSYS, EINVAL } from "./harness/abi";
import { DOMID_XEN, MachineMemory } from "./harness/frames";
import { Clock } from "./harness/clock";
import { EventChannels } from "./harness/evtchn";
import { GNTST, GTF, GrantError, GrantTable } from "./harness/gnttab";
import {
  Blkback, BlkbackError, BLKIF_RSP, XenbusState, type BlkbackOptions, type XenstoreBackendApi,
} from "./harness/blkback";

const GUEST = 1;
const DEVID = 51712; // xvda
const IMAGE_SIZE = 2 * 1024 * 1024;
const SENTINEL = 0xee; // what fills a data page before the backend writes into it

// ---- the disk image: pseudo-random bytes, so any misplaced sector shows ----

let tmp = "";
let imagePath = "";
let image: Buffer = Buffer.alloc(0);
let imageDigest = "";
let imageMtime = 0;

function pseudoRandom(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i += 4) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b.writeUInt32LE(x, i);
  }
  return b;
}

function digest(p: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pvboot-blkback-"));
  imagePath = path.join(tmp, "disk.img");
  image = pseudoRandom(IMAGE_SIZE, 0xb10c);
  fs.writeFileSync(imagePath, image);
  fs.chmodSync(imagePath, 0o444);
  imageDigest = digest(imagePath);
  imageMtime = fs.statSync(imagePath).mtimeMs;
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

// ---- a Map-based xenstore with watches (a stand-in for xenstored) ----

class MapStore implements XenstoreBackendApi {
  nodes = new Map<string, string>();
  log: string[] = []; // every write, in order, as "path=value"
  private watches = new Set<{ path: string; cb: (p: string) => void }>();

  read(p: string): string | null {
    return this.nodes.get(p) ?? null;
  }

  write(p: string, value: string): void {
    this.nodes.set(p, value);
    this.log.push(`${p}=${value}`);
    this.fire(p);
  }

  rm(p: string): void {
    for (const k of [...this.nodes.keys()]) if (k === p || k.startsWith(p + "/")) this.nodes.delete(k);
    this.fire(p);
  }

  directory(p: string): string[] | null {
    const names = new Set<string>();
    for (const k of this.nodes.keys()) if (k.startsWith(p + "/")) names.add(k.slice(p.length + 1).split("/")[0]);
    return names.size || this.nodes.has(p) ? [...names] : null;
  }

  watch(p: string, cb: (firedPath: string) => void): () => void {
    const w = { path: p, cb };
    this.watches.add(w);
    cb(p);
    return () => this.watches.delete(w);
  }

  private fire(p: string): void {
    for (const w of [...this.watches]) {
      if (p === w.path || p.startsWith(w.path + "/") || w.path.startsWith(p + "/")) w.cb(p);
    }
  }
}

// ---- one guest: memory, events, grants, xenstore ----

class World {
  mem = new MachineMemory();
  clock = new Clock();
  xs = new MapStore();
  shinfo = 0x7f000;
  evtchn: EventChannels;
  gnttab: GrantTable;
  private nextFrame = 0x100000;
  private nextRef = 8; // 0..7 are reserved for the toolstack

  constructor() {
    this.mem.add(this.shinfo, DOMID_XEN);
    this.evtchn = new EventChannels(this.mem, this.shinfo);
    this.gnttab = new GrantTable(this.mem, GUEST);
    this.gnttab.setupTable(4);
  }

  page(fill = SENTINEL): number {
    const mfn = this.nextFrame++;
    this.mem.add(mfn, GUEST);
    this.mem.bytes(mfn).fill(fill);
    return mfn;
  }

  // The guest's side of granting: frame and domid first, then the flags.
  grant(frame: number, o: { domid?: number; readonly?: boolean; ref?: number } = {}): number {
    const ref = o.ref ?? this.nextRef++;
    const { v, off } = this.entry(ref);
    v.setUint32(off + 4, frame, true);
    v.setUint16(off + 2, o.domid ?? 0, true);
    v.setUint16(off, GTF.permit_access | (o.readonly ? GTF.readonly : 0), true);
    return ref;
  }

  // The guest's end of access: refused while the backend has it mapped.
  endAccess(ref: number): boolean {
    const { v, off } = this.entry(ref);
    if (v.getUint16(off, true) & (GTF.reading | GTF.writing)) return false;
    v.setUint16(off, 0, true);
    return true;
  }

  flags(ref: number): number {
    const { v, off } = this.entry(ref);
    return v.getUint16(off, true);
  }

  endAllGrants(except: number[] = []): void {
    for (let ref = 8; ref < this.nextRef; ref++) {
      if (this.flags(ref) & GTF.permit_access && !except.includes(ref)) expect(this.endAccess(ref), `end access of ref ${ref}`).toBe(true);
    }
  }

  pending(port: number): boolean {
    return this.evtchn.pending(port);
  }

  clearPending(port: number): void {
    const b = this.mem.bytes(this.shinfo);
    b[SHINFO.evtchn_pending + (port >> 3)] &= ~(1 << (port & 7));
  }

  // What the toolstack writes before the backend starts.
  toolstack(devid = DEVID): void {
    const be = backendPath(devid);
    const fe = frontendPath(devid);
    this.xs.write(`${be}/frontend`, fe);
    this.xs.write(`${be}/frontend-id`, String(GUEST));
    this.xs.write(`${be}/online`, "1");
    this.xs.write(`${be}/state`, "1");
    this.xs.write(`${fe}/backend`, be);
    this.xs.write(`${fe}/backend-id`, "0");
    this.xs.write(`${fe}/virtual-device`, String(devid));
    this.xs.write(`${fe}/state`, "1");
  }

  backend(opts: Partial<BlkbackOptions> = {}): Blkback {
    this.toolstack(opts.devid ?? DEVID);
    return new Blkback({
      xs: this.xs, mem: this.mem, clock: this.clock, evtchn: this.evtchn, gnttab: this.gnttab,
      guestDomid: GUEST, devid: DEVID, image: imagePath, ...opts,
    });
  }

  private entry(ref: number): { v: DataView; off: number } {
    return { v: this.mem.view(this.gnttab.frames[Math.floor(ref / 512)]), off: (ref % 512) * 8 };
  }
}

function backendPath(devid = DEVID): string {
  return `/local/domain/0/backend/vbd/${GUEST}/${devid}`;
}

function frontendPath(devid = DEVID): string {
  return `/local/domain/${GUEST}/device/vbd/${devid}`;
}

// ---- blkif requests, built byte by byte from the ABI (x86_64) ----

interface Seg { gref: number; first: number; last: number }
interface Rsp { id: bigint; op: number; status: number }

function directRequest(id: number | bigint, sector: number | bigint, segs: Seg[], op = 0, nr = segs.length): Uint8Array {
  const b = new Uint8Array(112);
  const v = new DataView(b.buffer);
  v.setUint8(0, op);
  v.setUint8(1, nr);
  v.setUint16(2, DEVID & 0xffff, true);
  v.setBigUint64(8, BigInt(id), true);
  v.setBigUint64(16, BigInt(sector), true);
  segs.slice(0, 11).forEach((s, i) => {
    v.setUint32(24 + 8 * i, s.gref, true);
    v.setUint8(28 + 8 * i, s.first);
    v.setUint8(29 + 8 * i, s.last);
  });
  return b;
}

function indirectRequest(id: number, sector: number, nr: number, grefs: number[], indirectOp = 0): Uint8Array {
  const b = new Uint8Array(112);
  const v = new DataView(b.buffer);
  v.setUint8(0, 6);
  v.setUint8(1, indirectOp);
  v.setUint16(2, nr, true);
  v.setBigUint64(8, BigInt(id), true);
  v.setBigUint64(16, BigInt(sector), true);
  v.setUint16(24, DEVID & 0xffff, true);
  grefs.forEach((g, i) => v.setUint32(28 + 4 * i, g, true));
  return b;
}

// Pages of indirect segments, granted read-only as a frontend should.
function indirectPages(w: World, segs: Seg[]): number[] {
  const refs: number[] = [];
  for (let p = 0; p * 512 < segs.length; p++) {
    const mfn = w.page(0);
    const v = w.mem.view(mfn);
    segs.slice(p * 512, (p + 1) * 512).forEach((s, i) => {
      v.setUint32(8 * i, s.gref, true);
      v.setUint8(8 * i + 4, s.first);
      v.setUint8(8 * i + 5, s.last);
    });
    refs.push(w.grant(mfn, { readonly: true }));
  }
  return refs;
}

// ---- the frontend ----

function entriesFor(pages: number): number {
  let n = 1;
  while (64 + 2 * n * 112 <= pages * PAGE) n *= 2;
  return n;
}

class Frontend {
  ringMfns: number[] = [];
  ringRefs: number[] = [];
  entries = 0;
  port = -1;
  reqProdPvt = 0;
  rspCons = 0;

  constructor(private w: World, readonly path = frontendPath()) {}

  // Ring, port and nodes, then the state (Initialised unless told otherwise).
  connect(o: { order?: number; protocol?: string | null; state?: number } = {}): void {
    const pages = 1 << (o.order ?? 0);
    this.ringMfns = [];
    this.ringRefs = [];
    for (let i = 0; i < pages; i++) {
      const mfn = this.w.page(0);
      this.ringMfns.push(mfn);
      this.ringRefs.push(this.w.grant(mfn));
    }
    this.entries = entriesFor(pages);
    this.reqProdPvt = this.rspCons = 0;
    this.setU32(4, 1); // SHARED_RING_INIT: req_event = rsp_event = 1
    this.setU32(12, 1);
    this.port = this.w.evtchn.allocUnbound(0);
    const xs = this.w.xs;
    if (o.order === undefined) xs.write(`${this.path}/ring-ref`, String(this.ringRefs[0]));
    else {
      xs.write(`${this.path}/ring-page-order`, String(o.order));
      this.ringRefs.forEach((r, i) => xs.write(`${this.path}/ring-ref${i}`, String(r)));
    }
    xs.write(`${this.path}/event-channel`, String(this.port));
    if (o.protocol !== null) xs.write(`${this.path}/protocol`, o.protocol ?? "x86_64-abi");
    this.setState(o.state ?? XenbusState.Initialised);
  }

  setState(s: number): void {
    this.w.xs.write(`${this.path}/state`, String(s));
  }

  // Requests onto the ring, then RING_PUSH_REQUESTS_AND_CHECK_NOTIFY. Returns whether it kicked.
  submit(reqs: Uint8Array[]): boolean {
    for (const r of reqs) {
      this.write(64 + (this.reqProdPvt & (this.entries - 1)) * 112, r);
      this.reqProdPvt = (this.reqProdPvt + 1) >>> 0;
    }
    const old = this.u32(0);
    this.setU32(0, this.reqProdPvt);
    const event = this.u32(4);
    const kick = ((this.reqProdPvt - event) >>> 0) < ((this.reqProdPvt - old) >>> 0);
    if (kick) this.w.evtchn.send(this.port);
    return kick;
  }

  // Responses published so far; then ask to be told about the next one.
  responses(): Rsp[] {
    const out: Rsp[] = [];
    const prod = this.u32(8);
    while (this.rspCons !== prod) {
      const v = new DataView(this.read(64 + (this.rspCons & (this.entries - 1)) * 112, 16).buffer);
      out.push({ id: v.getBigUint64(0, true), op: v.getUint8(8), status: v.getInt16(10, true) });
      this.rspCons = (this.rspCons + 1) >>> 0;
    }
    this.setU32(12, this.rspCons + 1);
    return out;
  }

  // The orderly way out: Closing, Closed, end the grants, close the port, drop the nodes.
  teardown(be: Blkback): void {
    this.setState(XenbusState.Closing);
    expect(be.state).toBe(XenbusState.Closing);
    this.setState(XenbusState.Closed);
    expect(be.state).toBe(XenbusState.Closed);
    this.w.endAllGrants();
    expect(this.w.evtchn.close(this.port)).toBe(0);
    for (const n of ["ring-ref", "ring-page-order", "event-channel", "protocol"]) this.w.xs.rm(`${this.path}/${n}`);
    for (let i = 0; i < 16; i++) this.w.xs.rm(`${this.path}/ring-ref${i}`);
  }

  u32(off: number): number {
    return new DataView(this.read(off, 4).buffer).getUint32(0, true);
  }

  setU32(off: number, v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.write(off, b);
  }

  private read(off: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.w.mem.bytes(this.ringMfns[Math.floor((off + i) / PAGE)])[(off + i) % PAGE];
    return out;
  }

  private write(off: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) this.w.mem.bytes(this.ringMfns[Math.floor((off + i) / PAGE)])[(off + i) % PAGE] = data[i];
  }
}

// ---- helpers for reads and their checks ----

interface Planned { segs: Seg[]; mfns: number[] }

// Segments with the given [first, last] sector ranges, each in a fresh page granted to dom0.
function plan(w: World, ranges: [number, number][], grant: { domid?: number; readonly?: boolean } = {}): Planned {
  const mfns = ranges.map(() => w.page());
  return { mfns, segs: ranges.map(([first, last], i) => ({ gref: w.grant(mfns[i], grant), first, last })) };
}

// "" when the pages hold the image's sectors from `sector` in segment order and the sentinel
// everywhere else; otherwise what is wrong.
function dataMismatch(w: World, p: Planned, sector: number): string {
  let at = sector * 512;
  for (let i = 0; i < p.segs.length; i++) {
    const { first, last } = p.segs[i];
    const page = w.mem.bytes(p.mfns[i]);
    const len = (last - first + 1) * 512;
    if (!Buffer.from(page.subarray(first * 512, first * 512 + len)).equals(image.subarray(at, at + len))) {
      return `segment ${i} (sectors ${first}..${last}) does not hold image bytes ${at}..${at + len}`;
    }
    for (let j = 0; j < PAGE; j++) {
      if ((j < first * 512 || j >= (last + 1) * 512) && page[j] !== SENTINEL) return `segment ${i}: byte ${j} outside ${first}..${last} written`;
    }
    at += len;
  }
  return "";
}

function untouched(w: World, p: Planned): boolean {
  return p.mfns.every((m) => w.mem.bytes(m).every((b) => b === SENTINEL));
}

function connected(o: Partial<BlkbackOptions> = {}, c: { order?: number } = {}): { w: World; be: Blkback; fe: Frontend } {
  const w = new World();
  const be = w.backend(o);
  const fe = new Frontend(w);
  fe.connect(c);
  expect(be.state).toBe(XenbusState.Connected);
  return { w, be, fe };
}

// One request, one response: its status.
function roundTrip(fe: Frontend, req: Uint8Array): Rsp {
  fe.submit([req]);
  const r = fe.responses();
  expect(r).toHaveLength(1);
  return r[0];
}

// =====================================================================================

describe("GrantTable", () => {
  it("starts with one frame, grows on setup_table keeping the old frames, refuses more than the maximum", () => {
    const mem = new MachineMemory();
    const gt = new GrantTable(mem, GUEST, { maxFrames: 4, nextMfn: 0x5000 });
    expect(gt.querySize()).toEqual({ nr_frames: 1, max_nr_frames: 4, status: GNTST.okay });
    mem.view(0x5000).setUint32(100, 0xdeadbeef, true);

    expect(gt.setupTable(3)).toEqual([0x5000, 0x5001, 0x5002]);
    expect(mem.view(0x5000).getUint32(100, true)).toBe(0xdeadbeef);
    expect(mem.owner(0x5002)).toBe(DOMID_XEN);
    expect(mem.bytes(0x5002).every((b) => b === 0)).toBe(true);
    expect(gt.setupTable(2)).toEqual([0x5000, 0x5001]); // never shrinks
    expect(gt.frames).toHaveLength(3);
    expect(gt.setupTable(5)).toBe(GNTST.general_error);
    expect(gt.frames).toHaveLength(3);
    expect(gt.setupTable(4)).toHaveLength(4);
    expect(gt.querySize().nr_frames).toBe(4);
  });

  it("supports version 1 only, answering set_version as Xen with max-ver 1 does", () => {
    const gt = new GrantTable(new MachineMemory(), GUEST);
    expect(gt.setVersion(1)).toBe(0);
    expect(gt.setVersion(2)).toBe(-ENOSYS);
    expect(gt.setVersion(3)).toBe(-EINVAL);
    expect(gt.queryVersion()).toBe(1);
    expect(gt.version).toBe(1);
  });

  it("sets GTF_reading/GTF_writing while mapped, clears them with the last mapping, and the guest cannot end access meanwhile", () => {
    const w = new World();
    const mfn = w.page();
    const ref = w.grant(mfn);
    expect(w.gnttab.liveGrants()).toBe(1);

    const rw = w.gnttab.map(ref, 0, false);
    expect(rw.mfn).toBe(mfn);
    expect(w.flags(ref)).toBe(GTF.permit_access | GTF.reading | GTF.writing);
    const ro = w.gnttab.map(ref, 0, true);
    const rw2 = w.gnttab.map(ref, 0, false);
    expect(w.gnttab.liveMappings()).toBe(3);
    expect(w.endAccess(ref)).toBe(false);

    w.gnttab.unmap(rw2.handle);
    expect(w.flags(ref)).toBe(GTF.permit_access | GTF.reading | GTF.writing); // one writable mapping remains

    w.gnttab.unmap(rw.handle);
    expect(w.flags(ref)).toBe(GTF.permit_access | GTF.reading); // a read-only mapping remains
    expect(w.endAccess(ref)).toBe(false);
    w.gnttab.unmap(ro.handle);
    expect(w.flags(ref)).toBe(GTF.permit_access);
    expect(w.gnttab.liveMappings()).toBe(0);
    expect(w.endAccess(ref)).toBe(true);
    expect(w.gnttab.liveGrants()).toBe(0);

    expect(() => w.gnttab.unmap(ro.handle)).toThrow(GrantError);
  });

  it("refuses a map without permit_access, for another domain, writable of a read-only grant, past the table, or of a frame the guest does not own", () => {
    const w = new World();
    const refused = (ref: number, readonly: boolean, status: number, why: RegExp) => {
      let err: unknown;
      try {
        w.gnttab.map(ref, 0, readonly);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GrantError);
      expect((err as GrantError).status).toBe(status);
      expect((err as GrantError).message).toMatch(new RegExp(`ref ${ref}\\b`));
      expect((err as GrantError).message).toMatch(why);
    };

    const notGranted = w.grant(w.page());
    w.endAccess(notGranted);
    refused(notGranted, true, GNTST.general_error, /permit_access/);
    refused(w.grant(w.page(), { domid: 2 }), true, GNTST.general_error, /granted to d2/);
    const ro = w.grant(w.page(), { readonly: true });
    refused(ro, false, GNTST.general_error, /readonly/);
    refused(w.gnttab.nrEntries, true, GNTST.bad_gntref, /beyond the table/);
    refused(w.grant(w.gnttab.frames[0]), true, GNTST.bad_page, /owned by d32754/); // Xen's own frame
    refused(w.grant(0xabcdef), true, GNTST.bad_page, /no machine frame/);
    expect(w.gnttab.liveMappings()).toBe(0);

    // the refusals changed nothing: the read-only grant still maps read-only, and the last entry works
    expect(w.flags(ro)).toBe(GTF.permit_access | GTF.readonly);
    expect(w.gnttab.map(ro, 0, true).mfn).toBeGreaterThan(0);
    const last = w.grant(w.page(), { ref: w.gnttab.nrEntries - 1 });
    expect(() => w.gnttab.map(last, 0, false)).not.toThrow();
  });
});

// =====================================================================================

describe("Blkback handshake", () => {
  it("offers its features in InitWait, and its disk only on connecting, as Linux does", () => {
    const w = new World();
    const be = w.backend();
    const node = (n: string) => w.xs.read(`${backendPath()}/${n}`);
    expect(be.state).toBe(XenbusState.InitWait);
    expect(node("state")).toBe("2");
    expect(node("feature-max-indirect-segments")).toBe("256");
    expect(node("max-ring-page-order")).toBe("4");
    expect(node("multi-queue-max-queues")).toBe("1");
    expect(node("sectors")).toBeNull();

    const fe = new Frontend(w);
    fe.connect();
    expect(node("state")).toBe("4");
    expect(node("sectors")).toBe(String(IMAGE_SIZE / 512));
    expect(node("info")).toBe("0");
    expect(node("sector-size")).toBe("512");
    expect(node("physical-sector-size")).toBe("512");
    expect(node("feature-flush-cache")).toBe("1");
    expect(node("feature-persistent")).toBe("0");
    // the details are in place before the frontend can see Connected
    const log = w.xs.log;
    expect(log.indexOf(`${backendPath()}/sectors=${IMAGE_SIZE / 512}`)).toBeLessThan(log.indexOf(`${backendPath()}/state=4`));

    expect(w.gnttab.liveMappings()).toBe(1);
    expect(w.flags(fe.ringRefs[0])).toBe(GTF.permit_access | GTF.reading | GTF.writing);
    expect(w.evtchn.ports.get(fe.port)?.kind).toBe("interdomain");
    expect(be.stats.ringEntries).toBe(32);

    // Watch events for Initialised again, then Connected, change nothing: the ring keeps its indexes
    const p = plan(w, [[0, 7]]);
    expect(roundTrip(fe, directRequest(1, 0, p.segs)).id).toBe(1n);
    fe.setState(XenbusState.Initialised);
    fe.setState(XenbusState.Connected);
    expect(w.gnttab.liveMappings()).toBe(1);
    expect(roundTrip(fe, directRequest(2, 0, p.segs)).id).toBe(2n);
    expect(be.stats.requests).toBe(2); // the first request was not taken a second time
  });

  it("describes read-only disks and CD-ROMs in info, and leaves out the features it is told not to offer", () => {
    const info = (o: Partial<BlkbackOptions>) => {
      const { w } = connected(o);
      return w.xs.read(`${backendPath()}/info`);
    };
    expect(info({ readonly: true })).toBe("4");
    expect(info({ cdrom: true })).toBe("7");
    expect(info({ cdrom: true, readonly: false })).toBe("3");

    const w = new World();
    w.backend({ maxIndirectSegments: 0, maxRingPageOrder: 0 });
    expect(w.xs.read(`${backendPath()}/feature-max-indirect-segments`)).toBeNull();
    expect(w.xs.read(`${backendPath()}/max-ring-page-order`)).toBeNull();
  });

  it("connects from the frontend's Connected state too, and without a protocol node (native)", () => {
    const w = new World();
    const be = w.backend();
    new Frontend(w).connect({ protocol: null, state: XenbusState.Connected });
    expect(be.state).toBe(XenbusState.Connected);
  });

  it("refuses a foreign protocol, a missing event channel or ring-ref, and too big a ring: error node and Closing", () => {
    const errorNode = `/local/domain/0/error/backend/vbd/${GUEST}/${DEVID}/error`;
    const attempt = (setup: (fe: Frontend, w: World) => void) => {
      const w = new World();
      const be = w.backend();
      setup(new Frontend(w), w);
      expect(be.state).toBe(XenbusState.Closing);
      expect(w.gnttab.liveMappings()).toBe(0);
      return w.xs.read(errorNode) ?? "";
    };
    expect(attempt((fe) => fe.connect({ protocol: "sparc-abi" }))).toMatch(/^38 unknown fe protocol sparc-abi/);
    expect(attempt((fe, w) => {
      w.xs.write(`${fe.path}/ring-ref`, "9");
      fe.setState(XenbusState.Initialised);
    })).toMatch(/^22 reading .*event-channel/);
    expect(attempt((fe, w) => {
      w.xs.write(`${fe.path}/event-channel`, String(w.evtchn.allocUnbound(0)));
      fe.setState(XenbusState.Initialised);
    })).toMatch(/^22 reading .*ring-ref/);
    expect(attempt((fe) => fe.connect({ order: 5 }))).toMatch(/ring page order exceed max:4/);
  });

  it("fails the bind of a port that is not the guest's unbound port for dom0, releasing the ring", () => {
    const w = new World();
    const be = w.backend();
    const fe = new Frontend(w);
    const ref = w.grant(w.page(0));
    w.xs.write(`${fe.path}/ring-ref`, String(ref));
    w.xs.write(`${fe.path}/event-channel`, String(w.evtchn.allocUnbound(7)));
    fe.setState(XenbusState.Initialised);
    expect(be.state).toBe(XenbusState.Closing);
    expect(be.errors.join()).toMatch(/mapping ring-ref port/);
    expect(w.gnttab.liveMappings()).toBe(0);
    expect(w.endAccess(ref)).toBe(true);
  });
});

// =====================================================================================

describe("Blkback reads", () => {
  it("reads 1 to 11 segments with sub-page sector ranges into exactly the right bytes", () => {
    const { w, be, fe } = connected();
    let segments = 0;
    let bytes = 0;
    for (let n = 1; n <= 11; n++) {
      const ranges: [number, number][] = [];
      for (let i = 0; i < n; i++) {
        const first = (i * 3 + n) % 8;
        const last = first + ((i + n) % (8 - first));
        ranges.push([first, last]);
      }
      const p = plan(w, ranges);
      const sector = 97 * n + 5;
      const r = roundTrip(fe, directRequest(1000 + n, sector, p.segs));
      expect(r).toEqual({ id: BigInt(1000 + n), op: 0, status: BLKIF_RSP.okay });
      expect(dataMismatch(w, p, sector)).toBe("");
      segments += n;
      bytes += ranges.reduce((s, [a, b]) => s + (b - a + 1) * 512, 0);
    }
    expect(be.stats).toMatchObject({ requests: 11, segments, bytes, writes: 0 });
    expect(w.gnttab.liveMappings()).toBe(1); // the ring only: every data grant was unmapped
    w.endAllGrants(fe.ringRefs);
    expect(w.gnttab.liveGrants()).toBe(1);
  });

  it("reads up to the last sector and no further", () => {
    const { w, fe } = connected();
    const last = IMAGE_SIZE / 512;
    const p = plan(w, [[0, 7]]);
    expect(roundTrip(fe, directRequest(1, last - 8, p.segs)).status).toBe(BLKIF_RSP.okay);
    expect(dataMismatch(w, p, last - 8)).toBe("");
    const q = plan(w, [[0, 7]]);
    expect(roundTrip(fe, directRequest(2, last - 7, q.segs)).status).toBe(BLKIF_RSP.error);
    expect(roundTrip(fe, directRequest(3, 2n ** 64n - 4n, q.segs)).status).toBe(BLKIF_RSP.error);
    expect(untouched(w, q)).toBe(true);
  });

  it("serves 4096-byte sectors: sectors still counted in 512s, misaligned requests refused", () => {
    const { w, fe } = connected({ sectorSize: 4096 });
    const node = (n: string) => w.xs.read(`${backendPath()}/${n}`);
    expect(node("sector-size")).toBe("4096");
    expect(node("physical-sector-size")).toBe("4096");
    expect(node("sectors")).toBe(String(IMAGE_SIZE / 512));

    const p = plan(w, [[0, 7], [0, 7]]);
    expect(roundTrip(fe, directRequest(1, 8 * 33, p.segs)).status).toBe(BLKIF_RSP.okay);
    expect(dataMismatch(w, p, 8 * 33)).toBe("");

    const q = plan(w, [[0, 7]]);
    expect(roundTrip(fe, directRequest(2, 8 * 33 + 4, q.segs)).status).toBe(BLKIF_RSP.error); // sector not aligned
    const half = plan(w, [[0, 3]]);
    expect(roundTrip(fe, directRequest(3, 8 * 33, half.segs)).status).toBe(BLKIF_RSP.error); // half a sector
    expect(untouched(w, q) && untouched(w, half)).toBe(true);
  });

  it("counts only whole logical sectors of an image whose size is not a multiple of them", () => {
    const odd = path.join(tmp, "odd.img");
    fs.writeFileSync(odd, pseudoRandom(10 * 4096 + 1000, 7));
    expect(connected({ image: odd }).w.xs.read(`${backendPath()}/sectors`)).toBe("81");
    expect(connected({ image: odd, sectorSize: 4096 }).w.xs.read(`${backendPath()}/sectors`)).toBe("80");
  });

  it("answers malformed requests ERROR, a write OKAY (counted), flush OKAY, a barrier not offered and other operations EOPNOTSUPP", () => {
    const { w, be, fe } = connected();
    const p = plan(w, [[0, 7]]);
    const seg = p.segs[0];
    const status = (req: Uint8Array) => roundTrip(fe, req).status;

    expect(status(directRequest(1, 0, [seg], 0, 0))).toBe(BLKIF_RSP.error); // no segment
    const eleven = plan(w, Array.from({ length: 11 }, (): [number, number] => [0, 7]));
    expect(status(directRequest(2, 0, eleven.segs, 0, 12))).toBe(BLKIF_RSP.error); // 12 segments
    expect(status(directRequest(3, 0, [{ ...seg, first: 5, last: 4 }]))).toBe(BLKIF_RSP.error);
    expect(status(directRequest(4, 0, [{ ...seg, first: 0, last: 8 }]))).toBe(BLKIF_RSP.error);
    expect(status(directRequest(5, 0, [seg], 1))).toBe(BLKIF_RSP.okay); // write (into the overlay)
    expect(status(directRequest(6, 0, [seg], 2))).toBe(BLKIF_RSP.eopnotsupp); // write barrier: feature-flush-cache is offered instead
    expect(status(directRequest(7, 0, [], 3))).toBe(BLKIF_RSP.okay); // flush
    expect(status(directRequest(8, 0, [seg], 5))).toBe(BLKIF_RSP.eopnotsupp); // discard
    expect(status(directRequest(9, 0, [seg], 42))).toBe(BLKIF_RSP.eopnotsupp);

    expect(be.stats.writes).toBe(1);
    expect(be.stats.log).toEqual([{ op: "write", sector: 0, sectors: 8 }, { op: "flush", sector: 0, sectors: 0 }]);
    expect(untouched(w, p) && untouched(w, eleven)).toBe(true);
    expect(w.gnttab.liveMappings()).toBe(1);
  });

  it("reads indirect requests of many segments, with the indirect pages mapped read-only", () => {
    const { w, be, fe } = connected({ maxIndirectSegments: 1024 });
    expect(w.xs.read(`${backendPath()}/feature-max-indirect-segments`)).toBe("1024");
    // 600 one-sector segments over 75 pages, 8 to a page: each page ends up holding 8 sectors in a row
    const mfns = Array.from({ length: 75 }, () => w.page());
    const refs = mfns.map((m) => w.grant(m));
    const segs = Array.from({ length: 600 }, (_, i) => ({ gref: refs[i >> 3], first: i & 7, last: i & 7 }));
    const grefs = indirectPages(w, segs);
    expect(grefs).toHaveLength(2);

    const r = roundTrip(fe, indirectRequest(77, 1000, 600, grefs));
    expect(r).toEqual({ id: 77n, op: 0, status: BLKIF_RSP.okay }); // the response names the indirect_op, as Linux
    mfns.forEach((m, j) => {
      expect(Buffer.from(w.mem.bytes(m)).equals(image.subarray((1000 + 8 * j) * 512, (1008 + 8 * j) * 512)), `page ${j}`).toBe(true);
    });
    expect(be.stats).toMatchObject({ requests: 1, indirectRequests: 1, segments: 600, bytes: 600 * 512 });
    expect(w.gnttab.liveMappings()).toBe(1);
  });

  it("reads 256 full pages in one indirect request by default, and refuses more than it offered", () => {
    const { w, fe } = connected();
    const p = plan(w, Array.from({ length: 257 }, (): [number, number] => [0, 7]));
    const ok = { segs: p.segs.slice(0, 256), mfns: p.mfns.slice(0, 256) };
    expect(roundTrip(fe, indirectRequest(1, 0, 256, indirectPages(w, ok.segs))).status).toBe(BLKIF_RSP.okay);
    expect(dataMismatch(w, ok, 0)).toBe("");

    const tooMany = plan(w, Array.from({ length: 257 }, (): [number, number] => [0, 7]));
    expect(roundTrip(fe, indirectRequest(2, 0, 257, indirectPages(w, tooMany.segs))).status).toBe(BLKIF_RSP.error);
    expect(roundTrip(fe, indirectRequest(3, 0, 0, indirectPages(w, ok.segs))).status).toBe(BLKIF_RSP.error);
    expect(untouched(w, tooMany)).toBe(true);
  });

  it("takes an indirect write, answers an indirect flush ERROR, and every indirect request ERROR when indirect segments are not offered", () => {
    const a = connected();
    const p = plan(a.w, [[0, 7]]);
    expect(roundTrip(a.fe, indirectRequest(1, 0, 1, indirectPages(a.w, p.segs), 1)).status).toBe(BLKIF_RSP.okay);
    expect(a.be.stats.writes).toBe(1);
    expect(roundTrip(a.fe, indirectRequest(2, 0, 1, indirectPages(a.w, p.segs), 3)).status).toBe(BLKIF_RSP.error); // flush
    expect(a.be.stats.writes).toBe(1);
    expect(untouched(a.w, p)).toBe(true);

    const b = connected({ maxIndirectSegments: 0 });
    const q = plan(b.w, [[0, 7]]);
    expect(roundTrip(b.fe, indirectRequest(1, 0, 1, indirectPages(b.w, q.segs))).status).toBe(BLKIF_RSP.error);
    expect(untouched(b.w, q)).toBe(true);
  });

  it("runs a 4-page ring: entries crossing page boundaries, a full ring in one kick, indexes wrapping", () => {
    const { w, be, fe } = connected({}, { order: 2 });
    expect(fe.ringRefs).toHaveLength(4);
    expect(be.stats.ringEntries).toBe(128);
    expect(w.gnttab.liveMappings()).toBe(4);
    for (let round = 0; round < 3; round++) {
      const plans = Array.from({ length: 128 }, () => plan(w, [[round % 8, 7]]));
      const reqs = plans.map((p, i) => directRequest(round * 1000 + i, i * 8, p.segs));
      fe.submit(reqs);
      const rsps = fe.responses();
      expect(rsps.map((r) => Number(r.id))).toEqual(reqs.map((_, i) => round * 1000 + i));
      expect(rsps.every((r) => r.status === BLKIF_RSP.okay)).toBe(true);
      plans.forEach((p, i) => expect(dataMismatch(w, p, i * 8), `request ${i}`).toBe(""));
    }
    expect(be.stats.maxInFlight).toBe(128);
    expect(w.gnttab.liveMappings()).toBe(4);
  });

  it("holds a full ring of requests in flight, and throws when the frontend produces past it", () => {
    const { w, be, fe } = connected({ faults: { delayMs: 10 } });
    fe.submit(Array.from({ length: 32 }, (_, i) => directRequest(i, i, plan(w, [[0, 0]]).segs)));
    expect(be.inFlight).toBe(32);
    expect(be.stats.maxInFlight).toBe(32);
    expect(fe.responses()).toEqual([]);
    expect(() => fe.submit([directRequest(99, 0, plan(w, [[0, 0]]).segs)])).toThrow(BlkbackError);
  });
});

// =====================================================================================

describe("Blkback notifications", () => {
  it("notifies only when the frontend's rsp_event asks, and asks for a kick with req_event", () => {
    const { w, fe } = connected();
    const one = () => directRequest(1, 0, plan(w, [[0, 0]]).segs);

    expect(fe.submit([one()])).toBe(true);
    expect(w.pending(fe.port)).toBe(true);
    expect(fe.u32(4)).toBe(2); // req_event = req_cons + 1
    fe.responses();
    w.clearPending(fe.port);

    fe.setU32(12, fe.rspCons + 3); // tell me after the third response from now
    fe.submit([one()]);
    expect(w.pending(fe.port)).toBe(false);
    fe.submit([one()]);
    expect(w.pending(fe.port)).toBe(false);
    fe.submit([one()]);
    expect(w.pending(fe.port)).toBe(true);
    expect(fe.u32(8)).toBe(4);
  });

  it("stops notifying a port the guest has closed, even when its number is reused", () => {
    const { w, fe } = connected({ faults: { delayMs: 10 } });
    fe.submit([directRequest(1, 0, plan(w, [[0, 7]]).segs)]);
    expect(w.evtchn.close(fe.port)).toBe(0);
    const reused = w.evtchn.allocUnbound(0);
    expect(reused).toBe(fe.port);
    w.clock.finish();
    expect(fe.u32(8)).toBe(1); // answered on the ring all the same
    expect(w.pending(reused)).toBe(false);
  });
});

// =====================================================================================

describe("Blkback faults", () => {
  it("answers out of order: the requests of one kick in reverse", () => {
    const { w, fe } = connected({ faults: { outOfOrder: true } });
    const plans = [0, 1, 2, 3, 4].map(() => plan(w, [[0, 7]]));
    fe.submit(plans.map((p, i) => directRequest(10 + i, 64 * i, p.segs)));
    expect(fe.responses().map((r) => Number(r.id))).toEqual([14, 13, 12, 11, 10]);
    plans.forEach((p, i) => expect(dataMismatch(w, p, 64 * i)).toBe(""));
  });

  it("fails reads touching the error sectors, and only those", () => {
    const { w, fe } = connected({ faults: { errorSectors: [[50, 59]] } });
    const read = (sector: number, count: number) => {
      const p = plan(w, [[0, count - 1]]);
      const st = roundTrip(fe, directRequest(sector, sector, p.segs)).status;
      if (st === BLKIF_RSP.okay) expect(dataMismatch(w, p, sector)).toBe("");
      else expect(untouched(w, p)).toBe(true);
      return st;
    };
    expect(read(42, 8)).toBe(BLKIF_RSP.okay);
    expect(read(43, 8)).toBe(BLKIF_RSP.error);
    expect(read(55, 1)).toBe(BLKIF_RSP.error);
    expect(read(59, 2)).toBe(BLKIF_RSP.error);
    expect(read(60, 8)).toBe(BLKIF_RSP.okay);
    expect(w.gnttab.liveMappings()).toBe(1);
  });

  it("answers every request EOPNOTSUPP when told to, touching nothing", () => {
    const { w, fe } = connected({ faults: { eopnotsupp: true } });
    const p = plan(w, [[0, 7]]);
    expect(roundTrip(fe, directRequest(1, 0, p.segs)).status).toBe(BLKIF_RSP.eopnotsupp);
    expect(untouched(w, p)).toBe(true);
  });

  it("delays responses in virtual time, keeping the data grants mapped until then", () => {
    const { w, fe } = connected({ faults: { delayMs: 250 } });
    const p = plan(w, [[0, 7], [2, 3]]);
    const t0 = w.clock.now;
    fe.submit([directRequest(5, 300, p.segs)]);
    expect(fe.responses()).toEqual([]);
    expect(w.pending(fe.port)).toBe(false);
    expect(untouched(w, p)).toBe(true);
    expect(w.gnttab.liveMappings()).toBe(3);
    expect(w.endAccess(p.segs[0].gref)).toBe(false); // in flight: the guest cannot take the page back

    expect(w.clock.runUntil(0n, () => w.pending(fe.port))).toBe(true);
    expect(w.clock.now - t0).toBeGreaterThanOrEqual(250_000_000n);
    expect(fe.responses()).toEqual([{ id: 5n, op: 0, status: BLKIF_RSP.okay }]);
    expect(dataMismatch(w, p, 300)).toBe("");
    expect(w.gnttab.liveMappings()).toBe(1);
  });

  it("drops requests after dropAfter: taken off the ring, never answered, nothing left mapped", () => {
    const { w, be, fe } = connected({ faults: { dropAfter: 2 } });
    const plans = [0, 1, 2, 3].map(() => plan(w, [[0, 7]]));
    fe.submit(plans.map((p, i) => directRequest(i, 8 * i, p.segs)));
    w.clock.finish();
    expect(fe.responses().map((r) => Number(r.id))).toEqual([0, 1]);
    expect(be.stats.requests).toBe(4);
    expect(be.inFlight).toBe(2);
    expect(fe.u32(4)).toBe(5); // all four were consumed
    expect(untouched(w, plans[2]) && untouched(w, plans[3])).toBe(true);
    expect(w.gnttab.liveMappings()).toBe(1);
  });

  it("goes Closing mid-read after closeAfter requests, leaving the rest unanswered", () => {
    const { w, be, fe } = connected({ faults: { closeAfter: 3 } });
    const plans = [0, 1, 2, 3, 4].map(() => plan(w, [[0, 7]]));
    fe.submit(plans.map((p, i) => directRequest(i, 8 * i, p.segs)));
    expect(fe.responses().map((r) => Number(r.id))).toEqual([0, 1, 2]);
    expect(be.state).toBe(XenbusState.Closing);
    expect(w.xs.read(`${backendPath()}/state`)).toBe("5");
    expect(be.stats.requests).toBe(3);
    expect(untouched(w, plans[3]) && untouched(w, plans[4])).toBe(true);
    fe.submit([directRequest(9, 0, plan(w, [[0, 7]]).segs)]); // ignored while closing
    expect(fe.responses()).toEqual([]);
    fe.teardown(be);
    expect(w.gnttab.liveMappings()).toBe(0);
  });

  it("answers one request with an id the frontend never used, once", () => {
    const { w, fe } = connected({ faults: { badResponseId: true } });
    fe.submit([1, 2, 3].map((id) => directRequest(id, id, plan(w, [[0, 0]]).segs)));
    const ids = fe.responses().map((r) => r.id);
    expect(ids).toHaveLength(3);
    expect([1n, 2n, 3n]).not.toContain(ids[0]);
    expect(ids.slice(1)).toEqual([2n, 3n]);
    fe.submit([4].map((id) => directRequest(id, id, plan(w, [[0, 0]]).segs)));
    expect(fe.responses().map((r) => r.id)).toEqual([4n]);
  });
});

// =====================================================================================

describe("Blkback grant refusals", () => {
  // A good request, then one with a good segment and a bad one, in the same kick.
  const refusedRead = (grant: { domid?: number; readonly?: boolean }, why: RegExp) => {
    const { w, fe } = connected();
    const first = plan(w, [[0, 7]]);
    const good = plan(w, [[0, 7]]);
    const bad = plan(w, [[0, 7]], grant);
    expect(() => fe.submit([directRequest(1, 8, first.segs), directRequest(2, 0, [...good.segs, ...bad.segs])])).toThrow(why);
    expect(fe.responses()).toEqual([{ id: 1n, op: 0, status: BLKIF_RSP.okay }]); // what was taken is answered
    expect(dataMismatch(w, first, 8)).toBe("");
    expect(w.gnttab.liveMappings()).toBe(1); // the good segment of the refused request was let go again
    expect(untouched(w, good)).toBe(true);
  };

  it("throws GrantError for a data page granted to another domain", () => {
    refusedRead({ domid: 3 }, /granted to d3/);
  });

  it("throws GrantError for a data page granted read-only (the backend writes into it)", () => {
    refusedRead({ readonly: true }, /GTF_readonly/);
  });

  it("throws GrantError for a data grant already ended, and for an indirect page not granted", () => {
    const a = connected();
    const p = plan(a.w, [[0, 7]]);
    a.w.endAccess(p.segs[0].gref);
    expect(() => a.fe.submit([directRequest(1, 0, p.segs)])).toThrow(GrantError);

    const b = connected();
    const [page] = indirectPages(b.w, plan(b.w, [[0, 7]]).segs);
    b.w.endAccess(page);
    expect(() => b.fe.submit([indirectRequest(2, 0, 1, [page])])).toThrow(/permit_access/);
    expect(b.w.gnttab.liveMappings()).toBe(1);
  });

  it("throws GrantError for a ring-ref past the grant table", () => {
    const w = new World();
    w.backend();
    const fe = new Frontend(w);
    w.xs.write(`${fe.path}/ring-ref`, String(w.gnttab.nrEntries));
    w.xs.write(`${fe.path}/event-channel`, String(w.evtchn.allocUnbound(0)));
    expect(() => fe.setState(XenbusState.Initialised)).toThrow(GrantError);
    expect(w.gnttab.liveMappings()).toBe(0);
  });
});

// =====================================================================================

describe("Blkback teardown", () => {
  it("Closing keeps the ring, Closed lets everything go, Initialising brings InitWait back for the next frontend", () => {
    const { w, be, fe } = connected();
    const p = plan(w, [[0, 7]]);
    expect(roundTrip(fe, directRequest(1, 0, p.segs)).status).toBe(BLKIF_RSP.okay);

    fe.setState(XenbusState.Closing);
    expect(be.state).toBe(XenbusState.Closing);
    expect(w.gnttab.liveMappings()).toBe(1); // as Linux: the ring goes only at Closed
    expect(w.endAccess(fe.ringRefs[0])).toBe(false);
    const late = plan(w, [[0, 7]]);
    expect(roundTrip(fe, directRequest(3, 16, late.segs)).status).toBe(BLKIF_RSP.okay); // and is still served
    expect(dataMismatch(w, late, 16)).toBe("");

    fe.setState(XenbusState.Closed);
    expect(be.state).toBe(XenbusState.Closed);
    expect(w.xs.read(`${backendPath()}/state`)).toBe("6");
    expect(w.gnttab.liveMappings()).toBe(0);
    expect(w.evtchn.ports.get(fe.port)).toEqual({ kind: "unbound", remote: 0 });
    w.endAllGrants();
    expect(w.gnttab.liveGrants()).toBe(0);
    expect(w.evtchn.close(fe.port)).toBe(0);
    for (const n of ["ring-ref", "event-channel"]) w.xs.rm(`${fe.path}/${n}`);
    expect(be.state).toBe(XenbusState.Closed);

    fe.setState(XenbusState.Initialising);
    expect(be.state).toBe(XenbusState.InitWait);
    expect(w.xs.read(`${backendPath()}/state`)).toBe("2");

    // the next kernel's frontend, with a two-page ring and a new port
    const next = new Frontend(w);
    next.connect({ order: 1 });
    expect(be.state).toBe(XenbusState.Connected);
    expect(be.stats.ringEntries).toBe(64);
    const q = plan(w, [[1, 6]]);
    expect(roundTrip(next, directRequest(2, 4000, q.segs)).status).toBe(BLKIF_RSP.okay);
    expect(dataMismatch(w, q, 4000)).toBe("");

    next.teardown(be);
    expect(w.gnttab.liveMappings()).toBe(0);
    expect(w.gnttab.liveGrants()).toBe(0);
  });

  it("drops delayed work when the frontend closes: no late write to the old ring, nothing left mapped", () => {
    const { w, be, fe } = connected({ faults: { delayMs: 100 } });
    fe.submit([directRequest(1, 0, plan(w, [[0, 7]]).segs), directRequest(2, 8, plan(w, [[0, 7]]).segs)]);
    expect(w.gnttab.liveMappings()).toBe(3);
    fe.teardown(be);
    expect(w.gnttab.liveMappings()).toBe(0);
    w.clock.finish();
    expect(fe.u32(8)).toBe(0); // rsp_prod untouched
    expect(w.gnttab.liveGrants()).toBe(0);
  });

  it("takes the frontend's state disappearing as Closed", () => {
    const { w, be } = connected();
    w.xs.rm(frontendPath());
    expect(be.state).toBe(XenbusState.Closed);
    expect(w.gnttab.liveMappings()).toBe(0);
  });
});

// =====================================================================================

describe("Blkback writes", () => {
  // pages holding known bytes, granted read-only as pvboot grants a write's pages
  const filled = (w: World, sectors: number, byte: number): Planned => {
    const p = plan(w, [[0, sectors - 1]], { readonly: true });
    w.mem.bytes(p.mfns[0]).fill(byte, 0, sectors * 512);
    return p;
  };

  it("takes a write from read-only grants into the overlay, which later reads return; the image file stays", () => {
    const { w, be, fe } = connected();
    const src = filled(w, 2, 0xab);
    expect(roundTrip(fe, directRequest(1, 100, src.segs, 1)).status).toBe(BLKIF_RSP.okay);
    expect(be.stats).toMatchObject({ writes: 1, bytesWritten: 1024 });
    expect(w.gnttab.liveMappings()).toBe(1); // the ring only: the write's page was let go at once
    const dst = plan(w, [[0, 3]]);
    expect(roundTrip(fe, directRequest(2, 99, dst.segs)).status).toBe(BLKIF_RSP.okay);
    const got = Buffer.from(w.mem.bytes(dst.mfns[0]).subarray(0, 4 * 512));
    expect(got.subarray(0, 512).equals(image.subarray(99 * 512, 100 * 512))).toBe(true);
    expect(got.subarray(512, 1536).every((b) => b === 0xab)).toBe(true);
    expect(got.subarray(1536).equals(image.subarray(102 * 512, 103 * 512))).toBe(true);
    expect(digest(imagePath)).toBe(imageDigest);
  });

  it("with persist, writes the image file itself", () => {
    const copy = path.join(path.dirname(imagePath), "persist.img");
    fs.copyFileSync(imagePath, copy);
    const { w, be, fe } = connected({ image: copy, persist: true });
    const src = filled(w, 1, 0x5a);
    expect(roundTrip(fe, directRequest(1, 7, src.segs, 1)).status).toBe(BLKIF_RSP.okay);
    const after = fs.readFileSync(copy);
    expect(after.subarray(7 * 512, 8 * 512).every((b) => b === 0x5a)).toBe(true);
    expect(after.subarray(0, 7 * 512).equals(image.subarray(0, 7 * 512))).toBe(true);
    expect(be.overlay.size).toBe(0);
  });

  it("answers a write on a read-only vbd ERROR and keeps nothing", () => {
    const { w, be, fe } = connected({ readonly: true });
    expect(w.xs.read(`${backendPath()}/info`)).toBe("4");
    expect(roundTrip(fe, directRequest(1, 0, filled(w, 1, 1).segs, 1)).status).toBe(BLKIF_RSP.error);
    expect(be.stats.writes).toBe(1);
    expect(be.stats.log).toEqual([]);
    expect(be.overlay.size).toBe(0);
  });

  it("offers feature-barrier instead when asked: a barrier without data is a flush, with data a write then a flush", () => {
    const { w, be, fe } = connected({ flush: "barrier" });
    expect(w.xs.read(`${backendPath()}/feature-barrier`)).toBe("1");
    expect(w.xs.read(`${backendPath()}/feature-flush-cache`)).toBeNull();
    expect(roundTrip(fe, directRequest(1, 0, [], 3)).status).toBe(BLKIF_RSP.eopnotsupp);
    expect(roundTrip(fe, directRequest(2, 0, [], 2)).status).toBe(BLKIF_RSP.okay);
    expect(roundTrip(fe, directRequest(3, 8, filled(w, 1, 2).segs, 2)).status).toBe(BLKIF_RSP.okay);
    expect(be.stats.log).toEqual([{ op: "flush", sector: 0, sectors: 0 }, { op: "write", sector: 8, sectors: 1 }, { op: "flush", sector: 0, sectors: 0 }]);
  });
});

describe("the image", () => {
  it("is never modified without `persist`, whatever was asked of the backends above", () => {
    const { w, be, fe } = connected();
    const p = plan(w, [[0, 7]]);
    expect(roundTrip(fe, directRequest(1, 0, p.segs, 1)).status).toBe(BLKIF_RSP.okay);
    expect(roundTrip(fe, directRequest(2, 0, p.segs, 2)).status).toBe(BLKIF_RSP.eopnotsupp);
    expect(be.stats.writes).toBe(1);
    expect(be.overlay.size).toBe(8);
    expect(digest(imagePath)).toBe(imageDigest);
    expect(fs.statSync(imagePath).mtimeMs).toBe(imageMtime);
  });
});
