// A fake Xen platform with a fuzzed backend, for the fuzz entries whose code reaches the
// contract's imports (docs/contract.md). src/fuzz/fakexen.ts exports each `fake_NAME` of this
// file for a fuzz entry to re-export; the fuzz drivers (scripts/fuzz/driver.c natively,
// scripts/fuzz/wasm-run.mjs in Node) answer each import `xen.NAME` by calling that export:
// the platform and its backend live in the same wasm as the core, and the drivers hold no
// logic of their own.
//
// The domain: pfn p is machine frame MFN_BASE + p, the xenstore and console rings pfns 0 and
// 1, linear page i pfn LINEAR_PFN + i; start_info, shared_info and the grant-table frames are
// frames of their own. map_frame "maps" the special frames and the rings by remembering
// where the core put them (start_info's fields are written there). Time is a counter: every clock_ns call moves it on 1 us, and a poll with nothing to
// deliver jumps to its deadline, so every wait of the core ends.
//
// Behind the rings: xenstored and one blkback per disk, answering what the core writes. They
// keep a small store (fakeStoreSet) and the disks' contents are a pattern (diskByte), so an
// entry can check what the core read. Each answer first takes a byte of the fuzz script
// (fakeBegin): most values answer normally, the others send an error (a known name, or any
// string), a reply of the wrong type, a stale id, raw bytes of the script straight into the
// ring (any header, length, id), nothing at all, or corrupt the ring's indexes; blkback may
// answer a status, an id the core never sent, or nothing. When the script is used up every
// answer is a normal one.

import * as abi from "../xen/abi";

export const MFN_BASE: u64 = 0x100000;
export const START_INFO_MFN: u64 = 1;
export const SHARED_INFO_MFN: u64 = 2;
// The xenstore and console rings are the domain's pfns 0 and 1, as a domain builder puts them
// among the domain's pages; the linear memory starts at pfn LINEAR_PFN.
export const STORE_MFN: u64 = MFN_BASE;
export const CONSOLE_MFN: u64 = MFN_BASE + 1;
export const LINEAR_PFN: u64 = 2;
export const GRANT_MFN: u64 = 0x10; // grant frames 0x10..0x4f
export const STORE_PORT: u32 = 1;
export const CONSOLE_PORT: u32 = 2;
const FIRST_PORT: u32 = 10;

// ---- the script ------------------------------------------------------------------------

let script: usize = 0;
let scriptLen: usize = 0;
let scriptAt: usize = 0;

// What the backend does is read from [ptr, ptr+len); it must stay untouched while it runs.
export function fakeBegin(ptr: usize, len: usize): void {
  script = ptr;
  scriptLen = len;
  scriptAt = 0;
}

export function scriptByte(): u32 {
  if (scriptAt >= scriptLen) return 0;
  return <u32>load<u8>(script + scriptAt++);
}

export function scriptLeft(): usize {
  return scriptAt < scriptLen ? scriptLen - scriptAt : 0;
}

// ---- the domain --------------------------------------------------------------------------

let now: u64 = 1000000000;
let guestKind: i32 = 0;
let nrPages: u64 = 65536; // the domain's size, in start_info and the P2M
let startInfoAt: usize = 0; // where the core mapped each special frame, 0 when not
let sharedInfoAt: usize = 0;
let storeAt: usize = 0;
let grantAt: usize = 0; // grant frame 0; the frames were mapped in order
let grantFrames: u32 = 0;
let nextPort: u32 = FIRST_PORT;
export let consoleBytes: u64 = 0; // written through console_io_write

export function fakeSetGuestKind(k: i32): void {
  guestKind = k;
}

// The domain's pages (before start_info is mapped): pfn_to_mfn answers below it.
export function fakeSetNrPages(n: u64): void {
  nrPages = n;
}

function memOk(at: usize, len: usize): bool {
  const size = <usize>memory.size() << 16;
  return at <= size && len <= size - at;
}

// The linear offset a frame of the domain's own RAM is at, or -1.
function offsetOfMfn(mfn: u64): i64 {
  if (mfn < MFN_BASE + LINEAR_PFN) return -1;
  const off = (mfn - MFN_BASE - LINEAR_PFN) << 12;
  if (!memOk(<usize>off, 4096) || off > 0xffffffff) return -1;
  return <i64>off;
}

function setPending(port: u32): void {
  if (sharedInfoAt == 0 || port >= 4096) return;
  const w = sharedInfoAt + abi.SHINFO_EVTCHN_PENDING + (port >> 6) * 8;
  store<u64>(w, load<u64>(w) | (<u64>1 << <u64>(port & 63)));
}

function isPending(port: u32): bool {
  if (sharedInfoAt == 0 || port >= 4096) return false;
  return ((load<u64>(sharedInfoAt + abi.SHINFO_EVTCHN_PENDING + (port >> 6) * 8) >> <u64>(port & 63)) & 1) != 0;
}

export function fake_guest_kind(): i32 {
  return guestKind;
}

export function fake_start_info_mfn(): u64 {
  return START_INFO_MFN;
}

export function fake_mfn_of(offset: usize): u64 {
  if (!memOk(offset, 1)) return u64.MAX_VALUE;
  return MFN_BASE + LINEAR_PFN + <u64>(offset >> 12);
}

export function fake_pfn_to_mfn(pfn: u64): u64 {
  return pfn < nrPages ? MFN_BASE + pfn : u64.MAX_VALUE;
}

export function fake_pfn_of(offset: usize): u64 {
  return memOk(offset, 1) ? LINEAR_PFN + <u64>(offset >> 12) : u64.MAX_VALUE;
}

export function fake_va_of(offset: usize): u64 {
  return memOk(offset, 1) ? <u64>offset : u64.MAX_VALUE;
}

export function fake_map_frame(offset: usize, mfn: u64, flags: u32): i32 {
  if ((offset & 0xfff) != 0 || !memOk(offset, 4096)) return -abi.EINVAL;
  if (mfn == START_INFO_MFN) {
    startInfoAt = offset;
    writeStartInfo(offset);
  } else if (mfn == SHARED_INFO_MFN) {
    sharedInfoAt = offset;
  } else if (mfn == STORE_MFN) {
    storeAt = offset;
  } else if (mfn == CONSOLE_MFN) {
    // the console ring: output is taken as it comes (console_cons follows prod)
  } else if (mfn >= GRANT_MFN && mfn < GRANT_MFN + 64) {
    if (mfn == GRANT_MFN) grantAt = offset;
  } else if (offsetOfMfn(mfn) < 0) {
    return -abi.EPERM;
  }
  return 0;
}

export function fake_unmap_frame(offset: usize): i32 {
  return (offset & 0xfff) != 0 || !memOk(offset, 4096) ? -abi.EINVAL : 0;
}

function writeStartInfo(at: usize): void {
  const pv32 = guestKind == 1;
  memory.fill(at, 0, 4096);
  const magic = pv32 ? "xen-3.0-x86_32p" : "xen-3.0-x86_64";
  for (let i = 0; i < magic.length; i++) store<u8>(at + i, <u8>magic.charCodeAt(i));
  if (pv32) {
    store<u32>(at + abi.SI32_NR_PAGES, <u32>nrPages);
    store<u32>(at + abi.SI32_SHARED_INFO, <u32>(SHARED_INFO_MFN << 12));
    store<u32>(at + abi.SI32_STORE_MFN, <u32>STORE_MFN);
    store<u32>(at + abi.SI32_STORE_EVTCHN, STORE_PORT);
    store<u32>(at + abi.SI32_CONSOLE_MFN, <u32>CONSOLE_MFN);
    store<u32>(at + abi.SI32_CONSOLE_EVTCHN, CONSOLE_PORT);
  } else {
    store<u64>(at + abi.SI_NR_PAGES, nrPages);
    store<u64>(at + abi.SI_SHARED_INFO, SHARED_INFO_MFN << 12);
    store<u64>(at + abi.SI_STORE_MFN, STORE_MFN);
    store<u32>(at + abi.SI_STORE_EVTCHN, STORE_PORT);
    store<u64>(at + abi.SI_CONSOLE_MFN, CONSOLE_MFN);
    store<u32>(at + abi.SI_CONSOLE_EVTCHN, CONSOLE_PORT);
  }
}

export function fake_event_channel_op(cmd: i32, arg: usize, len: u32): i32 {
  if (!memOk(arg, len)) return -abi.EFAULT;
  if (cmd == abi.EVTCHNOP_alloc_unbound) {
    if (len < 8) return -abi.EFAULT;
    const port = nextPort++;
    store<u32>(arg + 4, port);
    return 0;
  }
  if (cmd == abi.EVTCHNOP_send) {
    if (len < 4) return -abi.EFAULT;
    const port = load<u32>(arg);
    if (port == 0 || port >= nextPort) return -abi.EINVAL;
    runBackends();
    return 0;
  }
  if (cmd == abi.EVTCHNOP_close) return len < 4 ? -abi.EFAULT : 0;
  if (cmd == abi.EVTCHNOP_status) return len < 24 ? -abi.EFAULT : 0;
  return -abi.ENOSYS;
}

export function fake_sched_op(cmd: i32, arg: usize, len: u32): i32 {
  if (!memOk(arg, len)) return -abi.EFAULT;
  if (cmd == abi.SCHEDOP_yield) {
    now += 1000000;
    runBackends();
    return 0;
  }
  // A shutdown ends the domain: here, a trap the entry did not expect.
  if (cmd == abi.SCHEDOP_shutdown) unreachable();
  return -abi.EINVAL;
}

export function fake_sched_poll(ports: usize, nr: u32, timeout: u64): i32 {
  if (nr == 0 || nr > 128) return -abi.EINVAL;
  if (!memOk(ports, <usize>nr * 4)) return -abi.EFAULT;
  runBackends();
  for (let i: u32 = 0; i < nr; i++) if (isPending(load<u32>(ports + i * 4))) return 0;
  // Nothing came: the poll returns at its deadline (none: a second later, as a timer would).
  if (timeout != 0 && timeout > now) now = timeout;
  else now += 1000000000;
  return 0;
}

export function fake_xen_version(cmd: i32, arg: usize, len: u32): i32 {
  if (cmd == abi.XENVER_version) return (4 << 16) | 17;
  if (cmd == abi.XENVER_extraversion) {
    if (len < 16 || !memOk(arg, 16)) return -abi.EFAULT;
    memory.fill(arg, 0, 16);
    return 0;
  }
  return -abi.ENOSYS;
}

export function fake_console_io_write(buf: usize, len: u32): i32 {
  if (!memOk(buf, len)) return -abi.EFAULT;
  consoleBytes += len;
  return 0;
}

export function fake_clock_ns(): u64 {
  now += 1000;
  return now;
}

export function fake_mb(): void {}

export function fake_atomic_clear_bit(offset: usize, bit: u32): i32 {
  if ((offset & 7) != 0 || bit > 63 || !memOk(offset, 8)) return -abi.EINVAL;
  const w = load<u64>(offset);
  store<u64>(offset, w & ~(<u64>1 << <u64>bit));
  return <i32>((w >> <u64>bit) & 1);
}

export function fake_atomic_cmpxchg16(offset: usize, expected: u32, replacement: u32): u32 {
  if ((offset & 1) != 0 || !memOk(offset, 2)) return <u32>-1;
  const v = <u32>load<u16>(offset);
  if (v == (expected & 0xffff)) store<u16>(offset, <u16>replacement);
  return v;
}

export function fake_gnttab_setup_table(nr: u32, frames: usize): i32 {
  if (nr == 0 || nr > 64) return -abi.EINVAL;
  if (!memOk(frames, <usize>nr * 8)) return -abi.EFAULT;
  for (let i: u32 = 0; i < nr; i++) store<u64>(frames + i * 8, GRANT_MFN + <u64>i);
  grantFrames = nr;
  return 0;
}

export function fake_grant_table_op(cmd: i32, arg: usize, len: u32, count: u32): i32 {
  if (count != 1) return -abi.EINVAL;
  if (!memOk(arg, len)) return -abi.EFAULT;
  if (cmd == abi.GNTTABOP_set_version) return len < 4 ? -abi.EFAULT : 0;
  if (cmd == abi.GNTTABOP_get_version) return len < 8 ? -abi.EFAULT : 0;
  if (cmd == abi.GNTTABOP_query_size) return len < 16 ? -abi.EFAULT : 0;
  return -abi.EINVAL;
}

export function fake_hypercall_page(dst: usize): i32 {
  if (!memOk(dst, 4096)) return -abi.EFAULT;
  memory.fill(dst, 0xc3, 4096);
  return 0;
}

export function fake_mmu_update(reqs: usize, count: u32): i32 {
  return memOk(reqs, <usize>count * 16) ? 0 : -abi.EFAULT;
}

export function fake_mmuext_op(ops: usize, count: u32): i32 {
  if (count > 64) return -abi.EINVAL;
  return memOk(ops, <usize>count * 24) ? 0 : -abi.EFAULT;
}

export function fake_set_timer_op(timeout: u64): i32 {
  return 0;
}

export function fake_start_kernel(handoff: usize, len: u32): i32 {
  return -abi.EINVAL; // no entry jumps
}

// ---- the backends --------------------------------------------------------------------------

let running = false;

function runBackends(): void {
  if (running) return;
  running = true;
  serveXenstore();
  for (let i = 0; i < blkbacks.length; i++) blkbacks[i].serve();
  running = false;
}

// -- xenstored --

const storeKeys = new Array<string>();
const storeValues = new Array<string>();
const watchPaths = new Array<string>();
const watchTokens = new Array<string>();
let reqCons: u32 = 0; // xenstored's own copy of the request ring's consumer

export function fakeStoreSet(path: string, value: string): void {
  const i = storeKeys.indexOf(path);
  if (i >= 0) storeValues[i] = value;
  else {
    storeKeys.push(path);
    storeValues.push(value);
  }
  // a watch fires for the node and every node under the watched path
  for (let w = 0; w < watchPaths.length; w++) {
    if (path == watchPaths[w] || path.startsWith(watchPaths[w] + "/")) queueWatch(path, watchTokens[w]);
  }
}

export function fakeStoreGet(path: string): string | null {
  const i = storeKeys.indexOf(path);
  return i >= 0 ? storeValues[i] : null;
}

function children(path: string): string {
  const prefix = path + "/";
  const out = new Array<string>();
  for (let i = 0; i < storeKeys.length; i++) {
    if (!storeKeys[i].startsWith(prefix)) continue;
    const rest = storeKeys[i].substring(prefix.length);
    const slash = rest.indexOf("/");
    const n = slash < 0 ? rest : rest.substring(0, slash);
    if (!out.includes(n)) out.push(n);
  }
  let s = "";
  for (let i = 0; i < out.length; i++) s += out[i] + "\0";
  return s;
}

function exists(path: string): bool {
  return storeKeys.includes(path) || children(path).length > 0;
}

// Replies waiting for room in the response ring, as whole byte strings.
const pending = new Array<ArrayBuffer>();

function message(type: u32, id: u32, tx: u32, payload: string): ArrayBuffer {
  const p = String.UTF8.encode(payload);
  const b = new ArrayBuffer(16 + p.byteLength);
  const at = changetype<usize>(b);
  store<u32>(at, type);
  store<u32>(at + 4, id);
  store<u32>(at + 8, tx);
  store<u32>(at + 12, <u32>p.byteLength);
  memory.copy(at + 16, changetype<usize>(p), p.byteLength);
  return b;
}

function queueWatch(path: string, token: string): void {
  pending.push(message(abi.XS_WATCH_EVENT, 0, 0, path + "\0" + token + "\0"));
}

const ERROR_NAMES = ["EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC", "EIO",
  "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG", "EPERM", "EQUOTA"];

function scriptString(max: u32): string {
  let n = scriptByte() % (max + 1);
  const codes = new Array<i32>();
  while (n-- > 0 && scriptLeft() > 0) codes.push(<i32>scriptByte());
  return String.fromCharCodes(codes);
}

function serveXenstore(): void {
  if (storeAt == 0) return;
  const ring = storeAt;
  // requests: whole messages only; a partial one waits for the rest
  for (let guard = 0; guard < 64; guard++) {
    const prod = load<u32>(ring + abi.XS_REQ_PROD);
    const avail = prod - reqCons;
    if (avail < 16 || avail > abi.XS_RING_SIZE) break;
    const hdr = new ArrayBuffer(16);
    ringRead(ring + abi.XS_REQ, reqCons, changetype<usize>(hdr), 16);
    const len = load<u32>(changetype<usize>(hdr) + 12);
    if (len > abi.XS_PAYLOAD_MAX || avail < 16 + len) break;
    const payload = new ArrayBuffer(<i32>len);
    ringRead(ring + abi.XS_REQ, reqCons + 16, changetype<usize>(payload), len);
    reqCons += 16 + len;
    store<u32>(ring + abi.XS_REQ_CONS, reqCons);
    answer(load<u32>(changetype<usize>(hdr)), load<u32>(changetype<usize>(hdr) + 4), load<u32>(changetype<usize>(hdr) + 8), payload);
  }
  // replies, as far as the ring has room
  let wrote = false;
  while (pending.length > 0) {
    const m = pending[0];
    const cons = load<u32>(ring + abi.XS_RSP_CONS);
    const prod = load<u32>(ring + abi.XS_RSP_PROD);
    const used = prod - cons;
    if (used > abi.XS_RING_SIZE) break; // the core broke its index: wait for it to drain
    const room = abi.XS_RING_SIZE - used;
    const n = <u32>m.byteLength;
    if (n > room) {
      if (n > abi.XS_RING_SIZE) pending.shift(); // raw bytes larger than the ring: dropped
      break;
    }
    for (let i: u32 = 0; i < n; i++) store<u8>(ring + abi.XS_RSP + ((prod + i) & (abi.XS_RING_SIZE - 1)), load<u8>(changetype<usize>(m) + i));
    store<u32>(ring + abi.XS_RSP_PROD, prod + n);
    pending.shift();
    wrote = true;
  }
  if (wrote) setPending(STORE_PORT);
}

function ringRead(base: usize, from: u32, dst: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) store<u8>(dst + i, load<u8>(base + ((from + i) & (abi.XS_RING_SIZE - 1))));
}

function answer(type: u32, id: u32, tx: u32, payload: ArrayBuffer): void {
  const parts = String.UTF8.decode(payload).split("\0");
  const path = parts.length > 0 ? parts[0] : "";
  const mode = scriptByte();
  if (mode >= 0xc0) {
    switch (mode & 7) {
      case 0: pending.push(message(abi.XS_ERROR, id, tx, ERROR_NAMES[scriptByte() % ERROR_NAMES.length] + "\0")); return;
      case 1: pending.push(message(abi.XS_ERROR, id, tx, scriptString(24))); return;
      case 2: pending.push(message(type ^ (1 + (scriptByte() & 15)), id, tx, scriptString(16))); return;
      case 3: { // raw bytes: any header, any length, any id
        const n = scriptByte() | ((scriptByte() & 7) << 8);
        const b = new ArrayBuffer(<i32>n);
        for (let i: u32 = 0; i < n; i++) store<u8>(changetype<usize>(b) + i, <u8>scriptByte());
        pending.push(b);
        return;
      }
      case 4: return; // no reply
      case 5: pending.push(message(type, id + 1 + scriptByte(), tx, scriptString(16))); break; // stale id, then the answer
      case 6: { // the response ring's indexes moved by the backend
        if (storeAt != 0) store<u32>(storeAt + abi.XS_RSP_PROD, load<u32>(storeAt + abi.XS_RSP_PROD) + (scriptByte() << 4));
        break;
      }
      default: queueWatch(scriptString(32), scriptString(8)); break; // a watch event nobody set
    }
  }
  let reply: string = "";
  if (type == abi.XS_READ) {
    const v = fakeStoreGet(path);
    if (v == null) {
      pending.push(message(abi.XS_ERROR, id, tx, "ENOENT\0"));
      return;
    }
    reply = v!;
  } else if (type == abi.XS_DIRECTORY) {
    if (!exists(path)) {
      pending.push(message(abi.XS_ERROR, id, tx, "ENOENT\0"));
      return;
    }
    reply = children(path);
  } else if (type == abi.XS_WRITE) {
    const nul = path.length;
    const value = String.UTF8.decode(payload).substring(nul + 1);
    fakeStoreSet(path, value);
    frontendWrote(path, value);
    reply = "OK\0";
  } else if (type == abi.XS_MKDIR || type == abi.XS_RM) {
    if (type == abi.XS_RM) {
      const i = storeKeys.indexOf(path);
      if (i >= 0) {
        storeKeys.splice(i, 1);
        storeValues.splice(i, 1);
      }
    }
    reply = "OK\0";
  } else if (type == abi.XS_TRANSACTION_START) {
    reply = (1 + (mode & 3)).toString() + "\0";
  } else if (type == abi.XS_TRANSACTION_END) {
    if (mode >= 0xa0 && mode < 0xc0) {
      pending.push(message(abi.XS_ERROR, id, tx, "EAGAIN\0"));
      return;
    }
    reply = "OK\0";
  } else if (type == abi.XS_WATCH || type == abi.XS_UNWATCH) {
    const token = parts.length > 1 ? parts[1] : "";
    if (type == abi.XS_WATCH) {
      watchPaths.push(path);
      watchTokens.push(token);
    } else {
      for (let i = 0; i < watchTokens.length; i++) {
        if (watchTokens[i] == token && watchPaths[i] == path) {
          watchTokens.splice(i, 1);
          watchPaths.splice(i, 1);
          break;
        }
      }
    }
    pending.push(message(type, id, tx, "OK\0"));
    if (type == abi.XS_WATCH) queueWatch(path, token); // xenstored fires a new watch at once
    return;
  } else {
    pending.push(message(abi.XS_ERROR, id, tx, "ENOSYS\0"));
    return;
  }
  pending.push(message(type, id, tx, reply));
}

// -- blkback: one per disk, following the frontend's state as Linux's does --

export function diskByte(vbd: u32, offset: u64): u8 {
  return <u8>((offset * 7 + (offset >> 9) * 13 + <u64>vbd) & 0xff);
}

// One sector of diskByte's bytes: they step by 7 (mod 256) from the sector's first, so they are
// 512 consecutive bytes of a pattern of 7j (mod 256) from j = first / 7 (183 is 7's inverse
// mod 256). Reads and their checks copy and compare whole sectors from it, not byte by byte.
let sectorPattern: usize = 0;
export function diskSector(vbd: u32, sector: u64): usize {
  if (sectorPattern == 0) {
    sectorPattern = heap.alloc(768);
    for (let j: u32 = 0; j < 768; j++) store<u8>(sectorPattern + j, <u8>(j * 7));
  }
  const first = <u32>diskByte(vbd, sector * 512);
  return sectorPattern + ((first * 183) & 0xff);
}

export class FakeDisk {
  vbd: u32;
  front: string;
  back: string;
  sectors: u64;
  port: u32 = 0;
  ring: usize = 0;
  reqCons: u32 = 0;
  rspProd: u32 = 0;
  served: u32 = 0;

  constructor(vbd: u32, sectors: u64) {
    this.vbd = vbd;
    this.sectors = sectors;
    this.front = "device/vbd/" + vbd.toString();
    this.back = "/local/domain/0/backend/vbd/7/" + vbd.toString();
  }

  setState(s: u32): void {
    fakeStoreSet(this.back + "/state", s.toString());
  }

  // The frontend's state node changed.
  frontState(s: u32): void {
    if (s == abi.XenbusStateInitialised || s == abi.XenbusStateConnected) {
      if (s == abi.XenbusStateInitialised) this.connectRing();
      this.setState(abi.XenbusStateConnected);
    } else if (s == abi.XenbusStateClosing) {
      this.setState(abi.XenbusStateClosing);
    } else if (s == abi.XenbusStateClosed) {
      this.ring = 0;
      this.setState(abi.XenbusStateClosed);
    } else if (s == abi.XenbusStateInitialising) {
      this.setState(abi.XenbusStateInitWait);
    }
  }

  private connectRing(): void {
    let ref = fakeStoreGet(this.front + "/ring-ref");
    if (ref == null) ref = fakeStoreGet(this.front + "/ring-ref0");
    const port = fakeStoreGet(this.front + "/event-channel");
    if (ref == null || port == null) return;
    const at = grantOffset(<u32>U32.parseInt(ref!));
    if (at < 0) return;
    this.ring = <usize>at;
    this.port = <u32>U32.parseInt(port!);
    this.reqCons = 0;
    this.rspProd = 0;
  }

  private entries(): u32 {
    const order = fakeStoreGet(this.front + "/ring-page-order");
    const pages: u32 = order == null ? 1 : 1 << (<u32>U32.parseInt(order!) & 3);
    const size: u32 = guestKind == 1 ? 108 : 112;
    let n: u32 = 1;
    while (<u32>64 + n * 2 * size <= pages * 4096) n *= 2;
    return n;
  }

  serve(): void {
    if (this.ring == 0) return;
    const n = this.entries();
    const size: u32 = guestKind == 1 ? 108 : 112;
    if (!memOk(this.ring, 64 + <usize>n * size)) return;
    let answered = false;
    for (let guard: u32 = 0; guard < n; guard++) {
      const prod = load<u32>(this.ring);
      if (prod == this.reqCons || prod - this.reqCons > n) break;
      const req = this.ring + 64 + (this.reqCons & (n - 1)) * size;
      this.reqCons++;
      const idOff: u32 = guestKind == 1 ? 4 : 8;
      let id = load<u64>(req + idOff);
      let status: i16 = this.read(req) ? 0 : -1;
      const mode = scriptByte();
      if (mode >= 0xe0) {
        switch (mode & 7) {
          case 0: status = -1; break;
          case 1: status = -2; break;
          case 2: status = <i16>(scriptByte() | (scriptByte() << 8)); break;
          case 3: id = <u64>scriptByte() | (<u64>scriptByte() << 16) | (<u64>scriptByte() << 32); break; // an id never sent
          case 4: continue; // no answer
          case 5: store<u32>(this.ring + 8, this.rspProd + 1 + scriptByte()); answered = true; continue; // a corrupt index
          default: break;
        }
      }
      const rsp = this.ring + 64 + (this.rspProd & (n - 1)) * size;
      store<u64>(rsp, id);
      store<u8>(rsp + 8, load<u8>(req));
      store<i16>(rsp + 10, status);
      this.rspProd++;
      store<u32>(this.ring + 8, this.rspProd);
      answered = true;
      this.served++;
    }
    if (answered) setPending(this.port);
  }

  // Fill the request's segments with the disk's bytes; false when it cannot be done.
  private read(req: usize): bool {
    const op = load<u8>(req);
    const idOff: u32 = guestKind == 1 ? 4 : 8;
    const sector = load<u64>(req + idOff + 8);
    let nseg: u32;
    let segs: usize;
    if (op == 6) { // indirect: the segments are in granted pages
      if (load<u8>(req + 1) != 0) return false;
      nseg = load<u16>(req + 2);
      const g = grantOffset(load<u32>(req + idOff + 8 + 8 + 4));
      if (g < 0 || nseg > 512) return false;
      segs = <usize>g;
    } else if (op == 0) {
      nseg = load<u8>(req + 1);
      if (nseg == 0 || nseg > 11) return false;
      segs = req + idOff + 16;
    } else return false;
    let off = sector * 512;
    for (let i: u32 = 0; i < nseg; i++) {
      const s = segs + i * 8;
      const page = grantOffset(load<u32>(s));
      const first = <u32>load<u8>(s + 4);
      const last = <u32>load<u8>(s + 5);
      if (page < 0 || first > last || last > 7) return false;
      if (off / 512 + <u64>(last - first + 1) > this.sectors) return false;
      for (let b: u32 = first * 512; b < (last + 1) * 512; b += 512) {
        memory.copy(<usize>page + b, diskSector(this.vbd, off / 512), 512);
        off += 512;
      }
    }
    return true;
  }
}

// The linear offset of the page a grant ref names, or -1 (not ours, not permitted).
function grantOffset(ref: u32): i64 {
  if (grantAt == 0 || ref >= grantFrames * 512) return -1;
  const e = grantAt + <usize>ref * 8;
  if ((load<u16>(e) & <u16>abi.GTF_permit_access) == 0) return -1;
  return offsetOfMfn(<u64>load<u32>(e + 4));
}

export const blkbacks = new Array<FakeDisk>();

export function fakeAddDisk(vbd: u32, sectors: u64): FakeDisk {
  const d = new FakeDisk(vbd, sectors);
  blkbacks.push(d);
  fakeStoreSet(d.front + "/backend", d.back);
  fakeStoreSet(d.front + "/backend-id", "7");
  fakeStoreSet(d.front + "/state", "1");
  fakeStoreSet(d.back + "/frontend", d.front);
  d.setState(abi.XenbusStateInitWait);
  return d;
}

function frontendWrote(path: string, value: string): void {
  for (let i = 0; i < blkbacks.length; i++) {
    if (path == blkbacks[i].front + "/state") blkbacks[i].frontState(<u32>U32.parseInt(value));
  }
}
