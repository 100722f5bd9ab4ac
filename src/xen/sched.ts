// Leaving the domain: SCHEDOP_shutdown never returns on Xen (nor in the harness).

import * as abi from "./abi";
import { sched_op } from "./hypercall";

export function shutdown(reason: u32): void {
  const arg = heap.alloc(8);
  store<u32>(arg, reason);
  sched_op(abi.SCHEDOP_shutdown, arg, 4);
  unreachable(); // Xen refused to shut us down: trap, which crashes the domain
}
