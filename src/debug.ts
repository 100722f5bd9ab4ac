// pvboot.debug=ACTION on the domain's command line: deliberate faults that prove, on the
// emulator and on real Xen, that a wasm trap becomes a clear message and a crashed domain.
// The native shim makes its own CPU faults for `shim-pf`, `shim-ud`, `shim-de`, `shim-gp`,
// `shim-hcpage` and `shim-panic` before the core starts (boot/traps.c); the core only sees them in the emulator.

import { console, KEY_TIMEOUT, KEY_ENTER, KEY_UP, KEY_DOWN, KEY_LEFT, KEY_RIGHT, KEY_HOME, KEY_END, KEY_DELETE,
  KEY_PGUP, KEY_PGDN, KEY_ESC, KEY_BACKSPACE, KEY_CTRL_C, KEY_TAB } from "./xen/console";
import { deadlineAfterMs } from "./xen/time";
import { Text } from "./lib/text";
import { disks } from "./drivers/blkfront";
import { gnttab } from "./xen/gnttab";
import { xenstore, xsErrorName } from "./xen/xenstore";
import { mfn_of } from "./xen/hypercall";
import { allocPages } from "./lib/pages";
import { now } from "./xen/time";
import { runContractTable } from "./debug/contract";

export function runDebugAction(action: string): void {
  console.line(new Text().str("pvboot: debug action '").str(action).str("'"));
  if (action == "trap") {
    unreachable();
  } else if (action == "oob") {
    // A load far past the end of the linear memory.
    const p = <usize>(memory.size() << 16) + 0x10000000;
    console.line(new Text().u(load<u8>(p)));
  } else if (action == "oob-end") {
    // A 4-byte load whose last 2 bytes lie past the memory's end: on x86_64 the first guard
    // page must fault even while the memory is smaller than Xen's start-of-day mapping.
    const size = <usize>(memory.size() << 16);
    console.line(new Text().str("pvboot: debug: the memory is ").u(<u64>size).str(" bytes; a 4-byte load at ").u(<u64>size - 2));
    console.line(new Text().u(load<u32>(size - 2)));
  } else if (action == "oob-far") {
    // A store at 0xffffffff + offset 0x7fffffff, 6 GiB past the memory's base: the furthest
    // the core's code can reach (AssemblyScript's immediate offsets stop at 2^31 - 1; wasm's,
    // and the x86_64 guard, at 8 GiB). The address comes from memory.size (below 65536 pages,
    // so the subtraction takes 0), so that the optimizer cannot put `unreachable` there.
    console.line(new Text().str("pvboot: debug: a store at 0xffffffff + offset 0x7fffffff"));
    store<u8>(<usize>u32.MAX_VALUE - (memory.size() >>> 16), 1, 0x7fffffff);
  } else if (action == "oob-wrap") {
    // A load at 0xfffffff0 + offset 0x20: 33 bits in wasm, out of bounds. x86_32's 32-bit move
    // wraps it to 0x10, inside the unmapped hole below the core's data (boot/x86_32/segment.c),
    // which must fault as the wasm trap rather than read. The address comes from memory.size,
    // as oob-far's does.
    console.line(new Text().str("pvboot: debug: a load at 0xfffffff0 + offset 0x20"));
    console.line(new Text().u(load<u32>(<usize>0xfffffff0 - (memory.size() >>> 16), 0x20)));
  } else if (action == "abort") {
    assert(false, "debug abort requested");
  } else if (action == "memtest") {
    memtest();
  } else if (action == "blkread") {
    blkread();
  } else if (action == "xenstore") {
    xenstoreTest();
  } else if (action == "gnttab") {
    gnttabTest();
  } else if (action == "keys") {
    showKeys();
  } else if (action == "contract") {
    runContractTable();
  } else if (action == "recurse") {
    console.line(new Text().u(recurse(1)));
  } else if (action.startsWith("shim-")) {
    console.say("pvboot: this is the native shim's CPU fault, made before the core starts; the emulator has no CPU to fault");
  } else {
    console.say("pvboot: unknown debug action, ignored");
  }
}

function recurse(n: u32): u32 {
  return n == 0 ? 0 : recurse(n + 1) + 1;
}

function check(name: string, ok: bool, detail: string = ""): void {
  const t = new Text().str("pvboot: xs-test: ").str(name).str(ok ? " ok" : " FAILED");
  if (!ok && detail.length > 0) t.str(" (").str(detail).str(")");
  console.line(t);
}

// Every xenstore client operation against the real (or emulated) xenstored, in the
// guest's own writable area (data/): each prints "ok" or what went wrong.
function xenstoreTest(): void {
  const base = "data/pvboot-test";
  const watchesBefore = xenstore.watchCount;
  let e = xenstore.write(base + "/a", "hello");
  check("write", e == 0, xsErrorName(e));
  const r = xenstore.read(base + "/a");
  check("read", r.err == 0 && r.data == "hello", r.err != 0 ? xsErrorName(r.err) : r.data);
  e = xenstore.mkdir(base + "/dir");
  check("mkdir", e == 0, xsErrorName(e));
  const d = xenstore.directory(base);
  const names = d.list();
  check("directory", d.err == 0 && names.length == 2 && names.includes("a") && names.includes("dir"), names.join(","));
  const missing = xenstore.read(base + "/nope");
  check("ENOENT", missing.err == 2, xsErrorName(missing.err));
  const denied = xenstore.write("/local/domain/0/pvboot", "x");
  check("EACCES", denied == 13, xsErrorName(denied));
  let big = "";
  for (let i = 0; i < 4100; i++) big += "x";
  check("payload limit", xenstore.write(base + "/big", big) == 7);
  // larger than the 1 KiB ring: goes out in pieces (xenstored refuses the size)
  let large = "";
  for (let i = 0; i < 3000; i++) large += "y";
  const le = xenstore.write(base + "/large", large);
  check("long request in pieces", le == 28 || le == 0, xsErrorName(le));

  const t1 = xenstore.transactionStart();
  check("transaction start", t1 > 0);
  xenstore.write(base + "/tx", "committed", <u32>t1);
  check("transaction commit", xenstore.transactionEnd(<u32>t1, true) == 0 && xenstore.readOr(base + "/tx", "") == "committed");
  const t2 = xenstore.transactionStart();
  xenstore.write(base + "/tx", "aborted", <u32>t2);
  check("transaction abort", xenstore.transactionEnd(<u32>t2, false) == 0 && xenstore.readOr(base + "/tx", "") == "committed");

  check("watch", xenstore.watch(base + "/w", "tok") == 0);
  const first = xenstore.nextEvent("tok", deadlineAfterMs(1000));
  check("watch fires at once", first != null && first!.endsWith(base + "/w"), first != null ? first! : "nothing");
  xenstore.write(base + "/w/child", "1");
  const fired = xenstore.nextEvent("tok", deadlineAfterMs(1000));
  check("watch fires below", fired != null && fired!.endsWith(base + "/w/child"), fired != null ? fired! : "nothing");
  check("unwatch", xenstore.unwatch(base + "/w", "tok") == 0);
  xenstore.write(base + "/w/child", "2");
  check("no events after unwatch", xenstore.nextEvent("tok", deadlineAfterMs(200)) == null);
  // a watch whose first event is still in the ring when it is dropped: the event is ignored
  xenstore.watch(base + "/a", "gone");
  xenstore.unwatch(base + "/a", "gone");
  check("event for an unknown token ignored", xenstore.nextEvent("gone", deadlineAfterMs(200)) == null);
  e = xenstore.rm(base);
  check("rm", e == 0 && xenstore.read(base + "/a").err == 2, xsErrorName(e));
  check("no watches left", xenstore.watchCount == watchesBefore);
}

// Set up the grant table, grant a page to ourselves and take it back: the native grant
// imports (setup_table, set_version, mapping Xen's frames, cmpxchg16) on a real Xen.
function gnttabTest(): void {
  const rc = gnttab.init();
  if (rc != 0) {
    console.line(new Text().str("pvboot: gnttab: setup failed (").i(rc).str(")"));
    return;
  }
  const page = allocPages(1);
  const ref = gnttab.grant(0, mfn_of(page), false);
  const flags = ref >= 0 ? load<u16>(gnttab.table + <usize>ref * 8) : 0;
  const frame = ref >= 0 ? load<u32>(gnttab.table + <usize>ref * 8 + 4) : 0;
  const ended = ref >= 0 && gnttab.end(<u32>ref);
  const t = new Text().str("pvboot: gnttab: ").u(gnttab.nrEntries).str(" entries, ref ").i(ref);
  t.str(" flags ").hex(flags).str(" frame ").hex(frame).str(ended && frame == <u32>mfn_of(page) ? ", ended, ok" : ", FAILED");
  t.str(", live ").u(gnttab.live);
  console.line(t);
}

// Name every key read from the console until Enter, or 10 s without a key (like showkey).
function showKeys(): void {
  for (;;) {
    const k = console.readKey(deadlineAfterMs(10000));
    if (k == KEY_TIMEOUT) {
      console.say("pvboot: keys: no key for 10 s");
      return;
    }
    console.line(new Text().str("pvboot: key ").str(keyName(k)));
    if (k == KEY_ENTER) return;
  }
}

function keyName(k: i32): string {
  if (k == KEY_ENTER) return "enter";
  if (k == KEY_UP) return "up";
  if (k == KEY_DOWN) return "down";
  if (k == KEY_LEFT) return "left";
  if (k == KEY_RIGHT) return "right";
  if (k == KEY_HOME) return "home";
  if (k == KEY_END) return "end";
  if (k == KEY_DELETE) return "delete";
  if (k == KEY_PGUP) return "pgup";
  if (k == KEY_PGDN) return "pgdn";
  if (k == KEY_ESC) return "esc";
  if (k == KEY_BACKSPACE) return "backspace";
  if (k == KEY_CTRL_C) return "ctrl-c";
  if (k == KEY_TAB) return "tab";
  if (k >= 0x20 && k < 0x7f) return "'" + String.fromCharCode(k) + "'";
  return "0x" + k.toString(16);
}

// Read all of hd0 through blkfront in 4 MiB reads and print a checksum of every byte (each
// u32 word, little-endian: h = rotl(h, 5) ^ w), the requests and segments it took, and the
// Xen time it took: the check and the measure of the disk path.
function blkread(): void {
  if (disks.list.length == 0 || !disks.list[0].connected) {
    console.say("pvboot: blkread: no connected hd0");
    return;
  }
  const d = disks.list[0];
  const chunk: u32 = 8192; // sectors
  const buf = heap.alloc(<usize>chunk * 512);
  const start = now();
  const req0 = d.requests;
  const seg0 = d.segments;
  let h: u32 = 0;
  for (let s: u64 = 0; s < d.sectors; s += chunk) {
    const n = <u32>(d.sectors - s < <u64>chunk ? d.sectors - s : <u64>chunk);
    const e = d.read(s, n, buf);
    if (e != null) {
      console.line(new Text().str("pvboot: blkread: ").str(e));
      return;
    }
    for (let p: usize = 0; p < <usize>n * 512; p += 4) h = rotl<u32>(h, 5) ^ load<u32>(buf + p);
  }
  const past = d.read(d.sectors, 1, buf);
  console.line(new Text().str("pvboot: blkread: past the end: ").str(past != null ? past! : "NOT REFUSED"));
  const t = new Text().str("pvboot: blkread: ").str(d.name).str(" ").u(d.bytes).str(" bytes, ");
  t.u(d.requests - req0).str(" requests, ").u(d.segments - seg0).str(" segments, checksum ").hex(h, 8);
  t.str(", ").u((now() - start) / 1000).str(" us");
  console.line(t);
}

// Grow the linear memory to all the domain can back, then write a distinct word into every
// 4 KiB frame and read them all back: the shim's page-table growth on Xen, end to end.
// Only as a last act before powering off: it takes memory behind the allocator's back.
function memtest(): void {
  const before = memory.size();
  while (memory.grow(16) >= 0);
  while (memory.grow(1) >= 0);
  const after = memory.size();
  const first = <usize>before << 16;
  const end = <usize>after << 16;
  let bad: usize = 0;
  let frames: u32 = 0;
  for (let p = first; p < end; p += 4096) {
    if (load<u64>(p) != 0 || load<u64>(p + 4088) != 0) bad = p; // grown memory must read as zeros
    store<u64>(p, 0x7076626f6f740000 | <u64>(p >> 12));
    store<u64>(p + 4088, ~(<u64>p));
  }
  for (let p = first; p < end; p += 4096) {
    if (load<u64>(p) != (0x7076626f6f740000 | <u64>(p >> 12)) || load<u64>(p + 4088) != ~(<u64>p)) bad = p;
    frames++;
  }
  const t = new Text().str("pvboot: memtest: linear memory grew from ").u(<u64>before * 64).str(" to ");
  t.u(<u64>after * 64).str(" KiB, ").u(frames).str(" frames");
  if (bad != 0) t.str(" FAILED at offset ").hex(bad);
  else t.str(" ok");
  console.line(t);
}
