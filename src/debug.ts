// pvboot.debug=ACTION on the domain's command line: deliberate faults that prove, on the
// emulator and on real Xen, that a wasm trap becomes a clear message and a crashed domain.

import { console } from "./xen/console";
import { Text } from "./lib/text";

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
  } else if (action == "recurse") {
    console.line(new Text().u(recurse(1)));
  } else {
    console.say("pvboot: unknown debug action, ignored");
  }
}

function recurse(n: u32): u32 {
  return n == 0 ? 0 : recurse(n + 1) + 1;
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
