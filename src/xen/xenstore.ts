// xenstore client over the ring page named in start_info, polled on its event channel.
// Messages are {u32 type, req_id, tx_id, len} + payload; both directions may be split
// across many ring updates, so the reader keeps its place across calls. Replies are
// matched by req_id (a late reply to a request that timed out is skipped), and watch
// events for tokens we do not hold are dropped.

import * as abi from "./abi";
import { map_frame, mb } from "./hypercall";
import { allocPages } from "../lib/pages";
import { Text } from "../lib/text";
import { startInfo } from "./start_info";
import { events } from "./events";
import { deadlineAfterMs, expired } from "./time";

const REPLY_TIMEOUT_MS: u64 = 5000;
const HEADER: u32 = 16;

// A reply: err is 0 or a positive errno (from xenstored's error string, or ETIMEDOUT /
// EPROTO / E2BIG decided here).
export class XsReply {
  err: i32 = 0;
  data: string = "";

  static error(err: i32): XsReply {
    const r = new XsReply();
    r.err = err;
    return r;
  }

  // The reply's payload as NUL-separated strings (DIRECTORY).
  list(): string[] {
    const out: string[] = [];
    if (this.err != 0) return out;
    const parts = this.data.split("\0");
    for (let i = 0; i < parts.length; i++) if (parts[i].length > 0) out.push(parts[i]);
    return out;
  }
}

const ERRORS: string[] = ["EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC", "EIO",
  "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG", "EPERM", "EQUOTA"];
const ERRNOS: i32[] = [22, 13, 17, 21, 2, 12, 28, 5, 39, 38, 30, 16, 11, 106, 7, 1, 122];

export function xsErrorName(err: i32): string {
  for (let i = 0; i < ERRNOS.length; i++) if (ERRNOS[i] == err) return ERRORS[i];
  if (err == abi.ETIMEDOUT) return "ETIMEDOUT (no reply from xenstored)";
  if (err == abi.EPROTO) return "EPROTO (malformed reply from xenstored)";
  return "errno " + err.toString();
}

export class Xenstore {
  ring: usize = 0;
  port: u32 = 0;
  private nextId: u32 = 1;
  private rx: usize = 0; // the message being received: header + payload
  private rxHave: u32 = 0;
  private tokens: string[] = [];
  private watchPaths: string[] = []; // tokens[i] watches watchPaths[i]
  private fired: string[] = []; // watch events waiting to be taken: "path"
  // Watch events for tokens this domain never set (a previous loader's, left behind): "token\0path",
  // the first 64 kept (src/probe reports them).
  foreign: string[] = [];

  // 0, or a positive errno.
  init(): i32 {
    if (this.ring != 0) return 0;
    if (startInfo.storeMfn == 0) return abi.ENOENT;
    const page = allocPages(1);
    if (map_frame(page, startInfo.storeMfn, 0) < 0) return abi.EACCES;
    this.ring = page;
    this.port = startInfo.storeEvtchn;
    this.rx = heap.alloc(HEADER + abi.XS_PAYLOAD_MAX + 1);
    return 0;
  }

  read(path: string, tx: u32 = 0): XsReply {
    return this.call(abi.XS_READ, tx, new Text().str(path).ch(0));
  }

  // The value, or `fallback` when the node is missing or unreadable.
  readOr(path: string, fallback: string): string {
    const r = this.read(path);
    return r.err == 0 ? r.data : fallback;
  }

  write(path: string, value: string, tx: u32 = 0): i32 {
    return this.call(abi.XS_WRITE, tx, new Text().str(path).ch(0).str(value)).err;
  }

  directory(path: string, tx: u32 = 0): XsReply {
    return this.call(abi.XS_DIRECTORY, tx, new Text().str(path).ch(0));
  }

  mkdir(path: string, tx: u32 = 0): i32 {
    return this.call(abi.XS_MKDIR, tx, new Text().str(path).ch(0)).err;
  }

  rm(path: string, tx: u32 = 0): i32 {
    return this.call(abi.XS_RM, tx, new Text().str(path).ch(0)).err;
  }

  // Returns the transaction id (> 0), or a negative errno.
  transactionStart(): i64 {
    const r = this.call(abi.XS_TRANSACTION_START, 0, new Text().ch(0));
    if (r.err != 0) return -(<i64>r.err);
    const id = <i64>I64.parseInt(r.data.replace("\0", ""));
    return id > 0 ? id : -(<i64>abi.EPROTO);
  }

  // 0, EAGAIN (commit lost a race: start again), or another errno.
  transactionEnd(tx: u32, commit: bool): i32 {
    return this.call(abi.XS_TRANSACTION_END, tx, new Text().str(commit ? "T" : "F").ch(0)).err;
  }

  watch(path: string, token: string): i32 {
    const err = this.call(abi.XS_WATCH, 0, new Text().str(path).ch(0).str(token).ch(0)).err;
    if (err == 0) {
      this.tokens.push(token);
      this.watchPaths.push(path);
    }
    return err;
  }

  unwatch(path: string, token: string): i32 {
    const i = this.tokens.indexOf(token);
    if (i >= 0) {
      this.tokens.splice(i, 1);
      this.watchPaths.splice(i, 1);
    }
    this.dropFired(token);
    return this.call(abi.XS_UNWATCH, 0, new Text().str(path).ch(0).str(token).ch(0)).err;
  }

  get watchCount(): i32 {
    return this.tokens.length;
  }

  // The handoff's part: every watch we still hold removed; the errors, as "path: ENOENT".
  unwatchAll(): string[] {
    const problems: string[] = [];
    for (let guard = 0; this.tokens.length > 0 && guard < 1024; guard++) {
      const path = this.watchPaths[0];
      const err = this.unwatch(path, this.tokens[0]);
      if (err != 0) problems.push(path + ": " + xsErrorName(err));
    }
    return problems;
  }

  // Both directions of the ring empty: nothing of ours unread by xenstored, nothing of its
  // unread by us (a late watch event is read and dropped). Waits until the deadline.
  settle(deadline: u64): bool {
    if (this.ring == 0) return true;
    for (;;) {
      while (load<u32>(this.ring + abi.XS_RSP_CONS) != load<u32>(this.ring + abi.XS_RSP_PROD)) {
        if (this.receive(1) != 0) break;
      }
      this.fired.length = 0;
      const reqIdle = load<u32>(this.ring + abi.XS_REQ_CONS) == load<u32>(this.ring + abi.XS_REQ_PROD);
      const rspIdle = load<u32>(this.ring + abi.XS_RSP_CONS) == load<u32>(this.ring + abi.XS_RSP_PROD);
      if (reqIdle && rspIdle && this.rxHave == 0) return true;
      if (expired(deadline)) return false;
      events.send(this.port);
      events.wait(this.port, deadline);
    }
    return false;
  }

  // The next path fired for `token`, waiting until the deadline; null when none came.
  nextEvent(token: string, deadline: u64): string | null {
    for (;;) {
      const got = this.takeFired(token);
      if (got != null) return got;
      if (expired(deadline)) return null;
      // No request is outstanding: whatever arrives is a watch event or a stale reply.
      const m = this.receive(deadline);
      if (m < 0) return this.takeFired(token);
    }
    return null;
  }

  // Take the messages already in the ring, without waiting; the path fired for `token`, if
  // one was. (The store port is raised for every reply too, so its event alone says little.)
  pollEvent(token: string): string | null {
    const got = this.takeFired(token);
    if (got != null) return got;
    while (this.receive(1) == 0); // a deadline long past: never waits
    return this.takeFired(token);
  }

  // --- the wire ---

  private call(type: u32, tx: u32, payload: Text): XsReply {
    if (this.ring == 0) return XsReply.error(abi.ENOENT);
    if (payload.len > abi.XS_PAYLOAD_MAX) return XsReply.error(abi.E2BIG);
    const id = this.nextId++;
    const hdr = heap.alloc(HEADER);
    store<u32>(hdr, type);
    store<u32>(hdr + 4, id);
    store<u32>(hdr + 8, tx);
    store<u32>(hdr + 12, payload.len);
    const deadline = deadlineAfterMs(REPLY_TIMEOUT_MS);
    if (!this.put(hdr, HEADER, deadline) || !this.put(payload.buf, payload.len, deadline)) {
      return XsReply.error(abi.ETIMEDOUT);
    }
    events.send(this.port);
    for (;;) {
      const m = this.receive(deadline);
      if (m == -abi.ETIMEDOUT) return XsReply.error(abi.ETIMEDOUT);
      if (m == -abi.EPROTO) return XsReply.error(abi.EPROTO);
      if (load<u32>(this.rx + 4) != id) continue; // a stale reply, or a watch event
      const rtype = load<u32>(this.rx);
      const len = load<u32>(this.rx + 12);
      const data = String.UTF8.decodeUnsafe(this.rx + HEADER, len);
      if (rtype == abi.XS_ERROR) return XsReply.error(errnoOf(data));
      if (rtype != type) return XsReply.error(abi.EPROTO);
      const r = new XsReply();
      r.data = data;
      // READ answers carry no terminating NUL; others end with one
      if (type != abi.XS_READ && type != abi.XS_DIRECTORY && r.data.endsWith("\0")) {
        r.data = r.data.substring(0, r.data.length - 1);
      }
      return r;
    }
    return XsReply.error(abi.EPROTO);
  }

  // Copy `n` bytes into the request ring as room appears.
  private put(p: usize, n: u32, deadline: u64): bool {
    let done: u32 = 0;
    while (done < n) {
      const cons = load<u32>(this.ring + abi.XS_REQ_CONS);
      const prod = load<u32>(this.ring + abi.XS_REQ_PROD);
      const used = prod - cons;
      if (used > abi.XS_RING_SIZE) return false; // the indexes are broken
      if (used == abi.XS_RING_SIZE) {
        events.send(this.port);
        if (!events.wait(this.port, deadline)) return false;
        continue;
      }
      let chunk = abi.XS_RING_SIZE - used;
      const contiguous = abi.XS_RING_SIZE - (prod & (abi.XS_RING_SIZE - 1));
      if (chunk > contiguous) chunk = contiguous;
      if (chunk > n - done) chunk = n - done;
      memory.copy(this.ring + abi.XS_REQ + (prod & (abi.XS_RING_SIZE - 1)), p + done, chunk);
      mb(); // the bytes before the index that publishes them
      store<u32>(this.ring + abi.XS_REQ_PROD, prod + chunk);
      done += chunk;
    }
    return true;
  }

  // Complete the message being received. Returns 0 with it in `rx`, or -ETIMEDOUT (the
  // partial message is kept for the next call), or -EPROTO (stream unusable: drained).
  // Watch events for our tokens are queued here and reported as 0 too.
  private receive(deadline: u64): i32 {
    for (;;) {
      const want = this.rxHave < HEADER ? HEADER : HEADER + load<u32>(this.rx + 12);
      if (this.rxHave >= HEADER && load<u32>(this.rx + 12) > abi.XS_PAYLOAD_MAX) {
        this.drain();
        return -abi.EPROTO;
      }
      if (this.rxHave == want && want >= HEADER && this.rxHave >= HEADER) {
        this.rxHave = 0;
        if (load<u32>(this.rx) == abi.XS_WATCH_EVENT) this.queueWatchEvent();
        return 0;
      }
      const cons = load<u32>(this.ring + abi.XS_RSP_CONS);
      const prod = load<u32>(this.ring + abi.XS_RSP_PROD);
      const avail = prod - cons;
      if (avail > abi.XS_RING_SIZE) {
        this.drain();
        return -abi.EPROTO;
      }
      if (avail == 0) {
        if (!events.wait(this.port, deadline)) return -abi.ETIMEDOUT;
        continue;
      }
      let chunk = want - this.rxHave;
      if (chunk > avail) chunk = avail;
      const contiguous = abi.XS_RING_SIZE - (cons & (abi.XS_RING_SIZE - 1));
      if (chunk > contiguous) chunk = contiguous;
      memory.copy(this.rx + this.rxHave, this.ring + abi.XS_RSP + (cons & (abi.XS_RING_SIZE - 1)), chunk);
      mb(); // read the bytes before giving their room back
      store<u32>(this.ring + abi.XS_RSP_CONS, cons + chunk);
      events.send(this.port);
      this.rxHave += chunk;
    }
    return -abi.EPROTO;
  }

  private drain(): void {
    store<u32>(this.ring + abi.XS_RSP_CONS, load<u32>(this.ring + abi.XS_RSP_PROD));
    this.rxHave = 0;
    events.send(this.port);
  }

  private queueWatchEvent(): void {
    const parts = String.UTF8.decodeUnsafe(this.rx + HEADER, load<u32>(this.rx + 12)).split("\0");
    if (parts.length < 2) return;
    if (this.tokens.indexOf(parts[1]) < 0) { // not ours (any more): ignore, but note it
      if (this.foreign.length < 64) this.foreign.push(parts[1] + "\0" + parts[0]);
      return;
    }
    this.fired.push(parts[1] + "\0" + parts[0]);
  }

  private takeFired(token: string): string | null {
    const prefix = token + "\0";
    for (let i = 0; i < this.fired.length; i++) {
      if (this.fired[i].startsWith(prefix)) {
        const path = this.fired[i].substring(prefix.length);
        this.fired.splice(i, 1);
        return path;
      }
    }
    return null;
  }

  private dropFired(token: string): void {
    while (this.takeFired(token) != null);
  }
}

function errnoOf(name: string): i32 {
  const bare = name.endsWith("\0") ? name.substring(0, name.length - 1) : name;
  const i = ERRORS.indexOf(bare);
  return i >= 0 ? ERRNOS[i] : abi.EIO;
}

export const xenstore = new Xenstore();
