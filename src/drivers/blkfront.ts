// blkfront: the guest's disks, device/vbd/* in xenstore sorted by numeric id (hd0, hd1, ...).
// Reads: requests carry up to 11 segments, or many more through indirect pages when the
// backend offers them, over a ring of one or more pages; as many are in flight as the ring
// and the bounce pages allow. Every wait is a SCHEDOP_poll with a deadline.
//
// Data goes through bounce pages granted once at connect time, so a read can land anywhere in
// the linear memory and the grant table is not churned per request.
//
// Writes exist for the saved-default files only (src/boot/saved.ts): one small request at a
// time (at most WRITE_PAGES pages), from pages of their own granted read-only to the backend
// (it reads them; it never needs to write them), never on a read-only vbd (the backend's
// `mode` is "r", or `info` has VDISK_READONLY). flush() then asks the backend to make them
// durable, with FLUSH_DISKCACHE or WRITE_BARRIER, whichever it offers (feature-flush-cache,
// feature-barrier), as Mini-OS's blkfront_sync does; the teardown calls it before the handoff.

import * as abi from "../xen/abi";
import { mb, mfn_of } from "../xen/hypercall";
import { allocPages } from "../lib/pages";
import { Text } from "../lib/text";
import { events } from "../xen/events";
import { gnttab } from "../xen/gnttab";
import { xenstore, xsErrorName } from "../xen/xenstore";
import { deadlineAfterMs, expired, FOREVER } from "../xen/time";
import { vbdName } from "./vbd";
import { pv32 } from "../xen/arch";

// blkif (io/blkif.h). The ring speaks the ABI of the domain's width, the one named in the
// frontend's `protocol` node: x86_64's, or x86_32's, where a u64 is 4-byte aligned, so a
// request's id, sector and segments sit 4 bytes lower (BlkifLayout below).
const BLKIF_OP_READ: u8 = 0;
const BLKIF_OP_WRITE: u8 = 1;
const BLKIF_OP_WRITE_BARRIER: u8 = 2;
const BLKIF_OP_FLUSH_DISKCACHE: u8 = 3;
const BLKIF_OP_INDIRECT: u8 = 6;
const BLKIF_RSP_OKAY: i16 = 0;
const BLKIF_RSP_EOPNOTSUPP: i16 = -2;
const RING_HEADER: u32 = 64;
const MAX_DIRECT_SEGS: u32 = 11;
const SEGS_PER_INDIRECT_PAGE: u32 = 512;
const VDISK_CDROM: u32 = 1;
const VDISK_READONLY: u32 = 4;

// Our own limits.
const MAX_RING_ORDER: u32 = 2; // 4 pages, 128 entries
const MAX_SEGS_PER_REQUEST: u32 = 128; // 512 KiB per indirect request
// 4 MiB in flight at most. The fuzz build (scripts/fuzz/asconfig.json) defines a smaller pool,
// still two of the largest requests: its driver clears all the memory an input grew into
// before the next one, and 4 MiB per disk, mostly untouched, was the largest cost of the
// xenbus target (docs/fuzzing.md).
// @ts-ignore: a compile-time constant where asc is given --use PVBOOT_FUZZ_BOUNCE_PAGES=N
const BOUNCE_PAGES: u32 = isDefined(PVBOOT_FUZZ_BOUNCE_PAGES) ? <u32>PVBOOT_FUZZ_BOUNCE_PAGES : 1024;
export const WRITE_PAGES: u32 = 2; // the largest write: 8 KiB (a grubenv block, a default file's sectors)
const STATE_TIMEOUT_MS: u64 = 10000;
const REQUEST_TIMEOUT_MS: u64 = 30000;

// Offsets in a ring entry (the union of request and response) for one ABI.
class BlkifLayout {
  constructor(
    public protocol: string,
    public entrySize: u32, // sizeof(request): the larger of the union
    public id: u32, // request id (u64)
    public sector: u32, // sector_number (u64)
    public seg: u32, // seg[0] of a direct request
    public indirectHandle: u32, // an indirect request's handle (u16)
    public indirectGrefs: u32, // its indirect_grefs[0]
  ) {}
}

const BLKIF_X86_64 = new BlkifLayout("x86_64-abi", 112, 8, 16, 24, 24, 28);
const BLKIF_X86_32 = new BlkifLayout("x86_32-abi", 108, 4, 12, 20, 20, 24);

class Slot {
  busy: bool = false;
  op: u8 = BLKIF_OP_READ; // what it carries: only a read's data is copied out on completion
  gen: u32 = 0;
  sector: u64 = 0;
  count: u32 = 0;
  dst: usize = 0;
  firstPage: u32 = 0; // index into the bounce pool
  pages: u32 = 0;
  deadline: u64 = 0;
}

export class BlkDisk {
  index: u32;
  vbd: u32;
  frontend: string;
  backend: string = "";
  backendId: u16 = 0;
  sectors: u64 = 0; // 512-byte units, as blkif counts
  sectorSize: u32 = 512;
  info: u32 = 0;
  mode: string = ""; // the backend's `mode`: "w", or "r" for a read-only vbd
  flushOp: u8 = 0; // FLUSH_DISKCACHE or WRITE_BARRIER, as the backend offers; 0: neither
  connected: bool = false;
  private touched: bool = false; // the frontend's state node has been written by us
  broken: string | null = null; // why the disk can no longer be used
  requests: u32 = 0;
  segments: u32 = 0;
  writes: u32 = 0; // write requests answered OKAY
  unflushed: bool = false; // written since the last flush

  private ring: usize = 0;
  private ringPages: u32 = 1;
  private ringRefs: i32[] = [];
  private nrEntries: u32 = 0;
  private port: u32 = 0;
  private segsPerRequest: u32 = MAX_DIRECT_SEGS;
  private indirectPagesPerSlot: u32 = 0;
  private indirect: usize = 0;
  private indirectRefs: i32[] = [];
  private bounce: usize = 0;
  private bounceRefs: i32[] = [];
  private writePages: usize = 0; // granted read-only at the first write
  private writeRefs: i32[] = [];
  private bounceNext: u32 = 0; // pages are handed out as one moving window
  private bounceUsed: u32 = 0;
  private slots: Slot[] = [];
  private reqProdPvt: u32 = 0;
  private rspCons: u32 = 0;
  private inFlight: u32 = 0;
  private token: string;

  constructor(index: u32, vbd: u32) {
    this.index = index;
    this.vbd = vbd;
    this.frontend = "device/vbd/" + vbd.toString();
    this.token = "blk" + vbd.toString();
  }

  get name(): string { return "hd" + this.index.toString(); }
  get readonly(): bool { return (this.info & VDISK_READONLY) != 0 || this.mode == "r"; }
  get cdrom(): bool { return (this.info & VDISK_CDROM) != 0; }
  get bytes(): u64 { return this.sectors * 512; }

  // --- connect: the XenbusState handshake ---

  // null when connected, else what went wrong.
  connect(): string | null {
    this.backend = xenstore.readOr(this.frontend + "/backend", "");
    const bid = xenstore.read(this.frontend + "/backend-id");
    if (this.backend.length == 0 || bid.err != 0) return this.fail("no backend named in xenstore (" + this.frontend + ")");
    this.backendId = <u16>I32.parseInt(bid.data);
    const w = xenstore.watch(this.backend + "/state", this.token);
    if (w != 0) return this.fail("cannot watch the backend's state: " + xsErrorName(w));

    const initWait = this.awaitBackend(abi.XenbusStateInitWait, abi.XenbusStateInitWait);
    if (initWait != null) return this.fail(initWait);
    const order = readU32(this.backend + "/max-ring-page-order", 0);
    const setup = this.setupRing(order < MAX_RING_ORDER ? order : MAX_RING_ORDER);
    if (setup != null) return this.fail(setup);
    const published = this.publishRing();
    if (published != null) return this.fail(published);
    this.touched = true;
    if (xenstore.write(this.frontend + "/state", abi.XenbusStateInitialised.toString()) != 0) {
      return this.fail("cannot write the frontend state");
    }
    const connected = this.awaitBackend(abi.XenbusStateConnected, abi.XenbusStateConnected);
    if (connected != null) return this.fail(connected);

    // Linux's blkback writes these when it connects.
    this.sectors = readU64(this.backend + "/sectors", 0);
    this.sectorSize = readU32(this.backend + "/sector-size", 512);
    this.info = readU32(this.backend + "/info", 0);
    this.mode = xenstore.readOr(this.backend + "/mode", "");
    if (readU32(this.backend + "/feature-flush-cache", 0) == 1) this.flushOp = BLKIF_OP_FLUSH_DISKCACHE;
    else if (readU32(this.backend + "/feature-barrier", 0) == 1) this.flushOp = BLKIF_OP_WRITE_BARRIER;
    if (this.sectorSize != 512 && this.sectorSize != 4096) {
      return this.fail("unsupported sector size " + this.sectorSize.toString());
    }
    const maxIndirect = readU32(this.backend + "/feature-max-indirect-segments", 0);
    const pools = this.setupPools(maxIndirect);
    if (pools != null) return this.fail(pools);
    if (xenstore.write(this.frontend + "/state", abi.XenbusStateConnected.toString()) != 0) {
      return this.fail("cannot write the frontend state");
    }
    this.connected = true;
    return null;
  }

  private fail(why: string): string {
    const msg = this.name + " (vbd " + this.vbd.toString() + "): " + why;
    if (this.broken == null) this.broken = msg;
    return msg;
  }

  // Wait for the backend's state to be within [lo, hi]; null when it is, else why not. While
  // connecting, a backend going to Closing or Closed is an answer (it gave up); `closedIsFine`
  // when we are the ones reopening after Closed, which Linux's blkback keeps showing for a
  // while (its hotplug work) before it goes back to InitWait.
  private awaitBackend(lo: u32, hi: u32, closedIsFine: bool = false): string | null {
    const deadline = deadlineAfterMs(STATE_TIMEOUT_MS);
    for (;;) {
      const r = xenstore.read(this.backend + "/state");
      if (r.err != 0) return "cannot read the backend's state: " + xsErrorName(r.err);
      const state = <u32>I32.parseInt(r.data);
      if (state >= lo && state <= hi) return null;
      if (lo <= abi.XenbusStateConnected && state >= abi.XenbusStateClosing && !(closedIsFine && state == abi.XenbusStateClosed)) {
        return "the backend is closing (state " + state.toString() + ")";
      }
      if (xenstore.nextEvent(this.token, deadline) == null) {
        return "the backend stayed in state " + state.toString() + ", expected " + lo.toString() +
          (hi != lo ? ".." + hi.toString() : "") + " within " + (STATE_TIMEOUT_MS / 1000).toString() + " s";
      }
    }
    return null;
  }

  private setupRing(order: u32): string | null {
    this.ringPages = 1 << order;
    this.ring = allocPages(this.ringPages);
    let n: u32 = 1;
    const L = pv32() ? BLKIF_X86_32 : BLKIF_X86_64;
    while (RING_HEADER + n * 2 * L.entrySize <= this.ringPages * abi.PAGE_SIZE) n *= 2;
    this.nrEntries = n;
    store<u32>(this.ring + 4, 1); // req_event
    store<u32>(this.ring + 12, 1); // rsp_event
    for (let i: u32 = 0; i < this.ringPages; i++) {
      const ref = gnttab.grant(this.backendId, mfn_of(this.ring + i * abi.PAGE_SIZE), false);
      if (ref < 0) return "no free grant for the ring";
      this.ringRefs.push(ref);
    }
    const port = events.allocUnbound(this.backendId);
    if (port < 0) return "cannot allocate an event channel (" + port.toString() + ")";
    this.port = <u32>port;
    for (let i: u32 = 0; i < this.nrEntries; i++) this.slots.push(new Slot());
    return null;
  }

  // ring-ref(s), event-channel and protocol in one transaction, retried when it races.
  private publishRing(): string | null {
    for (let attempt = 0; attempt < 5; attempt++) {
      const t = xenstore.transactionStart();
      if (t < 0) return "cannot start a xenstore transaction: " + xsErrorName(<i32>-t);
      const tx = <u32>t;
      let err = 0;
      if (this.ringPages == 1) {
        err |= xenstore.write(this.frontend + "/ring-ref", this.ringRefs[0].toString(), tx);
      } else {
        err |= xenstore.write(this.frontend + "/ring-page-order", (31 - clz(this.ringPages)).toString(), tx);
        for (let i = 0; i < this.ringRefs.length; i++) {
          err |= xenstore.write(this.frontend + "/ring-ref" + i.toString(), this.ringRefs[i].toString(), tx);
        }
      }
      err |= xenstore.write(this.frontend + "/event-channel", this.port.toString(), tx);
      err |= xenstore.write(this.frontend + "/protocol", (pv32() ? BLKIF_X86_32 : BLKIF_X86_64).protocol, tx);
      if (err != 0) {
        xenstore.transactionEnd(tx, false);
        return "cannot write the ring's nodes under " + this.frontend;
      }
      const end = xenstore.transactionEnd(tx, true);
      if (end == 0) return null;
      if (end != abi.EAGAIN) return "xenstore transaction failed: " + xsErrorName(end);
    }
    return "xenstore transaction kept conflicting";
  }

  private setupPools(maxIndirect: u32): string | null {
    if (maxIndirect > MAX_DIRECT_SEGS) {
      this.segsPerRequest = maxIndirect < MAX_SEGS_PER_REQUEST ? maxIndirect : MAX_SEGS_PER_REQUEST;
      this.indirectPagesPerSlot = (this.segsPerRequest + SEGS_PER_INDIRECT_PAGE - 1) / SEGS_PER_INDIRECT_PAGE;
      const pages = this.indirectPagesPerSlot * this.nrEntries;
      this.indirect = allocPages(pages);
      for (let i: u32 = 0; i < pages; i++) {
        const ref = gnttab.grant(this.backendId, mfn_of(this.indirect + i * abi.PAGE_SIZE), true);
        if (ref < 0) return "no free grant for the indirect pages";
        this.indirectRefs.push(ref);
      }
    }
    this.bounce = allocPages(BOUNCE_PAGES);
    for (let i: u32 = 0; i < BOUNCE_PAGES; i++) {
      const ref = gnttab.grant(this.backendId, mfn_of(this.bounce + i * abi.PAGE_SIZE), false);
      if (ref < 0) return "no free grant for the data pages";
      this.bounceRefs.push(ref);
    }
    return null;
  }

  // --- reading ---

  // Read `count` 512-byte sectors from `sector` into `dst`; null, or an error naming the
  // disk and the sectors.
  read(sector: u64, count: u32, dst: usize): string | null {
    if (this.broken != null) return this.broken;
    if (!this.connected) return this.name + ": not connected";
    if (count == 0) return null;
    const last = sector + <u64>count - 1;
    if (last >= this.sectors || last < sector) {
      return this.name + ": read of sectors " + sector.toString() + ".." + last.toString() +
        " past the end of the disk (" + this.sectors.toString() + " sectors)";
    }
    const per = <u64>(this.sectorSize / 512);
    if (sector % per != 0 || <u64>count % per != 0) {
      return this.name + ": read of sectors " + sector.toString() + ".." + last.toString() +
        " not aligned to the disk's " + this.sectorSize.toString() + "-byte sectors";
    }
    let next = sector;
    let left = count;
    let out = dst;
    let error: string | null = null;
    while ((left > 0 && error == null) || this.inFlight > 0) {
      let pushed = false;
      while (left > 0 && error == null) {
        const n = this.issue(next, left, out);
        if (n == 0) break;
        next += n;
        left -= n;
        out += <usize>n * 512;
        pushed = true;
      }
      if (pushed) this.push();
      const e = this.collect();
      if (e != null && error == null) error = e;
      if (this.broken != null) return this.broken;
    }
    return error;
  }

  // Put one request for up to `left` sectors in the ring; the sectors it covers, 0 when the
  // ring or the bounce pages are full.
  private issue(sector: u64, left: u32, dst: usize): u32 {
    if (this.reqProdPvt - this.rspCons >= this.nrEntries) return 0;
    let pages = (left + 7) / 8;
    if (pages > this.segsPerRequest) pages = this.segsPerRequest;
    if (this.bounceNext + pages > BOUNCE_PAGES) {
      if (this.bounceUsed > 0) return 0; // wait for the window to drain, then wrap
      this.bounceNext = 0;
    }
    if (this.bounceUsed + pages > BOUNCE_PAGES) return 0;
    const count = pages * 8 < left ? pages * 8 : left;
    let slotIndex: u32 = 0;
    while (this.slots[slotIndex].busy) slotIndex++;
    const slot = this.slots[slotIndex];
    slot.busy = true;
    slot.op = BLKIF_OP_READ;
    slot.gen++;
    slot.sector = sector;
    slot.count = count;
    slot.dst = dst;
    slot.firstPage = this.bounceNext;
    slot.pages = pages;
    slot.deadline = deadlineAfterMs(REQUEST_TIMEOUT_MS);
    this.bounceNext += pages;
    this.bounceUsed += pages;

    const L = pv32() ? BLKIF_X86_32 : BLKIF_X86_64;
    const req = this.ring + RING_HEADER + (this.reqProdPvt & (this.nrEntries - 1)) * L.entrySize;
    memory.fill(req, 0, L.entrySize);
    const id = (<u64>slot.gen << 16) | <u64>slotIndex;
    let segs = req + L.seg;
    if (pages > MAX_DIRECT_SEGS) {
      store<u8>(req, BLKIF_OP_INDIRECT);
      store<u8>(req + 1, BLKIF_OP_READ);
      store<u16>(req + 2, <u16>pages);
      store<u64>(req + L.id, id);
      store<u64>(req + L.sector, sector);
      store<u16>(req + L.indirectHandle, <u16>this.vbd);
      const first = slotIndex * this.indirectPagesPerSlot;
      for (let i: u32 = 0; i < this.indirectPagesPerSlot; i++) {
        store<u32>(req + L.indirectGrefs + i * 4, <u32>this.indirectRefs[first + i]);
      }
      segs = this.indirect + first * abi.PAGE_SIZE;
    } else {
      store<u8>(req, BLKIF_OP_READ);
      store<u8>(req + 1, <u8>pages);
      store<u16>(req + 2, <u16>this.vbd);
      store<u64>(req + L.id, id);
      store<u64>(req + L.sector, sector);
    }
    for (let i: u32 = 0; i < pages; i++) {
      const lastSect = i == pages - 1 ? (count - 1) % 8 : 7;
      store<u32>(segs + i * 8, <u32>this.bounceRefs[slot.firstPage + i]);
      store<u8>(segs + i * 8 + 4, 0);
      store<u8>(segs + i * 8 + 5, <u8>lastSect);
      store<u16>(segs + i * 8 + 6, 0);
    }
    this.reqProdPvt++;
    this.inFlight++;
    this.requests++;
    this.segments += pages;
    return count;
  }

  // --- writing (saved defaults only: src/boot/saved.ts) ---

  // Write `count` 512-byte sectors from `src` at `sector`: one request, waited for. null, or
  // an error naming the disk and the sectors. Refused on a read-only vbd, past the end, not
  // aligned to the disk's sectors, or larger than WRITE_PAGES pages.
  write(sector: u64, count: u32, src: usize): string | null {
    if (this.broken != null) return this.broken;
    if (!this.connected) return this.name + ": not connected";
    if (this.readonly) return this.name + ": the vbd is read-only (" + (this.mode == "r" ? "mode \"r\"" : "VDISK_READONLY") + ")";
    if (count == 0) return null;
    const last = sector + <u64>count - 1;
    const range = "sectors " + sector.toString() + ".." + last.toString();
    if (last >= this.sectors || last < sector) return this.name + ": write of " + range + " past the end of the disk (" + this.sectors.toString() + " sectors)";
    const per = <u64>(this.sectorSize / 512);
    if (sector % per != 0 || <u64>count % per != 0) return this.name + ": write of " + range + " not aligned to the disk's " + this.sectorSize.toString() + "-byte sectors";
    if (count > WRITE_PAGES * 8) return this.name + ": write of " + range + " larger than " + (WRITE_PAGES * 4).toString() + " KiB";
    if (this.writePages == 0) {
      const pages = allocPages(WRITE_PAGES);
      for (let i: u32 = 0; i < WRITE_PAGES; i++) {
        const ref = gnttab.grant(this.backendId, mfn_of(pages + i * abi.PAGE_SIZE), true);
        if (ref < 0) return this.name + ": no free grant for a write";
        this.writeRefs.push(ref);
      }
      this.writePages = pages;
    }
    memory.copy(this.writePages, src, <usize>count * 512);
    const e = this.oneRequest(BLKIF_OP_WRITE, sector, count);
    if (e == null) this.unflushed = true;
    return e;
  }

  // Make what was written durable: FLUSH_DISKCACHE or WRITE_BARRIER (no data), whichever the
  // backend offers. null when done (or nothing was written since the last flush), else why not.
  flush(): string | null {
    if (!this.unflushed) return null;
    if (this.broken != null) return this.broken;
    if (this.flushOp == 0) {
      this.unflushed = false;
      return this.name + ": the backend offers neither feature-flush-cache nor feature-barrier: the write is as durable as its cache";
    }
    const e = this.oneRequest(this.flushOp, 0, 0);
    if (e == null) this.unflushed = false;
    return e;
  }

  // One request of `op` (a write from the write pages, or a flush or barrier without data),
  // pushed and waited for; nothing else is in flight (reads return only when theirs are done).
  private oneRequest(op: u8, sector: u64, count: u32): string | null {
    if (this.inFlight != 0 || this.reqProdPvt - this.rspCons >= this.nrEntries) return this.name + ": the ring is busy";
    let slotIndex: u32 = 0;
    while (this.slots[slotIndex].busy) slotIndex++;
    const slot = this.slots[slotIndex];
    const pages = (count + 7) / 8;
    slot.busy = true;
    slot.op = op;
    slot.gen++;
    slot.sector = sector;
    slot.count = count;
    slot.dst = 0;
    slot.firstPage = 0;
    slot.pages = 0;
    slot.deadline = deadlineAfterMs(REQUEST_TIMEOUT_MS);
    const L = pv32() ? BLKIF_X86_32 : BLKIF_X86_64;
    const req = this.ring + RING_HEADER + (this.reqProdPvt & (this.nrEntries - 1)) * L.entrySize;
    memory.fill(req, 0, L.entrySize);
    store<u8>(req, op);
    store<u8>(req + 1, <u8>pages);
    store<u16>(req + 2, <u16>this.vbd);
    store<u64>(req + L.id, (<u64>slot.gen << 16) | <u64>slotIndex);
    store<u64>(req + L.sector, sector);
    for (let i: u32 = 0; i < pages; i++) {
      const segs = req + L.seg + i * 8;
      store<u32>(segs, <u32>this.writeRefs[i]);
      store<u8>(segs + 4, 0);
      store<u8>(segs + 5, <u8>(i == pages - 1 ? (count - 1) % 8 : 7));
    }
    this.reqProdPvt++;
    this.inFlight++;
    this.requests++;
    this.segments += pages;
    this.push();
    let error: string | null = null;
    while (this.inFlight > 0) {
      const e = this.collect();
      if (e != null && error == null) error = e;
      if (this.broken != null) return this.broken;
    }
    return error;
  }

  private push(): void {
    mb(); // requests before the index that publishes them
    store<u32>(this.ring, this.reqProdPvt);
    mb();
    events.send(this.port);
  }

  // Take the responses there are, waiting for at least one (or a deadline, or the backend
  // closing); an error for the first failed request, if any.
  private collect(): string | null {
    let error: string | null = null;
    let took = 0;
    while (took == 0) {
      const prod = load<u32>(this.ring + 8);
      if (prod - this.rspCons > this.nrEntries) return this.breakWith("the backend's response index is corrupt");
      mb(); // the index before the responses it covers
      while (this.rspCons != prod) {
        // A response is {u64 id; u8 operation @8; i16 status @10} in both ABIs.
        const rsp = this.ring + RING_HEADER + (this.rspCons & (this.nrEntries - 1)) * (pv32() ? BLKIF_X86_32 : BLKIF_X86_64).entrySize;
        const e = this.complete(load<u64>(rsp), load<i16>(rsp + 10));
        if (e != null && error == null) error = e;
        this.rspCons++;
        took++;
        if (this.broken != null) return this.broken;
      }
      store<u32>(this.ring + 12, this.rspCons + 1); // rsp_event: tell us about the next one
      mb();
      if (took > 0 || this.inFlight == 0) break;
      if (load<u32>(this.ring + 8) != prod) continue;
      const oldest = this.oldestDeadline();
      const fired = events.waitEither(this.port, xenstore.port, oldest);
      if (fired == <i32>xenstore.port && xenstore.pollEvent(this.token) != null) {
        const state = readU32(this.backend + "/state", 0);
        if (state >= abi.XenbusStateClosing) {
          return this.breakWith("the backend closed the device (state " + state.toString() + ") during a read of " + this.inFlightRange());
        }
      }
      if (fired < 0 && expired(oldest)) {
        return this.breakWith("no answer from the backend within " + (REQUEST_TIMEOUT_MS / 1000).toString() + " s for " + this.inFlightRange());
      }
    }
    return error;
  }

  private complete(id: u64, status: i16): string | null {
    const slotIndex = <u32>(id & 0xffff);
    if (slotIndex >= this.nrEntries || !this.slots[slotIndex].busy || <u32>(id >> 16) != this.slots[slotIndex].gen) {
      return this.breakWith("the backend answered a request it was never sent (id " + id.toString() + ")");
    }
    const slot = this.slots[slotIndex];
    slot.busy = false;
    this.inFlight--;
    const range = "sectors " + slot.sector.toString() + ".." + (slot.sector + <u64>slot.count - 1).toString();
    if (slot.op != BLKIF_OP_READ) {
      const what = slot.op == BLKIF_OP_WRITE ? "writing " + range : slot.op == BLKIF_OP_FLUSH_DISKCACHE ? "flushing the disk cache" : "writing a barrier";
      if (status == BLKIF_RSP_OKAY) {
        if (slot.op == BLKIF_OP_WRITE) this.writes++;
        return null;
      }
      if (status == BLKIF_RSP_EOPNOTSUPP) return this.name + ": the backend does not support " + what;
      return this.name + ": I/O error " + what + " (backend status " + status.toString() + ")";
    }
    this.bounceUsed -= slot.pages;
    if (status == BLKIF_RSP_OKAY) {
      memory.copy(slot.dst, this.bounce + slot.firstPage * abi.PAGE_SIZE, slot.count * 512);
      return null;
    }
    if (status == BLKIF_RSP_EOPNOTSUPP) return this.name + ": the backend does not support this read (" + range + ")";
    return this.name + ": I/O error reading " + range + " (backend status " + status.toString() + ")";
  }

  private oldestDeadline(): u64 {
    let d: u64 = FOREVER;
    for (let i = 0; i < this.slots.length; i++) if (this.slots[i].busy && this.slots[i].deadline < d) d = this.slots[i].deadline;
    return d;
  }

  private inFlightRange(): string {
    let lo: u64 = 0xffffffffffffffff;
    let hi: u64 = 0;
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (!s.busy) continue;
      if (s.sector < lo) lo = s.sector;
      if (s.sector + <u64>s.count - 1 > hi) hi = s.sector + <u64>s.count - 1;
    }
    return "sectors " + lo.toString() + ".." + hi.toString();
  }

  // The disk cannot be trusted any more: requests may still be out with the backend, so
  // their pages stay granted; shutdown tries to take them back.
  private breakWith(why: string): string {
    const msg = this.name + ": " + why;
    if (this.broken == null) this.broken = msg;
    this.connected = false;
    return msg;
  }

  // --- shutdown: leave the backend ready for the next frontend ---

  // Closing, Closed, then Initialising, waiting for the backend at each step; ring nodes
  // removed, port closed, every grant ended. null, or what could not be done.
  shutdown(): string | null {
    const problems: string[] = [];
    if (this.backend.length == 0) return null;
    if (!this.touched) {
      // the backend never saw us: nothing to undo there, only our own grants and watch
      if (this.port != 0) events.close(this.port);
      this.port = 0;
      endAll(this.ringRefs);
      xenstore.unwatch(this.backend + "/state", this.token);
      return null;
    }
    const steps: u32[] = [abi.XenbusStateClosing, abi.XenbusStateClosed];
    for (let i = 0; i < steps.length; i++) {
      xenstore.write(this.frontend + "/state", steps[i].toString());
      const e = this.awaitBackend(steps[i], abi.XenbusStateClosed);
      if (e != null) problems.push(e);
    }
    xenstore.rm(this.frontend + "/ring-ref");
    xenstore.rm(this.frontend + "/ring-page-order");
    for (let i = 0; i < this.ringRefs.length && this.ringPages > 1; i++) xenstore.rm(this.frontend + "/ring-ref" + i.toString());
    xenstore.rm(this.frontend + "/event-channel");
    xenstore.rm(this.frontend + "/protocol");
    if (this.port != 0) {
      events.close(this.port);
      this.port = 0;
    }
    const stuck = endAll(this.ringRefs) + endAll(this.indirectRefs) + endAll(this.bounceRefs) + endAll(this.writeRefs);
    if (stuck > 0) problems.push(stuck.toString() + " grants still mapped by the backend");
    xenstore.write(this.frontend + "/state", abi.XenbusStateInitialising.toString());
    const back = this.awaitBackend(abi.XenbusStateInitWait, abi.XenbusStateInitWait, true);
    if (back != null) problems.push(back);
    xenstore.unwatch(this.backend + "/state", this.token);
    this.connected = false;
    if (problems.length == 0) return null;
    return this.name + ": shutdown: " + problems.join("; ");
  }
}

// End every grant in `refs` that the backend let go of; the count still held.
function endAll(refs: i32[]): u32 {
  let stuck: u32 = 0;
  const kept: i32[] = [];
  for (let i = 0; i < refs.length; i++) {
    if (!gnttab.end(<u32>refs[i])) {
      stuck++;
      kept.push(refs[i]);
    }
  }
  refs.length = 0;
  for (let i = 0; i < kept.length; i++) refs.push(kept[i]);
  return stuck;
}

function readU64(path: string, fallback: u64): u64 {
  const r = xenstore.read(path);
  if (r.err != 0 || r.data.length == 0) return fallback;
  return U64.parseInt(r.data);
}

function readU32(path: string, fallback: u32): u32 {
  return <u32>readU64(path, fallback);
}

// --- the set of disks ---

export class Disks {
  list: BlkDisk[] = [];

  // Flush every disk written since its last flush (the teardown, before the handoff): per
  // such disk, a line saying it was flushed and how, or why it could not be.
  flushWritten(): string[] {
    const lines: string[] = [];
    for (let i = 0; i < this.list.length; i++) {
      const d = this.list[i];
      if (!d.unflushed) continue;
      const how = d.flushOp == BLKIF_OP_FLUSH_DISKCACHE ? "FLUSH_DISKCACHE" : "WRITE_BARRIER";
      const e = d.flush();
      lines.push(e != null ? e : d.name + ": saved defaults flushed (" + how + ")");
    }
    return lines;
  }

  // Find and connect every disk; problems are printed by the caller, per disk.
  probe(): string[] {
    const problems: string[] = [];
    const r = xenstore.directory("device/vbd");
    if (r.err != 0) {
      if (r.err != abi.ENOENT) problems.push("cannot list device/vbd: " + xsErrorName(r.err));
      return problems;
    }
    const ids = r.list();
    const vbds: u32[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = U32.parseInt(ids[i]);
      if (id.toString() == ids[i]) vbds.push(id);
      else problems.push("device/vbd/" + ids[i] + ": not a vbd number, skipped");
    }
    vbds.sort((a: u32, b: u32): i32 => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i < vbds.length; i++) {
      const d = new BlkDisk(<u32>i, vbds[i]);
      this.list.push(d);
      const e = d.connect();
      if (e != null) problems.push(e);
    }
    return problems;
  }

  shutdown(): string[] {
    const problems: string[] = [];
    for (let i = 0; i < this.list.length; i++) {
      const e = this.list[i].shutdown();
      if (e != null) problems.push(e);
    }
    return problems;
  }
}

// "hd0: vbd 51712 (xvda), 64 MiB (131072 sectors), 512-byte sectors, read-write"
export function describeDisk(d: BlkDisk): Text {
  const t = new Text().str(d.name).str(": vbd ").u(d.vbd).str(" (").str(vbdName(d.vbd)).str("), ");
  if (d.bytes >= 1 << 20) t.u(d.bytes >> 20).str(" MiB");
  else t.u(d.bytes >> 10).str(" KiB");
  t.str(" (").u(d.sectors).str(" sectors), ").u(d.sectorSize).str("-byte sectors, ");
  t.str(d.readonly ? "read-only" : "read-write");
  if (d.cdrom) t.str(", cdrom");
  return t;
}

export const disks = new Disks();
