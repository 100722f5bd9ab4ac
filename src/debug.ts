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
  } else if (action == "recurse") {
    console.line(new Text().u(recurse(1)));
  } else {
    console.say("pvboot: unknown debug action, ignored");
  }
}

function recurse(n: u32): u32 {
  return n == 0 ? 0 : recurse(n + 1) + 1;
}
