// pvboot.debug=ACTION on the domain's command line: deliberate faults that prove, on the
// emulator and on real Xen, that a wasm trap becomes a clear message and a crashed domain.

import { console } from "./xen/console";
import { Text } from "./lib/text";
import { disks } from "./drivers/blkfront";
import { now } from "./xen/time";

export function runDebugAction(action: string): void {
  console.line(new Text().str("pvboot: debug action '").str(action).str("'"));
  if (action == "trap") {
    unreachable();
  } else if (action == "oob") {
    // A load far past the end of the linear memory.
    const p = <usize>(memory.size() << 16) + 0x10000000;
    console.line(new Text().u(load<u8>(p)));
  } else if (action == "abort") {
    assert(false, "debug abort requested");
  } else if (action == "memtest") {
    memtest();
  } else if (action == "blkread") {
    blkread();
  } else if (action == "recurse") {
    console.line(new Text().u(recurse(1)));
  } else {
    console.say("pvboot: unknown debug action, ignored");
  }
}

function recurse(n: u32): u32 {
  return n == 0 ? 0 : recurse(n + 1) + 1;
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
