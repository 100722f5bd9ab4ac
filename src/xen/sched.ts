// Leaving the domain: SCHEDOP_shutdown never returns on Xen (nor in the harness).

import * as abi from "./abi";
import { sched_op } from "./hypercall";
import { console } from "./console";

// The console's last lines go first: xenconsoled takes them from the ring only after the
// event, and lines still in the ring when the domain is gone are lost (a real-Xen test once
// missed the contract table's last line before a poweroff that way).
export function shutdown(reason: u32): void {
  console.drain();
  const arg = heap.alloc(8);
  store<u32>(arg, reason);
  sched_op(abi.SCHEDOP_shutdown, arg, 4);
  unreachable(); // Xen refused to shut us down: trap, which crashes the domain
}
