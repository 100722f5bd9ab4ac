// Fuzz entry: the core's xenstore client (src/xen/xenstore.ts) and blkfront
// (src/drivers/blkfront.ts) against a fuzzed backend: the fake platform of fakeback.ts, whose
// xenstored and blkbacks answer the rings from the input. Input:
//   byte 0      bit 0: x86_32 PAE domain (the other blkif layout); bits 1-2: disks - 1 (1..4)
//   per disk    u32 sectors (at least 8), a byte max-ring-page-order, a byte
//               feature-max-indirect-segments (x 2), a byte: bit 0 4096-byte sectors,
//               bit 1 read-only, bit 2 the backend names no backend-id
//   the rest    the backends' script (fakeback.ts): one byte per answer picks a normal one
//               or a broken one (error strings, wrong types and ids, raw bytes, nothing,
//               corrupt indexes, block statuses and ids)
// One input runs what the loader does with its disks: start_info, events, xenstore, grant
// table, disks.probe (the XenbusState handshake, the ring in a transaction), reads of each
// connected disk (its first and last sectors, a run that needs indirect segments or many
// requests, one past the end, none), xenstore calls of each kind, then disks.shutdown and the
// handoff's unwatchAll and settle. A trap or a hang (every wait has a deadline, and the fake
// clock jumps to it) is a finding; so is a broken promise:
//   - a read that says it succeeded holds the disk's bytes; a failed one says which disk;
//   - a read past the end fails; a disk that did not connect says why;
//   - with no script at all (every answer a normal one) every disk connects and every read
//     in range succeeds.

import { startInfo } from "../xen/start_info";
import { events } from "../xen/events";
import { xenstore } from "../xen/xenstore";
import { gnttab } from "../xen/gnttab";
import { disks, BlkDisk } from "../drivers/blkfront";
import { deadlineAfterMs } from "../xen/time";
import { fakeBegin, fakeSetGuestKind, fakeAddDisk, fakeStoreSet, diskSector, scriptLeft } from "./fakeback";
import { abortRecord, fuzzFail } from "./abort";
import { selftest } from "./selftest";
export * from "./fakexen";

const MAX_READ: u32 = 320; // sectors: more than 11 segments, and more than one request

export function fuzz_alloc(n: usize): usize {
  return heap.alloc(n);
}

export function fuzz_abort_record(): usize {
  return abortRecord();
}

export function fuzz_selftest(kind: u32, arg: u32): u32 {
  return selftest(kind, arg);
}

export function fuzz_one(ptr: usize, len: usize): void {
  if (len < 1) return;
  const flags = <u32>load<u8>(ptr);
  const n = ((flags >> 1) & 3) + 1;
  let at: usize = 1;
  fakeSetGuestKind(<i32>(flags & 1));
  for (let i: u32 = 0; i < n; i++) {
    let sectors: u64 = 2048;
    let order: u32 = 0, indirect: u32 = 0, f: u32 = 0;
    if (at + 7 <= len) {
      sectors = <u64>load<u32>(ptr + at);
      order = load<u8>(ptr + at + 4);
      indirect = <u32>load<u8>(ptr + at + 5) * 2;
      f = load<u8>(ptr + at + 6);
    }
    at += 7;
    if (sectors < 8) sectors = 8;
    const vbd: u32 = 51712 + i * 16;
    const big = (f & 1) != 0;
    if (big) sectors &= ~(<u64>7);
    const d = fakeAddDisk(vbd, sectors);
    fakeStoreSet(d.back + "/max-ring-page-order", order.toString());
    fakeStoreSet(d.back + "/feature-max-indirect-segments", indirect.toString());
    fakeStoreSet(d.back + "/sectors", sectors.toString());
    fakeStoreSet(d.back + "/sector-size", big ? "4096" : "512");
    fakeStoreSet(d.back + "/info", (f & 2) != 0 ? "4" : "0");
    if ((f & 4) != 0) fakeStoreSet(d.front + "/backend-id", "");
  }
  if (at > len) at = len;
  fakeBegin(ptr + at, len - at);
  const scripted = scriptLeft() > 0;

  startInfo.init();
  events.init();
  if (xenstore.init() != 0) fuzzFail("xenstore did not start");
  if (gnttab.init() != 0) fuzzFail("the grant table did not start");
  const problems = disks.probe();
  for (let i = 0; i < problems.length; i++) if (problems[i].length == 0) fuzzFail("an empty problem");
  const buf = heap.alloc(<usize>MAX_READ * 512);
  for (let i = 0; i < disks.list.length; i++) {
    const d = disks.list[i];
    if (!d.connected) {
      if (d.broken == null) fuzzFail("a disk neither connected nor broken");
      if (!scripted && d.broken!.indexOf("backend-id") < 0 && d.broken!.indexOf("no backend") < 0) {
        fuzzFail("a disk did not connect to a backend that answered every call");
      }
      continue;
    }
    const per: u32 = d.sectorSize / 512;
    const last = d.sectors - <u64>per;
    readCheck(d, 0, per, buf, scripted);
    readCheck(d, last, per, buf, scripted);
    const run = <u64>MAX_READ < d.sectors ? MAX_READ : <u32>d.sectors;
    readCheck(d, 0, run - run % per, buf, scripted);
    if (d.read(d.sectors, per, buf) == null) fuzzFail("a read past the end succeeded");
    if (d.read(last, 0, buf) != null && d.broken == null) fuzzFail("a read of no sectors failed");
  }
  // xenstore calls of each kind, and a watch taken back
  xenstore.read("device/vbd/51712/backend");
  xenstore.directory("device/vbd");
  const tx = xenstore.transactionStart();
  if (tx > 0) xenstore.transactionEnd(<u32>tx, false);
  xenstore.watch("device/vbd", "fuzz");
  xenstore.nextEvent("fuzz", deadlineAfterMs(10));
  xenstore.mkdir("data/fuzz");
  xenstore.rm("data/fuzz");
  disks.shutdown();
  const left = xenstore.unwatchAll();
  for (let i = 0; i < left.length; i++) if (left[i].length == 0) fuzzFail("an empty unwatch problem");
  xenstore.settle(deadlineAfterMs(100));
}

function readCheck(d: BlkDisk, sector: u64, count: u32, buf: usize, scripted: bool): void {
  if (count == 0) return;
  memory.fill(buf, 0, <usize>count * 512);
  const e = d.read(sector, count, buf);
  if (e != null) {
    if (!e.startsWith(d.name)) fuzzFail("a read error that does not name its disk");
    if (!scripted) fuzzFail("a read failed with a backend that answered every request");
    return;
  }
  for (let k: u32 = 0; k < count; k++) {
    if (!sameSector(buf + <usize>k * 512, diskSector(d.vbd, sector + k))) fuzzFail("a read that succeeded with bytes other than the disk's");
  }
}

// 512 bytes compared 8 at a time. memory.compare went byte by byte, inlined here with a
// trace-cmp hook on every byte: a third of the target's time, teaching the fuzzer nothing
// (these bytes are the fake disk's, not the input's).
function sameSector(a: usize, b: usize): bool {
  let diff: u64 = 0;
  for (let i: usize = 0; i < 512; i += 8) diff |= load<u64>(a + i) ^ load<u64>(b + i);
  return diff == 0;
}
