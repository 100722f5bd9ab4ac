// Time: Xen system time in ns, and deadlines for SCHEDOP_poll.

import { clock_ns } from "./hypercall";

export const NS_PER_MS: u64 = 1000000;

export function now(): u64 {
  return clock_ns();
}

export function deadlineAfterMs(ms: u64): u64 {
  return clock_ns() + ms * NS_PER_MS;
}

export function expired(deadline: u64): bool {
  return clock_ns() >= deadline;
}
