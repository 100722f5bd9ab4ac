// xenstored through its ring page, driven as a guest drives it: requests written into req[],
// req_prod bumped, a kick; responses read out of rsp[], rsp_cons advanced.

import { describe, expect, it } from "vitest";
import { MachineMemory } from "./harness/frames";
import { Clock } from "./harness/clock";
import { XS, XS_RING, XENSTORE_ERROR, XENSTORE_SERVER_FEATURE, Xenstored, xsErrorName } from "./harness/xenstored";
import { toolstackCreate, vbdDevid } from "./harness/toolstack";

const RING_MFN = 0x1234;
const GUEST = 1;
const FRONT = "/local/domain/1/device/vbd/51712";
const BACK = "/local/domain/0/backend/vbd/1/51712";

interface Msg { type: number; reqId: number; txId: number; payload: Uint8Array; text: string }

const enc = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
const dec = (b: Uint8Array) => Buffer.from(b).toString("latin1");
const nul = (...s: string[]) => s.map((x) => x + "\0").join("");

// A guest's xenbus client, small and strict: it checks every index it reads.
class Guest {
  readonly mem = new MachineMemory();
  readonly clock = new Clock();
  readonly xs: Xenstored;
  kicks = 0; // how often xenstored notified us
  events: { path: string; token: string }[] = [];
  private rx: number[] = []; // response bytes taken from the ring, not yet framed
  private nextReqId = 0x100;

  constructor(opts: { toolstack?: boolean } = {}) {
    this.mem.add(RING_MFN, GUEST);
    this.xs = new Xenstored({ mem: this.mem, clock: this.clock, ringMfn: RING_MFN, guestDomid: GUEST, notifyGuest: () => this.kicks++ });
    if (opts.toolstack !== false) {
      toolstackCreate(this.xs, {
        domid: GUEST, name: "guest", disks: [{ vdev: "xvda", devid: 51712 }],
        console: { ringMfn: 0x5678, port: 2 }, store: { ringMfn: RING_MFN, port: 1 },
      });
    }
  }

  u32(off: number): number {
    return this.mem.view(RING_MFN).getUint32(off, true);
  }

  setU32(off: number, v: number): void {
    this.mem.view(RING_MFN).setUint32(off, v >>> 0, true);
  }

  // Put bytes into req[] as far as there is room; returns how many went in. No kick.
  push(bytes: Uint8Array): number {
    const cons = this.u32(XS_RING.req_cons);
    let prod = this.u32(XS_RING.req_prod);
    const room = XS_RING.size - ((prod - cons) >>> 0);
    const n = Math.min(room, bytes.length);
    const ring = this.mem.bytes(RING_MFN);
    for (let i = 0; i < n; i++) ring[XS_RING.req + ((prod + i) & 1023)] = bytes[i];
    prod = (prod + n) >>> 0;
    this.setU32(XS_RING.req_prod, prod);
    return n;
  }

  kick(): void {
    this.xs.notified();
  }

  // Take everything in rsp[] (up to `max` bytes) and free the space.
  pull(max = Infinity): number {
    const cons = this.u32(XS_RING.rsp_cons);
    const prod = this.u32(XS_RING.rsp_prod);
    const avail = (prod - cons) >>> 0;
    expect(avail).toBeLessThanOrEqual(XS_RING.size);
    const n = Math.min(avail, max);
    const ring = this.mem.bytes(RING_MFN);
    for (let i = 0; i < n; i++) this.rx.push(ring[XS_RING.rsp + ((cons + i) & 1023)]);
    this.setU32(XS_RING.rsp_cons, cons + n);
    return n;
  }

  // Whole messages among the bytes pulled so far; watch events also go to `events`.
  messages(): Msg[] {
    const out: Msg[] = [];
    while (this.rx.length >= 16) {
      const h = new DataView(Uint8Array.from(this.rx.slice(0, 16)).buffer);
      const len = h.getUint32(12, true);
      if (this.rx.length < 16 + len) break;
      const payload = Uint8Array.from(this.rx.slice(16, 16 + len));
      this.rx.splice(0, 16 + len);
      const m = { type: h.getUint32(0, true), reqId: h.getUint32(4, true), txId: h.getUint32(8, true), payload, text: dec(payload) };
      if (m.type === XS.WATCH_EVENT) {
        const [path, token] = m.text.split("\0");
        this.events.push({ path, token });
      }
      out.push(m);
    }
    return out;
  }

  get pendingBytes(): number {
    return this.rx.length;
  }

  static frame(type: number, payload: Uint8Array | string, reqId: number, txId = 0, len?: number): Uint8Array {
    const p = typeof payload === "string" ? enc(payload) : payload;
    const b = new Uint8Array(16 + p.length);
    const v = new DataView(b.buffer);
    v.setUint32(0, type, true);
    v.setUint32(4, reqId, true);
    v.setUint32(8, txId, true);
    v.setUint32(12, len ?? p.length, true);
    b.set(p, 16);
    return b;
  }

  send(type: number, payload: Uint8Array | string, txId = 0): number {
    const reqId = this.nextReqId++;
    const f = Guest.frame(type, payload, reqId, txId);
    // A request longer than the free space goes in as xenstored takes it.
    for (let at = 0, spins = 0; at < f.length; spins++) {
      expect(spins).toBeLessThan(16);
      at += this.push(f.subarray(at));
      this.kick();
    }
    return reqId;
  }

  // One request, its reply (events arriving on the way are kept in `events`).
  call(type: number, payload: Uint8Array | string, txId = 0): Msg {
    const reqId = this.send(type, payload, txId);
    for (let spins = 0; spins < 64; spins++) {
      this.pull();
      const reply = this.messages().find((m) => m.type !== XS.WATCH_EVENT);
      if (reply) {
        expect(reply.reqId).toBe(reqId);
        expect(reply.txId).toBe(txId);
        return reply;
      }
      this.kick(); // we made room: let it write more
    }
    throw new Error(`no reply to request ${reqId}`);
  }

  // Helpers that expect success and return the payload text, or the error name.
  ok(type: number, payload: string, txId = 0): string {
    const r = this.call(type, payload, txId);
    if (r.type === XS.ERROR) throw new Error(`${payload.replace(/\0/g, "|")}: ${r.text}`);
    expect(r.type).toBe(type);
    return r.text;
  }

  err(type: number, payload: string, txId = 0): string {
    const r = this.call(type, payload, txId);
    expect(r.type, `expected an error, got "${r.text}"`).toBe(XS.ERROR);
    expect(r.text.endsWith("\0")).toBe(true);
    return r.text.slice(0, -1);
  }

  read(path: string, txId = 0): string {
    return this.ok(XS.READ, nul(path), txId);
  }

  write(path: string, value: string, txId = 0): void {
    expect(this.ok(XS.WRITE, `${path}\0${value}`, txId)).toBe("OK\0");
  }

  dir(path: string, txId = 0): string[] {
    const t = this.ok(XS.DIRECTORY, nul(path), txId);
    return t === "" ? [] : t.slice(0, -1).split("\0");
  }

  txStart(): number {
    const t = this.ok(XS.TRANSACTION_START, "\0");
    expect(t).toMatch(/^[0-9]+\0$/);
    return Number(t.slice(0, -1));
  }

  // Let virtual time pass, running xenstored's timers.
  advance(ms: number): void {
    this.clock.runUntil(this.clock.now + BigInt(ms) * 1_000_000n, () => false);
  }
}

describe("xenstored: the basic operations", () => {
  it("advertises its features in the ring page", () => {
    const g = new Guest({ toolstack: false });
    expect(g.u32(XS_RING.server_features) & XENSTORE_SERVER_FEATURE.ERROR).toBe(XENSTORE_SERVER_FEATURE.ERROR);
    expect(g.u32(XS_RING.error)).toBe(0);
  });

  it("reads, writes, lists and removes, relative to the guest's home", () => {
    const g = new Guest();
    g.write("data/a/b", "hello");
    expect(g.read("data/a/b")).toBe("hello");
    expect(g.read("/local/domain/1/data/a/b")).toBe("hello");
    expect(g.read("data/a")).toBe(""); // created on the way, empty
    expect(g.xs.read("/local/domain/1/data/a/b")).toBe("hello");

    expect(g.ok(XS.MKDIR, nul("data/a/c"))).toBe("OK\0");
    expect(g.ok(XS.MKDIR, nul("data/a/b"))).toBe("OK\0"); // exists: left alone
    expect(g.read("data/a/b")).toBe("hello");
    g.write("data/a/0", "");
    expect(g.dir("data/a")).toEqual(["b", "c", "0"]); // creation order, as cxenstored lists them
    expect(g.ok(XS.DIRECTORY, nul("data/a"))).toBe("b\0c\0" + "0\0");

    expect(g.ok(XS.RM, nul("data/a"))).toBe("OK\0");
    expect(g.err(XS.READ, nul("data/a/b"))).toBe("ENOENT");
    expect(g.dir("data")).toEqual([]);
    expect(g.ok(XS.RM, nul("data/gone"))).toBe("OK\0"); // absent, but its parent exists
    expect(g.err(XS.RM, nul("data/gone/deeper"))).toBe("ENOENT"); // its parent does not
  });

  it("keeps values as bytes, NULs included", () => {
    const g = new Guest();
    g.write("data/bin", "a\0b\xff");
    expect(g.read("data/bin")).toBe("a\0b\xff");
  });

  it("answers GET_DOMAIN_PATH for any domain id", () => {
    const g = new Guest();
    expect(g.ok(XS.GET_DOMAIN_PATH, nul("1"))).toBe("/local/domain/1\0");
    expect(g.ok(XS.GET_DOMAIN_PATH, nul("7"))).toBe("/local/domain/7\0");
    expect(g.err(XS.GET_DOMAIN_PATH, nul("x1"))).toBe("EINVAL");
    expect(g.err(XS.GET_DOMAIN_PATH, nul("65536"))).toBe("EINVAL");
  });

  it("reports errors by name: ENOENT, EACCES, EINVAL, E2BIG, ENOSYS", () => {
    const g = new Guest();
    expect(g.err(XS.READ, nul("data/nothing"))).toBe("ENOENT");
    expect(g.err(XS.READ, nul("/"))).toBe("EACCES");
    expect(g.err(XS.READ, nul("/local/domain/0/name"))).toBe("EACCES");
    expect(g.err(XS.READ, nul("/local/domain/0/nothing"))).toBe("EACCES"); // no telling it is absent
    expect(g.err(XS.WRITE, "data/x y\0v")).toBe("EINVAL");
    expect(g.err(XS.READ, nul("data/"))).toBe("EINVAL");
    expect(g.err(XS.READ, nul("data//x"))).toBe("EINVAL");
    expect(g.err(XS.READ, nul(""))).toBe("EINVAL");
    expect(g.err(XS.READ, nul("@special"))).toBe("EINVAL");
    expect(g.err(XS.READ, "data")).toBe("EINVAL"); // no NUL
    expect(g.err(XS.READ, "data\0x\0")).toBe("EINVAL"); // two arguments
    expect(g.err(XS.WRITE, "data/x")).toBe("EINVAL"); // no NUL after the path
    expect(g.err(XS.READ, nul("data/" + "x".repeat(2048)))).toBe("EINVAL");
    expect(g.err(XS.READ, nul("data/" + "x".repeat(2037)))).toBe("ENOENT"); // 2042 bytes below home: allowed

    // A reply over 4096 bytes cannot be sent: E2BIG instead.
    for (let i = 0; i < 200; i++) g.xs.write(`/local/domain/1/data/big/child-with-a-long-name-${String(i).padStart(3, "0")}`, "");
    expect(g.err(XS.DIRECTORY, nul("data/big"))).toBe("E2BIG");

    expect(g.err(99, "\0")).toBe("ENOSYS");
    expect(g.err(XS.WATCH_EVENT, "\0")).toBe("ENOSYS");
    expect(g.err(XS.INTRODUCE, nul("2", "1234", "5"))).toBe("EACCES"); // dom0 only
  });

  it("lists long directories in parts with DIRECTORY_PART", () => {
    const g = new Guest();
    const names = Array.from({ length: 200 }, (_, i) => `child-with-a-long-name-${String(i).padStart(3, "0")}`); // 5400 bytes
    for (const n of names) g.xs.write(`/local/domain/1/data/big/${n}`, "");
    const got: string[] = [];
    let gen = "";
    let parts = 0;
    for (let off = 0; ; parts++) {
      const t = g.ok(XS.DIRECTORY_PART, nul("data/big", String(off)));
      const [g0, ...rest] = t.split("\0");
      if (gen) expect(g0).toBe(gen);
      gen = g0;
      const done = t.endsWith("\0\0");
      const part = rest.filter((x) => x !== "");
      got.push(...part);
      off += part.reduce((s, x) => s + x.length + 1, 0);
      if (done) break;
      expect(part.length).toBeGreaterThan(0);
    }
    expect(got).toEqual(names);
    expect(parts).toBeGreaterThan(0); // it took more than one request
  });

  it("echoes req_id and tx_id, and numbers transactions from 1", () => {
    const g = new Guest();
    const f = Guest.frame(XS.READ, nul("name"), 0xdeadbeef);
    g.push(f);
    g.kick();
    g.pull();
    const [m] = g.messages();
    expect(m).toMatchObject({ type: XS.READ, reqId: 0xdeadbeef, txId: 0, text: "guest" });
    const tx = g.txStart();
    expect(tx).toBe(1);
    const r = g.call(XS.READ, nul("name"), tx);
    expect(r.txId).toBe(tx);
    expect(g.err(XS.READ, nul("name"), 77)).toBe("ENOENT"); // unknown tx_id
  });
});

describe("xenstored: permissions as the toolstack leaves them", () => {
  it("writes the frontend and backend nodes libxl writes", () => {
    const g = new Guest();
    const xs = g.xs;
    expect(xs.read("/local/domain/1/name")).toBe("guest");
    expect(xs.read("/local/domain/1/domid")).toBe("1");
    expect(xs.read("/local/domain/1/store/ring-ref")).toBe(String(RING_MFN));
    expect(xs.directory(FRONT)).toEqual(["backend", "backend-id", "state", "virtual-device", "device-type", "trusted", "protocol"]);
    expect(xs.read(`${FRONT}/backend`)).toBe(BACK);
    expect(xs.read(`${FRONT}/virtual-device`)).toBe("51712");
    expect(xs.read(`${FRONT}/state`)).toBe("1");
    expect(xs.read(`${BACK}/frontend`)).toBe(FRONT);
    for (const [k, v] of Object.entries({ "frontend-id": "1", online: "1", state: "1", removable: "0", bootable: "1", dev: "xvda", type: "phy", mode: "w", "device-type": "disk" })) {
      expect(xs.read(`${BACK}/${k}`), k).toBe(v);
    }
    expect(xs.getPerms(FRONT)).toEqual(["n1", "r0"]);
    expect(xs.getPerms(BACK)).toEqual(["n0", "r1"]);
    expect(xs.getPerms("/local/domain/1")).toEqual(["n0", "r1"]);
    expect(xs.read("/local/domain/1/console/ring-ref")).toBe(String(0x5678));
    expect(xs.read("/local/domain/1/console/port")).toBe("2");
    expect(xs.getPerms("/local/domain/1/console")).toEqual(["n0", "r1"]);
    expect(xs.read("/local/domain/0/backend/console/1/0/protocol")).toBe("vt100");
  });

  it("lets the guest read its backend but not write it, and write its own device nodes", () => {
    const g = new Guest();
    expect(g.read(`${BACK}/state`)).toBe("1");
    expect(g.read("device/vbd/51712/backend")).toBe(BACK);
    expect(g.err(XS.WRITE, `${BACK}/state\x004`)).toBe("EACCES");
    expect(g.err(XS.WRITE, `${BACK}/new-node\x00x`)).toBe("EACCES");
    expect(g.err(XS.READ, nul(`${BACK}/absent`))).toBe("ENOENT"); // the directory is readable
    expect(g.err(XS.READ, nul("/local/domain/0/backend/vbd/1/99"))).toBe("EACCES"); // its parent is not

    g.write("device/vbd/51712/ring-ref", "8");
    g.write("device/vbd/51712/state", "3");
    expect(g.xs.read(`${FRONT}/ring-ref`)).toBe("8");
    expect(g.xs.read(`${FRONT}/state`)).toBe("3");
    // What the guest creates is its own, and its backend may still read it.
    expect(g.ok(XS.GET_PERMS, nul("device/vbd/51712/ring-ref"))).toBe(nul("n1", "r0"));

    expect(g.err(XS.WRITE, "device/vbd/51713/state\x001")).toBe("EACCES"); // no new devices
    expect(g.err(XS.WRITE, "name\0evil")).toBe("EACCES"); // its home is read-only to it
    expect(g.err(XS.WRITE, "console/ring-ref\x001")).toBe("EACCES");
    g.write("control/shutdown", "");
    g.write("data/anything", "1");
  });

  it("makes the guest the owner of what it creates in a directory someone else shares with it", () => {
    const g = new Guest();
    g.xs.mkdir("/local/domain/1/data/shared");
    g.xs.setPerms("/local/domain/1/data/shared", ["n0", "b1"]);
    g.write("data/shared/mine/leaf", "1");
    expect(g.ok(XS.GET_PERMS, nul("data/shared/mine"))).toBe(nul("n1", "b1"));
    expect(g.ok(XS.GET_PERMS, nul("data/shared/mine/leaf"))).toBe(nul("n1", "b1"));
    g.xs.write("/local/domain/1/data/shared/theirs", "0"); // the privileged side keeps the owner
    expect(g.xs.getPerms("/local/domain/1/data/shared/theirs")).toEqual(["n0", "b1"]);
  });

  it("lets an owner share a node but not give it away", () => {
    const g = new Guest();
    g.write("data/shared", "x");
    expect(g.ok(XS.SET_PERMS, nul("data/shared", "n1", "b2"))).toBe("OK\0");
    expect(g.xs.getPerms("/local/domain/1/data/shared")).toEqual(["n1", "b2"]);
    expect(g.err(XS.SET_PERMS, nul("data/shared", "n2"))).toBe("EPERM");
    expect(g.err(XS.SET_PERMS, nul("data/shared", "x1"))).toBe("EINVAL");
    expect(g.err(XS.SET_PERMS, nul(`${BACK}/state`, "n1"))).toBe("EACCES");
    expect(g.err(XS.SET_PERMS, nul("data/shared", "n1", "r2", "r3", "r4", "r5"))).toBe("ENOSPC"); // 5 entries
  });
});

describe("xenstored: watches", () => {
  it("fires once when set, then for changes at or below the path, until unwatched", () => {
    const g = new Guest();
    expect(g.ok(XS.WATCH, nul(`${BACK}/state`, "be"))).toBe("OK\0");
    g.pull();
    g.messages();
    expect(g.events).toEqual([{ path: `${BACK}/state`, token: "be" }]);
    expect(g.xs.guestWatches()).toEqual([{ path: `${BACK}/state`, token: "be" }]);

    g.events = [];
    const kicks = g.kicks;
    g.xs.write(`${BACK}/state`, "2"); // the backend moves on
    expect(g.kicks).toBeGreaterThan(kicks);
    g.pull();
    g.messages();
    expect(g.events).toEqual([{ path: `${BACK}/state`, token: "be" }]);

    g.events = [];
    g.xs.write(`${BACK}/sectors`, "100"); // a sibling: not watched
    g.pull();
    g.messages();
    expect(g.events).toEqual([]);

    expect(g.ok(XS.UNWATCH, nul(`${BACK}/state`, "be"))).toBe("OK\0");
    g.xs.write(`${BACK}/state`, "4");
    g.pull();
    g.messages();
    expect(g.events).toEqual([]);
    expect(g.xs.guestWatches()).toEqual([]);
  });

  it("reports relative paths for relative watches, and changes below the watched node", () => {
    const g = new Guest();
    g.ok(XS.WATCH, nul("device", "dev"));
    g.events = [];
    g.write("device/vbd/51712/state", "3"); // the event comes before the reply
    expect(g.events).toEqual([{ path: "device/vbd/51712/state", token: "dev" }]);
  });

  it("queues the guest's own events before the reply that caused them", () => {
    const g = new Guest();
    g.ok(XS.WATCH, nul("data", "t"));
    g.pull();
    g.messages();
    const reqId = g.send(XS.WRITE, "data/x\x001");
    g.pull();
    const msgs = g.messages();
    expect(msgs.map((m) => [m.type, m.reqId])).toEqual([[XS.WATCH_EVENT, 0], [XS.WRITE, reqId]]);
  });

  it("refuses a duplicate and an unknown watch", () => {
    const g = new Guest();
    g.ok(XS.WATCH, nul("data", "t"));
    expect(g.err(XS.WATCH, nul("data", "t"))).toBe("EEXIST");
    g.ok(XS.WATCH, nul("data", "u")); // another token is another watch
    expect(g.err(XS.UNWATCH, nul("data", "nope"))).toBe("ENOENT");
    expect(g.err(XS.UNWATCH, nul("control", "t"))).toBe("ENOENT");
    expect(g.xs.guestWatches().length).toBe(2);
  });

  it("on RM, tells watchers of the removed node, its ancestors and its descendants", () => {
    const g = new Guest();
    g.write("data/a/b/c", "1");
    g.write("data/a/b/d", "2");
    g.ok(XS.WATCH, nul("data", "top"));
    g.ok(XS.WATCH, nul("data/a/b/c", "leaf"));
    g.ok(XS.WATCH, nul("data/a/b/zz", "never"));
    g.events = [];
    g.ok(XS.RM, nul("data/a"));
    expect(g.events).toEqual([
      { path: "data/a/b/c", token: "leaf" },
      { path: "data/a", token: "top" },
    ]);
  });

  it("does not queue an event identical to one still waiting to be written", () => {
    const g = new Guest();
    g.ok(XS.WATCH, nul(`${BACK}/state`, "be"));
    g.events = [];
    g.xs.faults.delayMs = 1; // events queue up until the daemon next runs
    g.xs.write(`${BACK}/state`, "2");
    g.xs.write(`${BACK}/state`, "3");
    g.xs.write(`${BACK}/state`, "4");
    g.advance(2);
    g.pull();
    g.messages();
    expect(g.events).toEqual([{ path: `${BACK}/state`, token: "be" }]);
  });

  it("accepts the special watches, which never fire here", () => {
    const g = new Guest();
    g.ok(XS.WATCH, nul("@releaseDomain", "rel"));
    g.ok(XS.WATCH, nul("@introduceDomain", "intro"));
    g.events = [];
    g.write("data/x", "1");
    g.xs.write("/local/domain/0/x", "1");
    expect(g.events).toEqual([]);
  });

  it("drops all the guest's watches and transactions on RESET_WATCHES", () => {
    const g = new Guest();
    g.ok(XS.WATCH, nul("data", "t"));
    const tx = g.txStart();
    expect(g.xs.openTransactions()).toBe(1);
    expect(g.ok(XS.RESET_WATCHES, "")).toBe("OK\0");
    expect(g.xs.guestWatches()).toEqual([]);
    expect(g.xs.openTransactions()).toBe(0);
    expect(g.err(XS.READ, nul("name"), tx)).toBe("ENOENT");
    g.events = [];
    g.write("data/x", "1");
    expect(g.events).toEqual([]);
  });

  it("calls in-process watchers on registration and on the guest's changes", () => {
    const g = new Guest();
    const seen: string[] = [];
    const unwatch = g.xs.watch(FRONT, (p) => seen.push(p));
    expect(seen).toEqual([FRONT]);
    g.write("device/vbd/51712/state", "3");
    expect(seen).toEqual([FRONT, `${FRONT}/state`]);
    unwatch();
    g.write("device/vbd/51712/state", "4");
    expect(seen.length).toBe(2);
  });

  it("lets an in-process backend answer a guest's write with writes of its own", () => {
    const g = new Guest();
    // A toy blkback: when the frontend says Initialised, go Connected.
    g.xs.watch(`${FRONT}/state`, () => {
      if (g.xs.read(`${FRONT}/state`) === "3") g.xs.write(`${BACK}/state`, "4");
    });
    g.ok(XS.WATCH, nul(`${BACK}/state`, "be"));
    g.pull();
    g.messages();
    g.events = [];
    const reqId = g.send(XS.WRITE, "device/vbd/51712/state\x003");
    g.pull();
    const msgs = g.messages();
    expect(msgs.map((m) => [m.type, m.reqId])).toEqual([[XS.WRITE, reqId], [XS.WATCH_EVENT, 0]]);
    expect(g.events).toEqual([{ path: `${BACK}/state`, token: "be" }]);
    expect(g.read(`${BACK}/state`)).toBe("4");
  });

  it("keeps the watch count under the quota", () => {
    const g = new Guest();
    g.xs.quota.watches = 4;
    for (let i = 0; i < 3; i++) g.ok(XS.WATCH, nul("data", `t${i}`));
    expect(g.err(XS.WATCH, nul("data", "t3"))).toBe("ENOSPC");
  });
});

describe("xenstored: transactions", () => {
  it("keeps a transaction's writes to itself until it commits", () => {
    const g = new Guest();
    g.write("data/x", "old");
    g.ok(XS.WATCH, nul("data", "t"));
    g.events = [];
    const tx = g.txStart();
    g.write("data/x", "new", tx);
    g.write("data/y", "made", tx);
    expect(g.read("data/x", tx)).toBe("new");
    expect(g.read("data/x")).toBe("old");
    expect(g.err(XS.READ, nul("data/y"))).toBe("ENOENT");
    expect(g.dir("data", tx)).toEqual(["x", "y"]);
    expect(g.events).toEqual([]); // no events before the commit
    expect(g.ok(XS.TRANSACTION_END, nul("T"), tx)).toBe("OK\0");
    expect(g.read("data/x")).toBe("new");
    expect(g.read("data/y")).toBe("made");
    expect(g.events).toEqual([{ path: "data/x", token: "t" }, { path: "data/y", token: "t" }]);
    expect(g.xs.openTransactions()).toBe(0);
  });

  it("throws the writes away on abort", () => {
    const g = new Guest();
    g.write("data/x", "old");
    const tx = g.txStart();
    g.write("data/x", "new", tx);
    g.ok(XS.RM, nul("data"), tx);
    expect(g.ok(XS.TRANSACTION_END, nul("F"), tx)).toBe("OK\0");
    expect(g.read("data/x")).toBe("old");
    expect(g.err(XS.READ, nul("data/x"), tx)).toBe("ENOENT"); // the id is gone
  });

  it("fails the commit with EAGAIN when a node it read changed meanwhile", () => {
    const g = new Guest();
    const tx = g.txStart();
    expect(g.read(`${BACK}/state`, tx)).toBe("1");
    g.write("data/mine", "1", tx);
    g.xs.write(`${BACK}/state`, "2"); // the backend, outside the transaction
    expect(g.err(XS.TRANSACTION_END, nul("T"), tx)).toBe("EAGAIN");
    expect(g.err(XS.READ, nul("data/mine"))).toBe("ENOENT");
    expect(g.xs.openTransactions()).toBe(0); // ended all the same

    // The retry, undisturbed, goes through.
    const again = g.txStart();
    g.read(`${BACK}/state`, again);
    g.write("data/mine", "1", again);
    expect(g.ok(XS.TRANSACTION_END, nul("T"), again)).toBe("OK\0");
    expect(g.read("data/mine")).toBe("1");
  });

  it("also conflicts on a node it found absent that appeared since", () => {
    const g = new Guest();
    const tx = g.txStart();
    expect(g.err(XS.READ, nul("data/later"), tx)).toBe("ENOENT");
    g.xs.write("/local/domain/1/data/later", "here");
    expect(g.err(XS.TRANSACTION_END, nul("T"), tx)).toBe("EAGAIN");
  });

  it("does not conflict on changes to nodes it never touched", () => {
    const g = new Guest();
    const tx = g.txStart();
    g.write("data/mine", "1", tx);
    g.xs.write(`${BACK}/state`, "2");
    expect(g.ok(XS.TRANSACTION_END, nul("T"), tx)).toBe("OK\0");
  });

  it("refuses unknown transactions, a missing one, nesting and a bad end", () => {
    const g = new Guest();
    expect(g.err(XS.TRANSACTION_END, nul("T"), 42)).toBe("ENOENT");
    expect(g.err(XS.TRANSACTION_END, nul("T"))).toBe("ENOENT"); // tx_id 0
    const tx = g.txStart();
    expect(g.err(XS.TRANSACTION_START, "\0", tx)).toBe("EBUSY");
    expect(g.err(XS.TRANSACTION_END, nul("X"), tx)).toBe("EINVAL");
    expect(g.txStart()).toBe(tx + 1);
  });

  it("limits open transactions", () => {
    const g = new Guest();
    g.xs.quota.transactions = 3;
    g.txStart();
    g.txStart();
    expect(g.err(XS.TRANSACTION_START, "\0")).toBe("ENOSPC");
  });
});

describe("xenstored: the ring", () => {
  it("assembles a request split over two kicks", () => {
    const g = new Guest();
    const f = Guest.frame(XS.READ, nul("name"), 7);
    g.push(f.subarray(0, 10)); // part of the header
    g.kick();
    expect(g.pull()).toBe(0);
    expect(g.u32(XS_RING.req_cons)).toBe(10); // consumed and buffered
    g.push(f.subarray(10, 19)); // the rest of the header, part of the payload
    g.kick();
    expect(g.pull()).toBe(0);
    g.push(f.subarray(19));
    g.kick();
    g.pull();
    expect(g.messages()).toMatchObject([{ type: XS.READ, reqId: 7, text: "guest" }]);
  });

  it("answers several requests from one kick, in order", () => {
    const g = new Guest();
    g.push(Guest.frame(XS.READ, nul("name"), 1));
    g.push(Guest.frame(XS.READ, nul("domid"), 2));
    g.push(Guest.frame(XS.READ, nul("nothing"), 3));
    g.kick();
    g.pull();
    expect(g.messages().map((m) => [m.reqId, m.text])).toEqual([[1, "guest"], [2, "1"], [3, "ENOENT\0"]]);
  });

  it("delivers a reply larger than the free space as the guest makes room", () => {
    const g = new Guest();
    const big = "v".repeat(1500);
    g.xs.write("/local/domain/1/data/big", big);
    g.push(Guest.frame(XS.READ, nul("data/big"), 9));
    g.kick();
    // The ring is full and stays full until the guest reads.
    expect((g.u32(XS_RING.rsp_prod) - g.u32(XS_RING.rsp_cons)) >>> 0).toBe(1024);
    g.kick();
    expect((g.u32(XS_RING.rsp_prod) - g.u32(XS_RING.rsp_cons)) >>> 0).toBe(1024);
    expect(g.pull(300)).toBe(300);
    g.kick();
    expect((g.u32(XS_RING.rsp_prod) - g.u32(XS_RING.rsp_cons)) >>> 0).toBe(1024);
    g.pull();
    g.kick();
    g.pull();
    const [m] = g.messages();
    expect(m).toMatchObject({ type: XS.READ, reqId: 9, text: big });
  });

  it("works across the wrap of the free-running indexes", () => {
    const g = new Guest();
    const start = 0xffffffff - 20;
    for (const off of [XS_RING.req_cons, XS_RING.req_prod, XS_RING.rsp_cons, XS_RING.rsp_prod]) g.setU32(off, start);
    expect(g.read("name")).toBe("guest");
    expect(g.read("domid")).toBe("1");
    expect(g.u32(XS_RING.rsp_prod)).toBeLessThan(start); // wrapped
  });

  it("stops reading requests while 20 replies wait, and resumes as they are taken", () => {
    const g = new Guest();
    g.xs.write("/local/domain/1/data/v", "x".repeat(200));
    // 25 requests of 23 bytes fit in the ring; their 216-byte replies do not.
    for (let i = 0; i < 25; i++) expect(g.push(Guest.frame(XS.READ, nul("data/v"), 1000 + i))).toBe(23);
    g.kick();
    // 20 replies queued, then 4 of them fit wholly in the rsp ring and stop counting, so 4
    // more requests were read; the last one waits in req[].
    expect(g.xs.stats.requests).toBe(24);
    expect(g.u32(XS_RING.req_cons)).toBe(24 * 23);
    const got: number[] = [];
    for (let i = 0; i < 40 && got.length < 25; i++) {
      g.pull();
      got.push(...g.messages().map((m) => m.reqId));
      g.kick();
    }
    expect(got).toEqual(Array.from({ length: 25 }, (_, i) => 1000 + i));
    expect(g.xs.stats.byType[XS.READ]).toBe(25);
  });

  it("treats a payload over 4096 bytes as fatal, as xenstored does: error field, no reply", () => {
    const g = new Guest();
    g.push(Guest.frame(XS.WRITE, "data/x\0y", 1, 0, 4097));
    g.kick();
    expect(g.pull()).toBe(0);
    expect(g.u32(XS_RING.error)).toBe(XENSTORE_ERROR.PROTO);
    expect(g.xs.connectionIgnored).toBe(true);
    g.push(Guest.frame(XS.READ, nul("name"), 2));
    g.kick();
    expect(g.pull()).toBe(0);
  });

  it("gives up on a guest whose ring indexes are impossible", () => {
    const g = new Guest();
    g.setU32(XS_RING.req_prod, 5000);
    g.kick();
    expect(g.u32(XS_RING.error)).toBe(XENSTORE_ERROR.RINGIDX);
  });
});

describe("xenstored: faults", () => {
  it("fails requests under a path with the named error, a given number of times", () => {
    const g = new Guest();
    g.xs.faults.failPaths = [{ prefix: "device/vbd", error: "EAGAIN", ops: [XS.WRITE], times: 2 }];
    expect(g.err(XS.WRITE, "device/vbd/51712/state\x003")).toBe("EAGAIN");
    expect(g.read("device/vbd/51712/state")).toBe("1"); // not a WRITE: untouched
    expect(g.read("device/vbd/51712/state")).toBe("1");
    expect(g.err(XS.WRITE, "device/vbd/51712/state\x003")).toBe("EAGAIN");
    g.write("device/vbd/51712/state", "3"); // the third goes through
    g.write("data/x", "1"); // outside the prefix

    g.xs.faults.failPaths = [{ prefix: "/local/domain/0/backend", error: "EACCES" }];
    expect(g.err(XS.READ, nul(`${BACK}/state`))).toBe("EACCES");
    expect(g.err(XS.DIRECTORY, nul(BACK))).toBe("EACCES");
    expect(g.read("name")).toBe("guest");

    // A request without a path fails only when its type is named.
    g.xs.faults.failPaths = [{ prefix: "", error: "EAGAIN", ops: [XS.TRANSACTION_END], times: 1 }];
    const tx = g.txStart();
    expect(g.err(XS.TRANSACTION_END, nul("T"), tx)).toBe("EAGAIN");
  });

  it("answers only after delayMs of virtual time", () => {
    const g = new Guest();
    g.xs.faults.delayMs = 5;
    g.push(Guest.frame(XS.READ, nul("name"), 3));
    g.kick();
    expect(g.pull()).toBe(0);
    g.advance(4);
    expect(g.pull()).toBe(0);
    g.advance(2);
    g.pull();
    expect(g.messages()).toMatchObject([{ reqId: 3, text: "guest" }]);
  });

  it("writes replies in chunks, the next on a kick or after 1 ms", () => {
    const g = new Guest();
    g.xs.faults.chunkBytes = 5;
    g.push(Guest.frame(XS.READ, nul("name"), 4)); // 16 + 5 bytes of reply
    const kicks = g.kicks;
    g.kick();
    expect(g.pull()).toBe(5);
    expect(g.kicks).toBe(kicks + 1);
    g.kick();
    expect(g.pull()).toBe(5);
    g.advance(1);
    expect(g.pull()).toBe(5);
    expect(g.messages()).toEqual([]); // not whole yet
    g.advance(3);
    expect(g.pull()).toBe(6);
    expect(g.messages()).toMatchObject([{ reqId: 4, text: "guest" }]);
    expect(g.kicks).toBe(kicks + 5);
  });

  it("mangles the next reply's type, once", () => {
    const g = new Guest();
    g.xs.faults.garbage = "bad-type";
    g.send(XS.READ, nul("name"));
    g.pull();
    expect(g.messages()[0].type).toBe(XS.INVALID);
    expect(g.read("name")).toBe("guest");
  });

  it("mangles the next reply's req_id, once", () => {
    const g = new Guest();
    g.xs.faults.garbage = "bad-req-id";
    const reqId = g.send(XS.READ, nul("name"));
    g.pull();
    const [m] = g.messages();
    expect(m.type).toBe(XS.READ);
    expect(m.reqId).not.toBe(reqId);
    expect(g.read("name")).toBe("guest");
  });

  it("mangles the next reply's length, once", () => {
    const g = new Guest();
    g.xs.faults.garbage = "bad-length";
    g.send(XS.READ, nul("name"));
    g.pull();
    expect(g.pendingBytes).toBe(16 + 5);
    const raw = new DataView(new ArrayBuffer(4));
    const ring = g.mem.bytes(RING_MFN);
    for (let i = 0; i < 4; i++) raw.setUint8(i, ring[XS_RING.rsp + 12 + i]);
    expect(raw.getUint32(0, true)).toBeGreaterThan(4096);
    expect(g.xs.faults.garbage).toBeUndefined();
  });

  it("swallows requests without answering when stuck", () => {
    const g = new Guest();
    g.xs.faults.stuck = true;
    g.send(XS.READ, nul("name"));
    expect(g.u32(XS_RING.req_cons)).toBe(g.u32(XS_RING.req_prod)); // taken
    expect(g.pull()).toBe(0);
    g.xs.write("/local/domain/1/data/x", "1");
    expect(g.pull()).toBe(0);
    g.xs.faults.stuck = false;
    expect(g.read("name")).toBe("guest"); // the swallowed request stays unanswered
    expect(g.xs.stats.byType[XS.READ]).toBe(2);
  });
});

describe("toolstack: vbd numbers", () => {
  it("encodes disk names as xl does", () => {
    expect(vbdDevid("xvda")).toBe(51712);
    expect(vbdDevid("xvdb")).toBe(51728);
    expect(vbdDevid("xvda1")).toBe(51713);
    expect(vbdDevid("xvdp15")).toBe((202 << 8) | (15 << 4) | 15);
    expect(vbdDevid("xvdq")).toBe((1 << 28) | (16 << 8));
    expect(vbdDevid("xvdaa")).toBe((1 << 28) | (26 << 8));
    expect(vbdDevid("xvda16")).toBe((1 << 28) | 16);
    expect(vbdDevid("d536p37")).toBe((1 << 28) | (536 << 8) | 37);
    expect(vbdDevid("hda")).toBe(768);
    expect(vbdDevid("hdc2")).toBe((22 << 8) | 2);
    expect(vbdDevid("hdd")).toBe((22 << 8) | 64);
    expect(vbdDevid("sdb3")).toBe((8 << 8) | 16 | 3);
    expect(vbdDevid("51712")).toBe(51712);
    expect(vbdDevid("0xca00")).toBe(51712);
    expect(() => vbdDevid("xvda0")).toThrow();
    expect(() => vbdDevid("hde")).toThrow();
    expect(() => vbdDevid("nvme0")).toThrow();
  });

  it("names errors as the wire does", () => {
    expect(xsErrorName(2)).toBe("ENOENT");
    expect(xsErrorName(7)).toBe("E2BIG");
    expect(xsErrorName(11)).toBe("EAGAIN");
    expect(xsErrorName(9999)).toBe("EINVAL");
  });
});
