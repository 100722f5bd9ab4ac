// xenstored as one PV guest sees it: the store, its permissions, watches and transactions, and
// the shared ring page the guest talks through. Modelled on the C daemon (tools/xenstored in
// Xen 4.x, "cxenstored"), from its documented protocol (docs/misc/xenstore.txt, io/xs_wire.h)
// and observed behaviour; written from scratch.
//
// Two kinds of client:
//  - the guest (one domain, unprivileged unless it is dom0), through the ring page;
//  - the privileged side (toolstack, in-process backends), through the synchronous methods
//    read/write/mkdir/rm/directory/setPerms/watch, with dom0's rights.
//
// Behaviour a guest can observe, as cxenstored does it:
//  - Children are listed in creation order.
//  - Nodes a guest creates inherit the parent's permissions, with the guest as owner;
//    nodes the privileged side creates inherit them unchanged.
//  - A missing node reads as ENOENT only if the nearest existing ancestor grants the access
//    asked for; otherwise EACCES (so a guest learns nothing about what it may not see).
//  - Watch events caused by a request are queued before that request's reply; a new watch's
//    first event comes after the WATCH reply. An identical event already queued is not queued again.
//  - RM fires the removed node's watchers (and those of its ancestors) with the removed path,
//    and each watcher of a removed descendant with that descendant's path, children first.
//  - Transactions are not snapshots: a node the transaction has not touched reads as it is now.
//    Each node's generation is noted when the transaction first touches it; the commit fails
//    with EAGAIN if any of them changed. TRANSACTION_END ends the transaction in every case.
//  - A request header with len > 4096 is a protocol violation: the daemon writes
//    XENSTORE_ERROR_PROTO into the ring's error field and ignores the guest from then on (no
//    reply). A reply that would exceed 4096 bytes is answered with E2BIG instead.
//  - Quotas for an unprivileged guest: see XenstoredQuota (cxenstored's defaults, and its
//    "new value >= quota" test). Exceeding one gives ENOSPC (there is no EQUOTA on the wire).
//  - At most `outstanding` replies may wait unwritten; past that, no further requests are read
//    from the ring until the guest consumes responses and kicks again.

import type { MachineMemory } from "./frames";
import type { Clock } from "./clock";

// Message types (enum xsd_sockmsg_type in io/xs_wire.h; 20 was XS_RESTRICT, now removed).
export const XS = {
  CONTROL: 0, DIRECTORY: 1, READ: 2, GET_PERMS: 3, WATCH: 4, UNWATCH: 5, TRANSACTION_START: 6,
  TRANSACTION_END: 7, INTRODUCE: 8, RELEASE: 9, GET_DOMAIN_PATH: 10, WRITE: 11, MKDIR: 12, RM: 13,
  SET_PERMS: 14, WATCH_EVENT: 15, ERROR: 16, IS_DOMAIN_INTRODUCED: 17, RESUME: 18, SET_TARGET: 19,
  RESET_WATCHES: 21, DIRECTORY_PART: 22, GET_FEATURE: 23, SET_FEATURE: 24, GET_QUOTA: 25,
  SET_QUOTA: 26, INVALID: 0xffff,
} as const;

// struct xenstore_domain_interface, byte offsets.
export const XS_RING = {
  req: 0, rsp: 1024, size: 1024, req_cons: 2048, req_prod: 2052, rsp_cons: 2056, rsp_prod: 2060,
  server_features: 2064, connection: 2068, error: 2072,
} as const;
export const XS_HEADER_SIZE = 16;
export const XENSTORE_PAYLOAD_MAX = 4096;
export const XENSTORE_SERVER_FEATURE = { RECONNECTION: 1, ERROR: 2, WATCHDEPTH: 4, DOMID_ANY: 8 } as const;
export const XENSTORE_ERROR = { NONE: 0, COMM: 1, RINGIDX: 2, PROTO: 3 } as const;
export const DOMID_ANY = 0x7ff5;

// What this daemon offers in server_features (cxenstored's set).
const FEATURES = XENSTORE_SERVER_FEATURE.ERROR | XENSTORE_SERVER_FEATURE.WATCHDEPTH | XENSTORE_SERVER_FEATURE.DOMID_ANY;

// Linux errno values of the names io/xs_wire.h can carry.
const ERRNO: Record<string, number> = {
  EPERM: 1, ENOENT: 2, EIO: 5, E2BIG: 7, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EBUSY: 16, EEXIST: 17,
  EISDIR: 21, EINVAL: 22, ENOSPC: 28, EROFS: 30, ENOSYS: 38, ENOTEMPTY: 39, EISCONN: 106,
};

// The name xenstored puts on the wire for an errno; like the daemon, anything it cannot
// translate goes out as EINVAL.
export function xsErrorName(errno: number): string {
  for (const [name, n] of Object.entries(ERRNO)) if (n === errno) return name;
  return "EINVAL";
}

export interface XenstoredFaults {
  failPaths?: { prefix: string; error: string; ops?: number[]; times?: number }[];
  delayMs?: number;
  chunkBytes?: number;
  garbage?: "bad-type" | "bad-req-id" | "bad-length";
  stuck?: boolean;
}

// Per-guest limits. A request fails when the new count would be >= the quota (as cxenstored
// checks), so e.g. a guest can hold at most watches-1 watches.
export interface XenstoredQuota {
  nodes: number; // nodes the guest owns
  watches: number;
  transactions: number; // open at once
  transactionNodes: number; // nodes one transaction touches
  permissions: number; // entries in one SET_PERMS
  pathLength: number; // bytes, not counting a leading /local/domain/<id>/
  nodeSize: number; // 16-byte header + 8 per permission + value + child names with their NULs
  outstanding: number; // replies waiting to be written before request reading pauses
}

export const DEFAULT_QUOTA: Readonly<XenstoredQuota> = {
  nodes: 1000, watches: 128, transactions: 10, transactionNodes: 1024, permissions: 5,
  pathLength: 2048, nodeSize: 2048, outstanding: 20,
};

const PERM_NONE = 0, PERM_READ = 1, PERM_WRITE = 2, PERM_OWNER = 8;
const NO_GENERATION = -1;

interface Perm { id: number; perms: number }

interface XsNode {
  value: Uint8Array;
  children: string[]; // in creation order
  perms: Perm[]; // [0] is the owner, and its bits the default for everyone else
  gen: number;
}

type Match = "exact" | "subtree";

interface Access {
  gen: number; // the node's generation when first touched (NO_GENERATION: it did not exist)
  check: boolean; // first touched by a read: verify at commit
  perms: Perm[] | null; // its permissions then, for deciding who may see the commit's events
  modified: boolean;
  fire: Match | null;
}

interface Transaction {
  id: number;
  overlay: Map<string, XsNode | null>; // what it wrote (null: removed)
  accessed: Map<string, Access>; // in first-touch order
  failed: boolean;
}

interface Caller { priv: boolean; domid: number; tx: Transaction | null }

interface GuestWatch { node: string; token: string; relative: boolean; depth: number }
interface LocalWatch { node: string; cb: (path: string) => void; active: boolean }

interface OutMessage { bytes: Uint8Array; sent: number; event: boolean }

class XsError extends Error {
  constructor(readonly code: string) {
    super(`xenstore: ${code}`);
  }
}

const PRIV_CALLER: Caller = { priv: true, domid: 0, tx: null };
const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");
const bytesOf = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
const strings = (...s: string[]) => bytesOf(s.map((x) => x + "\0").join(""));
const OK = strings("OK");

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function childPath(parent: string, child: string): string {
  return parent === "/" ? `/${child}` : `${parent}/${child}`;
}

function childBytes(n: XsNode): number {
  return n.children.reduce((sum, c) => sum + c.length + 1, 0);
}

// The strings a payload carries, each ended by a NUL; trailing bytes without a NUL are ignored.
function splitStrings(p: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) {
      out.push(latin1(p.subarray(start, i)));
      start = i + 1;
    }
  }
  return out;
}

// The single argument of most requests: the payload must hold exactly one NUL, at its end.
function oneArg(p: Uint8Array): string | null {
  if (p.length === 0 || p.indexOf(0) !== p.length - 1) return null;
  return latin1(p.subarray(0, p.length - 1));
}

function parsePerms(list: string[]): Perm[] {
  return list.map((s) => {
    const bits = { n: PERM_NONE, r: PERM_READ, w: PERM_WRITE, b: PERM_READ | PERM_WRITE }[s[0]];
    const id = s.slice(1);
    if (bits === undefined || !/^(0x[0-9a-f]+|[0-9]+)$/i.test(id)) throw new XsError("EINVAL");
    return { id: Number(id), perms: bits };
  });
}

function permString(p: Perm): string {
  return "nrwb"[p.perms & 3] + String(p.id);
}

// strtoul(s, 10) that must consume everything, capped at 65535 (the daemon's parse_domid).
function parseDomid(s: string): number {
  if (s === "") return 0;
  if (!/^[0-9]+$/.test(s)) throw new XsError("EINVAL");
  const n = Number(s);
  if (n > 65535) throw new XsError("EINVAL");
  return n;
}

function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? parseInt(m[1], 10) : 0;
}

export class Xenstored {
  faults: XenstoredFaults = {};
  quota: XenstoredQuota = { ...DEFAULT_QUOTA };
  stats: { requests: number; byType: Record<number, number> } = { requests: 0, byType: {} };

  private readonly mem: MachineMemory;
  private readonly clock: Clock;
  private readonly ringMfn: number;
  private readonly guestDomid: number;
  private readonly notifyGuest: () => void;

  private nodes = new Map<string, XsNode>();
  private generation = 0;

  private watches: GuestWatch[] = [];
  private localWatches: LocalWatch[] = [];
  private transactions: Transaction[] = [];
  private nextTxId = 1;

  // The request being assembled from the ring.
  private inHeader = new Uint8Array(XS_HEADER_SIZE);
  private inHeaderUsed = 0;
  private inPayload: Uint8Array | null = null;
  private inPayloadUsed = 0;

  private out: OutMessage[] = [];
  private ignored = false; // after a protocol violation: the guest gets nothing more
  private inService = false;
  private serviceScheduled = false;
  private chunkTimer = false;
  private afterReply: (() => void)[] = [];
  private callbacks: (() => void)[] = [];
  private runningCallbacks = false;

  constructor(opts: { mem: MachineMemory; clock: Clock; ringMfn: number; guestDomid: number; notifyGuest: () => void }) {
    this.mem = opts.mem;
    this.clock = opts.clock;
    this.ringMfn = opts.ringMfn;
    this.guestDomid = opts.guestDomid;
    this.notifyGuest = opts.notifyGuest;

    // The tree the daemon starts with: everything owned by dom0, readable by nobody else,
    // except that any domain may read @releaseDomain.
    const dom0Only = () => [{ id: 0, perms: PERM_NONE }];
    this.nodes.set("/", this.newNode(dom0Only(), ["tool"]));
    this.nodes.set("/tool", this.newNode(dom0Only(), ["xenstored"]));
    this.nodes.set("/tool/xenstored", this.newNode(dom0Only(), []));
    this.nodes.set("@releaseDomain", this.newNode([{ id: 0, perms: PERM_NONE }, { id: DOMID_ANY, perms: PERM_READ }], []));
    this.nodes.set("@introduceDomain", this.newNode(dom0Only(), []));

    // What INTRODUCE does to the ring page.
    this.ringView().setUint32(XS_RING.server_features, FEATURES, true);
  }

  // ---- the privileged side ----

  read(path: string): string | null {
    const n = this.nodes.get(this.canonical(PRIV_CALLER, path, false));
    return n ? Buffer.from(n.value).toString("utf8") : null;
  }

  write(path: string, value: string): void {
    this.privileged(() => this.doWrite(PRIV_CALLER, path, new Uint8Array(Buffer.from(value, "utf8"))));
  }

  mkdir(path: string): void {
    this.privileged(() => this.doMkdir(PRIV_CALLER, path));
  }

  // Removes the subtree; a path that does not exist is not an error here.
  rm(path: string): void {
    this.privileged(() => {
      try {
        this.doRm(PRIV_CALLER, path);
      } catch (e) {
        if (!(e instanceof XsError && e.code === "ENOENT")) throw e;
      }
    });
  }

  directory(path: string): string[] | null {
    const n = this.nodes.get(this.canonical(PRIV_CALLER, path, false));
    return n ? [...n.children] : null;
  }

  setPerms(path: string, perms: string[]): void {
    this.privileged(() => this.doSetPerms(PRIV_CALLER, path, perms));
  }

  getPerms(path: string): string[] | null {
    const n = this.nodes.get(this.canonical(PRIV_CALLER, path, true));
    return n ? n.perms.map(permString) : null;
  }

  // An in-process watch: `cb` hears `path` once now (or, when called from inside another
  // watcher, right after that one returns), then every change at or below it.
  watch(path: string, cb: (firedPath: string) => void): () => void {
    const w: LocalWatch = { node: this.canonical(PRIV_CALLER, path, true), cb, active: true };
    this.localWatches.push(w);
    this.callbacks.push(() => w.active && w.cb(w.node));
    this.runCallbacks();
    return () => {
      w.active = false;
      this.localWatches = this.localWatches.filter((x) => x !== w);
    };
  }

  guestWatches(): { path: string; token: string }[] {
    return this.watches.map((w) => ({ path: this.watchPath(w, w.node), token: w.token }));
  }

  // What the daemon still owes the guest or has half-read from it: messages (replies and watch
  // events) not yet fully written to the ring, and a request whose bytes are partly consumed.
  pendingWork(): { replies: number; events: number; partialRequest: boolean } {
    return {
      replies: this.outstandingReplies(),
      events: this.out.length - this.outstandingReplies(),
      partialRequest: this.inHeaderUsed > 0 || this.inPayload !== null,
    };
  }

  openTransactions(): number {
    return this.transactions.length;
  }

  // The ring's error field went non-zero and the guest is no longer served.
  get connectionIgnored(): boolean {
    return this.ignored;
  }

  private privileged(op: () => void): void {
    op();
    this.runCallbacks();
    this.kick();
  }

  // ---- the ring ----

  // The guest kicked the store event channel.
  notified(): void {
    if (this.ignored) return;
    const delay = this.faults.delayMs;
    if (!delay) return this.service();
    if (this.serviceScheduled) return;
    this.serviceScheduled = true;
    this.clock.after(BigInt(Math.round(delay * 1e6)), () => {
      this.serviceScheduled = false;
      this.service();
    });
  }

  // Events for the guest were queued outside a request (by the privileged side).
  private kick(): void {
    if (this.inService || this.ignored || this.out.length === 0) return;
    if (this.faults.delayMs) return this.notified();
    if (this.faults.stuck) return;
    if (this.flushStep() > 0) this.notifyGuest();
  }

  // Write what waits, read and answer what the guest sent, write again; tell the guest if
  // anything moved. With chunkBytes, one chunk per call, so that a notify separates chunks.
  private service(): void {
    if (this.ignored) return;
    this.inService = true;
    let activity = false;
    try {
      const canWrite = () => !this.faults.stuck && !this.ignored;
      if (this.faults.chunkBytes) {
        const read = this.readRequests();
        const wrote = canWrite() ? this.flushStep() : 0;
        activity = read || wrote > 0;
      } else {
        activity = canWrite() && this.flushStep() > 0;
        // Writing may make room under the outstanding-replies limit: read on while it does.
        for (let read = true; read; ) {
          read = this.readRequests();
          const wrote = canWrite() ? this.flushStep() : 0;
          activity = activity || read || wrote > 0;
        }
      }
    } finally {
      this.inService = false;
    }
    if (activity) this.notifyGuest();
  }

  private ringView(): DataView {
    return this.mem.view(this.ringMfn);
  }

  private outstandingReplies(): number {
    return this.out.reduce((n, m) => n + (m.event ? 0 : 1), 0);
  }

  // Take what the guest has produced; process each request as it completes. True if any
  // bytes were consumed.
  private readRequests(): boolean {
    let consumed = false;
    while (!this.ignored) {
      if (!this.faults.stuck && this.outstandingReplies() >= this.quota.outstanding) break;
      const v = this.ringView();
      const cons = v.getUint32(XS_RING.req_cons, true);
      const prod = v.getUint32(XS_RING.req_prod, true);
      const avail = (prod - cons) >>> 0;
      if (avail > XS_RING.size) {
        this.ignoreGuest(XENSTORE_ERROR.RINGIDX);
        break;
      }
      if (avail === 0) break;

      const inHeader = this.inHeaderUsed < XS_HEADER_SIZE;
      const target = inHeader ? this.inHeader : this.inPayload!;
      const at = inHeader ? this.inHeaderUsed : this.inPayloadUsed;
      const n = Math.min(target.length - at, avail);
      const ring = this.mem.bytes(this.ringMfn);
      for (let i = 0; i < n; i++) target[at + i] = ring[XS_RING.req + ((cons + i) & (XS_RING.size - 1))];
      this.ringView().setUint32(XS_RING.req_cons, (cons + n) >>> 0, true);
      consumed = true;
      if (inHeader) this.inHeaderUsed += n;
      else this.inPayloadUsed += n;

      if (this.inHeaderUsed === XS_HEADER_SIZE && this.inPayload === null) {
        const len = new DataView(this.inHeader.buffer).getUint32(12, true);
        if (len > XENSTORE_PAYLOAD_MAX) {
          this.ignoreGuest(XENSTORE_ERROR.PROTO);
          break;
        }
        this.inPayload = new Uint8Array(len);
        this.inPayloadUsed = 0;
      }
      if (this.inPayload !== null && this.inPayloadUsed === this.inPayload.length) {
        const h = new DataView(this.inHeader.buffer);
        const msg = { type: h.getUint32(0, true), reqId: h.getUint32(4, true), txId: h.getUint32(8, true), payload: this.inPayload };
        this.inHeaderUsed = 0;
        this.inPayload = null;
        this.stats.requests++;
        this.stats.byType[msg.type] = (this.stats.byType[msg.type] ?? 0) + 1;
        if (!this.faults.stuck) this.handle(msg);
      }
    }
    return consumed;
  }

  // Write queued output into the rsp ring, all that fits, or one chunk of chunkBytes.
  // Returns the bytes written.
  private flushStep(): number {
    const limit = this.faults.chunkBytes && this.faults.chunkBytes > 0 ? this.faults.chunkBytes : Infinity;
    let written = 0;
    while (this.out.length && written < limit) {
      const v = this.ringView();
      const cons = v.getUint32(XS_RING.rsp_cons, true);
      const prod = v.getUint32(XS_RING.rsp_prod, true);
      const used = (prod - cons) >>> 0;
      if (used > XS_RING.size) {
        this.ignoreGuest(XENSTORE_ERROR.RINGIDX);
        return written;
      }
      const free = XS_RING.size - used;
      if (free === 0) break;
      const m = this.out[0];
      const n = Math.min(free, m.bytes.length - m.sent, limit - written);
      const ring = this.mem.bytes(this.ringMfn);
      for (let i = 0; i < n; i++) ring[XS_RING.rsp + ((prod + i) & (XS_RING.size - 1))] = m.bytes[m.sent + i];
      this.ringView().setUint32(XS_RING.rsp_prod, (prod + n) >>> 0, true);
      m.sent += n;
      written += n;
      if (m.sent === m.bytes.length) this.out.shift();
    }
    // With chunks, the next one goes in on the guest's next kick or 1 ms from now; a ring
    // left full waits for the kick alone.
    if (limit !== Infinity && written > 0 && this.out.length && !this.chunkTimer) {
      this.chunkTimer = true;
      this.clock.after(1_000_000n, () => {
        this.chunkTimer = false;
        this.service();
      });
    }
    return written;
  }

  private ignoreGuest(error: number): void {
    this.ignored = true;
    this.ringView().setUint32(XS_RING.error, error, true);
    this.watches = [];
    this.transactions = [];
    this.out = [];
    this.inHeaderUsed = 0;
    this.inPayload = null;
  }

  private queue(type: number, reqId: number, txId: number, payload: Uint8Array, event: boolean): void {
    const bytes = new Uint8Array(XS_HEADER_SIZE + payload.length);
    const h = new DataView(bytes.buffer);
    h.setUint32(0, type, true);
    h.setUint32(4, reqId, true);
    h.setUint32(8, txId, true);
    h.setUint32(12, payload.length, true);
    bytes.set(payload, XS_HEADER_SIZE);
    this.out.push({ bytes, sent: 0, event });
  }

  private queueReply(req: { reqId: number; txId: number }, type: number, payload: Uint8Array): void {
    if (payload.length > XENSTORE_PAYLOAD_MAX) {
      type = XS.ERROR;
      payload = strings("E2BIG");
    }
    this.queue(type, req.reqId, req.txId, payload, false);
    const garbage = this.faults.garbage;
    if (garbage) {
      this.faults.garbage = undefined;
      const h = new DataView(this.out[this.out.length - 1].bytes.buffer);
      if (garbage === "bad-type") h.setUint32(0, XS.INVALID, true);
      if (garbage === "bad-req-id") h.setUint32(4, (req.reqId ^ 0x80000000) >>> 0, true);
      if (garbage === "bad-length") h.setUint32(12, XENSTORE_PAYLOAD_MAX + 1, true);
    }
  }

  private queueEvent(path: string, token: string): void {
    const payload = strings(path, token);
    if (payload.length > XENSTORE_PAYLOAD_MAX) return; // the daemon drops these silently
    if (path[0] !== "@") {
      const same = (m: OutMessage) =>
        m.event && m.bytes.length === XS_HEADER_SIZE + payload.length &&
        m.bytes.subarray(XS_HEADER_SIZE).every((b, i) => b === payload[i]);
      if (this.out.some(same)) return;
    }
    this.queue(XS.WATCH_EVENT, 0, 0, payload, true);
  }

  // ---- requests ----

  private handle(msg: { type: number; reqId: number; txId: number; payload: Uint8Array }): void {
    try {
      this.injectFault(msg);
      const op = this.ops[msg.type];
      if (!op) throw new XsError("ENOSYS");
      if (op.priv && this.guestDomid !== 0) throw new XsError("EACCES");
      const caller: Caller = { priv: this.guestDomid === 0, domid: this.guestDomid, tx: op.noTx ? null : this.lookupTx(msg.txId) };
      const reply = op.run(caller, msg.payload);
      this.queueReply(msg, msg.type, reply);
    } catch (e) {
      if (!(e instanceof XsError)) throw e;
      this.afterReply = [];
      this.queueReply(msg, XS.ERROR, strings(e.code));
    }
    for (const f of this.afterReply.splice(0)) f();
    this.runCallbacks();
  }

  private injectFault(msg: { type: number; txId: number; payload: Uint8Array }): void {
    const rules = this.faults.failPaths;
    if (!rules?.length) return;
    const nul = msg.payload.indexOf(0);
    const first = latin1(nul < 0 ? msg.payload : msg.payload.subarray(0, nul));
    const path = PATH_OPS.has(msg.type) ? this.looseCanonical(first) : null;
    for (const r of rules) {
      if (r.times !== undefined && r.times <= 0) continue;
      if (r.ops && !r.ops.includes(msg.type)) continue;
      if (path === null) {
        if (!r.ops) continue; // a request without a path fails only when its type is named
      } else {
        const prefix = this.looseCanonical(r.prefix);
        const under = prefix === "" || prefix === "/" || path === prefix || path.startsWith(prefix.endsWith("/") ? prefix : prefix + "/");
        if (!under) continue;
      }
      if (r.times !== undefined) r.times--;
      // a failed TRANSACTION_END still ends the transaction, as every real one does
      if (msg.type === XS.TRANSACTION_END) this.transactions = this.transactions.filter((t) => t.id !== msg.txId);
      throw new XsError(r.error);
    }
  }

  private looseCanonical(p: string): string {
    return p === "" || p[0] === "/" || p[0] === "@" ? p : `${this.home(this.guestDomid)}/${p}`;
  }

  private lookupTx(id: number): Transaction | null {
    if (id === 0) return null;
    const tx = this.transactions.find((t) => t.id === id);
    if (!tx) throw new XsError("ENOENT");
    return tx;
  }

  private readonly ops: Record<number, { run: (c: Caller, p: Uint8Array) => Uint8Array; priv?: boolean; noTx?: boolean }> = {
    [XS.CONTROL]: { priv: true, run: () => { throw new XsError("EINVAL"); } },
    [XS.DIRECTORY]: { run: (c, p) => {
      const n = this.nodeChecked(c, this.canonical(c, oneArg(p), false), PERM_READ);
      return strings(...n.children);
    } },
    [XS.DIRECTORY_PART]: { run: (c, p) => this.directoryPart(c, p) },
    [XS.READ]: { run: (c, p) => this.nodeChecked(c, this.canonical(c, oneArg(p), false), PERM_READ).value },
    [XS.GET_PERMS]: { run: (c, p) => strings(...this.nodeChecked(c, this.canonical(c, oneArg(p), true), PERM_READ).perms.map(permString)) },
    [XS.WATCH]: { noTx: true, run: (c, p) => this.guestWatch(c, p) },
    [XS.UNWATCH]: { noTx: true, run: (c, p) => this.guestUnwatch(c, p) },
    [XS.TRANSACTION_START]: { run: (c) => this.transactionStart(c) },
    [XS.TRANSACTION_END]: { run: (c, p) => this.transactionEnd(c, p) },
    [XS.INTRODUCE]: { priv: true, run: () => OK },
    [XS.RELEASE]: { priv: true, run: () => OK },
    [XS.GET_DOMAIN_PATH]: { run: (_c, p) => {
      const arg = oneArg(p);
      if (arg === null) throw new XsError("EINVAL");
      return strings(this.home(parseDomid(arg)));
    } },
    [XS.WRITE]: { run: (c, p) => {
      const nul = p.indexOf(0);
      if (nul < 0) throw new XsError("EINVAL");
      this.doWrite(c, latin1(p.subarray(0, nul)), p.slice(nul + 1));
      return OK;
    } },
    [XS.MKDIR]: { run: (c, p) => (this.doMkdir(c, oneArg(p)), OK) },
    [XS.RM]: { run: (c, p) => (this.doRm(c, oneArg(p)), OK) },
    [XS.SET_PERMS]: { run: (c, p) => {
      const s = splitStrings(p);
      if (s.length < 2) throw new XsError("EINVAL");
      if (!c.priv && s.length - 1 >= this.quota.permissions) throw new XsError("ENOSPC");
      this.doSetPerms(c, s[0], s.slice(1));
      return OK;
    } },
    [XS.IS_DOMAIN_INTRODUCED]: { priv: true, run: () => strings("T") },
    [XS.RESUME]: { priv: true, run: () => OK },
    [XS.SET_TARGET]: { priv: true, run: () => OK },
    [XS.RESET_WATCHES]: { run: () => {
      this.watches = [];
      this.transactions = [];
      return OK;
    } },
    [XS.GET_FEATURE]: { run: (c, p) => {
      if (splitStrings(p).length > 0 && !c.priv) throw new XsError("EACCES");
      return strings(String(FEATURES));
    } },
    [XS.SET_FEATURE]: { priv: true, run: () => OK },
    [XS.GET_QUOTA]: { priv: true, run: () => OK },
    [XS.SET_QUOTA]: { priv: true, run: () => OK },
  };

  // ---- paths and permissions ----

  private home(domid: number): string {
    return `/local/domain/${domid}`;
  }

  // A request's path made absolute and checked: the characters [A-Za-z0-9-/_@], no empty
  // path, no trailing or doubled slash, '@' first only for special (watch) names, and for a
  // guest a length under the quota, not counting a leading /local/domain/<id>/.
  private canonical(c: Caller, raw: string | null, allowSpecial: boolean): string {
    if (raw === null || !/^[A-Za-z0-9\-/_@]*$/.test(raw) || (raw[0] === "@" && !allowSpecial)) throw new XsError("EINVAL");
    const name = raw[0] === "/" || raw[0] === "@" ? raw : `${this.home(c.domid)}/${raw}`;
    const local = /^\/local\/domain\/-?\d{1,5}\//.exec(name);
    const len = name.length - (local ? local[0].length : 0);
    if ((name.endsWith("/") && name !== "/") || name.includes("//") || (!c.priv && len >= this.quota.pathLength)) {
      throw new XsError("EINVAL");
    }
    return name;
  }

  private permFor(c: Caller, perms: Perm[]): number {
    const matches = (p: Perm) => p.id === c.domid || p.id === DOMID_ANY;
    if (c.priv || matches(perms[0])) return PERM_READ | PERM_WRITE | PERM_OWNER;
    for (let i = 1; i < perms.length; i++) if (matches(perms[i])) return perms[i].perms;
    return perms[0].perms;
  }

  // The node, if `c` has every bit of `perm` on it. Otherwise EACCES, or ENOENT when it does
  // not exist and the nearest existing ancestor grants some of `perm`.
  private nodeChecked(c: Caller, name: string, perm: number): XsNode {
    const n = this.get(c, name);
    if (n && (this.permFor(c, n.perms) & perm) === perm) return n;
    const error = n ? "EACCES" : "ENOENT";
    let parent: XsNode | undefined;
    for (let p = name; !parent && p !== "/"; ) {
      p = parentOf(p);
      parent = this.get(c, p);
    }
    const parentPerm = parent ? this.permFor(c, parent.perms) : PERM_NONE;
    throw new XsError(parentPerm & perm ? error : "EACCES");
  }

  private checkSize(c: Caller, n: XsNode): void {
    if (c.priv) return;
    const size = 16 + 8 * n.perms.length + n.value.length + childBytes(n);
    if (size >= this.quota.nodeSize) throw new XsError("ENOSPC");
  }

  // ---- the store, seen through a transaction or not ----

  private newNode(perms: Perm[], children: string[] = [], value: Uint8Array = new Uint8Array(0)): XsNode {
    return { value, children, perms, gen: ++this.generation };
  }

  private get(c: Caller, path: string): XsNode | undefined {
    const tx = c.tx;
    if (!tx) return this.nodes.get(path);
    if (tx.overlay.has(path)) return tx.overlay.get(path) ?? undefined;
    const n = this.nodes.get(path);
    this.touch(c, path, n, true);
    return n;
  }

  private touch(c: Caller, path: string, current: XsNode | undefined, isRead: boolean): Access {
    const tx = c.tx!;
    let a = tx.accessed.get(path);
    if (!a) {
      if (!c.priv && tx.accessed.size + 1 >= this.quota.transactionNodes) {
        tx.failed = true;
        throw new XsError("ENOSPC");
      }
      a = { gen: current ? current.gen : NO_GENERATION, check: isRead, perms: current ? current.perms : null, modified: false, fire: null };
      tx.accessed.set(path, a);
    }
    return a;
  }

  private put(c: Caller, path: string, n: XsNode): void {
    n.gen = ++this.generation;
    if (!c.tx) {
      this.nodes.set(path, n);
      return;
    }
    this.touch(c, path, this.nodes.get(path), false).modified = true;
    c.tx.overlay.set(path, n);
  }

  private del(c: Caller, path: string): void {
    ++this.generation;
    if (!c.tx) {
      this.nodes.delete(path);
      return;
    }
    this.touch(c, path, this.nodes.get(path), false).modified = true;
    c.tx.overlay.set(path, null);
  }

  private clone(n: XsNode): XsNode {
    return { value: n.value, children: [...n.children], perms: n.perms.map((p) => ({ ...p })), gen: n.gen };
  }

  private ownedBy(c: Caller, domid: number): number {
    let count = 0;
    for (const [path, n] of this.nodes) if (!c.tx?.overlay.has(path) && n.perms[0].id === domid) count++;
    for (const n of c.tx?.overlay.values() ?? []) if (n && n.perms[0].id === domid) count++;
    return count;
  }

  // ---- operations (the guest's through the ring, the privileged side's directly) ----

  private doWrite(c: Caller, rawPath: string, value: Uint8Array): void {
    const name = this.canonical(c, rawPath, false);
    let n: XsNode;
    try {
      n = this.clone(this.nodeChecked(c, name, PERM_WRITE));
    } catch (e) {
      if (!(e instanceof XsError && e.code === "ENOENT")) throw e;
      const created = this.create(c, name, value);
      this.fire(c, name, "subtree", created.perms);
      return;
    }
    n.value = value;
    this.checkSize(c, n);
    this.put(c, name, n);
    this.fire(c, name, "subtree", n.perms);
  }

  private doMkdir(c: Caller, rawPath: string | null): void {
    const name = this.canonical(c, rawPath, false);
    try {
      this.nodeChecked(c, name, PERM_WRITE);
    } catch (e) {
      if (!(e instanceof XsError && e.code === "ENOENT")) throw e;
      const created = this.create(c, name, new Uint8Array(0));
      this.fire(c, name, "subtree", created.perms);
    }
  }

  // Create `name` and any missing ancestors (the caller checked write access on the nearest
  // existing one). Everything is checked before anything changes.
  private create(c: Caller, name: string, value: Uint8Array): XsNode {
    const missing: string[] = [name]; // top first
    let parentName = parentOf(name);
    let parent = this.get(c, parentName);
    while (!parent) {
      if (parentName === "/") throw new XsError("EIO"); // no root: cannot happen
      missing.unshift(parentName);
      parentName = parentOf(parentName);
      parent = this.get(c, parentName);
    }
    const top = this.clone(parent);
    top.children.push(baseOf(missing[0]));
    this.checkSize(c, top);

    const owned = c.priv ? 0 : this.ownedBy(c, c.domid);
    const built: XsNode[] = [];
    let perms = parent.perms;
    for (let i = 0; i < missing.length; i++) {
      if (!c.priv && owned + i + 1 >= this.quota.nodes) throw new XsError("ENOSPC");
      // Each inherits its parent's permissions; unprivileged domains own what they create.
      perms = perms.map((p) => ({ ...p }));
      if (!c.priv) perms[0].id = c.domid;
      const last = i === missing.length - 1;
      const n = this.newNode(perms, last ? [] : [baseOf(missing[i + 1])], last ? value : new Uint8Array(0));
      this.checkSize(c, n);
      built.push(n);
    }
    this.put(c, parentName, top);
    missing.forEach((path, i) => this.put(c, path, built[i]));
    return built[built.length - 1];
  }

  private doRm(c: Caller, rawPath: string | null): void {
    const name = this.canonical(c, rawPath, false);
    try {
      this.nodeChecked(c, name, PERM_WRITE);
    } catch (e) {
      // Removing what is not there is fine, if its parent is.
      if (e instanceof XsError && e.code === "ENOENT" && this.get(c, parentOf(name))) return;
      throw e;
    }
    if (name === "/") throw new XsError("EINVAL");
    const parent = this.get(c, parentOf(name));
    if (!parent) throw new XsError("EINVAL");

    // Children before their parent, in creation order, as the daemon walks the tree.
    const doomed: [string, XsNode][] = [];
    const walk = (path: string) => {
      const n = this.get(c, path);
      if (!n) return;
      for (const child of n.children) walk(childPath(path, child));
      doomed.push([path, n]);
    };
    walk(name);
    for (const [path] of doomed) this.del(c, path);
    const p = this.clone(parent);
    p.children = p.children.filter((x) => x !== baseOf(name));
    this.put(c, parentOf(name), p);
    for (const [path, n] of doomed) this.fire(c, path, path === name ? "subtree" : "exact", n.perms);
  }

  private doSetPerms(c: Caller, rawPath: string, permStrings: string[]): void {
    const perms = parsePerms(permStrings);
    if (perms.length === 0) throw new XsError("EINVAL");
    const name = this.canonical(c, rawPath, true);
    const n = this.clone(this.nodeChecked(c, name, PERM_WRITE | PERM_OWNER));
    if (!c.priv && perms[0].id !== n.perms[0].id) throw new XsError("EPERM"); // no giving nodes away
    const old = n.perms;
    n.perms = perms;
    this.checkSize(c, n);
    this.put(c, name, n);
    this.fire(c, name, "subtree", old);
  }

  private directoryPart(c: Caller, p: Uint8Array): Uint8Array {
    const s = splitStrings(p);
    if (s.length !== 2) throw new XsError("EINVAL");
    const n = this.nodeChecked(c, this.canonical(c, s[0], false), PERM_READ);
    const list = n.children.map((x) => x + "\0").join("");
    const off = atoi(s[1]);
    const gen = String(n.gen) + "\0";
    if (off < 0 || off >= list.length) return bytesOf(gen + "\0");
    // Whole names from `off` while they fit; an extra NUL marks the end of the list.
    const max = XENSTORE_PAYLOAD_MAX - gen.length - 1;
    let len = 0;
    while (off + len < list.length) {
      const next = list.indexOf("\0", off + len) - (off + len);
      if (len + next >= max) break;
      len += next + 1;
    }
    const end = off + len === list.length ? "\0" : "";
    return bytesOf(gen + list.slice(off, off + len) + end);
  }

  // ---- watches ----

  private guestWatch(c: Caller, p: Uint8Array): Uint8Array {
    const s = splitStrings(p);
    let depth = -1;
    if (s.length === 3) {
      depth = atoi(s[2]); // XENSTORE_SERVER_FEATURE_WATCHDEPTH
      if (depth < 0) throw new XsError("EINVAL");
    } else if (s.length !== 2) {
      throw new XsError("EINVAL");
    }
    const relative = s[0][0] !== "/" && s[0][0] !== "@";
    const node = this.canonical(c, s[0], true);
    const token = s[1];
    if (this.watches.some((w) => w.node === node && w.token === token)) throw new XsError("EEXIST");
    if (!c.priv && this.watches.length + 1 >= this.quota.watches) throw new XsError("ENOSPC");
    const w: GuestWatch = { node, token, relative, depth };
    this.watches.push(w);
    this.afterReply.push(() => this.queueEvent(this.watchPath(w, node), token));
    return OK;
  }

  private guestUnwatch(c: Caller, p: Uint8Array): Uint8Array {
    const s = splitStrings(p);
    if (s.length !== 2) throw new XsError("EINVAL");
    const node = this.canonical(c, s[0], true);
    const i = this.watches.findIndex((w) => w.node === node && w.token === s[1]);
    if (i < 0) throw new XsError("ENOENT");
    this.watches.splice(i, 1);
    return OK;
  }

  // A relative watch reports relative paths.
  private watchPath(w: GuestWatch, path: string): string {
    return w.relative ? path.slice(this.home(this.guestDomid).length + 1) : path;
  }

  private static matches(path: string, watched: string, match: Match, depth = -1): boolean {
    if (path === watched) return true;
    if (match === "exact") return false;
    const under = watched === "/" ? path[0] === "/" : path.startsWith(watched + "/");
    if (!under || depth < 0) return under;
    const rest = watched === "/" ? path : path.slice(watched.length);
    return rest.split("/").length - 1 <= depth;
  }

  private fire(c: Caller, path: string, match: Match, perms: Perm[] | null): void {
    if (c.tx) {
      // Held back until the commit; a subtree event outranks an exact one.
      const a = c.tx.accessed.get(path);
      if (!a) {
        c.tx.failed = true;
        return;
      }
      a.fire = a.fire === "subtree" || match === "subtree" ? "subtree" : "exact";
      return;
    }
    if (!this.ignored && this.guestMaySee(path, perms)) {
      for (const w of this.watches) {
        if (Xenstored.matches(path, w.node, match, w.depth)) this.queueEvent(this.watchPath(w, path), w.token);
      }
    }
    for (const w of this.localWatches) {
      if (Xenstored.matches(path, w.node, match)) this.callbacks.push(() => w.active && w.cb(path));
    }
  }

  // The guest hears of a change to a node it can read (with the permissions it had, or has
  // now), or whose parent it can read.
  private guestMaySee(path: string, perms: Perm[] | null): boolean {
    const guest: Caller = { priv: this.guestDomid === 0, domid: this.guestDomid, tx: null };
    if (perms && this.permFor(guest, perms) & PERM_READ) return true;
    const n = this.nodes.get(path);
    if (n && this.permFor(guest, n.perms) & PERM_READ) return true;
    const parent = this.nodes.get(parentOf(path));
    return !!parent && (this.permFor(guest, parent.perms) & PERM_READ) !== 0;
  }

  // In-process watchers run after the change (and after the guest's reply is queued), one at
  // a time, so a backend reacting with a write of its own never runs inside another.
  private runCallbacks(): void {
    if (this.runningCallbacks) return;
    this.runningCallbacks = true;
    try {
      for (let f = this.callbacks.shift(); f; f = this.callbacks.shift()) f();
    } finally {
      this.runningCallbacks = false;
    }
  }

  // ---- transactions ----

  private transactionStart(c: Caller): Uint8Array {
    if (c.tx) throw new XsError("EBUSY"); // no nesting
    if (!c.priv && this.transactions.length + 1 >= this.quota.transactions) throw new XsError("ENOSPC");
    // Ids count up from 1 per connection, skipping 0 and any still in use.
    let id = this.nextTxId;
    while (id === 0 || this.transactions.some((t) => t.id === id)) id = (id + 1) >>> 0;
    this.nextTxId = (id + 1) >>> 0;
    this.transactions.push({ id, overlay: new Map(), accessed: new Map(), failed: false });
    return strings(String(id));
  }

  private transactionEnd(c: Caller, p: Uint8Array): Uint8Array {
    const arg = oneArg(p);
    if (arg !== "T" && arg !== "F") throw new XsError("EINVAL");
    const tx = c.tx;
    if (!tx) throw new XsError("ENOENT");
    this.transactions = this.transactions.filter((t) => t !== tx);
    if (arg === "F") return OK;
    if (tx.failed) throw new XsError("ENOMEM");
    for (const [path, a] of tx.accessed) {
      const now = this.nodes.get(path);
      if (a.check && (now ? now.gen : NO_GENERATION) !== a.gen) throw new XsError("EAGAIN");
    }
    const committed: Caller = { ...c, tx: null };
    for (const [path, a] of tx.accessed) {
      if (!a.modified) continue;
      const n = tx.overlay.get(path);
      if (n) this.put(committed, path, n);
      else this.del(committed, path);
    }
    for (const [path, a] of tx.accessed) if (a.fire) this.fire(committed, path, a.fire, a.perms);
    return OK;
  }
}

// Requests whose first argument is a path (for failPaths).
const PATH_OPS = new Set<number>([XS.DIRECTORY, XS.READ, XS.GET_PERMS, XS.WATCH, XS.UNWATCH, XS.WRITE, XS.MKDIR, XS.RM, XS.SET_PERMS, XS.DIRECTORY_PART]);
